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
import { Expr, Model, fieldTest, readsOf } from './ir';
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
  for (const t of model.transitions) {
    const at = pcBase[t.actor]! + t.from;
    const pcVar = model.actors[t.actor]!.pcVar;
    if (!hasOut[at]) {
      hasOut[at] = 1;
      invisible[at] = 1;
    }
    for (const v of readsOf(t.guard)) set(reads[at]!, v);
    set(writes[at]!, pcVar);
    let ok = !t.events && !t.fence && t.from !== t.to;
    for (const a of t.effects) {
      readsOf(a.e).forEach((v) => set(reads[at]!, v));
      set(writes[at]!, a.id);
      if (has(visible, a.id)) ok = false;
    }
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

  // What each actor can still read and write from each of its program points: the fixpoint of
  // future(p) = own(p) ∪ future(successors of p).
  const futureReads = reads.map((b) => b.slice());
  const futureWrites = writes.map((b) => b.slice());
  for (let changed = true; changed; ) {
    changed = false;
    for (const t of model.transitions) {
      const from = pcBase[t.actor]! + t.from;
      const to = pcBase[t.actor]! + t.to;
      if (orInto(futureReads[from]!, futureReads[to]!)) changed = true;
      if (orInto(futureWrites[from]!, futureWrites[to]!)) changed = true;
    }
  }

  // C1, per candidate: the program points of the other actors that conflict with it.
  const candidateOf = new Int32Array(P).fill(-1);
  const conflicts: Uint8Array[] = [];
  candidates.forEach((at, c) => {
    candidateOf[at] = c;
    const mine = model.actors.findIndex((_, a) => at < pcBase[a + 1]!);
    const row = new Uint8Array(P);
    for (let b = 0; b < A; b++) {
      if (b === mine) continue;
      for (let q = pcBase[b]!; q < pcBase[b + 1]!; q++) {
        row[q] = meets(writes[at]!, futureReads[q]!) || meets(writes[at]!, futureWrites[q]!) || meets(reads[at]!, futureWrites[q]!) ? 1 : 0;
      }
    }
    conflicts.push(row);
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
  return {
    candidates: candidates.length,
    next(s: Uint32Array, after: number): number {
      if (after < 0) for (let a = 0; a < A; a++) at[a] = pcBase[a]! + ((s[word[a]!]! >>> shift[a]!) & mask[a]!);
      next: for (let a = after + 1; a < A; a++) {
        const c = candidateOf[at[a]!]!;
        if (c < 0) continue;
        const row = conflicts[c]!;
        for (let b = 0; b < A; b++) if (row[at[b]!]) continue next;
        return a;
      }
      return -1;
    },
  };
}
