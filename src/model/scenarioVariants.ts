/**
 * A scenario explored under another memory model: `<id>-tso` is `<id>` under x86-TSO (tso.ts),
 * for the areas whose semantics have it.
 */
import { Scenario } from './area';

export const TSO_SUFFIX = '-tso';

/** One variant per scenario, so that callers may key by the scenario object. */
const variants = new WeakMap<Scenario<unknown>, Scenario<unknown>>();

export function underTso<C>(s: Scenario<C>): Scenario<C> {
  if (s.memory === 'tso') return s;
  const known = variants.get(s as Scenario<unknown>);
  if (known) return known as Scenario<C>;
  const v: Scenario<C> = {
    ...s,
    id: `${s.id}${TSO_SUFFIX}`,
    title: `${s.title}, under x86-TSO`,
    description: `${s.description} Under x86-TSO: each CPU buffers the plain stores the model follows until they drain, and full barriers wait for the drain.`,
    memory: 'tso',
  };
  variants.set(s as Scenario<unknown>, v as Scenario<unknown>);
  return v;
}
