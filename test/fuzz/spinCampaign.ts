/**
 * The explorer against SPIN on random program variants (test/fuzz/programs.ts): for each
 * variant, build the model, explore it completely, export it to Promela and check that SPIN
 * finds the same reachable states and the same verdict for every property (test/spin/compare.ts).
 *
 * A variant falls in one of four classes:
 * - `unbuildable`: the area refuses the programs (a ModelError from building or compiling the
 *   model). Not a disagreement: the review reports such a hunk as not modelled.
 * - `too-large`: more than TOO_LARGE states; skipped, so a campaign's time stays bounded.
 * - `out-of-range`: the explorer refuses a write outside a variable's range (OutOfRangeError);
 *   SPIN must then find the same kind of write (the export asserts every write's range).
 * - `checked`: explored completely and compared with SPIN.
 * Any difference SPIN shows is a disagreement, and fails the campaign and the fixed-seed test.
 *
 * Used by `npm run fuzz -- --spin N` and by test/spin/random.test.ts.
 */
import { performance } from 'node:perf_hooks';
import { Area } from '../../src/model/area';
import { ModelError, OutOfRangeError } from '../../src/model/errors';
import { Model } from '../../src/model/ir';
import { SimulationResult, buildModel, simulateModel } from '../../src/model/simulate';
import { spinDifferences, spinOutOfRangeDifferences } from '../spin/compare';
import { spinAvailable } from '../spin/pan';
import { inParallel } from '../spin/parallel';
import { ProgramVariant, describeVariant, drawVariant, exportCommand } from './programs';

/** Variants with more states are skipped: SPIN's compile and runs would dominate the campaign. */
export const TOO_LARGE = 200_000;

export type VariantOutcome =
  | { readonly kind: 'unbuildable'; readonly reason: string }
  | { readonly kind: 'too-large' }
  | { readonly kind: 'out-of-range'; readonly reason: string; readonly differences: readonly string[] }
  | {
      readonly kind: 'checked';
      readonly states: number;
      readonly differences: readonly string[];
      /** Properties whose verdict differs from the unedited programs' in the same scenario. */
      readonly verdictChanges: readonly string[];
    };

export interface VariantCheck {
  readonly variant: ProgramVariant;
  readonly outcome: VariantOutcome;
}

/** What SPIN shows differently from the explorer (nothing for a variant that was not compared). */
export function differencesOf(o: VariantOutcome): readonly string[] {
  return o.kind === 'checked' || o.kind === 'out-of-range' ? o.differences : [];
}

/** Whether SPIN disagrees with the explorer on the variant. */
export function disagrees(c: VariantCheck): boolean {
  return differencesOf(c.outcome).length > 0;
}

/** Unedited results, by scenario and profile, to tell which verdicts an edit changed. */
const unedited = new Map<string, SimulationResult>();

function uneditedResult(v: ProgramVariant): SimulationResult {
  const key = `${v.scenario.id}@${v.profile.id}`;
  let r = unedited.get(key);
  if (!r) {
    r = simulateModel(buildModel(v.scenario, v.profile), v.scenario, v.profile, {}, { maxMs: Infinity, reduce: false });
    unedited.set(key, r);
  }
  return r;
}

/** Builds, explores and (when it can be compared) runs SPIN on one variant. */
export async function checkVariant(v: ProgramVariant): Promise<VariantOutcome> {
  let model: Model;
  try {
    model = buildModel(v.scenario, v.profile, v.overrides);
  } catch (e) {
    if (e instanceof ModelError) return { kind: 'unbuildable', reason: e.message };
    throw e;
  }
  let result: SimulationResult;
  try {
    // No time limit: the verdicts must not depend on the machine's speed.
    result = simulateModel(model, v.scenario, v.profile, v.overrides, { maxStates: TOO_LARGE, maxMs: Infinity, reduce: false });
  } catch (e) {
    if (e instanceof OutOfRangeError) return { kind: 'out-of-range', reason: e.message, differences: await spinOutOfRangeDifferences(model, e.message, TOO_LARGE) };
    // Any other ModelError is the compiler refusing the model (a variable too wide): unbuilt.
    if (e instanceof ModelError) return { kind: 'unbuildable', reason: e.message };
    throw e;
  }
  if (!result.stats.complete) return { kind: 'too-large' };
  const before = new Map(uneditedResult(v).properties.map((p) => [p.property, p.status]));
  return {
    kind: 'checked',
    states: result.stats.states,
    differences: await spinDifferences(model, result),
    verdictChanges: result.properties.filter((p) => before.get(p.property) !== p.status).map((p) => p.property),
  };
}

