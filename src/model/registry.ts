/**
 * The model areas, in the order their scenarios are listed and explored.
 */
import { AreaDefinition } from './area';
import { Area } from './areas';
import { ModelError } from './errors';
import { IPIV_AREA } from './ipiv';
import { PI_AREA } from './pi';
import { PMI_AREA } from './pmi';
import { TLB_AREA } from './tlb';

export const AREAS: readonly AreaDefinition[] = [PI_AREA as AreaDefinition, PMI_AREA as AreaDefinition, TLB_AREA as AreaDefinition, IPIV_AREA as AreaDefinition];

export function areaById(id: Area): AreaDefinition {
  const a = AREAS.find((x) => x.id === id);
  if (!a) throw new ModelError(`no model area ${id}`);
  return a;
}

/** The area whose property `id` is, or undefined. */
/** Whether some era of `area` defines the program `name` (shared programs belong to the area that defines them). */
export function areaDefines(area: Area, name: string): boolean {
  return areaById(area).eras.some((e) => name in e.programs);
}
