/**
 * Results of explorations, kept for reuse: a review explores the same baseline (a profile's own
 * programs) for every patch written against it.
 *
 * A result is keyed by everything it depends on: the profile, the scenario and its
 * configuration, the area's toggles, and every program of the set (`resultKey`, known before
 * the model is built). It is also found by its model (`modelKey`): a patched model that is the
 * baseline's in all but where its steps come from (model/behaviour.ts) takes the baseline's
 * result re-pointed at its own steps (`fromModel`) instead of being explored again. A result is
 * only reused when it is complete and within the caller's state limit; a partial or cancelled
 * run is never kept.
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
import { Area, Scenario } from '../model/area';
import { AreaSkips, areaView, samePlace, skipsOf } from '../model/areaView';
import { behaviourKey } from '../model/behaviour';
import { Model } from '../model/ir';
import { Program, ProgramSet } from '../model/program';
import { Profile } from '../model/profiles';
import { areaById } from '../model/registry';
import { underTso } from '../model/scenarioVariants';
import { PropertyResult, SimulationResult, buildModel, simulateModel } from '../model/simulate';
import { Trace, TraceStep, withLinesFrom, withOriginsFrom } from '../model/trace';

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
  const hash = createHash('sha256').update(scenarioPart(profile, scenario)).update('\u0000').update(programsHash(programs)).digest('hex');
  return `${profile.id}/${hash}`;
}

/** What a result key takes from the profile and the scenario, written once per pair. */
const scenarioParts = new WeakMap<Scenario, Map<Profile, string>>();
function scenarioPart(profile: Profile, scenario: Scenario): string {
  let byProfile = scenarioParts.get(scenario);
  if (!byProfile) scenarioParts.set(scenario, (byProfile = new Map()));
  let part = byProfile.get(profile);
  if (part === undefined) {
    part = [profile.id, scenario.id, JSON.stringify(scenario.config), scenario.memory ?? 'sc', JSON.stringify(profile.toggles[scenario.area] ?? null)].join('\u0000');
    byProfile.set(profile, part);
  }
  return part;
}

/**
 * The key of a scenario explored under `programs` as its area sees them (model/areaView.ts),
 * given `used`, the programs a model of it built from another set ran (`Model.programs`): when
 * the two sets' keys for the same `used` are equal, so are their models but for where their
 * steps come from, and a result at hand for one answers the other, without building it.
 *
 * Why `used` suffices: a model's builder reads programs only by compiling them from its entry
 * programs (each of them in `used`) and by asking whether a name is a program (every name is
 * part of the key). Compiling views that are equal takes the same steps, so it calls the same
 * programs, all in `used` again; programs outside `used` are never read. This is why a patch
 * that changes only programs a scenario does not run leaves it unexplored (review.ts `running`).
 */
export function viewKey(profile: Profile, scenario: Scenario, programs: ProgramSet, used: readonly string[]): string {
  let byUse = viewKeys.get(programs)?.get(scenario);
  if (!byUse) {
    let byScenario = viewKeys.get(programs);
    if (!byScenario) viewKeys.set(programs, (byScenario = new Map()));
    byScenario.set(scenario, (byUse = new WeakMap()));
  }
  let key = byUse.get(used);
  if (key === undefined) {
    const hash = createHash('sha256').update(scenarioPart(profile, scenario)).update('\u0000').update(viewHash(programs, scenario.area, used)).digest('hex');
    byUse.set(used, (key = `${profile.id}/view/${hash}`));
  }
  return key;
}

/** View keys by program set, scenario and the `used` list (results keep theirs, so it is asked for by the same array again). */
const viewKeys = new WeakMap<ProgramSet, Map<Scenario, WeakMap<readonly string[], string>>>();

/** What `area`'s models make nothing of under `programs` (areaView.ts `skipsOf`). */
function skipsIn(programs: ProgramSet, area: Area): AreaSkips {
  return skipsOf(areaById(area), namesOf(programs).named);
}

function viewHash(programs: ProgramSet, area: Area, used: readonly string[]): string {
  const { names } = namesOf(programs);
  const skips = skipsIn(programs, area);
  const areaAndNames = `${area}\u0000${names}`;
  // One string, hashed at once: a review asks for a few hundred of these.
  let text = names;
  for (const name of used) text += `\u0000${name}\u0000${programViewHash(programs[name], areaAndNames, skips)}`;
  return createHash('sha256').update(text).digest('hex');
}

