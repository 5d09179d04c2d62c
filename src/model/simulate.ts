/**
 * One simulation: a scenario, under a profile's programs with optional overrides, explored
 * to a result with verdicts, statistics, counters and shortest counterexamples.
 */
import { shapeOf } from './behaviour';
import { compile } from './compile';
import { CounterValues, countersAlong, maxCounters } from './counters';
import { ModelError } from './errors';
import { DEFAULT_LIMITS, ExploreStats, Limits, PropertyStatus, explore } from './explore';
import { Model } from './ir';
import { withDeadVariablesReset } from './liveness';
import { areaById } from './registry';
import { Profile } from './profiles';
import { Program, ProgramSet, formatProgram, parseProgram } from './program';
import { Scenario } from './area';
import { Trace, traceTo } from './trace';

export interface PropertyResult {
  readonly property: string;
  readonly status: PropertyStatus;
  /** Shortest counterexample, when violated. */
  readonly trace?: Trace;
  /** Counters summed along the counterexample. */
  readonly countersAlongTrace?: CounterValues;
}

export interface SimulationResult {
  readonly scenario: string;
  readonly area: Scenario['area'];
  readonly profile: string;
  /** Caveats a reader needs next to the verdicts (an anachronistic scenario, uncomputed counters). */
  readonly notes: readonly string[];
  /** Programs that differ from the profile, in program text. */
  readonly overrides: Readonly<Record<string, string>>;
  /** Every program the model runs (see `Model.programs`). */
  readonly programs: readonly string[];
  readonly properties: readonly PropertyResult[];
  /** The model's size and shape: a model of another cannot explore like this one (behaviour.ts). */
  readonly modelSize: ModelSize;
  /** Maximum of each counter over all executions; absent when the graph was too large to keep. */
  readonly counters?: CounterValues;
  readonly stats: ExploreStats;
}

export interface ModelSize {
  readonly vars: number;
  readonly transitions: number;
  /** `shapeOf` the model. */
  readonly shape: number;
}

/** Sizes by model: a review asks for a model's twice (to match it against results at hand, then for its result). */
const sizes = new WeakMap<Model, ModelSize>();

export function sizeOf(model: Model): ModelSize {
  let size = sizes.get(model);
  if (!size) sizes.set(model, (size = { vars: model.vars.length, transitions: model.transitions.length, shape: shapeOf(model) }));
  return size;
}

/** Edges are kept for the counters only while the run is small enough to afford it. */
const COUNTER_EDGE_LIMIT = 3_000_000;

export function programsWith(profile: Profile, overrides: Readonly<Record<string, Program>>): ProgramSet {
  for (const name of Object.keys(overrides)) {
    if (!(name in profile.programs)) throw new ModelError(`--set ${name}: the ${profile.id} profile has no program of that name`);
  }
  return Object.keys(overrides).length ? { ...profile.programs, ...overrides } : profile.programs;
}

/**
 * The model of a scenario, built by its area, with the variables an actor no longer reads reset
 * (liveness.ts): what the explorer, the reduction and the Promela export all see.
 */
export function buildModel(scenario: Scenario, profile: Profile, overrides: Readonly<Record<string, Program>> = {}): Model {
  const name = `${scenario.id}@${profile.id}`;
  const programs = programsWith(profile, overrides);
  if (!profile.areas.includes(scenario.area)) throw new ModelError(`the ${profile.id} profile predates the ${scenario.area} model area`);
  const area = areaById(scenario.area);
  const memory = scenario.memory ?? 'sc';
  if (!area.memoryModels.includes(memory)) throw new ModelError(`the ${area.title} model has no ${memory} memory model`);
  return withDeadVariablesReset(area.build(memory === 'sc' ? name : `${name} (x86-TSO)`, scenario.config, programs, profile.toggles[scenario.area], memory));
}

export function simulate(scenario: Scenario, profile: Profile, overrides: Readonly<Record<string, Program>> = {}, limits: Limits = {}): SimulationResult {
  return simulateModel(buildModel(scenario, profile, overrides), scenario, profile, overrides, limits);
}

/** `simulate` for a model already built from the scenario, the profile and the overrides. */
export function simulateModel(model: Model, scenario: Scenario, profile: Profile, overrides: Readonly<Record<string, Program>>, limits: Limits = {}): SimulationResult {
  const compiled = compile(model);
  const reduce = limits.reduce ?? true;
  const exploration = explore(compiled, { recordEdges: true, maxEdges: COUNTER_EDGE_LIMIT, ...limits, reduce, maxStates: limits.maxStates ?? DEFAULT_LIMITS.maxStates });
  // A reduced graph keeps every verdict but not every interleaving: the shortest counterexample
  // comes from an unreduced run that stops once it has found each violation.
  const violated = exploration.outcomes.filter((o) => o.status === 'violated').map((o) => o.id);
  const shortest = exploration.stats.reduced && violated.length ? explore(compiled, { ...limits, reduce: false, recordEdges: false, untilViolated: violated }) : exploration;
  const notes: string[] = [];
  const properties = exploration.outcomes.map((o): PropertyResult => {
    if (o.status !== 'violated' || o.stateIndex === undefined) return { property: o.id, status: o.status };
    const found = shortest.outcomes.find((x) => x.id === o.id);
    // Stopped by the limits before it got there: the reduced graph's counterexample is still an execution.
    const [from, index] = found?.status === 'violated' && found.stateIndex !== undefined ? [shortest, found.stateIndex] : [exploration, o.stateIndex];
    if (from !== shortest) notes.push(`${o.id}: the counterexample comes from the reduced state graph and may not be the shortest (the unreduced search for it ${shortest.stats.stoppedBy === 'time' ? 'ran out of time' : 'stopped early'})`);
    return {
      property: o.id,
      status: o.status,
      trace: traceTo(from, index),
      countersAlongTrace: countersAlong(from, index),
    };
  });
  const counters = maxCounters(exploration);
  if (scenario.since && (profile.version[0] < scenario.since.version[0] || (profile.version[0] === scenario.since.version[0] && profile.version[1] < scenario.since.version[1]))) {
    notes.push(`${scenario.id} under ${profile.id}: ${scenario.since.why}`);
  }
  if (!counters) notes.push('counters not computed: the state graph was too large to keep, or the run stopped early');
  return {
    scenario: scenario.id,
    area: scenario.area,
    profile: profile.id,
    notes,
    overrides: Object.fromEntries(Object.entries(overrides).map(([k, v]) => [k, formatProgram(v)])),
    programs: model.programs,
    modelSize: sizeOf(model),
    properties,
    ...(counters ? { counters } : {}),
    stats: exploration.stats,
  };
}

/** Parses `program=step,step,...` as given to `--set`. */
export function parseOverride(text: string): [string, Program] {
  const eq = text.indexOf('=');
  if (eq <= 0) throw new ModelError(`--set needs program=steps, got "${text}"`);
  const name = text.slice(0, eq).trim();
  return [name, parseProgram(text.slice(eq + 1))];
}
