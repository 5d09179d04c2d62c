/**
 * Review: patch -> programs -> scenarios -> findings.
 *
 * Each patch of a series is reviewed on top of the ones before it. For every scenario, the
 * baseline programs and the patched programs are explored, and each property's pair of
 * verdicts becomes a finding: `introduced` (holds before, violated after), `fixed`,
 * `still-violated` or `inconclusive`. A finding names the hunks and lines whose change matters
 * and carries the shortest counterexample.
 */
import { CounterValues } from '../model/counters';
import { CancelledError, InputError, ModelError, RaceLensError } from '../model/errors';
import { CancelSignal, PropertyStatus } from '../model/explore';
import { ProgramSet } from '../model/program';
import { PROFILES, Profile, profileByDate, profileByVersion, UPSTREAM } from '../model/profiles';
import { PROPERTY_INFO, explainViolation } from '../model/properties';
import { AREA_TITLES } from '../model/areas';
import { areaById, areaDefines } from '../model/registry';
import { isFullBarrier } from '../model/barriers';
import { underTso } from '../model/scenarioVariants';
import { Token, tokenKey } from '../mapping/tokens';
import { SCENARIOS, Scenario, scenarioById } from '../model/scenarios';
import { ModelSize, PropertyResult, SimulationResult, buildModel, simulateModel, sizeOf } from '../model/simulate';
import { Model } from '../model/ir';
import { HunkChange, HunkStatus, MappedHunk, ProgramEdit, applyEdits, mapHunk, touchesModelledFunction } from '../mapping/map';
import { Hunk, Patch, PatchSet } from '../patch';
import { CounterexampleStep, counterexampleOf } from './simulationReport';
import { ResultCache, fromCache, fromModel, modelKey, programsHash, resultKey, reusable, viaView, viewKey } from './resultCache';
import { BatchOutcome, ScenarioPool } from './scenarioPool';

export type Verdict = 'introduced' | 'fixed' | 'still-violated' | 'inconclusive';

export interface ReviewOptions {
  /** A kernel version (`4.10`) or `upstream`; otherwise the mail's date, otherwise upstream. */
  readonly profile?: string;
  readonly maxStates?: number;
  readonly timeoutMs?: number;
  /** Cancels the review: it throws CancelledError at the next check (every hunk, model and `CHECK_EVERY` expanded states). */
  readonly signal?: CancelSignal;
  /** The explorer's clock (tests inject one to reach `timeoutMs` deterministically). */
  readonly now?: () => number;
  /** Restrict to these scenarios (default: all). */
  readonly scenarios?: readonly string[];
  /** Told of every exploration the review runs (benchmarks and the SPIN cross-check use it). */
  readonly observe?: (run: ObservedRun) => void;
  /** Results kept across reviews (see resultCache.ts); complete results only. */
  readonly cache?: ResultCache;
  /**
   * Whether a model that explores like one already explored takes that result instead of being
   * explored (model/behaviour.ts), and programs whose area sees them as it sees programs already
   * explored take that result without being built (model/areaView.ts); default true. Tests turn
   * it off to check the two agree.
   */
  readonly matchModels?: boolean;
  /**
   * Helper threads that explore a patch's scenarios beside this one (scenarioPool.ts); not used
   * when `observe` or `now` is given, which need every exploration in this thread.
   */
  readonly pool?: ScenarioPool;
}

/** One exploration a review ran: a scenario under a profile's programs, and its result. */
export interface ObservedRun {
  readonly scenario: Scenario;
  readonly profile: Profile;
  /** The complete program set explored. */
  readonly programs: ProgramSet;
  readonly model: Model;
  readonly result: SimulationResult;
}

export interface HunkReport {
  readonly index: number;
  readonly file: string;
  readonly function: string | null;
  readonly startLine: number;
  readonly endLine: number;
  readonly modelled: boolean;
  readonly status: HunkStatus;
  readonly reason: string | null;
  readonly changes: readonly HunkChange[];
  readonly notes: readonly string[];
}

export interface Finding {
  readonly property: string;
  readonly verdict: Verdict;
  /** The scenario whose counterexample is shown (the shortest). */
  readonly scenario: string;
  /** Other scenarios with the same verdict for this property. */
  readonly alsoIn: readonly string[];
  readonly hunks: readonly number[];
  readonly lines: readonly number[];
  readonly message: string;
  /** For `introduced` and `still-violated`: the patched code's trace; for `fixed`: the baseline's. */
  readonly counterexample: readonly CounterexampleStep[];
  readonly explanation: string | null;
  /** Full states along the counterexample, for step-through views. */
  readonly states?: readonly Readonly<Record<string, number | string>>[];
  /** Both sides' verdicts and traces in the finding's scenario, for side-by-side views. */
  readonly sides: { readonly baseline: SideView; readonly patched: SideView };
}

/** One side (baseline or patched) of a finding, in its scenario. */
export interface SideView {
  readonly verdict: PropertyStatus;
  readonly counterexample: readonly CounterexampleStep[] | null;
  readonly states: readonly Readonly<Record<string, number | string>>[] | null;
  readonly explanation: string | null;
  readonly counters: CounterValues | null;
}

export interface ScenarioOutcome {
  readonly scenario: string;
  readonly baseline: Readonly<Record<string, PropertyStatus>>;
  readonly patched: Readonly<Record<string, PropertyStatus>>;
  readonly stats: { readonly baseline: { readonly states: number; readonly ms: number }; readonly patched: { readonly states: number; readonly ms: number } };
}

