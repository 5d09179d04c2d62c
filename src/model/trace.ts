/**
 * Counterexample reconstruction: the path of states from the initial state to a violating
 * state, each step told as actor, step and the fields it changed.
 */
import { unpack } from './compile';
import { evaluate, Model, StepOrigin } from './ir';
import { Exploration } from './explore';
import { Program, ProgramSet, Step } from './program';

export type FieldValue = number | string;

export interface TraceStep {
  /** 1-based position in the trace. */
  readonly n: number;
  readonly actor: string;
  readonly lane: string;
  readonly step: string;
  /** Id of the model transition taken (see `withOriginsFrom`). */
  readonly transition: number;
  readonly origin?: StepOrigin;
  /** Fields whose value differs from the previous state (program counters excluded). */
  readonly changed: Readonly<Record<string, FieldValue>>;
  readonly events?: Readonly<Record<string, number>>;
}

export interface Trace {
  readonly initial: Readonly<Record<string, FieldValue>>;
  readonly steps: readonly TraceStep[];
  /** The full state after each step (index 0 is the initial state), for step-through views. */
  readonly states: readonly Readonly<Record<string, FieldValue>>[];
}

/** Named view of an unpacked state: variables (without program counters) plus derived fields. */
export function describeState(exploration: Exploration, values: readonly number[]): Record<string, FieldValue> {
  const model = exploration.compiled.model;
  const out: Record<string, FieldValue> = {};
  for (const v of model.vars) {
    if (v.kind === 'pc' || v.kind === 'buffer') continue;
    const x = values[v.id]!;
    out[v.name] = v.values?.[x] ?? x;
  }
  for (const d of model.derived) {
    const x = evaluate(d.e, values);
    out[d.name] = d.values?.[x] ?? x;
  }
  return out;
}

/**
 * The values of every variable along `path` (state indices; `tids`, the transitions between
 * them), as the kernel holds them: the stored states, unless a step resets a dead variable
 * (liveness.ts), in which case the steps are replayed from the initial state without the
 * resets, so a variable keeps the value it was last given. Both are the same execution: the
 * reset variables are read by no later step of the path before they are written again.
 */
function shownValues(exploration: Exploration, path: readonly number[], tids: readonly number[]): number[][] {
  const { store, compiled } = exploration;
  const model = compiled.model;
  const stored = (i: number) => unpack(compiled.layout, store.arena, i * store.words);
  if (!tids.some((tid) => model.transitions[tid]!.effects.some((a) => a.reset))) return path.map(stored);
  const out = [stored(path[0]!)];
  for (const tid of tids) {
    const t = model.transitions[tid]!;
    const values = out[out.length - 1]!.slice();
    // Effects run in order, each reading the values the ones before it wrote (compile.ts).
    for (const a of t.effects) if (!a.reset) values[a.id] = evaluate(a.e, values);
    values[model.actors[t.actor]!.pcVar] = t.to;
    out.push(values);
  }
  return out;
}

export function traceTo(exploration: Exploration, stateIndex: number): Trace {
  const { store, compiled } = exploration;
  const model = compiled.model;
  const path = store.pathTo(stateIndex);
  const tids = path.slice(1).map((i) => store.via[i]!);
  const states = shownValues(exploration, path, tids).map((values) => describeState(exploration, values));
  const steps: TraceStep[] = [];
  for (let k = 1; k < path.length; k++) {
    const tid = tids[k - 1]!;
    const t = model.transitions[tid]!;
    const actor = model.actors[t.actor]!;
    const before = states[k - 1]!;
    const after = states[k]!;
    const changed: Record<string, FieldValue> = {};
    for (const key of Object.keys(after)) if (after[key] !== before[key]) changed[key] = after[key]!;
    steps.push({
      n: k,
      actor: actor.name,
      lane: actor.lane,
      step: t.label,
      transition: tid,
      ...(t.origin ? { origin: t.origin } : {}),
      changed,
      ...(t.events ? { events: t.events } : {}),
    });
  }
  return { initial: states[0]!, steps, states };
}

/** The step of `program` at `path` (indices through `if` branches and loop bodies), if any. */
function stepAt(program: Program | undefined, path: readonly number[]): Step | undefined {
  let steps: readonly Step[] | undefined = program;
  let s: Step | undefined;
  for (let i = 0; i < path.length && steps; i++) {
    s = steps[path[i]!];
    if (!s) return undefined;
    if (i === path.length - 1) return s;
    if (s.k === 'if') {
      const branch = path[++i];
      if (i === path.length - 1) return undefined;
      steps = branch === 0 ? s.then : branch === 1 ? s.else : undefined;
    } else if (s.k === 'loop') steps = s.body;
    else return undefined;
  }
  return undefined;
}

/**
 * The trace with each step's patch line taken from `programs`: a trace explored from programs
 * that differ from these only in their lines (a stored baseline) then points at this patch.
 */
export function withLinesFrom(trace: Trace, programs: ProgramSet): Trace {
  return {
    ...trace,
    steps: trace.steps.map((s) => {
      if (!s.origin) return s;
      const { line: _old, ...origin } = s.origin;
      const line = stepAt(programs[s.origin.program], s.origin.path)?.line;
      return { ...s, origin: line !== undefined ? { ...origin, line } : origin };
    }),
  };
}

/**
 * The trace with each step's origin taken from `model`'s transition of the same id: a trace
 * explored in a model that differs from `model` only in where its steps come from (see
 * `behaviourOf`) then points at `model`'s programs.
 */
export function withOriginsFrom(trace: Trace, model: Model): Trace {
  return {
    ...trace,
    steps: trace.steps.map((s) => {
      const { origin: _old, ...rest } = s;
      const origin = model.transitions[s.transition]!.origin;
      return origin ? { ...rest, origin } : rest;
    }),
  };
}
