/**
 * Compiles programs (see `program.ts`) into an actor's transitions.
 *
 * The meaning of each primitive step and each condition comes from a `Semantics` object,
 * one per modelled area; this module only knows control flow: sequences, `if`, `loop`,
 * `break`, `label`/`goto`, `return` and calls of other programs, which are inlined.
 */
import type { AreaDefinition } from './area';
import { ActorBuilder, TransitionSpec } from './builder';
import { ModelError } from './errors';
import { Assign, Expr, StepOrigin, and, not, or } from './ir';
import { Cond, Program, ProgramSet, Step } from './program';

/** One atomic outcome of a step: enabled when `guard` holds. */
export interface Alternative {
  readonly guard: Expr;
  readonly effects?: readonly Assign[];
  readonly label: string;
  readonly events?: Readonly<Record<string, number>>;
  /** A full barrier on x86 (see `Transition.fence`). */
  readonly fence?: boolean;
}

/** The memory model a model is built for: sequential consistency, or x86-TSO (tso.ts). */
export type MemoryModel = 'sc' | 'tso';

export type OpMeaning =
  /** Does nothing under this memory model (a barrier under SC); `why` is shown in reports. */
  | { readonly kind: 'noop'; readonly why: string }
  /** One atomic transition, whichever alternative is enabled. */
  | { readonly kind: 'atomic'; readonly alternatives: readonly Alternative[]; readonly rule: string }
  /** Runs another program in place, optionally with a different context. */
  | { readonly kind: 'call'; readonly program: string; readonly ctx?: unknown }
  /**
   * A barrier. Under SC it orders nothing further and costs no step; under TSO a full barrier
   * (`fence`) is a step that waits for the store buffer to drain, and a compiler-only one is
   * still nothing.
   */
  | { readonly kind: 'barrier'; readonly why: string; readonly fence: boolean; readonly label: string };

export type CondMeaning =
  /** A read with no side effect; several may be combined in one condition. */
  | {
      readonly kind: 'pure';
      readonly expr: Expr;
      readonly rule: string;
      /** A program run just before the read, for checks that have side effects (a PIR sync). */
      readonly prelude?: string;
      /** Counted whichever way the read goes (a PIR scan). */
      readonly events?: Readonly<Record<string, number>>;
      /** Counted when the atom reads true (an entry cancelled by an exit request). */
      readonly eventsIfTrue?: Readonly<Record<string, number>>;
    }
  /** An atomic read-modify-write whose result is the condition; it must stand alone. */
  | { readonly kind: 'rmw'; readonly whenTrue: Alternative; readonly whenFalse: Alternative; readonly rule: string };

export interface Semantics<C> {
  /** `program` is the program the step is written in. */
  op(ctx: C, op: string, args: readonly string[], program: string): OpMeaning;
  /**
   * A condition's meaning in `ctx`. It may depend on `ctx` only through reads of its properties
   * (no identity tests, no caches keyed by it, no catching what a read throws): `decidedIn`
   * relies on that.
   */
  cond(ctx: C, name: string): CondMeaning;
  /** The context a called program runs in (for example, "on the VM-entry path"). */
  enter?(ctx: C, program: string): C;
  /**
   * Why a step naming a program is not run in this area (another area's entry point, such as
   * `kvm_pmu_deliver_pmi` seen from the posted-interrupt model), or undefined to run it.
   */
  opaque?(op: string): string | undefined;
  /**
   * Whether a step naming `op` does nothing here in every context and with any arguments (a
   * barrier under sequential consistency, a posted-interrupt step the area does not model):
   * `op` answers `noop` for it, always. Only when no program has that name: a program is run.
   */
  inert?(op: string): boolean;
}

/** A pure meaning that only reads: no program runs before it and nothing is counted (see `branch`). */
function bareRead(m: Extract<CondMeaning, { kind: 'pure' }>): boolean {
  return !m.prelude && !m.events && !m.eventsIfTrue;
}

/** Condition names `decidedIn` remembers per semantics; patches can bring any number of names. */
const DECIDED_NAMES = 4096;

