/**
 * Explicit-state breadth-first exploration of every interleaving of a compiled model.
 *
 * Deterministic: actors and transitions are tried in declaration order, so the same model
 * gives the same state numbering, the same statistics (but `ms`) and the same traces.
 * Because states are numbered in BFS order, the first violating state found for a
 * property ends a shortest counterexample.
 */
import { CompiledModel, unpack } from './compile';
import { Reduction, reductionOf } from './reduction';
import { StateStore } from './store';

export interface CancelSignal {
  readonly aborted: boolean;
}

export interface Limits {
  /** Stop, inconclusive, once this many distinct states are stored. */
  readonly maxStates?: number;
  /** Stop, inconclusive, after this many milliseconds. */
  readonly maxMs?: number;
  /** An `AbortSignal` or anything with `aborted`; checked before the first and every `CHECK_EVERY`-th expansion. */
  readonly signal?: CancelSignal;
  /** Clock in milliseconds; injected so that tests stay deterministic. */
  readonly now?: () => number;
  /** Keep the edges of the state graph (for counters); bounded by `maxEdges`. */
  readonly recordEdges?: boolean;
  readonly maxEdges?: number;
  /**
   * Expand, where reduction.ts proves it sound, one actor's invisible steps alone: fewer
   * states, the same verdicts and counters, but not every interleaving, so the first violating
   * state found is not always at the shortest depth. Only after `reduceAfter` expansions.
   */
  readonly reduce?: boolean;
  /** Expansions before reduction is tried (default `REDUCE_AFTER`). */
  readonly reduceAfter?: number;
  /** Expansions of the trial that decides whether to reduce (default `REDUCE_WINDOW`; 0: reduce at once). */
  readonly reduceWindow?: number;
  /** Stop, incomplete, once each of these properties has a violating state (to find shortest counterexamples). */
  readonly untilViolated?: readonly string[];
}

/**
 * Partial-order reduction is tried after this many expansions: over the next `REDUCE_WINDOW`,
 * still expanding every state in full, the explorer counts the states it could have reduced,
 * and reduces from then on only if that is at least one in `REDUCE_WORTH`. Most models a review
 * explores finish before the trial, and in most of the posted-interrupt ones no actor can be
 * left alone: the per-state test, and the unreduced search for the shortest counterexample
 * (simulate.ts), would only cost. A model that is not reduced explores exactly as without the
 * option. Which states are reduced changes no verdict: any mix of reduced and fully expanded
 * states meets the conditions of reduction.ts, which are checked state by state.
 * 4,096 rather than 2,048: below it the analysis and the trial cost more than reduction saves
 * (the x86-TSO posted-interrupt models of 2-4k states never pass the trial, and IPIv models of
 * 3-5k states that pass it lose no states or a few hundred): over the 85 models of six heavy
 * fixtures, simulate took 0.92-0.96 of the time in alternating in-process runs (8,192: no
 * better than 4,096).
 */
export const REDUCE_AFTER = 4096;
export const REDUCE_WINDOW = 1024;
const REDUCE_WORTH = 2;

export const DEFAULT_LIMITS = { maxStates: 2_000_000, maxMs: 20_000, maxEdges: 4_000_000 } as const;

/**
 * States expanded between two looks at the signal and the clock (a power of two, so the test
 * is a mask). An expansion takes a few microseconds, so a cancel or an exhausted time budget is
 * seen within a few milliseconds, while the hot loop does not call a getter and read the clock
 * for every state. test/unit/cancellation.test.ts holds the explorer to this bound.
 */
export const CHECK_EVERY = 256;

export type StopReason = 'states' | 'time' | 'abort' | 'violations';

export interface ExploreStats {
  readonly states: number;
  readonly transitions: number;
  /** Length of the longest shortest path from the initial state that was reached. */
  readonly depth: number;
  readonly ms: number;
  /** True when every reachable state was expanded. */
  readonly complete: boolean;
  readonly stoppedBy?: StopReason;
  /**
   * Bytes held by the exploration's arrays when the run ended: the visited set and, when they
   * were kept, the edges. The arrays only grow, so this is the most they held at once, apart
   * from the moment one is copied into its doubled successor.
   */
  readonly bytes: number;
  /** True when partial-order reduction expanded some states by one actor alone: `states` counts the reduced graph. */
  readonly reduced?: boolean;
}

