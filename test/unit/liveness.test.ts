/**
 * Dead-variable reset (liveness.ts) keeps what a review reports: on random models and on every
 * scenario model of every profile, the reset model has the verdicts, the maximum counters and
 * the shortest-counterexample lengths of the model as its area built it, with no more states;
 * and a trace of the reset model, as shown, is an execution of the unreset one that ends in the
 * violation (the reset values never reach a trace).
 */
import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import { compile } from '../../src/model/compile';
import { maxCounters } from '../../src/model/counters';
import { Exploration, explore } from '../../src/model/explore';
import { Model, evaluate, lit, ref, eq, and } from '../../src/model/ir';
import { withDeadVariablesReset } from '../../src/model/liveness';
import { PROFILES } from '../../src/model/profiles';
import { areaById } from '../../src/model/registry';
import { underTso } from '../../src/model/scenarioVariants';
import { SCENARIOS } from '../../src/model/scenarios';
import { SimulationResult, buildModel, simulateModel } from '../../src/model/simulate';
import { Trace, traceTo } from '../../src/model/trace';
import { PC, VARS, randomModel } from './randomModels';

/** Checks that `trace`, as shown, runs in `original` step by step and ends where `bad` holds. */
function assertRunsIn(original: Model, trace: Trace, bad: number, what: string): void {
  const values = original.vars.map((v) => v.init);
  const shown = (k: number) => {
    for (const v of original.vars) {
      if (v.kind === 'pc' || v.kind === 'buffer') continue;
      const want = trace.states[k]![v.name];
      assert.equal(v.values?.[values[v.id]!] ?? values[v.id], want, `${what}: ${v.name} after step ${k}`);
    }
  };
  shown(0);
  trace.steps.forEach((step, k) => {
    const t = original.transitions[step.transition]!;
    assert.equal(values[original.actors[t.actor]!.pcVar], t.from, `${what}: step ${k + 1} starts at its program point`);
    assert.notEqual(evaluate(t.guard, values), 0, `${what}: step ${k + 1} is enabled`);
    for (const a of t.effects) values[a.id] = evaluate(a.e, values);
    values[original.actors[t.actor]!.pcVar] = t.to;
    shown(k + 1);
  });
  assert.notEqual(evaluate(original.properties[bad]!.bad, values), 0, `${what}: the last state violates ${original.properties[bad]!.id}`);
}

/** Per property: verdict and shortest-counterexample length. */
function outcomes(e: Exploration): string[] {
  return e.outcomes.map((o) => `${o.id}:${o.status}:${o.stateIndex === undefined ? '-' : e.store.pathTo(o.stateIndex).length}`);
}

describe('dead-variable reset', () => {
  it('keeps the verdicts, counters and shortest counterexamples of random models, with no more states', () => {
    let fewer = 0;
    let runs = 0;
    fc.assert(
      fc.property(randomModel, (model) => {
        runs++;
        const reset = withDeadVariablesReset(model);
        const before = explore(compile(model), { recordEdges: true });
        const after = explore(compile(reset), { recordEdges: true });
        assert.deepEqual(outcomes(after), outcomes(before));
        assert.deepEqual(maxCounters(after), maxCounters(before));
        assert.ok(after.stats.states <= before.stats.states);
        if (after.stats.states < before.stats.states) fewer++;
        after.outcomes.forEach((o, i) => {
          if (o.stateIndex !== undefined) assertRunsIn(model, traceTo(after, o.stateIndex), i, o.id);
        });
      }),
      { seed: 20261121, numRuns: 1500 },
    );
    assert.ok(fewer > runs / 20, `only ${fewer} of ${runs} random models had fewer states`);
  });

  it('resets a local after its last read, and nothing a property or another actor reads', () => {
    // p: x := 1; if (x == 1) s0 := 1; then it idles at 2. q waits for s0 == 1.
    const model = (opts: { propertyReadsLocal?: boolean; otherReadsLocal?: boolean }): Model => ({
      name: 'local',
      vars: VARS,
      actors: [0, 1].map((id) => ({ id, name: 'pq'[id]!, lane: 'pq'[id]!, pcVar: PC[id]!, pcLabels: ['0', '1', '2', '3'] })),
      transitions: [
        { id: 0, actor: 0, from: 0, to: 1, guard: lit(1), effects: [{ id: 2, e: lit(1) }], label: 'x = 1' },
        { id: 1, actor: 0, from: 1, to: 2, guard: eq(ref(2), 1), effects: [{ id: 0, e: lit(1) }], label: 's0 = 1' },
        { id: 2, actor: 1, from: 0, to: 1, guard: opts.otherReadsLocal ? and(eq(ref(0), 1), eq(ref(2), 1)) : eq(ref(0), 1), effects: [], label: 'saw it' },
      ],
      properties: [{ id: 'p', bad: opts.propertyReadsLocal ? and(eq(ref(2), 1), eq(ref(6), 1)) : eq(ref(6), 1) }],
      derived: [],
      counters: [],
      programs: [],
    });
    const resets = (m: Model) => withDeadVariablesReset(m).transitions.flatMap((t) => t.effects.filter((a) => a.reset).map((a) => `${t.label}: ${VARS[a.id]!.name}`));
    assert.deepEqual(resets(model({})), ['s0 = 1: p.x']);
    assert.deepEqual(resets(model({ propertyReadsLocal: true })), []);
    assert.deepEqual(resets(model({ otherReadsLocal: true })), []);
    // The reset state is the initial value, and the trace still shows x = 1 after the step.
    const reset = withDeadVariablesReset(model({}));
    const e = explore(compile(reset), {});
    const trace = traceTo(e, e.outcomes[0]!.stateIndex!);
    assert.deepEqual(
      trace.states.map((s) => s['p.x']),
      [0, 1, 1, 1],
    );
    assertRunsIn(model({}), trace, 0, 'local');
  });

  it('keeps the verdicts, counters and shortest counterexamples of every scenario model of every profile', function () {
    this.timeout(0);
    let fewer = 0;
    let models = 0;
    const view = (r: SimulationResult) => ({
      properties: r.properties.map((p) => ({ property: p.property, status: p.status, steps: p.trace?.steps.length, counters: p.countersAlongTrace })),
      counters: r.counters,
    });
    for (const profile of PROFILES) {
      for (const sc of SCENARIOS) {
        if (!profile.areas.includes(sc.area)) continue;
        const area = areaById(sc.area);
        for (const s of area.memoryModels.includes('tso') && sc.memory !== 'tso' ? [sc, underTso(sc)] : [sc]) {
          const memory = s.memory ?? 'sc';
          const name = `${s.id}@${profile.id}`;
          const original = area.build(name, s.config, profile.programs, profile.toggles[s.area], memory);
          const reset = buildModel(s, profile);
          const before = simulateModel(original, s, profile, {});
          const after = simulateModel(reset, s, profile, {});
          assert.deepEqual(view(after), view(before), name);
          assert.ok(after.stats.states <= before.stats.states, name);
          after.properties.forEach((p, i) => {
            if (p.trace) assertRunsIn(original, p.trace, i, `${name} ${p.property}`);
          });
          models++;
          if (after.stats.states < before.stats.states) fewer++;
        }
      }
    }
    assert.ok(fewer > models / 2, `only ${fewer} of ${models} models had fewer states`);
  });
});
