/**
 * Every area's named, bounded scenarios (src/model/<area>/scenarios.ts), and lookup by id.
 */
import { Scenario } from './area';
import { ModelError } from './errors';
import { AREAS } from './registry';

export type { Scenario } from './area';

export const SCENARIOS: readonly Scenario[] = AREAS.flatMap((a) => a.scenarios as readonly Scenario[]);

export function scenarioById(id: string): Scenario {
  const s = SCENARIOS.find((x) => x.id === id) ?? AREAS.map((a) => a.scenarioFor?.(id) as Scenario | undefined).find((x) => x);
  if (!s) throw new ModelError(`no scenario "${id}"; \`kvm-race-lens scenarios\` lists them`);
  return s;
}
