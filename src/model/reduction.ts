/**
 * Partial-order reduction by ample sets: in a state where one actor can only take steps that
 * no other actor can see or disturb, the explorer expands that actor alone instead of every
 * interleaving of its steps with everyone else's.
 *
 * The ample set of a state s is the enabled transitions of one actor A at its program point p,
 * chosen only when the four conditions of Clarke, Grumberg and Peled ("Model Checking", ch. 10)
 * hold; they preserve every invariant over the visible variables, every deadlock, and the
 * order of counted events along every execution:
 *
 * - C0 (non-empty): A has an enabled transition at p; otherwise the state is fully expanded.
 * - C1 (persistence): every transition of A from p writes only variables that no other actor
 *   can still read or write from where it stands, and reads only variables no other actor can
 *   still write. "Can still" is the union over the program points an actor can reach from its
 *   current one in its control graph (`future` below), so an actor that has finished, such as
 *   KVM_CREATE_VM once the VM exists, constrains nothing. Then no transition dependent on A's
 *   can run before A moves, and A's disabled transitions at p stay disabled.
 *   A held lock narrows "can still" (`LockCut` below): when a variable L that acquires test
 *   (a guard conjunct L == c on a step that writes L: mutex_lock's `kvm->lock == free`) is not c
 *   in s, and no other actor can write L before it passes such a test, then L stays unequal to c
 *   until A moves, every other actor stops at its next acquire of L, and only what it can reach
 *   before that counts. Nothing else changes: the ample set is still A's steps at p. This holds
 *   for any variable and value; `locksOf` picks those steps only wait for, where it pays.
 * - C2 (invisibility): A's transitions from p write no variable a property reads, carry no
 *   counted event and are no full barrier; a property that compares A's program counter with a
 *   constant sees no change unless p or the target is that constant, and one that reads it any
 *   other way makes p visible.
 * - C3 (cycle proviso): the program points chosen this way have no cycle among the transitions
 *   between them, per actor. A cycle of reduced states would take only such transitions, each
 *   moving one actor forward in an acyclic graph and leaving the others in place, so it could
 *   never come back: every cycle passes a fully expanded state.
 *
 * The state counts of a reduced exploration are the reduced graph's: the SPIN agreement test
 * compares SPIN with an unreduced run, and test/unit/reduction.test.ts compares the reduced run
 * with the unreduced one (verdicts and counters) on every model the fixtures explore.
 */
import { Expr, Model, Transition, fieldTest, readsOf } from './ir';
import { Layout } from './compile';

export interface Reduction {
  /**
   * The next actor after `after` whose transitions at its program point in `s` may form an
   * ample set; -1 when none. `after` = -1 starts on a state (it reads the program counters);
   * later calls for the same state continue from the actor they were given.
   */
  next(s: Uint32Array, after: number): number;
  /** How many (actor, program point) pairs may be expanded alone, for statistics and tests. */
  readonly candidates: number;
  /** How many locks narrow C1 for some candidate (`LockCut`), for tests. */
  readonly locks: number;
}

type Bits = Uint32Array;

function bitset(n: number): Bits {
  return new Uint32Array((n + 31) >>> 5);
}
function set(b: Bits, i: number): void {
  b[i >>> 5]! |= 1 << (i & 31);
}
function has(b: Bits, i: number): boolean {
  return (b[i >>> 5]! & (1 << (i & 31))) !== 0;
}
function orInto(dst: Bits, src: Bits): boolean {
  let changed = false;
  for (let i = 0; i < dst.length; i++) {
    const v = (dst[i]! | src[i]!) >>> 0;
    if (v !== dst[i]) {
      dst[i] = v;
      changed = true;
    }
  }
  return changed;
}
function meets(a: Bits, b: Bits): boolean {
  for (let i = 0; i < a.length; i++) if (a[i]! & b[i]!) return true;
  return false;
}

/**
 * How the properties look at each program counter: the constants they compare it with, or
 * `all` when they read it another way.
 */
