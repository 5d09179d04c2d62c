/**
 * The stable property ids of every area (kvm-model.md §3, also the SARIF rule ids), what each
 * means, and how to say why a final state violates one.
 */
import { PropertyInfo } from './area';
import { AREAS } from './registry';
import { FieldValue } from './trace';

export type { PropertyInfo } from './area';

export const PROPERTY_INFO: Readonly<Record<string, PropertyInfo>> = Object.fromEntries(AREAS.flatMap((a) => a.properties.map((p) => [p.id, p])));

/** One sentence saying what, in the final state, breaks the property. */
export function explainViolation(property: string, state: Readonly<Record<string, FieldValue>>): string {
  for (const a of AREAS) {
    const s = a.explain(property, state);
    if (s) return s;
  }
  return `the final state violates ${property}`;
}
