/**
 * Dead-variable reset: a variable that only one actor uses is set back to its initial value
 * where that actor will not read it again before writing it, so that states which differ only
 * in such values (a create path's `r` after the `if (r)`, a failed vCPU's VMCS fields after
 * its teardown) are one state.
 *
 * This is the dead-variable elimination of SPIN's compiler (Holzmann, "The SPIN Model
 * Checker", ch. 9: on by default for local variables, `-o1` turns it off), done on the IR so
 * that the explorer and the Promela export (promela.ts) see the same transition system.
 *
 * A variable v is private to actor X when X's guards and effects are the only ones that read
 * or write it, and no property or derived field reads it. v is live at X's program point p when
 * some path of X's control graph from p reads v before it writes it; effects run in order, so
 * a read after an earlier effect of the same transition wrote v reads that write, not the
 * state. A transition of X from p to q gets, as its last effects, `v := init` for each private
 * v dead at q that is live at p or that it writes (`Assign.reset`): so a private variable holds
 * its initial value wherever it is dead.
 *
 * Why no verdict changes: call two states equivalent when they differ only in private variables
 * dead at their actor's program point. Every guard and effect of an enabled transition reads
 * only variables live there or not private, so equivalent states enable the same transitions,
 * and their successors by the same transition are equivalent again (a variable X does not write
 * is live at the source if it is live at the target). Properties, derived fields, counted
 * events and program counters are equal across equivalent states, so the reset graph has the
 * same verdicts, counters and shortest-counterexample lengths; test/unit/liveness.test.ts checks
 * this on every scenario model of every profile. A trace shows the values the kernel would
 * hold, not the reset ones (trace.ts replays its steps without the resets).
 */
import { Assign, Model, Transition, forEachRead, lit } from './ir';

/** No actor uses the variable. */
const UNUSED = -1;
/** Several actors, a property or a derived field use it. */
const SHARED = -2;

/**
 * One walk of the model: the actor each variable is private to (or UNUSED / SHARED), and each
 * transition's uses in the order they happen: its guard's reads, then each effect's reads and
 * write, a read as the variable's id and a write as its complement (`~id`).
 */
function usesOf(model: Model): { owner: Int32Array; uses: number[][] } {
  const owner = new Int32Array(model.vars.length).fill(UNUSED);
  const shared = (v: number) => {
    owner[v] = SHARED;
  };
  model.properties.forEach((p) => forEachRead(p.bad, shared));
  model.derived.forEach((d) => forEachRead(d.e, shared));
  for (const a of model.actors) owner[a.pcVar] = SHARED;
  let actor = 0;
  let list: number[] = [];
  const use = (v: number) => {
    if (owner[v] === UNUSED) owner[v] = actor;
    else if (owner[v] !== actor) owner[v] = SHARED;
  };
  const read = (v: number) => {
    use(v);
    list.push(v);
  };
  const uses = model.transitions.map((t) => {
    actor = t.actor;
    list = [];
    forEachRead(t.guard, read);
    for (const a of t.effects) {
      forEachRead(a.e, read);
      use(a.id);
      list.push(~a.id);
    }
    return list;
  });
  return { owner, uses };
}

/** `model` with dead private variables reset (see above); `model` itself when none ever is. */
export function withDeadVariablesReset(model: Model): Model {
  const { owner, uses } = usesOf(model);
  // Each actor's private variables, and each one's bit among them.
  const own: number[][] = model.actors.map(() => []);
  const bit = new Int32Array(model.vars.length).fill(-1);
  owner.forEach((a, v) => {
    if (a < 0) return;
    bit[v] = own[a]!.length;
    own[a]!.push(v);
  });
  const byActor: Transition[][] = model.actors.map(() => []);
  for (const t of model.transitions) if (own[t.actor]!.length) byActor[t.actor]!.push(t);
  const resets = new Map<number, number[]>();
  model.actors.forEach((actor, a) => {
    const mine = own[a]!;
    const ts = byActor[a]!;
    if (!ts.length) return;
    // Sets of the actor's variables as masks of W words, a row per transition or program point.
    const W = (mine.length + 31) >>> 5;
    // What each transition reads of them before writing them, and what it writes.
    const reads = new Uint32Array(ts.length * W);
    const writes = new Uint32Array(ts.length * W);
    ts.forEach((t, k) => {
      for (const u of uses[t.id]!) {
        const v = u < 0 ? ~u : u;
        if (owner[v] !== a) continue;
        const w = k * W + (bit[v]! >>> 5);
        const m = 1 << (bit[v]! & 31);
        if (u < 0) writes[w]! |= m;
        else if (!(writes[w]! & m)) reads[w]! |= m;
      }
    });
    // live(from) ⊇ reads(t) ∪ (live(to) \ writes(t)), to the least fixpoint; backwards, since
    // liveness flows from a point's successors.
    const live = new Uint32Array((model.vars[actor.pcVar]!.max + 1) * W);
    for (let changed = true; changed; ) {
      changed = false;
      for (let k = ts.length - 1; k >= 0; k--) {
        const t = ts[k]!;
        for (let w = 0; w < W; w++) {
          const from = t.from * W + w;
          const next = (live[from]! | reads[k * W + w]! | (live[t.to * W + w]! & ~writes[k * W + w]!)) >>> 0;
          if (next !== live[from]) {
            live[from] = next;
            changed = true;
          }
        }
      }
    }
    ts.forEach((t, k) => {
      // Dead where t goes, and live where it starts or written by it: a variable dead where t
      // starts already holds its initial value, unless t writes it.
      let dead: number[] | undefined;
      for (let w = 0; w < W; w++) {
        let m = (~live[t.to * W + w]! & (live[t.from * W + w]! | writes[k * W + w]!)) >>> 0;
        for (let b = 0; m; b++, m >>>= 1) if (m & 1) (dead ??= []).push(mine[w * 32 + b]!);
      }
      if (dead) resets.set(t.id, dead);
    });
  });
  if (!resets.size) return model;
  const transitions = model.transitions.map((t): Transition => {
    const dead = resets.get(t.id);
    if (!dead) return t;
    const effects: Assign[] = t.effects.slice();
    for (const v of dead) effects.push({ id: v, e: lit(model.vars[v]!.init), reset: true });
    return withEffects(t, effects);
  });
  return { ...model, transitions };
}

/** `t` with other effects, built field by field (an object spread costs more, a model has hundreds). */
function withEffects(t: Transition, effects: readonly Assign[]): Transition {
  const out: { -readonly [K in keyof Transition]: Transition[K] } = { id: t.id, actor: t.actor, from: t.from, to: t.to, guard: t.guard, effects, label: t.label };
  if (t.origin) out.origin = t.origin;
  if (t.events) out.events = t.events;
  if (t.fence) out.fence = true;
  return out;
}