/**
 * Which conditions `semantics` decides when a model is built, in every context: those whose
 * meaning, asked with a context that cannot be read, is a bare read of a constant (the LAPIC
 * is in-kernel in every scenario). `branch` compiles an `if` on such conditions to no
 * transition. Since a meaning depends on its context only through reads of it
 * (`Semantics.cond`), one given without any read is the meaning in every context. A condition
 * whose meaning reads the context (a vCPU's request bits), or that cannot be answered so, is
 * not decided.
 */
export function decidedIn<C>(semantics: Semantics<C>): (cond: string) => boolean {
  const known = new Map<string, boolean>();
  return (cond) => {
    let d = known.get(cond);
    if (d === undefined) {
      try {
        const m = semantics.cond(UNREADABLE as C, cond);
        d = m.kind === 'pure' && m.expr.k === 'const' && bareRead(m);
      } catch {
        d = false;
      }
      if (known.size >= DECIDED_NAMES) known.clear();
      known.set(cond, d);
    }
    return d;
  };
}

/**
 * What an area's models make of steps and conditions without building, from its semantics:
 * why a step is another area's (`opaque`), whether it does nothing in every context
 * (`inert`; no for a semantics without `inert`), and the conditions it decides (`decidedIn`).
 * An area definition's `opaque`, `inert` and `decided` (area.ts).
 */
export function staticAnswers<C>(semantics: Semantics<C>): Pick<AreaDefinition, 'opaque' | 'inert' | 'decided'> {
  return {
    opaque: (op) => semantics.opaque?.(op),
    inert: (op) => semantics.inert?.(op) === true,
    decided: decidedIn(semantics),
  };
}

/** A context any read of which throws (`decidedIn`). */
const UNREADABLE: unknown = (() => {
  const read = (): never => {
    throw new ModelError('the context was read');
  };
  return new Proxy({}, { get: read, has: read, ownKeys: read, getOwnPropertyDescriptor: read, getPrototypeOf: read });
})();

export interface CompileTarget<C> {
  readonly actor: ActorBuilder;
  /** Collects the names of the programs compiled (the model's `programs`). */
  readonly used?: Set<string>;
  readonly programs: ProgramSet;
  readonly semantics: Semantics<C>;
  readonly ctx: C;
  /** Conjoined with every guard: when this actor may run at all. */
  readonly baseGuard: Expr;
  /** Default `sc`. */
  readonly memory?: MemoryModel;
}

interface Frame {
  readonly program: string;
  readonly returnPc: number;
  readonly labels: Map<string, number>;
  readonly depth: number;
}

const MAX_CALL_DEPTH = 12;

export function compileProgram<C>(target: CompileTarget<C>, program: string, from: number, to: number, depth = 0): void {
  const steps = target.programs[program];
  if (!steps) throw new ModelError(`no program ${program}`);
  target.used?.add(program);
  if (depth > MAX_CALL_DEPTH) throw new ModelError(`calls nest deeper than ${MAX_CALL_DEPTH} at ${program}`);
  const labels = new Map<string, number>();
  collectLabels(steps, labels, target.actor, program);
  const frame: Frame = { program, returnPc: to, labels, depth };
  const ctx = target.semantics.enter ? target.semantics.enter(target.ctx, program) : target.ctx;
  const t = ctx === target.ctx ? target : { ...target, ctx };
  seq(t, frame, steps, [], from, to, undefined);
}

function collectLabels(steps: Program, labels: Map<string, number>, actor: ActorBuilder, program: string): void {
  for (const s of steps) {
    if (s.k === 'label') {
      if (labels.has(s.name)) throw new ModelError(`label ${s.name} twice in ${program}`);
      labels.set(s.name, actor.pc(`${program}: ${s.name}`));
    } else if (s.k === 'if') {
      collectLabels(s.then, labels, actor, program);
      collectLabels(s.else, labels, actor, program);
    } else if (s.k === 'loop') collectLabels(s.body, labels, actor, program);
  }
}