export interface PatchReview {
  readonly subject: string | null;
  readonly title: string | null;
  readonly author: string | null;
  readonly date: string | null;
  readonly messageId: string | null;
  readonly series: { readonly n: number; readonly total: number } | null;
  readonly startLine: number;
  readonly endLine: number;
  readonly hunks: readonly HunkReport[];
  readonly findings: readonly Finding[];
  /** Maximum of each counter over the explored scenarios, before and after. */
  readonly counters: { readonly baseline: CounterValues; readonly patched: CounterValues };
  readonly scenarios: readonly ScenarioOutcome[];
  readonly notes: readonly string[];
}

export interface Review {
  readonly schema: 1;
  readonly profile: string;
  /** How the profile was chosen. */
  readonly profileFrom: 'option' | 'date' | 'default';
  readonly patches: readonly PatchReview[];
  readonly summary: { readonly introduced: number; readonly fixed: number; readonly stillViolated: number; readonly inconclusive: number; readonly notModelled: number };
  readonly notes: readonly string[];
}

// ------------------------------------------------------------------ profile choice

export function chooseProfile(set: PatchSet, option: string | undefined): { profile: Profile; from: Review['profileFrom']; note?: string } {
  if (option) return { profile: profileByVersion(option), from: 'option' };
  const dated = set.patches.find((p) => p.date);
  if (dated?.date) {
    const d = new Date(dated.date);
    const p = profileByDate(d);
    if (p) return { profile: p, from: 'date' };
    return { profile: PROFILES[0]!, from: 'date', note: `the mail is dated ${dated.date}, older than every modelled kernel; using the oldest profile, ${PROFILES[0]!.id}` };
  }
  return { profile: UPSTREAM, from: 'default' };
}

// ------------------------------------------------------------------ exploration, memoised

class Runner {
  private readonly models = new Map<string, Model>();
  /** Results by `resultKey`: programs with the same steps share one, whatever their lines. */
  private readonly results = new Map<string, SimulationResult>();
  /** The program set (by content hash) each model and result was made for, for `keepOnly`. */
  private readonly owners = new Map<string, string>();
  constructor(
    private readonly profile: Profile,
    private readonly opts: ReviewOptions,
  ) {}

  /** Keys already computed, by program set and scenario (a review asks for each many times). */
  private readonly keys = new WeakMap<ProgramSet, Map<Scenario, string>>();

  /**
   * The first set seen with the content of `programs`, lines aside (`programsHash`): a review
   * makes the same baseline and patched sets many times over (per hunk, per patch), and keys
   * are memoised by set.
   */
  private readonly sameSets = new Map<string, ProgramSet>();
  private canonical(programs: ProgramSet): ProgramSet {
    const h = programsHash(programs);
    let c = this.sameSets.get(h);
    if (!c) this.sameSets.set(h, (c = programs));
    return c;
  }

  private key(scenario: Scenario, given: ProgramSet): string {
    const programs = this.canonical(given);
    let bySet = this.keys.get(programs);
    if (!bySet) this.keys.set(programs, (bySet = new Map()));
    let key = bySet.get(scenario);
    if (key === undefined) {
      key = resultKey(this.profile, scenario, programs);
      bySet.set(scenario, key);
    }
    if (!this.owners.has(key)) this.owners.set(key, programsHash(programs));
    return key;
  }

  /**
   * Complete results by scenario, each with the program set it was kept for (its traces' steps
   * are that set's): a program set that differs from one at hand only in steps the scenario's
   * area makes nothing of (a PV TLB hook added to vcpu_enter_guest, seen from the posted-
   * interrupt model) takes its result, re-pointed at its own steps, without being built
   * (model/areaView.ts, resultCache.ts `viewKey` and `viaView`). The view keys are computed
   * only when a set without a result of its own is looked up.
   */
  private readonly views = new Map<string, { result: SimulationResult; programs: ProgramSet; owner: string }[]>();

  /** Offers `r`, just found or explored for `programs`, to program sets of the same view. */
  private remember(scenario: Scenario, programs: ProgramSet, r: SimulationResult): void {
    if (this.opts.matchModels === false || !r.stats.complete) return;
    let kept = this.views.get(scenario.id);
    if (!kept) this.views.set(scenario.id, (kept = []));
    if (!kept.some((v) => v.result === r)) kept.push({ result: r, programs, owner: programsHash(programs) });
  }

  /** The result at hand for `scenario` under `programs`: its own, or one of the same view (`views`). */
  private atHand(scenario: Scenario, programs: ProgramSet): SimulationResult | undefined {
    const key = this.key(scenario, programs);
    const own = this.stored(key);
    if (own) {
      this.remember(scenario, programs, own);
      return own;
    }
    if (this.opts.matchModels === false) return undefined;
    const view = (set: ProgramSet, used: readonly string[]) => viewKey(this.profile, scenario, this.canonical(set), used);
    for (const v of this.views.get(scenario.id) ?? []) {
      if (view(programs, v.result.programs) !== view(v.programs, v.result.programs)) continue;
      const alike = viaView(v.result, v.programs, programs, scenario.area);
      if (!alike) continue;
      this.keep(key, programs, alike);
      return alike;
    }
    return undefined;
  }

  private model(key: string, scenario: Scenario, programs: ProgramSet, signal = this.opts.signal): Model {
    let m = this.models.get(key);
    if (!m) {
      cancelled(signal);
      // The programs are complete sets (a patch may add or remove a function): they replace the profile's.
      m = buildModel(scenario, { ...this.profile, programs });
      this.models.set(key, m);
    }
    return m;
  }