export type PropertyStatus = 'holds' | 'violated' | 'inconclusive';

export interface PropertyOutcome {
  readonly id: string;
  readonly status: PropertyStatus;
  /** Index of the first violating state in BFS order, when violated. */
  readonly stateIndex?: number;
}

/**
 * Edges of the explored graph, grouped by source state (compressed sparse rows): the edges of
 * state i are `start[i]` to `start[i + 1]` (exclusive) in `to` (target state) and `tid`
 * (transition id). A state is expanded once, in BFS order, and its edges are recorded as it is,
 * so the rows come out grouped without sorting.
 */
export interface EdgeList {
  /** `states + 1` entries when complete: the last is `count`. */
  readonly start: Int32Array;
  readonly to: Int32Array;
  readonly tid: Int32Array;
  readonly count: number;
  /** False when `maxEdges` was reached and the list is partial. */
  readonly complete: boolean;
}

export interface Exploration {
  readonly compiled: CompiledModel;
  readonly store: StateStore;
  readonly stats: ExploreStats;
  readonly outcomes: readonly PropertyOutcome[];
  readonly edges?: EdgeList;
}

function grow(a: Int32Array, min: number): Int32Array {
  const b = new Int32Array(Math.max(min, a.length * 2));
  b.set(a);
  return b;
}

class EdgeRecorder {
  start: Int32Array = new Int32Array(1024);
  to: Int32Array = new Int32Array(1024);
  tid: Int32Array = new Int32Array(1024);
  count = 0;
  complete = true;
  constructor(private readonly max: number) {}
  /** The edges recorded from now on leave `state` (states are expanded in index order). */
  expanding(state: number): void {
    if (state + 1 >= this.start.length) this.start = grow(this.start, state + 2);
    this.start[state] = this.count;
  }
  add(to: number, tid: number): void {
    if (!this.complete) return;
    if (this.count === this.max) {
      this.complete = false;
      return;
    }
    if (this.count === this.to.length) {
      this.to = grow(this.to, 0);
      this.tid = grow(this.tid, 0);
    }
    this.to[this.count] = to;
    this.tid[this.count] = tid;
    this.count++;
  }
  get bytes(): number {
    return this.start.byteLength + this.to.byteLength + this.tid.byteLength;
  }
  /** The rows once `states` states have been expanded. */
  list(states: number): EdgeList {
    this.expanding(states);
    return { start: this.start, to: this.to, tid: this.tid, count: this.count, complete: this.complete };
  }
}