function pcObservations(model: Model): Map<number, Set<number> | 'all'> {
  const pcVars = new Set(model.actors.map((a) => a.pcVar));
  const seen = new Map<number, Set<number> | 'all'>();
  const visit = (e: Expr): void => {
    const test = fieldTest(e);
    if (test) {
      if (!pcVars.has(test.id)) return;
      const cur = seen.get(test.id) ?? new Set<number>();
      if (cur !== 'all') cur.add(test.value);
      seen.set(test.id, cur);
      return;
    }
    switch (e.k) {
      case 'var':
        if (pcVars.has(e.id)) seen.set(e.id, 'all');
        return;
      case 'const':
        return;
      case 'not':
        return visit(e.e);
      case 'and':
      case 'or':
        return e.es.forEach(visit);
      case 'ite':
        visit(e.c);
        visit(e.t);
        return visit(e.e);
      default:
        visit(e.a);
        visit(e.b);
    }
  };
  for (const p of model.properties) visit(p.bad);
  return seen;
}

/** The ample-set analysis of `model`; `undefined` when no program point qualifies. */
export function reductionOf(model: Model, layout: Layout): Reduction | undefined {
  const V = model.vars.length;
  const A = model.actors.length;
  const pcCount = model.actors.map((a) => model.vars[a.pcVar]!.max + 1);
  const pcBase = new Int32Array(A + 1);
  for (let a = 0; a < A; a++) pcBase[a + 1] = pcBase[a]! + pcCount[a]!;
  const P = pcBase[A]!;

  // Reads and writes of each program point's transitions, and whether they are all invisible.
  const reads = Array.from({ length: P }, () => bitset(V));
  const writes = Array.from({ length: P }, () => bitset(V));
  const invisible = new Uint8Array(P);
  const hasOut = new Uint8Array(P);
  const visible = bitset(V);
  for (const p of model.properties) for (const v of readsOf(p.bad)) set(visible, v);
  const observed = pcObservations(model);
  const own = model.transitions.map((t) => accessesOf(t, model.actors[t.actor]!.pcVar, V));
  for (const t of model.transitions) {
    const at = pcBase[t.actor]! + t.from;
    const pcVar = model.actors[t.actor]!.pcVar;
    if (!hasOut[at]) {
      hasOut[at] = 1;
      invisible[at] = 1;
    }
    orInto(reads[at]!, own[t.id]!.reads);
    orInto(writes[at]!, own[t.id]!.writes);
    let ok = !t.events && !t.fence && t.from !== t.to;
    for (const a of t.effects) if (has(visible, a.id)) ok = false;
    // Only the program counter of the model's own actor may change beyond the effects.
    if (has(visible, pcVar)) {
      const o = observed.get(pcVar);
      if (o === 'all' || o?.has(t.from) || o?.has(t.to)) ok = false;
    }
    if (!ok) invisible[at] = 0;
  }

  // C3: break every cycle among the invisible program points, per actor (depth-first search;
  // the source of each back edge stops being a candidate).
  const succ: number[][] = Array.from({ length: P }, () => []);
  for (const t of model.transitions) succ[pcBase[t.actor]! + t.from]!.push(pcBase[t.actor]! + t.to);
  const colour = new Uint8Array(P);
  for (let root = 0; root < P; root++) {
    if (colour[root] || !invisible[root]) continue;
    const stack: [number, number][] = [[root, 0]];
    colour[root] = 1;
    while (stack.length) {
      const top = stack[stack.length - 1]!;
      const [u, k] = top;
      const out = succ[u]!;
      if (k === out.length || !invisible[u]) {
        colour[u] = 2;
        stack.pop();
        continue;
      }
      top[1] = k + 1;
      const v = out[k]!;
      if (!invisible[v]) continue;
      if (colour[v] === 1) invisible[u] = 0;
      else if (colour[v] === 0) {
        colour[v] = 1;
        stack.push([v, 0]);
      }
    }
  }

  const candidates: number[] = [];
  for (let at = 0; at < P; at++) if (invisible[at]) candidates.push(at);
  if (!candidates.length) return undefined;

  // What each actor can still read and write from each of its program points, and, per lock,
  // before it next acquires that lock.
  const future = futureOf(model, pcBase, own, () => false);
  const tests = model.transitions.map((t) => equalityTests(t.guard));
  const cuts: LockCut[] = locksOf(model, own, tests).map(({ id, value }) => {
    const blocked = (t: Transition) => tests[t.id]!.some((x) => x.id === id && x.value === value);
    const slot = layout.slots[id]!;
    return { id, value, word: slot.word, shift: slot.shift, mask: slot.mask, future: futureOf(model, pcBase, own, blocked) };
  });

  // C1, per candidate: the program points of the other actors that conflict with it, and per
  // lock, those that conflict with it or can write the lock before they acquire it.
  const candidateOf = new Int32Array(P).fill(-1);
  const conflicts: Uint8Array[] = [];
  const actorOf = (at: number) => model.actors.findIndex((_, a) => at < pcBase[a + 1]!);
  const conflictsWith = (at: number, f: Future, lock: number) => {
    const mine = actorOf(at);
    const row = new Uint8Array(P);
    for (let b = 0; b < A; b++) {
      if (b === mine) continue;
      for (let q = pcBase[b]!; q < pcBase[b + 1]!; q++) {
        const w = f.writes[q]!;
        row[q] = (lock >= 0 && has(w, lock)) || meets(writes[at]!, f.reads[q]!) || meets(writes[at]!, w) || meets(reads[at]!, w) ? 1 : 0;
      }
    }
    return row;
  };
  // Per candidate, the locks that clear some conflict of its own, with its rows under them (the
  // others are never tried). Candidates of one actor with the same reads and writes share rows.
  const narrowing: Narrowed[][] = [];
  const rowsOf = new Map<string, { row: Uint8Array; narrowed: Narrowed[] }>();
  candidates.forEach((at, c) => {
    candidateOf[at] = c;
    const key = `${actorOf(at)}:${reads[at]!.join(',')}:${writes[at]!.join(',')}`;
    let rows = rowsOf.get(key);
    if (!rows) {
      const row = conflictsWith(at, future, -1);
      const narrowed = row.includes(1)
        ? cuts.map((lock) => ({ lock, row: conflictsWith(at, lock.future, lock.id) })).filter((n) => n.row.some((x, q) => x < row[q]!))
        : [];
      rows = { row, narrowed };
      rowsOf.set(key, rows);
    }
    conflicts.push(rows.row);
    narrowing.push(rows.narrowed);
  });

  const word = new Int32Array(A);
  const shift = new Int32Array(A);
  const mask = new Int32Array(A);
  model.actors.forEach((a, i) => {
    const slot = layout.slots[a.pcVar]!;
    word[i] = slot.word;
    shift[i] = slot.shift;
    mask[i] = slot.mask;
  });
  const at = new Int32Array(A);
  const free = (row: Uint8Array) => {
    for (let b = 0; b < A; b++) if (row[at[b]!]) return false;
    return true;
  };
  return {
    candidates: candidates.length,
    locks: new Set(narrowing.flat().map((n) => n.lock)).size,
    next(s: Uint32Array, after: number): number {
      if (after < 0) for (let a = 0; a < A; a++) at[a] = pcBase[a]! + ((s[word[a]!]! >>> shift[a]!) & mask[a]!);
      for (let a = after + 1; a < A; a++) {
        const c = candidateOf[at[a]!]!;
        if (c < 0) continue;
        if (free(conflicts[c]!)) return a;
        for (const { lock: l, row } of narrowing[c]!) if (((s[l.word]! >>> l.shift) & l.mask) !== l.value && free(row)) return a;
      }
      return -1;
    },
  };
}