  private stored(key: string): SimulationResult | undefined {
    let r = this.results.get(key);
    if (!r && this.opts.cache) {
      const kept = this.opts.cache.get(key);
      if (kept && reusable(kept, this.opts.maxStates)) {
        r = kept;
        this.results.set(key, r);
        this.pendingOfSize(r.scenario, r.modelSize);
      }
    }
    return r;
  }

  /**
   * For matching models (`matchModels`): the sizes and shapes, by scenario, of the complete
   * results at hand, each with the explored results of that size not yet kept by model key. A
   * model's key costs a walk of all its expressions, so it is computed only when a result of its
   * scenario, size and shape is at hand: a model of another cannot explore alike (behaviour.ts
   * `shapeOf`; a patch that moves a step changes the shape of the models that run it).
   */
  private readonly sized = new Map<string, { model: Model; programs: ProgramSet; result: SimulationResult }[]>();

  /** The result of a model that explores like `model`, if one is at hand, and `model`'s key when it was computed. */
  private matching(scenario: Scenario, model: Model): { same?: SimulationResult; byModel?: string } {
    if (this.opts.matchModels === false) return {};
    const pending = this.sized.get(sizeKey(scenario.id, sizeOf(model)));
    if (!pending) return {};
    // Results explored before one of their size was at hand are keyed now.
    for (const p of pending.splice(0)) this.keep(modelKey(this.profile, scenario, p.model), p.programs, p.result);
    const byModel = modelKey(this.profile, scenario, model);
    const same = this.stored(byModel);
    return same ? { same, byModel } : { byModel };
  }

  /** Keeps a complete explored result for `matching`: by model key when computed, else by size and shape. */
  private keepByModel(scenario: Scenario, model: Model, programs: ProgramSet, result: SimulationResult, byModel: string | undefined): void {
    if (this.opts.matchModels === false || !result.stats.complete) return;
    if (byModel !== undefined) return this.keep(byModel, programs, result);
    this.pendingOfSize(scenario.id, result.modelSize).push({ model, programs, result });
  }

  /** The explored results of this scenario, size and shape waiting for a model key; the size is at hand from now on. */
  private pendingOfSize(scenario: string, size: ModelSize): { model: Model; programs: ProgramSet; result: SimulationResult }[] {
    const k = sizeKey(scenario, size);
    let pending = this.sized.get(k);
    if (!pending) this.sized.set(k, (pending = []));
    return pending;
  }

  /** Throws CancelledError once the review's signal has fired. */
  checkCancelled(): void {
    cancelled(this.opts.signal);
  }

  /**
   * Forgets models and results of other program sets than `programs` (the next patch's base):
   * a series is reviewed patch on patch, and keeping every patch's explorations would let a
   * long series exhaust memory.
   */
  keepOnly(programs: ProgramSet): void {
    const mine = programsHash(programs);
    for (const [k, owner] of this.owners) {
      if (owner === mine) continue;
      this.owners.delete(k);
      this.models.delete(k);
      this.results.delete(k);
    }
    for (const h of this.sameSets.keys()) if (h !== mine) this.sameSets.delete(h);
    for (const kept of this.views.values()) {
      const mineOnly = kept.filter((v) => v.owner === mine);
      kept.splice(0, kept.length, ...mineOnly);
    }
    for (const pending of this.sized.values()) {
      const kept = pending.filter((p) => programsHash(p.programs) === mine);
      pending.splice(0, pending.length, ...kept);
    }
  }

  /**
   * The programs a scenario runs under `programs` (a complete set): from its result when one
   * is at hand (a stored baseline), else by building its model, without exploring.
   */
  usedBy(scenario: Scenario, programs: ProgramSet): readonly string[] {
    return this.atHand(scenario, programs)?.programs ?? this.model(this.key(scenario, programs), scenario, programs).programs;
  }

  /**
   * The scenarios among `scenarios` that run one of the `changed` programs under `programs`.
   * Only these can differ when those programs change: which programs a scenario runs can only
   * change through the bodies of programs it runs.
   */
  running(scenarios: readonly Scenario[], programs: ProgramSet, changed: ReadonlySet<string>): Scenario[] {
    return scenarios.filter((sc) => this.usedBy(sc, programs).some((p) => changed.has(p)));
  }

  /**
   * Why `programs` cannot be built into the models of `scenarios` (a label twice, a `goto`
   * without its label, a step an area does not know), or undefined when every one builds. The
   * models are kept for the explorations that follow.
   */
  unbuildable(scenarios: readonly Scenario[], programs: ProgramSet): string | undefined {
    for (const scenario of scenarios) {
      try {
        this.usedBy(scenario, programs);
      } catch (e) {
        if (e instanceof RaceLensError && !(e instanceof CancelledError)) return e.message;
        throw e;
      }
    }
    return undefined;
  }