/** A set's program names: their hash, and the names themselves. */
const setNames = new WeakMap<ProgramSet, { readonly names: string; readonly named: ReadonlySet<string> }>();
const namesHashes = new Map<string, string>();
function namesOf(programs: ProgramSet): { readonly names: string; readonly named: ReadonlySet<string> } {
  let n = setNames.get(programs);
  if (!n) {
    const list = Object.keys(programs).sort();
    const joined = list.join('\u0000');
    let names = namesHashes.get(joined);
    if (names === undefined) {
      names = createHash('sha256').update(joined).digest('hex');
      // Sets of one review share their names; a long-lived process sees few lists.
      if (namesHashes.size > 1024) namesHashes.clear();
      namesHashes.set(joined, names);
    }
    n = { names, named: new Set(list) };
    setNames.set(programs, n);
  }
  return n;
}

/** By program, then by area and the set's program names (which decide what `skips`). */
const programViews = new WeakMap<Program, Map<string, string>>();
function programViewHash(program: Program | undefined, areaAndNames: string, skips: AreaSkips): string {
  if (!program) return programHash(program);
  let byArea = programViews.get(program);
  if (!byArea) programViews.set(program, (byArea = new Map()));
  let h = byArea.get(areaAndNames);
  if (h === undefined) {
    h = programHash(areaView(program, skips));
    byArea.set(areaAndNames, h);
  }
  return h;
}

/**
 * A result of a scenario of `area` explored for `from`, as the result for `to`, a set with the
 * same view key (`viewKey`): the model is the same but for where its steps come from, so every
 * trace step moves to the same step of `to`'s program (`samePlace`); lines are `to`'s once
 * `fromCache` has run. Undefined when a step comes from a program not in both sets (a PMI loop
 * body made while building) or does not lead to a step: the caller builds the model instead.
 * Steps the area's builder makes (a TLB initiator's next flush) come from no program the model
 * compiled, and stay.
 */
export function viaView(result: SimulationResult, from: ProgramSet, to: ProgramSet, area: Area): SimulationResult | undefined {
  if (!result.properties.some((p) => p.trace)) return result;
  const skips = skipsIn(to, area);
  const used = new Set(result.programs);
  const moved = (trace: Trace): Trace | undefined => {
    const steps: TraceStep[] = [];
    for (const s of trace.steps) {
      const program = s.origin?.program;
      // A step the area's builder makes itself (the perf NMI handler's dispatch, a TLB
      // initiator's next flush) comes from no compiled program and no program of either set.
      if (!s.origin || !program || (!used.has(program) && !(program in from) && !(program in to))) {
        steps.push(s);
        continue;
      }
      // A compiled program of both sets moves; one made while building (a PMI loop body) or
      // a set's program the model did not compile cannot be placed.
      const a = from[program];
      const b = to[program];
      const path = a && b && used.has(program) ? samePlace(a, b, s.origin.path, skips) : undefined;
      if (!path) return undefined;
      steps.push({ ...s, origin: { ...s.origin, path } });
    }
    return { ...trace, steps };
  };
  const properties: PropertyResult[] = [];
  for (const p of result.properties) {
    const trace = p.trace && moved(p.trace);
    if (p.trace && !trace) return undefined;
    properties.push(trace ? { ...p, trace } : p);
  }
  return { ...result, properties };
}

/**
 * The key of a scenario's built model in `profile`: the same for two models that explore alike
 * (model/behaviour.ts), whatever programs they were built from. It shares the store of
 * `resultKey`s: the two kinds of key cannot collide.
 */
export function modelKey(profile: Profile, scenario: Scenario, model: Model): string {
  const hash = createHash('sha256')
    .update(profile.id)
    .update('\u0000')
    .update(scenario.id)
    .update('\u0000')
    .update(scenario.memory ?? 'sc')
    .update('\u0000')
    .update(behaviourKey(model))
    .digest('hex');
  return `${profile.id}/model/${hash}`;
}

