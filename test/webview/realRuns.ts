/**
 * Timeline runs built from real simulations, so the webview test renders the traces the model
 * produces today (lanes, state fields, counters) rather than a hand-made imitation. run.mjs
 * bundles this file with esbuild and imports it.
 */
import { explainViolation } from '../../src/model/properties';
import { profileByVersion } from '../../src/model/profiles';
import { scenarioById } from '../../src/model/scenarios';
import { simulate } from '../../src/model/simulate';
import { RunSide, TimelineRun, isRunVerdict } from '../../src/protocol';
import { counterexampleOf } from '../../src/review/simulationReport';

export function timelineRun(side: RunSide, scenario: string, profile: string, property: string): TimelineRun {
  const r = simulate(scenarioById(scenario), profileByVersion(profile));
  const p = r.properties.find((x) => x.property === property);
  if (!p) throw new Error(`${scenario}@${profile} has no property ${property}`);
  if (!isRunVerdict(p.status)) throw new Error(`unexpected status ${p.status}`);
  const trace = p.trace
    ? {
        steps: counterexampleOf(p.trace).map((s) => ({ ...s, changed: { ...s.changed } })),
        states: p.trace.states.map((st) => ({ ...st })),
        explanation: explainViolation(p.property, p.trace.states[p.trace.states.length - 1]!),
      }
    : null;
  return { side, scenario: r.scenario, profile: r.profile, property, verdict: p.status, trace, counters: r.counters ? { ...r.counters } : null };
}