  /**
   * Builds and explores `scenarios` under `programs` (a complete set) ahead of the review's use
   * of them, spread over the pool's threads when there is one; the reason the first of them (in
   * order) does not build, or undefined. Without a pool, it builds them, as `unbuildable`.
   * `before`: the programs the patch applies to, whose results at hand say which scenarios are
   * the large ones.
   */
  prepare(scenarios: readonly Scenario[], programs: ProgramSet, before?: ProgramSet): string | undefined {
    const pool = this.opts.pool;
    const todo = scenarios.filter((sc) => !this.atHand(sc, programs) && !this.models.has(this.key(sc, programs)));
    if (!pool?.size || todo.length < 2 || this.opts.observe || this.opts.now) return this.unbuildable(scenarios, programs);
    // Largest first, by the states of the result at hand for `before` (stable for the rest): the
    // calling thread takes the first while the helpers take the others, instead of a helper
    // starting the largest last. The order of work changes no result, and which scenario does
    // not build is decided in order below.
    if (before) {
      const states = new Map(todo.map((sc) => [sc, this.atHand(sc, before)?.stats.states ?? 0]));
      todo.sort((x, y) => states.get(y)! - states.get(x)!);
    }
    const outcomes = pool.run({
      profile: this.profile.id,
      programs,
      scenarios: todo.map((sc) => sc.id),
      ...(this.opts.maxStates ? { maxStates: this.opts.maxStates } : {}),
      ...(this.opts.timeoutMs ? { timeoutMs: this.opts.timeoutMs } : {}),
      aborted: () => this.opts.signal?.aborted === true,
      runHere: (i, answered) => this.outcome(todo[i]!, programs, answered),
    });
    cancelled(this.opts.signal);
    for (const [i, o] of outcomes.entries()) {
      // Only complete results are kept: a helper has no results at hand to match models with
      // (the baselines a review explored earlier), so one it stopped at a limit is explored
      // again here, where `run` may match it as a review alone does.
      if (o?.kind === 'result' && o.result.stats.complete) this.keep(this.key(todo[i]!, programs), programs, o.result);
    }
    return this.unbuildable(scenarios, programs);
  }

  /**
   * `run`, with a model that does not build as the reason instead of an error. With `answered`
   * (a helper thread runs the same scenario), it gives up once that holds, and returns undefined.
   */
  outcome(scenario: Scenario, programs: ProgramSet, answered?: () => boolean): BatchOutcome | undefined {
    const review = this.opts.signal;
    const signal = answered ? { get aborted() { return review?.aborted === true || answered(); } } : review;
    try {
      return { kind: 'result', result: this.run(scenario, programs, signal) };
    } catch (e) {
      if (e instanceof RaceLensError && !(e instanceof CancelledError)) return { kind: 'unbuildable', message: e.message };
      if (e instanceof CancelledError && answered?.() && !review?.aborted) return undefined;
      throw e;
    }
  }

  run(scenario: Scenario, programs: ProgramSet, signal = this.opts.signal): SimulationResult {
    let r = this.atHand(scenario, programs);
    if (!r) {
      cancelled(signal);
      const key = this.key(scenario, programs);
      const model = this.model(key, scenario, programs, signal);
      // A model that explores like one already explored (the baseline's, when the patch only
      // changes what this scenario's area does not run) takes that result.
      const { same, byModel } = this.matching(scenario, model);
      if (same) r = fromModel(same, model);
      else {
        r = this.explore(model, scenario, signal);
        this.keepByModel(scenario, model, programs, r, byModel);
        this.opts.observe?.({ scenario, profile: this.profile, programs, model, result: r });
      }
      this.keep(key, programs, r);
      this.remember(scenario, programs, r);
    }
    // The trace points at these programs' patch lines.
    return fromCache(r, programs);
  }

  private explore(model: Model, scenario: Scenario, signal: CancelSignal | undefined): SimulationResult {
    let r: SimulationResult;
    try {
      r = simulateModel(model, scenario, this.profile, {}, {
        ...(this.opts.maxStates ? { maxStates: this.opts.maxStates } : {}),
        ...(this.opts.timeoutMs ? { maxMs: this.opts.timeoutMs } : {}),
        ...(signal ? { signal } : {}),
        ...(this.opts.now ? { now: this.opts.now } : {}),
      });
    } catch (e) {
      // The programs drive the model outside what it represents (a patch that decrements a
      // counter twice takes it below zero): no verdict either way, and the reason says why.
      if (!(e instanceof ModelError)) throw e;
      r = unexplorable(model, scenario, this.profile, e);
    }
    // A cancelled exploration is no verdict, not even an inconclusive one: the review stops.
    if (r.stats.stoppedBy === 'abort') throw new CancelledError();
    return r;
  }

  /** Keeps `r` under `key` for the rest of the review (with `programs`' set, for `keepOnly`), and across reviews when complete. */
  private keep(key: string, programs: ProgramSet, r: SimulationResult): void {
    this.results.set(key, r);
    if (!this.owners.has(key)) this.owners.set(key, programsHash(programs));
    if (r.stats.complete) {
      this.opts.cache?.set(key, r);
      this.pendingOfSize(r.scenario, r.modelSize);
    }
  }
}

/**
 * For a helper thread of a `ScenarioPool`: explores scenarios (by id) of one batch's programs
 * in the profile `profileId`, as the calling review's Runner would.
 */
export function batchExplorer(profileId: string, programs: ProgramSet, opts: ReviewOptions): (scenario: string) => BatchOutcome {
  const profile = PROFILES.find((p) => p.id === profileId);
  if (!profile) throw new ModelError(`no profile ${profileId}`);
  const runner = new Runner(profile, opts);
  // Without `answered`, an outcome is always given.
  return (id) => runner.outcome(scenarioById(id), programs)!;
}

function sizeKey(scenario: string, size: ModelSize): string {
  return `${scenario}\u0000${size.vars}\u0000${size.transitions}\u0000${size.shape}`;
}

/**
 * Whether a patch adds, removes or moves a full barrier, or moves a step across one
 * (model/barriers.ts), in words; undefined when it does none of these. Then sequential
 * consistency already shows every difference the patch makes; otherwise only x86-TSO does.
 */