/** What the transitions of each program point, and those after it, read and write. */
interface Future {
  readonly reads: Bits[];
  readonly writes: Bits[];
}

/** A lock for C1: the variable, the value its acquires test for, and its narrowed futures. */
interface LockCut {
  readonly id: number;
  readonly value: number;
  readonly word: number;
  readonly shift: number;
  readonly mask: number;
  /** What each actor can read and write from each point before it takes an acquire of this lock. */
  readonly future: Future;
}

/** A lock that narrows a candidate's conflicts, and its row under that lock (as `conflicts` in `reductionOf`). */
interface Narrowed {
  readonly lock: LockCut;
  readonly row: Uint8Array;
}

/** A transition's reads (its guard's, then its effects') and writes (its effects' and its actor's program counter). */
function accessesOf(t: Transition, pcVar: number, V: number): { reads: Bits; writes: Bits } {
  const reads = bitset(V);
  const writes = bitset(V);
  for (const v of readsOf(t.guard)) set(reads, v);
  set(writes, pcVar);
  for (const a of t.effects) {
    for (const v of readsOf(a.e)) set(reads, v);
    set(writes, a.id);
  }
  return { reads, writes };
}

/**
 * The fixpoint of future(p) = ∪ over the transitions t from p that are not `blocked`:
 * own(t) ∪ future(t.to). With nothing blocked, everything an actor can still do from p.
 */
