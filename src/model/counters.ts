/**
 * Counters reviewers argue about (notifications in the host, VM-exits, kicks, PIR scans on
 * entry, cancelled entries) are not verdicts. Each is reported as its maximum over every
 * execution of the scenario: the heaviest path through the explored state graph, where a
 * transition weighs what its `events` say. A cycle that can repeat a counted event makes the
 * maximum unbounded, reported as `null`.
 */
import { EdgeList, Exploration } from './explore';

export type CounterValues = Readonly<Record<string, number | null>>;

/** Strongly connected components (iterative Tarjan); returns the component id of each state. */
function components(n: number, start: Int32Array, succ: Int32Array): { comp: Int32Array; count: number } {
  const index = new Int32Array(n).fill(-1);
  const low = new Int32Array(n);
  const onStack = new Uint8Array(n);
  const comp = new Int32Array(n).fill(-1);
  const stack: number[] = [];
  const callV: number[] = [];
  const callE: number[] = [];
  let counter = 0;
  let count = 0;
  for (let root = 0; root < n; root++) {
    if (index[root] !== -1) continue;
    callV.push(root);
    callE.push(start[root]!);
    index[root] = low[root] = counter++;
    stack.push(root);
    onStack[root] = 1;
    while (callV.length) {
      const v = callV[callV.length - 1]!;
      const e = callE[callE.length - 1]!;
      if (e < start[v + 1]!) {
        callE[callE.length - 1] = e + 1;
        const w = succ[e]!;
        if (index[w] === -1) {
          index[w] = low[w] = counter++;
          stack.push(w);
          onStack[w] = 1;
          callV.push(w);
          callE.push(start[w]!);
        } else if (onStack[w]) {
          low[v] = Math.min(low[v]!, index[w]!);
        }
        continue;
      }
      callV.pop();
      callE.pop();
      if (callV.length) {
        const parent = callV[callV.length - 1]!;
        low[parent] = Math.min(low[parent]!, low[v]!);
      }
      if (low[v] === index[v]) {
        for (;;) {
          const w = stack.pop()!;
          onStack[w] = 0;
          comp[w] = count;
          if (w === v) break;
        }
        count++;
      }
    }
  }
  return { comp, count };
}

/**
 * Maximum of each counter over all executions, or `undefined` when the edges were not kept
 * (or only partly kept), in which case the caller says the counters were not computed.
 */
export function maxCounters(exploration: Exploration): CounterValues | undefined {
  const edges: EdgeList | undefined = exploration.edges;
  if (!edges || !edges.complete || !exploration.stats.complete) return undefined;
  const model = exploration.compiled.model;
  const n = exploration.store.count;
  // A complete exploration expanded every state: the rows cover them all.
  const { start, to: succ, tid: tidOf } = edges;
  const { comp, count } = components(n, start, succ);
  // States grouped by component, as one flat array (a counting sort).
  const memberStart = new Int32Array(count + 1);
  for (let v = 0; v < n; v++) memberStart[comp[v]! + 1]!++;
  for (let c = 0; c < count; c++) memberStart[c + 1]! += memberStart[c]!;
  const members = new Int32Array(n);
  const at = memberStart.slice(0, count);
  for (let v = 0; v < n; v++) members[at[comp[v]!]!++] = v;
  // Every counter in one pass over the components: `w` holds each transition's weight per
  // counter, for the counters some transition counts; the others are 0.
  const result: Record<string, number | null> = {};
  const counted = model.counters.filter((name) => model.transitions.some((t) => t.events?.[name]));
  for (const name of model.counters) result[name] = 0;
  const K = counted.length;
  if (K === 0) return result;
  const T = model.transitions.length;
  const w = new Float64Array(T * K);
  const weighted = new Uint8Array(T);
  for (let t = 0; t < T; t++) {
    const ev = model.transitions[t]!.events;
    if (!ev) continue;
    for (let k = 0; k < K; k++) {
      const x = ev[counted[k]!] ?? 0;
      w[t * K + k] = x;
      if (x) weighted[t] = 1;
    }
  }
  const best = new Float64Array(count * K);
  const unbounded = new Uint8Array(count * K);
  // Tarjan numbers components in reverse topological order: successors first.
  for (let c = 0; c < count; c++) {
    const bc = c * K;
    for (let m = memberStart[c]!; m < memberStart[c + 1]!; m++) {
      const v = members[m]!;
      for (let e = start[v]!; e < start[v + 1]!; e++) {
        const cw = comp[succ[e]!]!;
        const t = tidOf[e]!;
        const wt = t * K;
        if (cw === c) {
          // An edge inside the component: a counted event on a cycle can repeat without bound.
          if (weighted[t]) for (let k = 0; k < K; k++) if (w[wt + k]! > 0) unbounded[bc + k] = 1;
          continue;
        }
        const bw = cw * K;
        for (let k = 0; k < K; k++) {
          if (unbounded[bw + k]) unbounded[bc + k] = 1;
          const x = w[wt + k]! + best[bw + k]!;
          if (x > best[bc + k]!) best[bc + k] = x;
        }
      }
    }
  }
  const b0 = comp[0]! * K;
  for (let k = 0; k < K; k++) result[counted[k]!] = unbounded[b0 + k] ? null : best[b0 + k]!;
  return result;
}

/** Sum of each counter along one path of transitions (a counterexample). */
export function countersAlong(exploration: Exploration, stateIndex: number): CounterValues {
  const model = exploration.compiled.model;
  const out: Record<string, number> = Object.fromEntries(model.counters.map((c) => [c, 0]));
  for (const i of exploration.store.pathTo(stateIndex).slice(1)) {
    const ev = model.transitions[exploration.store.via[i]!]!.events;
    if (!ev) continue;
    for (const [k, v] of Object.entries(ev)) out[k] = (out[k] ?? 0) + v;
  }
  return out;
}
