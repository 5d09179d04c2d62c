/**
 * Results of explorations, kept for reuse: a review explores the same baseline (a profile's own
 * programs) for every patch written against it.
 *
 * A result is keyed by everything it depends on: the profile, the scenario and its
 * configuration, the area's toggles, and every program of the set. It is only reused when it
 * is complete and within the caller's state limit; a partial or cancelled run is never kept.
 *
 * Two stores implement `ResultCache`:
 * - `LruResultCache`, in memory, for a long-lived process (the extension's worker);
 * - `PrecomputedBaselines`, written by `kvm-race-lens baselines` during `npm run build` for every
 *   profile's own programs, so that a cold CLI run only explores the patched side. It carries
 *   the fingerprint of the model code that computed it; a bundle built from other model code
 *   ignores it.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { Scenario } from '../model/area';
import { ProgramSet } from '../model/program';
import { Profile } from '../model/profiles';
import { areaById } from '../model/registry';
import { underTso } from '../model/scenarioVariants';
import { SimulationResult } from '../model/simulate';
import { withLinesFrom } from '../model/trace';

export interface ResultCache {
  get(key: string): SimulationResult | undefined;
  set(key: string, result: SimulationResult): void;
}

/**
 * The key of a scenario explored under `programs` (a complete set) in `profile`. Patch lines
 * are left out: they change no state, only where a trace points, and `fromCache` re-points a
 * stored trace at the caller's lines.
 */
export function resultKey(profile: Profile, scenario: Scenario, programs: ProgramSet): string {
  const hash = createHash('sha256')
    .update(profile.id)
    .update('\u0000')
    .update(scenario.id)
    .update('\u0000')
    .update(JSON.stringify(scenario.config))
    .update('\u0000')
    .update(scenario.memory ?? 'sc')
    .update('\u0000')
    .update(JSON.stringify(profile.toggles[scenario.area] ?? null))
    .update('\u0000')
    .update(programsHash(programs))
    .digest('hex');
  return `${profile.id}/${hash}`;
}

/** The hash of a program set as the key sees it, computed once per set. */
const hashes = new WeakMap<ProgramSet, string>();
export function programsHash(programs: ProgramSet): string {
  let h = hashes.get(programs);
  if (!h) {
    h = createHash('sha256')
      .update(JSON.stringify(canonical(programs), (k: string, v: unknown) => (k === 'line' ? undefined : v)))
      .digest('hex');
    hashes.set(programs, h);
  }
  return h;
}

/**
 * Programs as the key sees them: a `return` that ends a program is dropped (it compiles to no
 * step, so the explored model is the same), as a mapped `break` out of a switch case leaves one.
 */
function canonical(programs: ProgramSet): ProgramSet {
  const out: Record<string, ProgramSet[string]> = {};
  for (const [name, p] of Object.entries(programs)) out[name] = p && p.length && p[p.length - 1]!.k === 'return' ? p.slice(0, -1) : p;
  return out;
}

/** A stored result, its traces pointing at the lines of `programs`. */
export function fromCache(result: SimulationResult, programs: ProgramSet): SimulationResult {
  return { ...result, properties: result.properties.map((p) => (p.trace ? { ...p, trace: withLinesFrom(p.trace, programs) } : p)) };
}

/** Whether a stored result answers a run with this state limit. */
export function reusable(result: SimulationResult, maxStates: number | undefined): boolean {
  return result.stats.complete && (maxStates === undefined || result.stats.states <= maxStates);
}

export class LruResultCache implements ResultCache {
  private readonly map = new Map<string, SimulationResult>();
  constructor(private readonly capacity = 512) {}

  get(key: string): SimulationResult | undefined {
    const r = this.map.get(key);
    if (r) {
      // Most recently used last.
      this.map.delete(key);
      this.map.set(key, r);
    }
    return r;
  }

  set(key: string, result: SimulationResult): void {
    this.map.delete(key);
    this.map.set(key, result);
    while (this.map.size > this.capacity) this.map.delete(this.map.keys().next().value!);
  }

