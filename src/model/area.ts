/**
 * What a model area provides. Each area (posted interrupts, PMIs, PV TLB flush, IPIv set-up)
 * lives in its own folder under src/model/ and is listed in `registry.ts`.
 */
import { Area } from './areas';
import { Model } from './ir';
import { ProgramSet } from './program';
import { MemoryModel } from './programCompiler';
import { FieldValue } from './trace';

export type { Area } from './areas';

/** The programs and toggles of one area in one kernel version. */
export interface AreaEra<T> {
  readonly version: readonly [number, number];
  /** Release date of that kernel (YYYY-MM-DD); areas agree on it for a shared version. */
  readonly released: string;
  readonly summary: string;
  /** What changed since the area's previous era, with commit ids. */
  readonly changes: readonly string[];
  /** Programs in the step language (see program.ts), by kernel function name. */
  readonly programs: Readonly<Record<string, string>>;
  readonly toggles: T;
}

export interface PropertyInfo {
  readonly id: string;
  readonly title: string;
  readonly holdsWhen: string;
  /** Anchor in the README's property section. */
  readonly doc: string;
}

export interface Scenario<C = unknown> {
  readonly id: string;
  readonly area: Area;
  readonly title: string;
  readonly description: string;
  readonly seeds: readonly string[];
  /** Properties the scenario is meant to decide; the others are still checked. */
  readonly focus: readonly string[];
  /** The area's configuration: actors, bounds and platform. */
  readonly config: C;
  /** The oldest kernel the scenario's platform exists in; older profiles get a note. */
  readonly since?: { readonly version: readonly [number, number]; readonly why: string };
  /** Derived from another scenario by scaling (benchmarks only). */
  readonly scaled?: boolean;
  /** The memory model it is explored under (default `sc`); see tso.ts. */
  readonly memory?: MemoryModel;
}

export interface AreaDefinition<C = unknown, T = unknown> {
  readonly id: Area;
  readonly title: string;
  readonly eras: readonly AreaEra<T>[];
  readonly scenarios: readonly Scenario<C>[];
  /** Scenarios made on demand from an id (scaled benchmark scenarios), or undefined. */
  readonly scenarioFor?: (id: string) => Scenario<C> | undefined;
  readonly properties: readonly PropertyInfo[];
  /** Counter names and what each counts. */
  readonly counters: Readonly<Record<string, string>>;
  /** The memory models the area's semantics can build for (every area has `sc`). */
  readonly memoryModels: readonly MemoryModel[];
  build(name: string, config: C, programs: ProgramSet, toggles: T, memory: MemoryModel): Model;
  /**
   * Why the area's models do not run a step naming `op` (another area's step), or undefined:
   * its semantics' `opaque`, which `build` applies to every step of every program it compiles.
   */
  opaque(op: string): string | undefined;
  /** Whether a step naming `op` does nothing in the area's models unless a program has that name: its semantics' `inert`. */
  inert(op: string): boolean;
  /** Whether the area's models decide a condition named `cond` while building, in every context: `decidedIn` its semantics. */
  decided(cond: string): boolean;
  /** One sentence saying why the final state violates the property, or undefined if not this area's. */
  explain(property: string, state: Readonly<Record<string, FieldValue>>): string | undefined;
}

/** Toggles of every area, by area id (filled in by registry.ts's type). */
export type AreaToggles = Record<Area, unknown>;