export function orderingChange(edits: readonly ProgramEdit[]): string | undefined {
  // Each full barrier, with the steps before it (as a sorted multiset: only which side of the
  // barrier a step is on matters here).
  const sides = (ts: readonly Token[]) => {
    const before: string[] = [];
    const out: string[] = [];
    for (const t of ts) {
      if (t.t === 'op' && isFullBarrier(t.op)) out.push(`${t.op}|${[...before].sort().join(',')}`);
      if (t.t === 'op' || t.t === 'if') before.push(tokenKey(t));
    }
    return out.join('\n');
  };
  for (const e of edits) {
    if (sides(e.base) === sides(e.patched)) continue;
    const barriers = [...new Set([...e.base, ...e.patched].flatMap((t) => (t.t === 'op' && isFullBarrier(t.op) ? [`${t.op}()`] : [])))];
    return `moves ${barriers.join(', ')} or a step across it in ${e.program}`;
  }
  return undefined;
}

const CANNOT_RUN = 'the model cannot run these programs: ';

/** The result of an exploration the model could not complete: every property inconclusive. */
function unexplorable(model: Model, scenario: Scenario, profile: Profile, e: ModelError): SimulationResult {
  return {
    scenario: scenario.id,
    area: scenario.area,
    profile: profile.id,
    notes: [`${CANNOT_RUN}${e.message}`],
    programs: model.programs,
    modelSize: sizeOf(model),
    overrides: {},
    properties: model.properties.map((p) => ({ property: p.id, status: 'inconclusive' as const })),
    stats: { states: 0, transitions: 0, depth: 0, ms: 0, complete: false, bytes: 0 },
  };
}

/** What an exploration covered, said where a verdict could not be reached. */
function coverage(r: SimulationResult): string {
  const s = r.stats;
  if (s.complete) return `was complete (${s.states} states${s.reduced ? ' after partial-order reduction' : ''})`;
  if (s.stoppedBy === 'states') return `stopped at the state limit after ${s.states} states`;
  if (s.stoppedBy === 'time') return `stopped at the time limit after ${s.states} states`;
  const cannot = r.notes.find((n) => n.startsWith(CANNOT_RUN));
  return cannot ? `could not run: ${cannot.slice(CANNOT_RUN.length)}` : `stopped after ${s.states} states`;
}

/** Throws CancelledError once the caller's signal has fired. */
function cancelled(signal: CancelSignal | undefined): void {
  if (signal?.aborted) throw new CancelledError();
}

function verdictOf(before: PropertyStatus, after: PropertyStatus): Verdict | undefined {
  if (before === 'inconclusive' || after === 'inconclusive') return 'inconclusive';
  if (before === 'holds' && after === 'violated') return 'introduced';
  if (before === 'violated' && after === 'holds') return 'fixed';
  if (before === 'violated' && after === 'violated') return 'still-violated';
  return undefined;
}

function property(r: SimulationResult, id: string): PropertyResult {
  return r.properties.find((p) => p.property === id)!;
}

function maxOf(values: readonly (CounterValues | undefined)[]): CounterValues {
  const out: Record<string, number | null> = {};
  for (const v of values) {
    if (!v) continue;
    for (const [k, x] of Object.entries(v)) {
      const cur = out[k];
      out[k] = cur === null || x === null ? null : Math.max(cur ?? 0, x);
    }
  }
  return out;
}

// ------------------------------------------------------------------ review

function hunkReport(m: MappedHunk): HunkReport {
  return {
    index: m.hunk.index,
    file: m.hunk.file,
    function: m.functions[0] ?? null,
    startLine: m.hunk.startLine,
    endLine: m.hunk.endLine,
    modelled: m.status === 'modelled' || m.status === 'partial' || m.status === 'no-behavioural-change',
    status: m.status,
    reason: m.reason,
    changes: m.changes,
    notes: m.notes,
  };
}

/**
 * Hunks whose statements cannot be placed in the programs (the patch was written against other
 * code than the profile's), or whose programs do not build into the scenarios' models (a hunk
 * that duplicates a label or jumps to one it removed), are reported as not modelled, with the
 * reason, and left out.
 */
function applicable(mapped: readonly MappedHunk[], base: ProgramSet, profile: Profile, scenarios: readonly Scenario[], runner: Runner): MappedHunk[] {
  /** `explore`: the patched side is explored now, with the pool's helpers (the full set of hunks only: a retry hunk by hunk only builds). */
  const fits = (ms: readonly MappedHunk[], explore: boolean) => {
    // Hunk by hunk, a document of thousands grows this loop quadratically: keep it cancellable.
    runner.checkCancelled();
    const edits = ms.flatMap((m) => m.edits);
    if (!edits.length) return undefined;
    try {
      const before = applyEdits(base, edits, 'base').programs;
      const after = applyEdits(base, edits, 'patched').programs;
      const why = runner.unbuildable(scenarios, before);
      if (why) return why;
      // A scenario that runs none of the changed programs builds the same model either side;
      // the others are built as they will be explored (under x86-TSO when the edits reorder
      // across a barrier), so the models made here are the ones the review explores.
      const { explored } = scenariosToExplore(scenarios, before, edits, runner);
      return runner.unbuildable(explored, before) ?? (explore ? runner.prepare(explored, after, before) : runner.unbuildable(explored, after));
    } catch (e) {
      if (e instanceof RaceLensError && !(e instanceof CancelledError)) return e.message;
      throw e;
    }
  };
  if (!fits(mapped, true)) return [...mapped];
  const kept: MappedHunk[] = [];
  const out: MappedHunk[] = [];
  for (const m of mapped) {
    const why = m.edits.length ? fits([...kept, m], false) : undefined;
    if (!why) {
      kept.push(m);
      out.push(m);
      continue;
    }
    out.push({ ...m, status: 'not-modelled', edits: [], reason: `does not apply to the ${profile.id} profile's programs: ${why}` });
  }
  return out;
}

