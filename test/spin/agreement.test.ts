/**
 * SPIN and the explorer agree: on every scenario under every profile, and on every pair of
 * baseline and patched programs a review of the fixtures explores, the exported Promela model
 * gives SPIN the same reachable-state count and the same verdict for every property.
 *
 * Runs where `spin` and `gcc` are installed (.ci/run installs them and sets KRL_REQUIRE_SPIN=1,
 * so there a missing SPIN fails the suite); elsewhere the suite is reported as pending.
 */
import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readPatches } from '../../src/patch';
import { Model } from '../../src/model/ir';
import { PROFILES } from '../../src/model/profiles';
import { toPromela } from '../../src/model/promela';
import { SCENARIOS } from '../../src/model/scenarios';
import { SimulationResult, buildModel, simulateModel } from '../../src/model/simulate';
import { reviewPatchSet } from '../../src/review/review';
import { FIXTURES, render } from '../fixtures/fixtures';
import { spinDifferences } from './compare';
import { spinAvailable } from './pan';
import { inParallel } from './parallel';

interface Case {
  readonly name: string;
  readonly model: Model;
  readonly result: SimulationResult;
}

/** Every distinct model: scenarios under each profile, then what the fixture reviews explore. */
function cases(): Case[] {
  const byText = new Map<string, Case>();
  const add = (name: string, model: Model, result: SimulationResult) => {
    const key = createHash('sha256').update(toPromela({ ...model, name: '' })).digest('hex');
    if (!byText.has(key)) byText.set(key, { name: `${name} #${byText.size + 1}`, model, result });
  };
  for (const profile of PROFILES) {
    for (const scenario of SCENARIOS) {
      if (!profile.areas.includes(scenario.area)) continue;
      const model = buildModel(scenario, profile);
      add(`${scenario.id}@${profile.id}`, model, simulateModel(model, scenario, profile, {}, { reduce: false }));
    }
  }
  for (const f of FIXTURES) {
    if (f.seriesOnly) continue;
    reviewPatchSet(readPatches(render(f, 'format-patch')), {
      // SPIN explores every interleaving: compare it with the unreduced run (reduction.test.ts
      // holds the reduced one to the unreduced verdicts and counters).
      observe: (r) => add(`${r.scenario.id}@${r.profile.id} (${f.id})`, r.model, simulateModel(r.model, r.scenario, r.profile, {}, { reduce: false })),
    });
  }
  return [...byText.values()];
}

describe('SPIN agrees with the explorer', function () {
  this.timeout(30 * 60_000);
  const all = cases();
  const differences = new Map<string, string[]>();

  before(async function () {
    if (!(await spinAvailable())) {
      if (process.env['KRL_REQUIRE_SPIN']) throw new Error('spin or gcc is not installed (apt install spin gcc)');
      this.skip();
    }
    await inParallel(all, async (c) => {
      // An incomplete exploration has nothing to compare; its case fails on `complete` below.
      if (c.result.stats.complete) differences.set(c.name, await spinDifferences(c.model, c.result));
    });
  });

  it(`covers every scenario under every profile, and the fixtures' programs (${all.length} distinct models)`, () => {
    assert.ok(all.length >= SCENARIOS.length);
    assert.ok(all.some((c) => c.result.properties.some((p) => p.status === 'violated')), 'no violated case: the agreement on verdicts would be vacuous');
  });

  for (const c of all) {
    it(c.name, () => {
      assert.equal(c.result.stats.complete, true);
      assert.deepEqual(differences.get(c.name), []);
    });
  }
});
