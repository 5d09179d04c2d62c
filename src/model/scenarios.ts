/**
 * Every area's named, bounded scenarios (src/model/<area>/scenarios.ts), and lookup by id.
 */
import { Scenario } from './area';
import { ModelError } from './errors';
import { AREAS, areaById } from './registry';
import { TSO_SUFFIX, underTso } from './scenarioVariants';

export type { Scenario } from './area';

export const SCENARIOS: readonly Scenario[] = AREAS.flatMap((a) => a.scenarios as readonly Scenario[]);

function find(id: string): Scenario | undefined {
  return SCENARIOS.find((x) => x.id === id) ?? AREAS.map((a) => a.scenarioFor?.(id) as Scenario | undefined).find((x) => x);
}

export function scenarioById(id: string): Scenario {
  let s = find(id);
  if (!s && id.endsWith(TSO_SUFFIX)) {
    // `<id>-tso`: any scenario of an area that has x86-TSO, explored under it.
    const base = find(id.slice(0, -TSO_SUFFIX.length));
    if (base && areaById(base.area).memoryModels.includes('tso')) s = underTso(base);
  }
  if (!s) throw new ModelError(`no scenario "${id}"; \`kvm-race-lens scenarios\` lists them`);
  return s;
}
