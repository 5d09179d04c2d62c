/**
 * What SPIN says about a model next to what the explorer said, as a list of differences
 * (empty when they agree): the same reachable states, the same verdict for every property,
 * and no range assertion failing where the explorer wrote nothing out of range. Used by the
 * agreement test, the random-program test and the fuzz campaign (`npm run fuzz -- --spin N`).
 *
 * States are compared exactly: the export is the explorer's transition system state for
 * state (src/model/promela.ts), so there is no offset to explain away.
 */
import { Model } from '../../src/model/ir';
import { ALL_STATES_CLAIM, claimName, toPromela } from '../../src/model/promela';
import { SimulationResult } from '../../src/model/simulate';
import { SpinResult, runSpin } from './pan';

/** The differences between a complete exploration of `model` and SPIN's run of its export. */
export async function spinDifferences(model: Model, result: SimulationResult): Promise<string[]> {
  if (!result.stats.complete) throw new Error(`${model.name}: the exploration stopped early (${result.stats.stoppedBy ?? 'unknown'}), so there is nothing to compare`);
  const claims = [ALL_STATES_CLAIM, ...model.properties.map((p) => claimName(p.id))];
  return differences(result, await runSpin(toPromela(model), claims, { expectedStates: result.stats.states }));
}

function differences(result: SimulationResult, spin: SpinResult): string[] {
  const out: string[] = [];
  const all = spin.claims[ALL_STATES_CLAIM]!;
  // Every write is guarded by an assertion of the variable's range; the explorer refuses such
  // a write by throwing, so a complete exploration means SPIN's assertions must all hold.
  if (all.errors > 0) out.push(`SPIN finds a write outside a variable's range, which the explorer never made`);
  if (all.states !== result.stats.states) out.push(`reachable states: explorer ${result.stats.states}, SPIN ${all.states}`);
  for (const p of result.properties) {
    const spinVerdict = spin.claims[claimName(p.property)]!.errors > 0 ? 'violated' : 'holds';
    if (spinVerdict !== p.status) out.push(`${p.property}: explorer ${p.status}, SPIN ${spinVerdict}`);
  }
  return out;
}

/**
 * For a model the explorer refused to explore because a transition writes a value outside its
 * variable's range: the difference if SPIN's range assertions never fail within `bound` states
 * (empty when SPIN finds the same kind of write).
 */
export async function spinOutOfRangeDifferences(model: Model, explorerReason: string, bound: number): Promise<string[]> {
  const spin = await runSpin(toPromela(model), [ALL_STATES_CLAIM], { expectedStates: bound });
  const all = spin.claims[ALL_STATES_CLAIM]!;
  return all.errors > 0 ? [] : [`the explorer refuses the model (${explorerReason}), but no range assertion fails in SPIN's ${all.states} states`];
}
