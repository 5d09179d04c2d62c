/**
 * SPIN and the explorer agree on programs the mapping can produce beyond the fixtures: a fixed
 * sample of random program variants (test/fuzz/programs.ts: steps swapped, moved or deleted in
 * the programs a scenario runs, across the four areas), each explored, exported to Promela and
 * run through SPIN (test/fuzz/spinCampaign.ts). `npm run fuzz -- --spin N` runs more.
 *
 * The sample must be worth something: most variants build and are explored completely, they
 * differ from the profile's programs, they span the areas, and some change a verdict of the
 * unedited programs (so agreeing on verdicts is not agreeing on the fixtures' verdicts again).
 *
 * Runs where `spin` and `gcc` are installed, as the agreement test does (KRL_REQUIRE_SPIN=1
 * makes a missing SPIN fail).
 */
import * as assert from 'node:assert/strict';
import { formatProgram } from '../../src/model/program';
import { describeVariant, drawVariant } from '../fuzz/programs';
import { VariantCheck, checkVariants, differencesOf, rebuildHint } from '../fuzz/spinCampaign';
import { spinAvailable } from './pan';

const SEED = 20261121;
const COUNT = 32;

describe('SPIN agrees with the explorer on random program variants', function () {
  this.timeout(10 * 60_000);
  let checks: readonly VariantCheck[] = [];

  before(async function () {
    if (!(await spinAvailable())) {
      if (process.env['KRL_REQUIRE_SPIN']) throw new Error('spin or gcc is not installed (apt install spin gcc)');
      this.skip();
    }
    checks = await checkVariants(SEED, 0, COUNT);
  });

  it('draws the same variant again from the same seed and index', () => {
    const text = (k: number) => {
      const v = drawVariant(SEED, k);
      return JSON.stringify([describeVariant(v), Object.entries(v.overrides).map(([n, p]) => [n, formatProgram(p)])]);
    };
    for (let k = 0; k < 4; k++) assert.equal(text(k), text(k));
  });

  it(`most of the ${COUNT} variants are edited and explored completely, across the areas, and some change a verdict`, () => {
    // A later edit can undo an earlier one (a move, then a swap back): such a variant is the
    // profile's programs again, so only edited ones count.
    const explored = checks.filter((c) => c.outcome.kind === 'checked' && Object.keys(c.variant.overrides).length > 0);
    assert.ok(explored.length >= (COUNT * 2) / 3, `only ${explored.length} of ${COUNT} variants were edited, explored and compared`);
    const areas = new Set(explored.map((c) => c.variant.scenario.area));
    assert.ok(areas.size >= 3, `explored variants cover only ${[...areas].join(', ')}`);
    const scenarios = new Set(explored.map((c) => c.variant.scenario.id));
    assert.ok(scenarios.size >= 8, `explored variants cover only ${scenarios.size} scenarios`);
    const changing = explored.filter((c) => c.outcome.kind === 'checked' && c.outcome.verdictChanges.length > 0);
    assert.ok(changing.length >= 2, `only ${changing.length} variants change a verdict of the unedited programs`);
  });

  for (let k = 0; k < COUNT; k++) {
    it(`variant ${k}: ${describeVariant(drawVariant(SEED, k))}`, () => {
      const c = checks[k]!;
      assert.deepEqual(differencesOf(c.outcome), [], rebuildHint(c.variant));
    });
  }
});