/** Variants `from`..`from + n - 1` of a run seeded with `seed`, checked one per core. */
export async function checkVariants(seed: number, from: number, n: number, onCheck?: (c: VariantCheck) => void): Promise<VariantCheck[]> {
  const indexes = Array.from({ length: n }, (_, k) => from + k);
  return inParallel(indexes, async (index) => {
    const variant = drawVariant(seed, index);
    const c = { variant, outcome: await checkVariant(variant) };
    onCheck?.(c);
    return c;
  });
}

/** How to rebuild a variant: the fuzzer's command, what it is, and the CLI's export of its model. */
export function rebuildHint(v: ProgramVariant): string {
  return [`npm run fuzz -- --spin 1 --seed ${v.seed} --from ${v.index}`, describeVariant(v), exportCommand(v)].join('\n  ');
}

/** `npm run fuzz -- --spin N`: prints the counts and every disagreement; 1 when there is one. */
export async function spinCampaign(n: number, seed: number, verbose: boolean, from = 0): Promise<number> {
  if (!(await spinAvailable())) throw new Error('spin or gcc is not installed (apt install spin gcc)');
  const t0 = performance.now();
  let last = t0;
  let done = 0;
  const checks = await checkVariants(seed, from, n, (c) => {
    done++;
    if (disagrees(c)) process.stdout.write(`\nDISAGREEMENT, variant ${c.variant.index}: ${differencesOf(c.outcome).join('; ')}\n  ${rebuildHint(c.variant)}\n`);
    const now = performance.now();
    if (verbose && now - last > 10_000) {
      last = now;
      process.stdout.write(`${done}/${n} variants, ${((now - t0) / 1000).toFixed(0)} s\n`);
    }
  });
  const seconds = (performance.now() - t0) / 1000;
  const count = (kind: VariantOutcome['kind']) => checks.filter((c) => c.outcome.kind === kind).length;
  const disagreements = checks.filter(disagrees);
  const checked = checks.filter((c) => c.outcome.kind === 'checked');
  const byArea = new Map<Area, number>();
  for (const c of checked) byArea.set(c.variant.scenario.area, (byArea.get(c.variant.scenario.area) ?? 0) + 1);
  const reasons = new Map<string, number>();
  for (const c of checks) if (c.outcome.kind === 'unbuildable') reasons.set(c.outcome.reason, (reasons.get(c.outcome.reason) ?? 0) + 1);
  const report = {
    seed,
    variants: n,
    from,
    seconds: +seconds.toFixed(1),
    agreements: checks.filter((c) => (c.outcome.kind === 'checked' || c.outcome.kind === 'out-of-range') && !disagrees(c)).length,
    disagreements: disagreements.length,
    checked: checked.length,
    outOfRange: count('out-of-range'),
    unbuildable: count('unbuildable'),
    tooLarge: count('too-large'),
    unedited: checks.filter((c) => !Object.keys(c.variant.overrides).length).length,
    verdictChanging: checked.filter((c) => c.outcome.kind === 'checked' && c.outcome.verdictChanges.length > 0).length,
    checkedByArea: Object.fromEntries(byArea),
    largestChecked: Math.max(0, ...checked.map((c) => (c.outcome.kind === 'checked' ? c.outcome.states : 0))),
    unbuildableReasons: verbose ? [...reasons].sort((a, b) => b[1] - a[1]).map(([m, k]) => `${k}\t${m}`) : undefined,
    disagreementList: disagreements.map((c) => ({ index: c.variant.index, rebuild: rebuildHint(c.variant) })),
  };
  process.stdout.write(`\n${JSON.stringify(report, null, 2)}\n`);
  process.stdout.write(
    `\n${n} variants in ${seconds.toFixed(0)} s: ${report.agreements} agree with SPIN (${report.checked} explored, ${report.outOfRange} out of range), ` +
      `${report.disagreements} disagree, ${report.unbuildable} unbuildable, ${report.tooLarge} too large (> ${TOO_LARGE} states); ` +
      `${report.verdictChanging} change a verdict of the unedited programs\n`,
  );
  return disagreements.length ? 1 : 0;
}
