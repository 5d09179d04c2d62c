/**
 * A scenario explored under another memory model: `<id>-tso` is `<id>` under x86-TSO (tso.ts),
 * for the areas whose semantics have it.
 */
import { Scenario } from './area';

export const TSO_SUFFIX = '-tso';

export function underTso<C>(s: Scenario<C>): Scenario<C> {
  if (s.memory === 'tso') return s;
  return {
    ...s,
    id: `${s.id}${TSO_SUFFIX}`,
    title: `${s.title}, under x86-TSO`,
    description: `${s.description} Under x86-TSO: each CPU buffers the plain stores the model follows until they drain, and full barriers wait for the drain.`,
    memory: 'tso',
  };
}
