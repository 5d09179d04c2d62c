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
import { Assign, Expr, Model, Transition, and, eq, lit, lt, ref } from '../../src/model/ir';
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
