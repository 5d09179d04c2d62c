/**
 * Partial-order reduction (reduction.ts) keeps what a review reports: on random models built to
 * have actor-local steps, and on every model the fixture reviews explore, the reduced run gives
 * the verdicts, the maximum counters and the shortest counterexamples of the unreduced one,
 * while storing fewer states. The analysis itself refuses the cases its conditions name.
 */
import * as assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { compile } from '../../src/model/compile';
import { maxCounters } from '../../src/model/counters';
import { explore } from '../../src/model/explore';
import { Assign, Expr, Model, Transition, and, eq, lit, lt, ne, not, or, ref } from '../../src/model/ir';
import { reductionOf } from '../../src/model/reduction';
import { simulateModel } from '../../src/model/simulate';
import { readPatches } from '../../src/patch';
import { reviewPatchSet } from '../../src/review/review';
import { PC, VARS, randomModel } from './randomModels';

/** The reduced and the unreduced run of `model`; reduction from the `after`-th expansion on (a mix of full and reduced expansions is sound too). */
function bothWays(model: Model, after = 0) {
  const compiled = compile(model);
  const full = explore(compiled, { recordEdges: true });
  const reduced = explore(compiled, { recordEdges: true, reduce: true, reduceAfter: after, reduceWindow: 0 });
  return { full, reduced };
}