/**
 * A stored result of a model that explores like `model` (same `modelKey`), as `model`'s own:
 * its traces' steps come from `model`'s transitions, and it runs `model`'s programs.
 */
export function fromModel(result: SimulationResult, model: Model): SimulationResult {
  return {
    ...result,
    programs: model.programs,
    properties: result.properties.map((p) => (p.trace ? { ...p, trace: withOriginsFrom(p.trace, model) } : p)),
  };
}

/**
 * The hash of a program set as the key sees it, computed once per set from the hash of each
 * program, computed once per program: the sets of a review share every program a patch leaves
 * alone.
 */
const hashes = new WeakMap<ProgramSet, string>();
export function programsHash(programs: ProgramSet): string {
  let h = hashes.get(programs);
  if (!h) {
    const hash = createHash('sha256');
    for (const name of Object.keys(programs).sort()) hash.update(`${JSON.stringify(name)}:${programHash(programs[name])}\n`);
    h = hash.digest('hex');
    hashes.set(programs, h);
  }
  return h;
}

const programHashes = new WeakMap<Program, string>();
function programHash(program: Program | undefined): string {
  if (!program) return '-';
  let h = programHashes.get(program);
  if (!h) {
    h = createHash('sha256')
      .update(JSON.stringify(canonical(program), (k: string, v: unknown) => (k === 'line' ? undefined : v)))
      .digest('hex');
    programHashes.set(program, h);
  }
  return h;
}

/**
 * A program as the key sees it: a `return` that ends it is dropped (it compiles to no step, so
 * the explored model is the same), as a mapped `break` out of a switch case leaves one.
 */
function canonical(program: Program): Program {
  return program.length && program[program.length - 1]!.k === 'return' ? program.slice(0, -1) : program;
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
  /** By `resultKey`. */
  readonly results: Readonly<Record<string, SimulationResult>>;
  /** The `resultKey` of each result by its `modelKey`. */
  readonly models: Readonly<Record<string, string>>;
}

/**
 * The precomputed baselines, one file per profile, read on first use through `read` (which
 * returns the parsed file, or undefined when there is none).
 */
export class PrecomputedBaselines implements ResultCache {
  private readonly files = new Map<string, Pick<PrecomputedFile, 'results' | 'models'> | null>();
  constructor(
    private readonly read: (profile: string) => unknown,
    private readonly fingerprint: string,
  ) {}

  private fileOf(profile: string): Pick<PrecomputedFile, 'results' | 'models'> | null {
    let r = this.files.get(profile);
    if (r === undefined) {
      r = null;
      try {
        const f = this.read(profile) as Partial<PrecomputedFile> | undefined;
        const isRecord = (x: unknown) => typeof x === 'object' && x !== null;
        if (f && f.schema === 1 && f.fingerprint === this.fingerprint && f.profile === profile && isRecord(f.results) && isRecord(f.models)) r = { results: f.results!, models: f.models! };
      } catch {
        // An unreadable or malformed file is as good as none: the review explores instead.
      }
      this.files.set(profile, r);
    }
    return r;
  }

  get(key: string): SimulationResult | undefined {
    const file = this.fileOf(key.slice(0, key.indexOf('/')));
    if (!file) return undefined;
    const resultKey = Object.hasOwn(file.models, key) ? file.models[key]! : key;
    return Object.hasOwn(file.results, resultKey) ? file.results[resultKey] : undefined;
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
export function precompute(profile: Profile, scenarios: readonly Scenario[], fingerprint: string): PrecomputedFile {
  const results: Record<string, SimulationResult> = {};
  const models: Record<string, string> = {};
  for (const sc of scenarios) {
    if (!profile.areas.includes(sc.area)) continue;
    for (const s of areaById(sc.area).memoryModels.includes('tso') ? [sc, underTso(sc)] : [sc]) {
      // A scenario defined under TSO is its own variant, and is listed in `scenarios` too.
      const key = resultKey(profile, s, profile.programs);
      if (Object.hasOwn(results, key)) continue;
      const model = buildModel(s, profile);
      const result = simulateModel(model, s, profile, {});
      if (!result.stats.complete) continue;
      results[key] = result;
      models[modelKey(profile, s, model)] = key;
    }
  }
  return { schema: 1, fingerprint, profile: profile.id, results, models };
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
