/**
 * Random models for the model-transformation tests (reduction.test.ts, liveness.test.ts):
 * three actors with four program points each, two shared variables and one local per actor;
 * each actor's steps mostly touch its own local, sometimes shared state, rarely another's local,
 * and some take or release s1 as a lock.
 */
import fc from 'fast-check';
import { Assign, Expr, Model, Transition, add, and, eq, ite, lit, lt, min, ne, not, ref } from '../../src/model/ir';

// Two shared variables, one local per actor, three actors with four program points each.
export const SHARED = [0, 1];
export const LOCAL = [2, 3, 4];
export const PC = [5, 6, 7];
export const VARS = [
  { id: 0, name: 's0', max: 2, init: 0, kind: 'state' as const },
  { id: 1, name: 's1', max: 1, init: 0, kind: 'state' as const },
  { id: 2, name: 'p.x', max: 2, init: 0, kind: 'local' as const },
  { id: 3, name: 'q.x', max: 2, init: 0, kind: 'local' as const },
  { id: 4, name: 'r.x', max: 2, init: 0, kind: 'local' as const },
  ...PC.map((id, a) => ({ id, name: `${'pqr'[a]}.pc`, max: 3, init: 0, kind: 'pc' as const })),
];

/** A variable an actor's step touches: mostly its own local, sometimes shared, rarely another's local. */
const varOf = (actor: number) =>
  fc.oneof({ weight: 6, arbitrary: fc.constant(LOCAL[actor]!) }, { weight: 2, arbitrary: fc.constantFrom(...SHARED) }, { weight: 1, arbitrary: fc.constantFrom(...LOCAL) });
const atomOf = (actor: number): fc.Arbitrary<Expr> =>
  fc.tuple(varOf(actor), fc.integer({ min: 0, max: 2 }), fc.boolean()).map(([v, c, strict]) => (strict ? lt(ref(v), c) : eq(ref(v), c)));
const guardOf = (actor: number): fc.Arbitrary<Expr> =>
  fc.oneof({ weight: 3, arbitrary: fc.constant(lit(1)) }, { weight: 2, arbitrary: atomOf(actor) }, { weight: 1, arbitrary: fc.tuple(atomOf(actor), atomOf(actor)).map(([x, y]) => and(x, not(y))) });
const assignOf = (actor: number): fc.Arbitrary<Assign> =>
  varOf(actor).chain((id) => {
    const max = VARS[id]!.max;
    return fc.oneof(
      fc.integer({ min: 0, max }).map((c) => ({ id, e: lit(c) })),
      fc.constant({ id, e: min(add(ref(id), 1), max) }),
      fc.tuple(atomOf(actor), fc.integer({ min: 0, max })).map(([c, v]) => ({ id, e: ite(c, v, ref(id)) })),
    );
  });
const transitionOf = (actor: number) =>
  fc.record({
    actor: fc.constant(actor),
    from: fc.integer({ min: 0, max: 3 }),
    to: fc.integer({ min: 0, max: 3 }),
    guard: guardOf(actor),
    effects: fc.array(assignOf(actor), { maxLength: 2 }),
    counted: fc.boolean(),
  });
/** The shared variable lock steps take (guard s1 == 0, then s1 = 1) and release (s1 = 0). */
export const LOCK = SHARED[1]!;
const lockStepOf = (actor: number) =>
  fc
    .record({ actor: fc.constant(actor), from: fc.integer({ min: 0, max: 3 }), to: fc.integer({ min: 0, max: 3 }), acquire: fc.boolean(), counted: fc.constant(false) })
    .map(({ acquire, ...t }) => ({ ...t, guard: acquire ? eq(ref(LOCK), 0) : lit(1), effects: [{ id: LOCK, e: lit(acquire ? 1 : 0) }] }));
/** What a property reads: shared state, a local, or an actor being at a program point. */
const badOf: fc.Arbitrary<Expr> = fc.oneof(
  fc.tuple(fc.constantFrom(...SHARED, ...LOCAL), fc.integer({ min: 0, max: 2 })).map(([v, c]) => eq(ref(v), c)),
  fc.tuple(fc.constantFrom(...PC), fc.integer({ min: 0, max: 3 }), fc.constantFrom(...SHARED)).map(([pc, at, v]) => and(eq(ref(pc), at), ne(ref(v), 0))),
  fc.tuple(fc.constantFrom(...PC), fc.constantFrom(...SHARED)).map(([pc, v]) => and(lt(ref(pc), ref(v)), ne(ref(v), 0))),
);
export const randomModel: fc.Arbitrary<Model> = fc
  .tuple(
    fc.array(
      fc.integer({ min: 0, max: 2 }).chain((a) => fc.oneof({ weight: 4, arbitrary: transitionOf(a) }, { weight: 1, arbitrary: lockStepOf(a) })),
      { minLength: 2, maxLength: 14 },
    ),
    fc.array(badOf, { minLength: 1, maxLength: 2 }),
  )
  .map(([ts, bads]) => ({
    name: 'random',
    vars: VARS,
    actors: [0, 1, 2].map((id) => ({ id, name: 'pqr'[id]!, lane: 'pqr'[id]!, pcVar: PC[id]!, pcLabels: ['0', '1', '2', '3'] })),
    transitions: ts.map(({ counted, ...t }, id): Transition => ({ id, ...t, label: `t${id}`, ...(counted && id % 3 === 0 ? { events: { steps: 1 } } : {}) })),
    properties: bads.map((bad, i) => ({ id: `prop${i}`, bad })),
    derived: [],
    counters: ['steps'],
    programs: [],
  }));