function seq<C>(t: CompileTarget<C>, f: Frame, steps: Program, path: number[], from: number, to: number, loopExit: number | undefined): void {
  let pc = from;
  steps.forEach((s, i) => {
    const next = i === steps.length - 1 ? to : t.actor.pc(`${f.program}: after ${describe(s)}`);
    step(t, f, s, [...path, i], pc, next, loopExit);
    pc = next;
  });
  if (steps.length === 0) t.actor.alias(from, to);
}

function describe(s: Step): string {
  switch (s.k) {
    case 'op':
      return s.op;
    case 'if':
      return 'if';
    case 'loop':
      return 'loop';
    default:
      return s.k;
  }
}

type Writable<T> = { -readonly [K in keyof T]: T[K] };

// Built field by field, without spreading optional parts: models are built for every
// exploration, and these run for every step.
function origin(f: Frame, path: number[], opName: string, s: Step, rule?: string): StepOrigin {
  const o: Writable<StepOrigin> = { program: f.program, path, op: opName };
  if (s.line !== undefined) o.line = s.line;
  if (rule) o.rule = rule;
  return o;
}

/** The transition of one outcome `a` of a step, from `from` to `to`. */
function alternative<C>(t: CompileTarget<C>, a: Alternative, from: number, to: number, o: StepOrigin): TransitionSpec {
  const spec: Writable<TransitionSpec> = { from, to, guard: and(t.baseGuard, a.guard), effects: a.effects ?? [], label: a.label, origin: o };
  if (a.events) spec.events = a.events;
  if (a.fence) spec.fence = true;
  return spec;
}

function step<C>(t: CompileTarget<C>, f: Frame, s: Step, path: number[], from: number, to: number, loopExit: number | undefined): void {
  const actor = t.actor;
  switch (s.k) {
    case 'label':
      actor.alias(from, f.labels.get(s.name)!);
      actor.alias(from, to);
      return;
    case 'goto': {
      const target = f.labels.get(s.name);
      if (target === undefined) throw new ModelError(`goto ${s.name}: no such label in ${f.program}`);
      actor.alias(from, target);
      return;
    }
    case 'return':
      actor.alias(from, f.returnPc);
      return;
    case 'break':
      if (loopExit === undefined) throw new ModelError(`break outside a loop in ${f.program}`);
      actor.alias(from, loopExit);
      return;
    case 'loop': {
      // The loop body ends where it started; `break` leaves to `to`.
      seq(t, f, s.body, path, from, from, to);
      return;
    }
    case 'op': {
      // Functions are programs: a step naming a program runs it, unless it is another area's.
      if (t.semantics.opaque?.(s.op) !== undefined) {
        actor.alias(from, to);
        return;
      }
      if (t.programs[s.op]) {
        if (s.args.length) throw new ModelError(`${s.op} is a program and takes no arguments`);
        compileProgram(t, s.op, from, to, f.depth + 1);
        return;
      }
      const m = t.semantics.op(t.ctx, s.op, s.args, f.program);
      if (m.kind === 'noop') {
        actor.alias(from, to);
        return;
      }
      if (m.kind === 'call') {
        compileProgram(m.ctx === undefined ? t : { ...t, ctx: m.ctx as C }, m.program, from, to, f.depth + 1);
        return;
      }
      if (m.kind === 'barrier') {
        if (t.memory === 'tso' && m.fence) actor.add({ from, to, guard: t.baseGuard, label: m.label, origin: origin(f, path, s.op, s, m.why), fence: true });
        else actor.alias(from, to);
        return;
      }
      for (const a of m.alternatives) actor.add(alternative(t, a, from, to, origin(f, path, s.op, s, m.rule)));
      return;
    }
    case 'if': {
      const thenPc = actor.pc(`${f.program}: then`);
      const elsePc = s.else.length ? actor.pc(`${f.program}: else`) : to;
      branch(t, f, s, path, s.cond, from, thenPc, elsePc);
      seq(t, f, s.then, [...path, 0], thenPc, to, loopExit);
      if (s.else.length) seq(t, f, s.else, [...path, 1], elsePc, to, loopExit);
      return;
    }
  }
}