describe('partial-order reduction', () => {
  it('keeps the verdicts and the maximum counters of random models with local steps, with no more states, whenever it starts', () => {
    let fewer = 0;
    let runs = 0;
    let locked = 0;
    fc.assert(
      fc.property(randomModel, fc.constantFrom(0, 0, 1, 3), (model, after) => {
        runs++;
        if (reductionOf(model, compile(model).layout)?.locks) locked++;
        const { full, reduced } = bothWays(model, after);
        assert.deepEqual(
          reduced.outcomes.map((o) => o.status),
          full.outcomes.map((o) => o.status),
        );
        assert.deepEqual(maxCounters(reduced), maxCounters(full));
        assert.ok(reduced.stats.states <= full.stats.states);
        if (reduced.stats.states < full.stats.states) fewer++;
      }),
      { seed: 20261121, numRuns: 1500 },
    );
    // Not a vacuous check: a good share of the models really were reduced, and had a lock.
    assert.ok(fewer > runs / 20, `only ${fewer} of ${runs} random models were reduced`);
    assert.ok(locked > runs / 20, `only ${locked} of ${runs} random models had a lock`);
  });

  describe('a held lock (C1 narrowed)', () => {
    // p takes the lock L (guard L == 0, then L = 1 when `plain`; otherwise a guard the analysis
    // does not read as an acquire), sets and clears x, and releases it. q first does two steps
    // of its own (y) that count an event, so they never move alone, the first once p has taken
    // the lock (p's acquire sets go); then it takes the lock, records x in seen, and releases it. r, when `stray`,
    // releases the lock without holding it. The property is seen == 1, which only the stray
    // release allows: it lets q in while p has x set.
    const [L, SEEN, X, Y, GO] = [0, 1, 2, 3, 4];
    const PCS = [5, 6, 7];
    const model = (opts: { plain: boolean; stray: boolean }): Model => {
      const acquire = opts.plain ? eq(ref(L), 0) : lt(ref(L), 1);
      const t = (id: number, actor: number, from: number, to: number, guard: Expr, effects: Assign[]): Transition => ({ id, actor, from, to, guard, effects, label: `t${id}` });
      return {
        name: 'lock',
        vars: [
          { id: L, name: 'L', max: 1, init: 0, kind: 'state' },
          { id: SEEN, name: 'seen', max: 1, init: 0, kind: 'state' },
          { id: X, name: 'x', max: 1, init: 0, kind: 'state' },
          { id: Y, name: 'q.y', max: 2, init: 0, kind: 'local' },
          { id: GO, name: 'go', max: 1, init: 0, kind: 'state' },
          ...PCS.map((id, a) => ({ id, name: `${'pqr'[a]}.pc`, max: 5, init: 0, kind: 'pc' as const })),
        ],
        actors: [0, 1, 2].map((id) => ({ id, name: 'pqr'[id]!, lane: 'pqr'[id]!, pcVar: PCS[id]!, pcLabels: ['0', '1', '2', '3', '4', '5'] })),
        transitions: [
          t(0, 0, 0, 1, acquire, [
            { id: L, e: lit(1) },
            { id: GO, e: lit(1) },
          ]),
          t(1, 0, 1, 2, lit(1), [{ id: X, e: lit(1) }]),
          t(2, 0, 2, 3, lit(1), [{ id: X, e: lit(0) }]),
          t(3, 0, 3, 4, lit(1), [{ id: L, e: lit(0) }]),
          { ...t(4, 1, 0, 1, eq(ref(GO), 1), [{ id: Y, e: lit(1) }]), events: { steps: 1 } },
          { ...t(5, 1, 1, 2, lit(1), [{ id: Y, e: lit(2) }]), events: { steps: 1 } },
          t(6, 1, 2, 3, acquire, [{ id: L, e: lit(1) }]),
          t(7, 1, 3, 4, lit(1), [{ id: SEEN, e: ref(X) }]),
          t(8, 1, 4, 5, lit(1), [{ id: L, e: lit(0) }]),
          ...(opts.stray ? [t(9, 2, 0, 1, lit(1), [{ id: L, e: lit(0) }])] : []),
        ],
        properties: [{ id: 'seen', bad: eq(ref(SEEN), 1) }],
        derived: [],
        counters: ['steps'],
        programs: [],
      };
    };
    const locks = (m: Model) => reductionOf(m, compile(m).layout)?.locks;

    it('lets the holder move alone where the others can only wait for the lock', () => {
      const plain = bothWays(model({ plain: true, stray: false }));
      const unread = bothWays(model({ plain: false, stray: false }));
      assert.equal(locks(model({ plain: true, stray: false })), 1);
      assert.equal(locks(model({ plain: false, stray: false })), 0);
      assert.equal(plain.full.outcomes[0]!.status, 'holds');
      assert.equal(plain.reduced.outcomes[0]!.status, 'holds');
      // The same transition system either way; only the lock, read as one, lets p set and
      // clear x alone while q waits.
      assert.equal(plain.full.stats.states, unread.full.stats.states);
      assert.ok(plain.reduced.stats.states < unread.reduced.stats.states, `${plain.reduced.stats.states} < ${unread.reduced.stats.states}`);
    });

    it('is not used for a guard that reads the lock otherwise (L != c, inside or or not)', () => {
      // L starts taken (1); A releases it after a local step; B sets flag while L is taken and A
      // has not moved, then takes L. B's first guard reads L, so L is no lock (and must not be
      // read as one: B's first step is not blocked by L == 0, and A moving disables it).
      const [FLAG, LOCAL, PCA, PCB] = [1, 2, 3, 4];
      const forms: Record<string, Expr> = {
        ne: and(ne(ref(0), 0), eq(ref(PCA), 0)),
        or: or(eq(ref(0), 0), eq(ref(PCA), 0)),
        not: and(not(eq(ref(0), 0)), eq(ref(PCA), 0)),
      };
      for (const [form, guard] of Object.entries(forms)) {
        const t = (id: number, actor: number, from: number, to: number, g: Expr, effects: Assign[]): Transition => ({ id, actor, from, to, guard: g, effects, label: `t${id}` });
        const m: Model = {
          name: `reads-lock-${form}`,
          vars: [
            { id: 0, name: 'L', max: 1, init: 1, kind: 'state' },
            { id: FLAG, name: 'flag', max: 1, init: 0, kind: 'state' },
            { id: LOCAL, name: 'a', max: 1, init: 0, kind: 'local' },
            { id: PCA, name: 'A.pc', max: 2, init: 0, kind: 'pc' },
            { id: PCB, name: 'B.pc', max: 2, init: 0, kind: 'pc' },
          ],
          actors: [0, 1].map((id) => ({ id, name: 'AB'[id]!, lane: 'AB'[id]!, pcVar: [PCA, PCB][id]!, pcLabels: ['0', '1', '2'] })),
          transitions: [
            t(0, 0, 0, 1, lit(1), [{ id: LOCAL, e: lit(1) }]),
            t(1, 0, 1, 2, lit(1), [{ id: 0, e: lit(0) }]),
            t(2, 1, 0, 1, guard, [{ id: FLAG, e: lit(1) }]),
            t(3, 1, 1, 2, eq(ref(0), 0), [{ id: 0, e: lit(1) }]),
          ],
          properties: [{ id: 'flag', bad: eq(ref(FLAG), 1) }],
          derived: [],
          counters: [],
          programs: [],
        };
        const { full, reduced } = bothWays(m);
        assert.equal(locks(m), 0, form);
        assert.equal(full.outcomes[0]!.status, 'violated', form);
        assert.equal(reduced.outcomes[0]!.status, 'violated', form);
      }
    });

    it('keeps the verdicts and counters of random models built around a lock, and narrows some', () => {
      // L (0..2) is waited for at c, taken by steps that also may do more, released, and read in
      // other forms by the other steps; three actors of five program points. Each model is also
      // explored with its acquires written `not(L != c)`, the same transition system with no
      // lock the analysis reads: where that stores another number of states, the lock rule chose.
      const [Lv, S, XV] = [0, 1, 2];
      const LOC = [3, 4, 5];
      const PCS = [6, 7, 8];
      const vars = (init: number) => [
        { id: Lv, name: 'L', max: 2, init, kind: 'state' as const },
        { id: S, name: 's', max: 2, init: 0, kind: 'state' as const },
        { id: XV, name: 'x', max: 1, init: 0, kind: 'state' as const },
        ...LOC.map((id, a) => ({ id, name: `${'pqr'[a]}.l`, max: 2, init: 0, kind: 'local' as const })),
        ...PCS.map((id, a) => ({ id, name: `${'pqr'[a]}.pc`, max: 4, init: 0, kind: 'pc' as const })),
      ];
      const v = (a: number) => fc.constantFrom(LOC[a]!, LOC[a]!, LOC[a]!, S, XV);
      // Mostly other variables; sometimes a wait for L, rarely L read another way (no lock then).
      const atom = (a: number, c: number): fc.Arbitrary<Expr> =>
        fc.tuple(v(a), fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 19 })).map(([x, k, form]) =>
          form < 18 ? [eq(ref(x), k), ne(ref(x), k), lt(ref(x), k), or(eq(ref(x), k), eq(ref(S), c)), not(eq(ref(x), k)), eq(ref(Lv), c)][form % 6]! : [ne(ref(Lv), c), or(eq(ref(Lv), c), eq(ref(x), k))][form - 18]!,
        );
      // Each actor runs a straight program of one to four steps (program points 0 to 4).
      const step = (a: number, c: number) =>
        fc.record({
          kind: fc.constantFrom('acquire', 'release', 'other', 'other'),
          extra: atom(a, c),
          guarded: fc.boolean(),
          also: fc.option(fc.tuple(v(a), fc.integer({ min: 0, max: 2 })), { nil: undefined }),
          counted: fc.boolean(),
        });
      const program = (a: number, c: number) => fc.array(step(a, c), { minLength: 1, maxLength: 4 });
      const arb = fc.integer({ min: 0, max: 1 }).chain((c) =>
        fc.record({
          c: fc.constant(c),
          init: fc.constantFrom(c, c, c, 2),
          programs: fc.tuple(program(0, c), program(1, c), program(2, c)),
          bad: fc.tuple(fc.constantFrom(S, XV, ...LOC), fc.integer({ min: 1, max: 2 })),
        }),
      );
      type Generated = typeof arb extends fc.Arbitrary<infer T> ? T : never;
      const build = ({ c, init, programs, bad }: Generated, disguise: boolean): Model => ({
        name: 'lock-random',
        vars: vars(init),
        actors: [0, 1, 2].map((id) => ({ id, name: 'pqr'[id]!, lane: 'pqr'[id]!, pcVar: PCS[id]!, pcLabels: ['0', '1', '2', '3', '4'] })),
        transitions: programs
          .flatMap((steps, actor) => steps.map((st, from) => ({ st, actor, from })))
          .map(({ st, actor, from }, id): Transition => {
            const waits = disguise ? not(ne(ref(Lv), c)) : eq(ref(Lv), c);
            const more: Assign[] = st.also ? [{ id: st.also[0], e: lit(Math.min(st.also[1], st.also[0] === XV ? 1 : 2)) }] : [];
            const base = { id, actor, from, to: from + 1, label: `t${id}`, ...(st.counted && id % 3 === 0 ? { events: { steps: 1 } } : {}) };
            if (st.kind === 'acquire') return { ...base, guard: st.guarded ? and(waits, st.extra) : waits, effects: [{ id: Lv, e: lit(c === 0 ? 1 : 2) }, ...more] };
            if (st.kind === 'release') return { ...base, guard: lit(1), effects: [{ id: Lv, e: lit(c) }] };
            return { ...base, guard: st.guarded ? st.extra : lit(1), effects: more };
          }),
        properties: [{ id: 'bad', bad: eq(ref(bad[0]), Math.min(bad[1], bad[0] === XV ? 1 : 2)) }],
        derived: [],
        counters: ['steps'],
        programs: [],
      });
      let narrowed = 0;
      let runs = 0;
      fc.assert(
        fc.property(arb, (g) => {
          runs++;
          const m = build(g, false);
          const { full, reduced } = bothWays(m);
          assert.deepEqual(
            reduced.outcomes.map((o) => o.status),
            full.outcomes.map((o) => o.status),
          );
          assert.deepEqual(maxCounters(reduced), maxCounters(full));
          // Another choice of ample sets, not always a smaller graph.
          if (reduced.stats.states !== bothWays(build(g, true)).reduced.stats.states) narrowed++;
        }),
        { seed: 20261122, numRuns: 1500 },
      );
      assert.ok(narrowed > runs / 50, `the lock narrowed C1 in only ${narrowed} of ${runs} models`);
    });

    it('is not used while another actor can release the lock without taking it', () => {
      const stray = bothWays(model({ plain: true, stray: true }));
      assert.equal(locks(model({ plain: true, stray: true })), 1);
      assert.equal(stray.full.outcomes[0]!.status, 'violated');
      assert.equal(stray.reduced.outcomes[0]!.status, 'violated');
    });
  });

  it('finds nothing to reduce when a property reads the local, another actor reads it, or the local steps loop', () => {
    // One actor: x := 1, then x := 2 (program points 0 -> 1 -> 2); one other actor sets s0.
    const model = (opts: { propertyReadsLocal?: boolean; otherReadsLocal?: boolean; loop?: boolean }): Model => ({
      name: 'local',
      vars: VARS,
      actors: [0, 1].map((id) => ({ id, name: 'pq'[id]!, lane: 'pq'[id]!, pcVar: PC[id]!, pcLabels: ['0', '1', '2', '3'] })),
      transitions: [
        { id: 0, actor: 0, from: 0, to: 1, guard: lit(1), effects: [{ id: 2, e: lit(1) }], label: 'x = 1' },
        { id: 1, actor: 0, from: 1, to: opts.loop ? 0 : 2, guard: lit(1), effects: [{ id: 2, e: lit(2) }], label: 'x = 2' },
        { id: 2, actor: 1, from: 0, to: 1, guard: opts.otherReadsLocal ? eq(ref(2), 1) : lit(1), effects: [{ id: 0, e: lit(1) }], label: 's0 = 1' },
      ],
      properties: [{ id: 'p', bad: opts.propertyReadsLocal ? and(eq(ref(2), 2), eq(ref(0), 1)) : eq(ref(0), 2) }],
      derived: [],
      counters: [],
      programs: [],
    });
    const candidates = (m: Model) => reductionOf(m, compile(m).layout)?.candidates ?? 0;
    assert.equal(candidates(model({})), 2, 'both local steps may go alone');
    assert.equal(candidates(model({ propertyReadsLocal: true })), 0, 'C2: the property sees the local');
    assert.equal(candidates(model({ loop: true })), 1, 'C3: one point of the loop is always fully expanded');
    // C1 is decided per state: the other actor reads the local only until it has moved.
    const m = model({ otherReadsLocal: true });
    const { full, reduced } = bothWays(m);
    assert.equal(reduced.stats.states, full.stats.states, 'the reader could still run: nothing may go alone');
    const plain = bothWays(model({}));
    assert.ok(plain.reduced.stats.states < plain.full.stats.states, `${plain.reduced.stats.states} < ${plain.full.stats.states}`);
  });

  it('keeps the verdicts, counters and shortest counterexamples of every model the fixture reviews explore', function () {
    this.timeout(0);
    const dir = path.join(__dirname, '..', '..', '..', 'test', 'fixtures', 'patches');
    let reducedModels = 0;
    let statesFull = 0;
    let statesReduced = 0;
    const seen = new Set<string>();
    for (const f of readdirSync(dir).filter((x) => x.endsWith('.patch'))) {
      reviewPatchSet(readPatches(readFileSync(path.join(dir, f))), {
        observe: ({ model, scenario, profile }) => {
          const full = simulateModel(model, scenario, profile, {}, { reduce: false });
          const key = `${model.name}\u0000${JSON.stringify(full.properties.map((p) => [p.status, p.trace?.steps.length]))}\u0000${full.stats.states}`;
          if (seen.has(key)) return;
          seen.add(key);
          const reduced = simulateModel(model, scenario, profile, {});
          const view = (r: typeof full) => ({
            properties: r.properties.map((p) => ({ property: p.property, status: p.status, steps: p.trace?.steps.map((s) => `${s.actor}: ${s.step}`), counters: p.countersAlongTrace })),
            counters: r.counters,
            notes: r.notes,
          });
          assert.deepEqual(view(reduced), view(full), `${f}: ${model.name}`);
          // A model the trial did not pick explores exactly as without reduction.
          if (!reduced.stats.reduced) assert.equal(reduced.stats.states, full.stats.states, `${f}: ${model.name}`);
          statesFull += full.stats.states;
          statesReduced += reduced.stats.states;
          if (reduced.stats.reduced) reducedModels++;
        },
      });
    }
    // Reduction starts only in large explorations (REDUCE_AFTER): the IPIv ones at least.
    assert.ok(reducedModels >= 4, `${reducedModels} models reduced`);
    assert.ok(statesReduced < statesFull, `${statesReduced} < ${statesFull}`);
  });
});