/** A hunk mapped onto `base`; one whose statements contradict the programs (a descriptor field edit where there is no descriptor update) is not modelled, with the reason. */
function mapOne(h: Hunk, base: ProgramSet, signal: CancelSignal | undefined): MappedHunk {
  cancelled(signal);
  try {
    return mapHunk(h, base);
  } catch (e) {
    if (!(e instanceof RaceLensError) || e instanceof CancelledError) throw e;
    return { hunk: h, functions: [], status: 'not-modelled', reason: e.message, changes: [], edits: [], unmodelled: [], notes: [] };
  }
}

/** Edits of the hunks given, applied to `base` on one side; throws InputError with the reason. */
function programsFor(base: ProgramSet, edits: readonly ProgramEdit[], side: 'base' | 'patched'): { programs: ProgramSet; notes: string[] } {
  try {
    return applyEdits(base, edits, side);
  } catch (e) {
    if (e instanceof RaceLensError && !(e instanceof CancelledError)) throw new InputError(e.message);
    throw e;
  }
}

/**
 * At most this many patches of one document that change modelled functions are reviewed: each
 * costs a few dozen explorations and its findings' traces, so a document of thousands (a
 * repeated or generated mbox) would otherwise take hours and gigabytes. Real series are far
 * shorter; a longer document is refused with the count, to be reviewed in parts.
 */
export const MAX_MODELLED_PATCHES = 128;

/**
 * At most this many hunks in one document are reviewed. A real series has hundreds at most;
 * every hunk is mapped and reported, so a document of tens of thousands (a mailing-list archive,
 * generated text) would hold the review and its rendering past any deadline (27,535 hunks in
 * 4 MB took 1.27 s: fuzz seed 23, case 35805) to report nothing but "not modelled".
 */
export const MAX_HUNKS = 10_000;

function checkDocumentLength(set: PatchSet, profile: Profile): void {
  let hunks = 0;
  for (const p of set.patches) for (const f of p.files) hunks += f.hunks.length;
  if (hunks > MAX_HUNKS) throw new InputError(`${hunks} hunks in this document; a review takes at most ${MAX_HUNKS}: review the series in parts`);
  let n = 0;
  for (const p of set.patches) if (p.files.some((f) => f.hunks.some((h) => touchesModelledFunction(h, profile.programs)))) n++;
  if (n > MAX_MODELLED_PATCHES) {
    throw new InputError(`${n} patches of this document change functions the model covers; a review takes at most ${MAX_MODELLED_PATCHES}: review the series in parts`);
  }
}

export function reviewPatchSet(set: PatchSet, opts: ReviewOptions = {}): Review {
  const { profile, from, note } = chooseProfile(set, opts.profile);
  const runner = new Runner(profile, opts);
  const scenarios = scenariosFor(profile, opts);
  const reviewNotes = note ? [note] : [];
  checkDocumentLength(set, profile);
  let base: ProgramSet = profile.programs;
  const patches: PatchReview[] = [];
  for (const patch of set.patches) {
    const hunks = patch.files.flatMap((f) => f.hunks);
    if (!hunks.length) continue;
    const mapped = applicable(
      hunks.map((h) => mapOne(h, base, opts.signal)),
      base,
      profile,
      scenarios,
      runner,
    );
    const edits = mapped.flatMap((m) => m.edits);
    const review = reviewOnePatch(patch, mapped, edits, base, scenarios, runner);
    patches.push(review);
    if (edits.length) base = programsFor(base, edits, 'patched').programs;
    runner.keepOnly(base);
  }
  const all = patches.flatMap((p) => p.findings);
  return {
    schema: 1,
    profile: profile.id,
    profileFrom: from,
    patches,
    summary: {
      introduced: all.filter((f) => f.verdict === 'introduced').length,
      fixed: all.filter((f) => f.verdict === 'fixed').length,
      stillViolated: all.filter((f) => f.verdict === 'still-violated').length,
      inconclusive: all.filter((f) => f.verdict === 'inconclusive').length,
      notModelled: patches.flatMap((p) => p.hunks).filter((h) => !h.modelled).length,
    },
    notes: reviewNotes,
  };
}

/**
 * "Simulate this hunk": the hunk alone, on top of the patches before it in the series, explored
 * like a patch of its own.
 */
export function reviewHunk(set: PatchSet, hunkIndex: number, opts: ReviewOptions = {}): { profile: string; review: PatchReview } {
  const { profile } = chooseProfile(set, opts.profile);
  const runner = new Runner(profile, opts);
  const scenarios = scenariosFor(profile, opts);
  checkDocumentLength(set, profile);
  let base: ProgramSet = profile.programs;
  for (const patch of set.patches) {
    const hunks = patch.files.flatMap((f) => f.hunks);
    const target = hunks.find((h) => h.index === hunkIndex);
    if (target) {
      const [one] = applicable([mapOne(target, base, opts.signal)], base, profile, scenarios, runner);
      return { profile: profile.id, review: reviewOnePatch(patch, [one!], one!.edits, base, scenarios, runner) };
    }
    const edits = applicable(
      hunks.map((h) => mapOne(h, base, opts.signal)),
      base,
      profile,
      scenarios,
      runner,
    ).flatMap((m) => m.edits);
    if (edits.length) base = programsFor(base, edits, 'patched').programs;
    runner.keepOnly(base);
  }
  throw new InputError(`no hunk ${hunkIndex} in this document`);
}

function badScenario(id: string): never {
  throw new InputError(`no scenario "${id}"`);
}

/** The scenarios to explore: those asked for, of the areas the profile's kernel has. */
function scenariosFor(profile: Profile, opts: ReviewOptions): readonly Scenario[] {
  const all = opts.scenarios ? opts.scenarios.map((id) => SCENARIOS.find((s) => s.id === id) ?? badScenario(id)) : SCENARIOS;
  return all.filter((s) => profile.areas.includes(s.area));
}