/** Emits the transitions that evaluate `cond` at `from` and go to `yes` or `no`. */
function branch<C>(t: CompileTarget<C>, f: Frame, s: Step, path: number[], cond: Cond, from: number, yes: number, no: number): void {
  const atomName = singleAtom(cond);
  if (atomName) {
    const m = t.semantics.cond(t.ctx, atomName.name);
    if (m.kind === 'rmw') {
      const [onTrue, onFalse] = atomName.negated ? [no, yes] : [yes, no];
      for (const [alt, dest] of [
        [m.whenTrue, onTrue],
        [m.whenFalse, onFalse],
      ] as const) {
        t.actor.add(alternative(t, alt, from, dest, origin(f, path, atomName.name, s, m.rule)));
      }
      return;
    }
  }
  // Pure condition: run the preludes of its atoms, then one read decides.
  const atoms: { name: string; m: Extract<CondMeaning, { kind: 'pure' }> }[] = [];
  const expr = pureExpr(t, cond, atoms);
  let at = from;
  for (const a of atoms) {
    if (!a.m.prelude) continue;
    const next = t.actor.pc(`${f.program}: ${a.name} evaluated`);
    compileProgram(t, a.m.prelude, at, next, f.depth + 1);
    at = next;
  }
  const text = condText(cond);
  const rule = atoms.map((a) => a.m.rule).join(' ');
  // A condition that is constant in this scenario (kvm_lapic_enabled) is decided at compile
  // time (areaView.ts relies on it: `decidedIn`).
  if (expr.k === 'const' && atoms.every((a) => bareRead(a.m))) {
    t.actor.alias(from, expr.v ? yes : no);
    return;
  }
  // Events that depend on the outcome are only kept for a lone atom, where they are unambiguous.
  const lone = atomName && atoms.length === 1 ? atoms[0]!.m.eventsIfTrue : undefined;
  const [yesExtra, noExtra] = atomName?.negated ? [undefined, lone] : [lone, undefined];
  const outcome = (to: number, guard: Expr, value: string, extra: Readonly<Record<string, number>> | undefined) => {
    const spec: Writable<TransitionSpec> = { from: at, to, guard: and(t.baseGuard, guard), label: `${text}: ${value}`, origin: origin(f, path, `if ${text}`, s, rule) };
    let events: Record<string, number> | undefined;
    for (const counted of [...atoms.map((a) => a.m.events), extra]) {
      if (!counted) continue;
      events ??= {};
      for (const k in counted) events[k] = (events[k] ?? 0) + counted[k]!;
    }
    if (events && Object.keys(events).length) spec.events = events;
    return spec;
  };
  t.actor.add(outcome(yes, expr, 'true', yesExtra));
  t.actor.add(outcome(no, not(expr), 'false', noExtra));
}

function singleAtom(c: Cond): { name: string; negated: boolean } | undefined {
  if (c.k === 'atom') return { name: c.name, negated: false };
  if (c.k === 'not' && c.c.k === 'atom') return { name: c.c.name, negated: true };
  return undefined;
}

function pureExpr<C>(t: CompileTarget<C>, c: Cond, atoms: { name: string; m: Extract<CondMeaning, { kind: 'pure' }> }[]): Expr {
  switch (c.k) {
    case 'atom': {
      const m = t.semantics.cond(t.ctx, c.name);
      if (m.kind !== 'pure') throw new ModelError(`condition ${c.name} changes state, so it must stand alone in an if`);
      atoms.push({ name: c.name, m });
      return m.expr;
    }
    case 'not':
      return not(pureExpr(t, c.c, atoms));
    case 'and':
      return and(...c.cs.map((x) => pureExpr(t, x, atoms)));
    case 'or':
      return or(...c.cs.map((x) => pureExpr(t, x, atoms)));
  }
}

function condText(c: Cond): string {
  switch (c.k) {
    case 'atom':
      return c.name;
    case 'not':
      return `!${condText(c.c)}`;
    case 'and':
      return c.cs.map(condText).join(' && ');
    case 'or':
      return c.cs.map(condText).join(' || ');
  }
}
