/**
 * Programs as one model area runs them: without the steps that are nothing there.
 *
 * An area's semantics names the operations its models do not run (`opaque`: another area's
 * step, such as a PV TLB hook seen from the posted-interrupt model, even when a program has its
 * name) and those it runs as no-ops in every context (`inert`: a barrier under sequential
 * consistency, unless a program has its name, which is then run). The program compiler makes
 * such a step nothing: the program points before and after it become one. Dropping it from the
 * program therefore builds the same transitions: it emits none, takes no label, is no loop,
 * `break`, `goto` or `return`, and calls no program. A branch or loop body left empty compiles
 * as one of such steps did: its start and its end are one program point.
 *
 * An `if` is nothing too when every atom of its condition is one the area decides while
 * building, in every context (`decided`, programCompiler.ts `decidedIn`: the LAPIC is in-kernel
 * in every PMI scenario), and each of its branches holds only steps that are nothing (or none):
 * the compiler reads no state for it and joins its start to the start of the branch taken,
 * whose end is the `if`'s end and whose steps join their own ends and starts. A branch on a
 * condition read from the state stays, empty or not: it is a step.
 *
 * The program points are numbered densely in the order transitions use them (builder.ts
 * `resolve`), so the numbering is the same too. Two program sets whose views are equal, program
 * by program, therefore build the same model of every scenario of the area, but for where its
 * steps come from: their paths in the programs and their patch lines, which only traces show.
 */
import type { AreaDefinition } from './area';
import { Cond, Program, Step } from './program';

/** What an area's models make nothing of, as `areaView` drops it. */
export interface AreaSkips {
  /** A step naming `op` is nothing. */
  readonly op: (op: string) => boolean;
  /** The condition named `cond` is decided while building, in every context. */
  readonly decided: (cond: string) => boolean;
}

/**
 * What the models of the area `def` make nothing of, in a program set whose programs are
 * `named`: other areas' steps, inert ones no program is named after (a program of that name
 * is run), and branches on the conditions the area decides.
 */
export function skipsOf(def: Pick<AreaDefinition, 'opaque' | 'inert' | 'decided'>, named: ReadonlySet<string>): AreaSkips {
  return { op: (op) => def.opaque(op) !== undefined || (def.inert(op) && !named.has(op)), decided: (cond) => def.decided(cond) };
}

function decidedCond(c: Cond, skips: AreaSkips): boolean {
  switch (c.k) {
    case 'atom':
      return skips.decided(c.name);
    case 'not':
      return decidedCond(c.c, skips);
    case 'and':
    case 'or':
      return c.cs.every((x) => decidedCond(x, skips));
  }
}

/** Whether `s` is nothing in the area: a step it makes nothing of, or an `if` on decided conditions whose branches are nothing. */
function dropped(s: Step, skips: AreaSkips): boolean {
  if (s.k === 'op') return skips.op(s.op);
  if (s.k !== 'if') return false;
  return decidedCond(s.cond, skips) && s.then.every((x) => dropped(x, skips)) && s.else.every((x) => dropped(x, skips));
}

/** `program` without the steps that are nothing in the area (`dropped`), at any depth; `program` itself when it has none. */
export function areaView(program: Program, skips: AreaSkips): Program {
  let out: Step[] | undefined;
  for (let i = 0; i < program.length; i++) {
    const s = program[i]!;
    let kept: Step | undefined = s;
    if (dropped(s, skips)) kept = undefined;
    else if (s.k === 'if') {
      const then = areaView(s.then, skips);
      const otherwise = areaView(s.else, skips);
      if (then !== s.then || otherwise !== s.else) kept = { ...s, then, else: otherwise };
    } else if (s.k === 'loop') {
      const body = areaView(s.body, skips);
      if (body !== s.body) kept = { ...s, body };
    }
    if (kept !== s && !out) out = program.slice(0, i);
    if (out && kept) out.push(kept);
  }
  return out ?? program;
}

/**
 * Where the step at `path` in `from` is in `to`, for two programs with the same view under
 * `skips`: the same kept step, counted among the steps the view keeps at each level. A path is
 * as step origins give it (ir.ts `StepOrigin`): indices, with 0 or 1 after an `if` for its
 * branch. Undefined when `path` does not lead to a kept step of `from`.
 */
export function samePlace(from: Program, to: Program, path: readonly number[], skips: AreaSkips): number[] | undefined {
  const kept = (s: Step) => !dropped(s, skips);
  const out: number[] = [];
  let f: readonly Step[] = from;
  let t: readonly Step[] = to;
  for (let i = 0; i < path.length; i++) {
    const at = path[i]!;
    const s = f[at];
    if (!s || !kept(s)) return undefined;
    let nth = 0;
    for (let x = 0; x < at; x++) if (kept(f[x]!)) nth++;
    let j = 0;
    for (; j < t.length; j++) if (kept(t[j]!) && nth-- === 0) break;
    const u = t[j];
    if (!u || u.k !== s.k) return undefined;
    out.push(j);
    if (i === path.length - 1) return out;
    if (s.k === 'if' && u.k === 'if') {
      const branch = path[++i];
      if (i === path.length - 1 || (branch !== 0 && branch !== 1)) return undefined;
      out.push(branch);
      [f, t] = branch === 0 ? [s.then, u.then] : [s.else, u.else];
    } else if (s.k === 'loop' && u.k === 'loop') [f, t] = [s.body, u.body];
    else return undefined;
  }
  return undefined;
}