/**
 * The scenarios a patch's `edits` are explored in, with `before` the programs they apply to:
 * those among `scenarios` that run a changed program (a scenario runs a changed program after
 * the patch only if it ran one before), under x86-TSO instead of sequential consistency when
 * the edits move a barrier or a step across one; and notes saying so.
 */
function scenariosToExplore(scenarios: readonly Scenario[], before: ProgramSet, edits: readonly ProgramEdit[], runner: Runner): { explored: Scenario[]; notes: string[] } {
  const notes: string[] = [];
  const changed = new Set(edits.map((e) => e.program));
  let explored = runner.running(scenarios, before, changed);
  if (explored.length < scenarios.length) notes.push(`${scenarios.length - explored.length} scenarios do not run the changed programs (${[...changed].join(', ')}) and were not explored`);
  const ordering = orderingChange(edits);
  if (ordering) {
    // Every x86-TSO execution includes the SC ones, so TSO replaces SC for these scenarios.
    const tso = explored.map((sc) => (areaById(sc.area).memoryModels.includes('tso') ? underTso(sc) : sc));
    explored = tso.filter((sc, k) => tso.findIndex((x) => x.id === sc.id) === k);
    notes.push(`explored under x86-TSO, since the patch ${ordering}`);
  }
  return { explored, notes };
}

function reviewOnePatch(patch: Patch, mapped: readonly MappedHunk[], edits: readonly ProgramEdit[], base: ProgramSet, scenarios: readonly Scenario[], runner: Runner): PatchReview {
  const notes: string[] = [];
  const findings: Finding[] = [];
  const outcomes: ScenarioOutcome[] = [];
  const countersBefore: (CounterValues | undefined)[] = [];
  const countersAfter: (CounterValues | undefined)[] = [];
  if (edits.length) {
    const before = programsFor(base, edits, 'base');
    const after = programsFor(base, edits, 'patched');
    notes.push(...new Set(before.notes));
    // Per property: the scenarios with each verdict, keeping the shortest counterexample.
    const byProperty = new Map<string, { verdict: Verdict; scenario: Scenario; b: SimulationResult; a: SimulationResult; others: string[] }>();
    const oneHunk = new HunksAlone(base, edits);
    const changed = new Set(edits.map((e) => e.program));
    const { explored, notes: why } = scenariosToExplore(scenarios, before.programs, edits, runner);
    notes.push(...why);
    for (const scenario of explored) {
      const b = runner.run(scenario, before.programs);
      const a = runner.run(scenario, after.programs);
      countersBefore.push(b.counters);
      countersAfter.push(a.counters);
      outcomes.push({
        scenario: scenario.id,
        baseline: Object.fromEntries(b.properties.map((p) => [p.property, p.status])),
        patched: Object.fromEntries(a.properties.map((p) => [p.property, p.status])),
        stats: { baseline: { states: b.stats.states, ms: b.stats.ms }, patched: { states: a.stats.states, ms: a.stats.ms } },
      });
      for (const pb of b.properties) {
        const pa = property(a, pb.property);
        const verdict = verdictOf(pb.status, pa.status);
        if (!verdict) continue;
        // Findings are per property, verdict and model area: a property two areas check
        // (vcpu-wakeup) is broken by different mechanisms in each.
        const key = `${pb.property}\u0000${verdict}\u0000${scenario.area}`;
        const shown = verdict === 'fixed' ? pb.trace : pa.trace;
        const cur = byProperty.get(key);
        if (!cur) {
          byProperty.set(key, { verdict, scenario, b, a, others: [] });
          continue;
        }
        const curTrace = cur.verdict === 'fixed' ? property(cur.b, pb.property).trace : property(cur.a, pb.property).trace;
        if (shown && (!curTrace || shown.steps.length < curTrace.steps.length)) {
          cur.others.push(cur.scenario.id);
          byProperty.set(key, { verdict, scenario, b, a, others: cur.others });
        } else cur.others.push(scenario.id);
      }
    }
    for (const [key, f] of byProperty) {
      const prop = key.split('\u0000')[0]!;
      // A violation the patch neither introduces nor fixes, in an area whose own programs it
      // does not change (tlb-flush-wait behind a posted-interrupt patch to vcpu_enter_guest), is
      // the kernel's, not the patch's: say so once instead of reporting it as a finding.
      const area = f.scenario.area;
      if (f.verdict === 'still-violated' && ![...changed].some((p) => areaDefines(area, p))) {
        notes.push(`${prop} is violated before and after the patch in ${[f.scenario.id, ...f.others].join(', ')}; the patch changes none of the ${AREA_TITLES[area]} programs, so this is not reported as a finding`);
        continue;
      }
      findings.push(finding(prop, f, mapped, edits, oneHunk, runner));
    }
  } else {
    notes.push(mapped.every((m) => m.status === 'no-behavioural-change') ? 'no hunk changes modelled behaviour: nothing to explore' : 'no hunk changes code the model covers: nothing to explore');
  }
  const order: Verdict[] = ['introduced', 'still-violated', 'inconclusive', 'fixed'];
  // Property ids in code-unit order: localeCompare would order them by the collation of the
  // machine's locale, and the JSON and SARIF must not depend on where they were written.
  findings.sort((x, y) => order.indexOf(x.verdict) - order.indexOf(y.verdict) || (x.property < y.property ? -1 : x.property > y.property ? 1 : 0));
  return {
    subject: patch.subject,
    title: patch.title,
    author: patch.author,
    date: patch.date,
    messageId: patch.messageId,
    series: patch.series,
    startLine: patch.startLine,
    endLine: patch.endLine,
    hunks: mapped.map(hunkReport),
    findings,
    counters: { baseline: maxOf(countersBefore), patched: maxOf(countersAfter) },
    scenarios: outcomes,
    notes,
  };
}