  get size(): number {
    return this.map.size;
  }
}

/** The file `kvm-race-lens baselines` writes for one profile. */
export interface PrecomputedFile {
  readonly schema: 1;
  /** Fingerprint of the model code that computed the results. */
  readonly fingerprint: string;
  readonly profile: string;
  readonly results: Readonly<Record<string, SimulationResult>>;
}

/**
 * The precomputed baselines, one file per profile, read on first use through `read` (which
 * returns the parsed file, or undefined when there is none).
 */
export class PrecomputedBaselines implements ResultCache {
  private readonly files = new Map<string, Readonly<Record<string, SimulationResult>> | null>();
  constructor(
    private readonly read: (profile: string) => unknown,
    private readonly fingerprint: string,
  ) {}

  private resultsOf(profile: string): Readonly<Record<string, SimulationResult>> | null {
    let r = this.files.get(profile);
    if (r === undefined) {
      r = null;
      try {
        const f = this.read(profile) as Partial<PrecomputedFile> | undefined;
        if (f && f.schema === 1 && f.fingerprint === this.fingerprint && f.profile === profile && typeof f.results === 'object' && f.results) r = f.results;
      } catch {
        // An unreadable or malformed file is as good as none: the review explores instead.
      }
      this.files.set(profile, r);
    }
    return r;
  }

  get(key: string): SimulationResult | undefined {
    const results = this.resultsOf(key.slice(0, key.indexOf('/')));
    return results && Object.prototype.hasOwnProperty.call(results, key) ? results[key] : undefined;
  }

  set(): void {
    // Read-only: written by `kvm-race-lens baselines` only.
  }
}

/** Looks in each cache in turn and stores new results in every one that keeps them. */
export class LayeredResultCache implements ResultCache {
  constructor(private readonly layers: readonly ResultCache[]) {}

  get(key: string): SimulationResult | undefined {
    for (const l of this.layers) {
      const r = l.get(key);
      if (r) return r;
    }
    return undefined;
  }

  set(key: string, result: SimulationResult): void {
    for (const l of this.layers) l.set(key, result);
  }
}

/**
 * What a long-lived reviewer (the extension's worker thread) keeps: the results it explored
 * recently, in memory, over the precomputed baselines when it has them. The determinism test
 * reviews through the same layers in-process and expects the bytes of a fresh review.
 */
export function keptResults(baselines: ResultCache | undefined, recent = 256): ResultCache {
  return new LayeredResultCache([new LruResultCache(recent), ...(baselines ? [baselines] : [])]);
}

/**
 * Every profile's own programs explored in every scenario its kernel has, and in its x86-TSO
 * variant where the area has one (a patch that moves a barrier is explored under TSO, and its
 * baseline is then the profile's programs under TSO): the file's results.
 */
export function precompute(profile: Profile, scenarios: readonly Scenario[], simulate: (s: Scenario) => SimulationResult, fingerprint: string): PrecomputedFile {
  const results: Record<string, SimulationResult> = {};
  for (const sc of scenarios) {
    if (!profile.areas.includes(sc.area)) continue;
    for (const s of areaById(sc.area).memoryModels.includes('tso') ? [sc, underTso(sc)] : [sc]) {
      // A scenario defined under TSO is its own variant, and is listed in `scenarios` too.
      const key = resultKey(profile, s, profile.programs);
      if (Object.prototype.hasOwnProperty.call(results, key)) continue;
      const r = simulate(s);
      if (r.stats.complete) results[key] = r;
    }
  }
  return { schema: 1, fingerprint, profile: profile.id, results };
}

/**
 * The baselines `npm run build` wrote to `dir` (dist/baselines next to the bundles), for a
 * bundle of model code `fingerprint`; undefined for an unfingerprinted build (tsc's output).
 */
export function bundledBaselines(dir: string, fingerprint: string | undefined): PrecomputedBaselines | undefined {
  if (!fingerprint) return undefined;
  return new PrecomputedBaselines((profile) => {
    const file = path.join(dir, `${profile}.json`);
    return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as unknown) : undefined;
  }, fingerprint);
}