function futureOf(model: Model, pcBase: Int32Array, own: readonly { reads: Bits; writes: Bits }[], blocked: (t: Transition) => boolean): Future {
  const P = pcBase[pcBase.length - 1]!;
  const V = model.vars.length;
  const reads = Array.from({ length: P }, () => bitset(V));
  const writes = Array.from({ length: P }, () => bitset(V));
  // Later program points first: a control graph mostly runs forward, so a pass or two settles it.
  const open = model.transitions.filter((t) => !blocked(t)).sort((x, y) => y.from - x.from);
  for (const t of open) {
    orInto(reads[pcBase[t.actor]! + t.from]!, own[t.id]!.reads);
    orInto(writes[pcBase[t.actor]! + t.from]!, own[t.id]!.writes);
  }
  for (let changed = true; changed; ) {
    changed = false;
    for (const t of open) {
      const from = pcBase[t.actor]! + t.from;
      const to = pcBase[t.actor]! + t.to;
      if (orInto(reads[from]!, reads[to]!)) changed = true;
      if (orInto(writes[from]!, writes[to]!)) changed = true;
    }
  }
  return { reads, writes };
}

type Test = { readonly id: number; readonly value: number };

/** The `variable == constant` conjuncts of a guard (nested conjunctions included). */
function equalityTests(e: Expr, out: Test[] = []): Test[] {
  if (e.k === 'and') for (const x of e.es) equalityTests(x, out);
  else if (e.k === 'eq') {
    const test = fieldTest(e);
    if (test) out.push(test);
  }
  return out;
}

/** At most this many locks are tried per state. */
const MAX_LOCKS = 4;

/**
 * Locks: a variable L, not a program counter, that more than one actor uses, and a value c such
 * that some transition has the guard conjunct L == c and writes L (an acquire: mutex_lock's
 * guard `kvm->lock == free` and its `kvm->lock = me`), and every guard that reads L does so in
 * that conjunct: steps wait for L, none branches on it. Any variable and value would do for
 * soundness; a flag that steps branch on (a descriptor's ON bit, which test-and-set finds set or
 * clear) leaves the others' futures nearly whole and would only cost time.
 */
function locksOf(model: Model, own: readonly { reads: Bits; writes: Bits }[], tests: readonly (readonly Test[])[]): Test[] {
  const pcVars = new Set(model.actors.map((a) => a.pcVar));
  // A variable one actor alone touches narrows no other actor's future.
  const touched = model.actors.map(() => bitset(model.vars.length));
  for (const t of model.transitions) {
    orInto(touched[t.actor]!, own[t.id]!.reads);
    orInto(touched[t.actor]!, own[t.id]!.writes);
  }
  const shared = (v: number) => touched.filter((b) => has(b, v)).length >= 2;
  // The one value each variable's guards wait for; -1: some guard reads it otherwise.
  const waitedFor = new Map<number, number>();
  for (const t of model.transitions) {
    for (const v of readsOf(t.guard)) {
      const test = tests[t.id]!.find((x) => x.id === v);
      const before = waitedFor.get(v);
      waitedFor.set(v, test && (before === undefined || before === test.value) ? test.value : -1);
    }
  }
  const uses = new Map<string, { id: number; value: number; n: number }>();
  for (const t of model.transitions) {
    for (const test of tests[t.id]!) {
      if (pcVars.has(test.id) || waitedFor.get(test.id) !== test.value || !t.effects.some((a) => a.id === test.id) || !shared(test.id)) continue;
      const key = `${test.id}:${test.value}`;
      const cur = uses.get(key) ?? { ...test, n: 0 };
      cur.n++;
      uses.set(key, cur);
    }
  }
  return [...uses.values()]
    .sort((x, y) => y.n - x.n || x.id - y.id || x.value - y.value)
    .slice(0, MAX_LOCKS)
    .map(({ id, value }) => ({ id, value }));
}
