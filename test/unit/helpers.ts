/** Shared helpers for the unit tests of the model. */
import { Program, parseProgram } from '../../src/model/program';
import { Profile, profileByVersion } from '../../src/model/profiles';
import { Scenario, scenarioById } from '../../src/model/scenarios';
import { PropertyResult, SimulationResult, simulate } from '../../src/model/simulate';
import { PiConfig } from '../../src/model/pi/model';

export type Verdicts = Record<string, string>;

export function programs(src: Readonly<Record<string, string>>): Record<string, Program> {
  return Object.fromEntries(Object.entries(src).map(([k, v]) => [k, parseProgram(v)]));
}

export function scenarioWith(id: string, tweak: Partial<PiConfig> = {}): Scenario {
  const s = scenarioById(id) as Scenario<PiConfig>;
  if (s.area !== 'pi') throw new Error(`${id} is not a posted-interrupt scenario`);
  return { ...s, config: { ...s.config, ...tweak } };
}

export function run(scenario: string | Scenario, profile: string | Profile, overrides: Readonly<Record<string, string>> = {}): SimulationResult {
  return simulate(
    typeof scenario === 'string' ? scenarioById(scenario) : scenario,
    typeof profile === 'string' ? profileByVersion(profile) : profile,
    programs(overrides),
  );
}

export function verdicts(r: SimulationResult): Verdicts {
  return Object.fromEntries(r.properties.map((p) => [p.property, p.status]));
}

export function property(r: SimulationResult, id: string): PropertyResult {
  const p = r.properties.find((x) => x.property === id);
  if (!p) throw new Error(`no property ${id}`);
  return p;
}

/** The ops of a counterexample, as `program:op` for the thread and `lane:op` for the others. */
export function opsOf(p: PropertyResult): string[] {
  return (p.trace?.steps ?? []).map((s) => `${s.origin?.program ?? s.lane}:${s.origin?.op ?? s.step}`);
}
