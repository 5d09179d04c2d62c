/**
 * Kernel profiles: the programs of each modelled function as a given kernel wrote them.
 *
 * Every model area lists its eras (src/model/<area>/profiles.ts). A profile exists for each
 * era's version; it holds, for every area, that area's newest era not newer than it. A profile
 * is chosen by version (`--profile 4.10` picks the newest profile not newer than 4.10) or by
 * date (a mail's `Date:`). Halt-polling, need_resched and signals are not modelled in any era.
 */
import { Area, AreaEra, AreaToggles } from './area';
import { ModelError } from './errors';
import { Program, ProgramSet, parseProgram } from './program';
import { AREAS } from './registry';

export interface Profile {
  readonly id: string;
  readonly version: readonly [number, number];
  /** Release date (YYYY-MM-DD) of that kernel. */
  readonly released: string;
  readonly summary: string;
  /** What changed since the previous profile, with commit ids. */
  readonly changes: readonly string[];
  readonly programs: ProgramSet;
  /** Each area's toggles in this kernel; absent for an area whose first era is newer. */
  readonly toggles: Partial<AreaToggles>;
  /** The areas this kernel has (IPIv, for instance, only from 5.19). */
  readonly areas: readonly Area[];
}

/** Each era's programs, parsed once: the profiles of later eras of other areas share them. */
const parsedEras = new WeakMap<AreaEra<unknown>, Readonly<Record<string, Program>>>();

function parsed(area: Area, era: AreaEra<unknown>): Readonly<Record<string, Program>> {
  let out = parsedEras.get(era);
  if (!out) {
    const programs: Record<string, Program> = {};
    for (const [name, text] of Object.entries(era.programs)) {
      try {
        programs[name] = parseProgram(text);
      } catch (e) {
        throw new ModelError(`${area} ${era.version.join('.')} program ${name}: ${(e as Error).message}`);
      }
    }
    parsedEras.set(era, (out = programs));
  }
  return out;
}

function compareVersion(a: readonly [number, number], b: readonly [number, number]): number {
  return a[0] - b[0] || a[1] - b[1];
}

/** A profile's programs: every area's era in it, merged. */
function programsOf(id: string, current: readonly { area: Area; era: AreaEra<unknown> }[]): ProgramSet {
  const programs: Record<string, Program> = {};
  for (const { area, era } of current) {
    for (const [name, p] of Object.entries(parsed(area, era))) {
      if (name in programs && programs[name] !== p && JSON.stringify(programs[name]) !== JSON.stringify(p)) throw new ModelError(`profile ${id}: two areas define ${name} differently`);
      programs[name] = p;
    }
  }
  return programs;
}

function compose(): Profile[] {
  const versions = new Map<string, [number, number]>();
  for (const a of AREAS) for (const e of a.eras) versions.set(e.version.join('.'), [e.version[0], e.version[1]]);
  const sorted = [...versions.values()].sort(compareVersion);
  return sorted.map((v) => {
    const id = v.join('.');
    const toggles: Record<string, unknown> = {};
    const areas: Area[] = [];
    const here: AreaEra<unknown>[] = [];
    const current: { area: Area; era: AreaEra<unknown> }[] = [];
    for (const a of AREAS) {
      const eras = [...a.eras].sort((x, y) => compareVersion(x.version, y.version));
      const era = eras.filter((e) => compareVersion(e.version, v) <= 0).at(-1);
      if (!era) continue;
      areas.push(a.id);
      toggles[a.id] = era.toggles;
      current.push({ area: a.id, era });
      if (compareVersion(era.version, v) === 0) here.push(era);
    }
    const released = here[0]!.released;
    if (here.some((e) => e.released !== released)) throw new ModelError(`profile ${id}: areas disagree on its release date`);
    // Parsed on first use: a run reviews under one profile, and a new process should not parse
    // the programs of every kernel to start.
    let programs: ProgramSet | undefined;
    return {
      id,
      version: v,
      released,
      summary: here.map((e) => e.summary).join('; '),
      changes: here.flatMap((e) => e.changes),
      get programs(): ProgramSet {
        return (programs ??= programsOf(id, current));
      },
      toggles: toggles as Partial<AreaToggles>,
      areas,
    };
  });
}

export const PROFILES: readonly Profile[] = compose();

export const UPSTREAM = PROFILES[PROFILES.length - 1]!;


/** `upstream`, a version `X.Y`, or an exact profile id. */
export function profileByVersion(spec: string): Profile {
  if (spec === 'upstream') return UPSTREAM;
  const m = /^(\d+)\.(\d+)(?:\.\d+)?$/.exec(spec.trim());
  if (!m) throw new ModelError(`profile must be "upstream" or a kernel version such as 4.10, got "${spec}"`);
  const v: [number, number] = [Number(m[1]), Number(m[2])];
  let best: Profile | undefined;
  for (const p of PROFILES) if (compareVersion(p.version, v) <= 0) best = p;
  if (!best) throw new ModelError(`no modelled profile is as old as ${spec}; the oldest is ${PROFILES[0]!.id}`);
  return best;
}

/** The newest profile released on or before `date`, or undefined when older than them all. */
export function profileByDate(date: Date): Profile | undefined {
  const t = date.getTime();
  let best: Profile | undefined;
  for (const p of PROFILES) if (Date.parse(p.released + 'T00:00:00Z') <= t) best = p;
  return best;
}