/**
 * Each hunk's edits applied alone, on either side, made once per patch: every finding of a
 * patch with several hunks tries each hunk, and the same sets keep their memoised keys in the
 * Runner. A side that does not apply throws its error each time it is asked for.
 */
class HunksAlone {
  private readonly sides = new Map<string, ProgramSet | InputError>();
  constructor(
    private readonly base: ProgramSet,
    private readonly edits: readonly ProgramEdit[],
  ) {}

  private mine(hunk: number): ProgramEdit[] {
    return this.edits.filter((e) => e.hunk === hunk);
  }

  /** The programs hunk `hunk` changes. */
  changed(hunk: number): Set<string> {
    return new Set(this.mine(hunk).map((e) => e.program));
  }

  programs(hunk: number, side: 'base' | 'patched'): ProgramSet {
    const k = `${hunk}/${side}`;
    let r = this.sides.get(k);
    if (r === undefined) {
      try {
        r = programsFor(this.base, this.mine(hunk), side).programs;
      } catch (e) {
        if (!(e instanceof InputError)) throw e;
        r = e;
      }
      this.sides.set(k, r);
    }
    if (r instanceof InputError) throw r;
    return r;
  }
}

function finding(
  prop: string,
  f: { verdict: Verdict; scenario: Scenario; b: SimulationResult; a: SimulationResult; others: string[] },
  mapped: readonly MappedHunk[],
  edits: readonly ProgramEdit[],
  oneHunk: HunksAlone,
  runner: Runner,
): Finding {
  const shownFrom = f.verdict === 'fixed' ? f.b : f.a;
  const trace = property(shownFrom, prop).trace;
  const changing = [...new Set(edits.map((e) => e.hunk))];
  // Which hunks matter: with several, those whose edits alone reproduce the verdict (for a
  // violation left in place, those that alone do not fix it: a hunk that would is not what
  // keeps it).
  let hunks = changing;
  if (changing.length > 1 && f.verdict !== 'inconclusive') {
    const alone = changing.filter((h) => {
      runner.checkCancelled();
      try {
        const before = oneHunk.programs(h, 'base');
        // A hunk that changes no program the scenario runs builds the baseline's model on its
        // own, so it cannot reproduce a verdict: no need to explore it.
        if (!runner.running([f.scenario], before, oneHunk.changed(h)).length) return false;
        const b = runner.run(f.scenario, before);
        const a = runner.run(f.scenario, oneHunk.programs(h, 'patched'));
        return verdictOf(property(b, prop).status, property(a, prop).status) === f.verdict;
      } catch (e) {
        if (e instanceof CancelledError) throw e;
        return false;
      }
    });
    if (alone.length) hunks = alone;
  }
  const hunkSet = new Set(hunks);
  const mine = mapped.filter((m) => hunkSet.has(m.hunk.index));
  // Lines whose change matters: the changed statements, and the changed lines the trace runs.
  const changedLines = new Set(mine.flatMap((m) => m.hunk.lines.filter((l) => l.kind !== ' ').map((l) => l.line)));
  const traceLines = (trace?.steps ?? []).map((s) => s.origin?.line).filter((l): l is number => l !== undefined && changedLines.has(l));
  const changeLines = mine.flatMap((m) => m.changes.flatMap((c) => (c.from ? [c.line, c.from] : [c.line])));
  const lines = [...new Set([...changeLines, ...traceLines])].filter((l) => l > 0).sort((x, y) => x - y);
  const info = PROPERTY_INFO[prop];
  const explanation = trace ? explainViolation(prop, trace.states[trace.states.length - 1]!) : null;
  const where = f.others.length ? `${f.scenario.id} (and ${f.others.length} more scenario${f.others.length > 1 ? 's' : ''})` : f.scenario.id;
  const verb = { introduced: 'introduces a violation of', fixed: 'fixes', 'still-violated': 'leaves violated', inconclusive: 'could not decide' }[f.verdict];
  const why = f.verdict === 'inconclusive' ? `: the baseline's exploration ${coverage(f.b)}, the patched one's ${coverage(f.a)}` : explanation ? `: ${f.verdict === 'fixed' ? 'before the patch, ' : ''}${explanation}` : '';
  const message = `${verb} ${prop}${info ? ` (${info.title.toLowerCase()})` : ''} in ${where}${why}`;
  const side = (r: SimulationResult): SideView => {
    const p = property(r, prop);
    return {
      verdict: p.status,
      counterexample: p.trace ? counterexampleOf(p.trace) : null,
      states: p.trace ? p.trace.states : null,
      explanation: p.trace ? explainViolation(prop, p.trace.states[p.trace.states.length - 1]!) : null,
      counters: r.counters ?? null,
    };
  };
  return {
    sides: { baseline: side(f.b), patched: side(f.a) },
    property: prop,
    verdict: f.verdict,
    scenario: f.scenario.id,
    alsoIn: f.others,
    hunks,
    lines,
    message,
    counterexample: trace ? counterexampleOf(trace) : [],
    explanation,
    ...(trace ? { states: trace.states } : {}),
  };
}

/** Exit status of `check`: 1 when a violation is introduced, 3 when inconclusive, else 0. */
export function exitStatus(r: Review): number {
  if (r.summary.introduced) return 1;
  if (r.summary.inconclusive) return 3;
  return 0;
}
