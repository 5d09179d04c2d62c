/**
 * The model areas, in the order their scenarios are listed and explored.
 */
import { AreaDefinition } from './area';
import { Area } from './areas';
import { ModelError } from './errors';
import { PI_AREA } from './pi';
import { TLB_AREA } from './tlb';

export const AREAS: readonly AreaDefinition[] = [PI_AREA as AreaDefinition, TLB_AREA as AreaDefinition];

export function areaById(id: Area): AreaDefinition {
  const a = AREAS.find((x) => x.id === id);
  if (!a) throw new ModelError(`no model area ${id}`);
  return a;
}

/** The area whose property `id` is, or undefined. */
export function areaOfProperty(id: string): Area | undefined {
  return AREAS.find((a) => a.properties.some((p) => p.id === id))?.id;
}

/** Whether some era of `area` defines the program `name` (shared programs belong to the area that defines them). */
export function areaDefines(area: Area, name: string): boolean {
  return areaById(area).eras.some((e) => name in e.programs);
}