export function explore(compiled: CompiledModel, limits: Limits = {}): Exploration {
  const now = limits.now ?? (() => performance.now());
  const maxStates = limits.maxStates ?? DEFAULT_LIMITS.maxStates;
  const maxMs = limits.maxMs ?? DEFAULT_LIMITS.maxMs;
  const props = compiled.model.properties;
  const W = compiled.layout.words;
  const store = new StateStore(W);
  const edges = limits.recordEdges ? new EdgeRecorder(limits.maxEdges ?? DEFAULT_LIMITS.maxEdges) : undefined;
  const firstBad: number[] = props.map(() => -1);
  let pendingBad = (1 << props.length) - 1;
  // The properties whose violation ends the run early (none: run to the end).
  let wanted = 0;
  for (const id of limits.untilViolated ?? []) {
    const i = props.findIndex((p) => p.id === id);
    if (i >= 0) wanted |= 1 << i;
  }
  const reduceAfter = limits.reduce ? (limits.reduceAfter ?? REDUCE_AFTER) : Infinity;
  const reduceFrom = reduceAfter + (limits.reduceWindow ?? REDUCE_WINDOW);
  let reduction: Reduction | undefined;
  let reducing = false;
  let reducible = 0;
  let reducedStates = 0;
  // The trial's probe: successors by one actor, written to a scratch state and only counted.
  const scratch = new Uint32Array(W);
  let probed = 0;
  const probe = () => {
    probed++;
  };

  const started = now();
  const cur = new Uint32Array(W);
  const next = new Uint32Array(W);
  let transitions = 0;
  let stoppedBy: StopReason | undefined;

  const noteBad = (index: number, state: Uint32Array) => {
    if (!pendingBad) return;
    const b = compiled.bad(state) & pendingBad;
    if (!b) return;
    for (let i = 0; i < props.length; i++) {
      if (b & (1 << i)) firstBad[i] = index;
    }
    pendingBad &= ~b;
  };

  store.insert(compiled.init, -1, -1);
  noteBad(0, compiled.init);

  let head = 0;
  let overflow = false;
  let expanding = 0;
  const emit = (tid: number) => {
    transitions++;
    if (store.count >= maxStates) {
      const known = store.indexOf(next);
      // A new successor cannot be stored: we can no longer claim to have seen every state.
      if (known < 0) overflow = true;
      else edges?.add(known, tid);
      return;
    }
    const index = store.insert(next, expanding, tid);
    if (index >= 0) noteBad(index, next);
    if (edges) edges.add(index >= 0 ? index : ~index, tid);
  };

  while (head < store.count) {
    if ((head & (CHECK_EVERY - 1)) === 0) {
      if (limits.signal?.aborted) {
        stoppedBy = 'abort';
        break;
      }
      if (now() - started > maxMs) {
        stoppedBy = 'time';
        break;
      }
    }
    expanding = head;
    edges?.expanding(head);
    store.load(head, cur);
    if (head === reduceAfter) reduction = reductionOf(compiled.model, compiled.layout);
    if (reduction && head === reduceFrom) {
      reducing = reducible * REDUCE_WORTH >= reduceFrom - reduceAfter;
      if (!reducing) reduction = undefined;
    }
    if (reducing) {
      // The first actor whose steps form an ample set and that has one enabled moves alone;
      // with none, every actor moves.
      const before = transitions;
      let a = reduction!.next(cur, -1);
      while (a >= 0) {
        compiled.expandActor(a, cur, next, emit);
        if (transitions !== before) break;
        a = reduction!.next(cur, a);
      }
      if (a < 0) compiled.expand(cur, next, emit);
      else reducedStates++;
    } else {
      if (reduction) {
        // The trial: would this state be reduced?
        const before = probed;
        for (let a = reduction.next(cur, -1); a >= 0 && probed === before; a = reduction.next(cur, a)) compiled.expandActor(a, cur, scratch, probe);
        if (probed !== before) reducible++;
      }
      compiled.expand(cur, next, emit);
    }
    head++;
    if (overflow) {
      stoppedBy = 'states';
      break;
    }
    if (wanted && (pendingBad & wanted) === 0) {
      stoppedBy = 'violations';
      break;
    }
  }
  const complete = stoppedBy === undefined;
  const outcomes: PropertyOutcome[] = props.map((p, i) =>
    firstBad[i]! >= 0
      ? { id: p.id, status: 'violated', stateIndex: firstBad[i]! }
      : { id: p.id, status: complete ? 'holds' : 'inconclusive' },
  );
  const stats: ExploreStats = {
    states: store.count,
    transitions,
    depth: maxDepth(store),
    ms: Math.round((now() - started) * 100) / 100,
    complete,
    ...(stoppedBy ? { stoppedBy } : {}),
    bytes: store.bytes + (edges?.bytes ?? 0),
    ...(reducedStates ? { reduced: true } : {}),
  };
  return {
    compiled,
    store,
    stats,
    outcomes,
    ...(edges ? { edges: edges.list(head) } : {}),
  };
}

/** BFS depth of the deepest stored state. */
function maxDepth(store: StateStore): number {
  if (store.count === 0) return 0;
  // States are stored in BFS order, so the last one is at the maximum depth.
  let d = 0;
  for (let i = store.count - 1; i > 0; i = store.parent[i]!) d++;
  return d;
}

/**
 * Index of the first stored state (BFS order) satisfying `pred`, which sees the state as one
 * value per variable; -1 when none. For tests that must show a situation was really explored.
 */
export function findState(exploration: Exploration, pred: (values: readonly number[]) => boolean): number {
  const { store, compiled } = exploration;
  for (let i = 0; i < store.count; i++) {
    if (pred(unpack(compiled.layout, store.arena, i * store.words))) return i;
  }
  return -1;
}
