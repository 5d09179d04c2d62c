/**
 * The transition-system IR that every model compiles to.
 *
 * A model is a set of bounded integer variables and a set of actors. Each actor has a
 * program-counter variable and a list of guarded atomic transitions. The explorer
 * (`explore.ts`) interprets exactly this IR, and the Promela exporter prints exactly
 * this IR, so the two always describe the same transition system.
 *
 * Effects are sequential: an assignment sees the values written by the ones before it
 * in the same transition, as in a Promela `d_step`.
 */

export type Expr =
  | { readonly k: 'const'; readonly v: number }
  | { readonly k: 'var'; readonly id: number }
  | { readonly k: 'not'; readonly e: Expr }
  | { readonly k: 'and' | 'or'; readonly es: readonly Expr[] }
  | { readonly k: 'eq' | 'ne' | 'lt' | 'le' | 'add' | 'sub' | 'min' | 'max'; readonly a: Expr; readonly b: Expr }
  | { readonly k: 'ite'; readonly c: Expr; readonly t: Expr; readonly e: Expr };

/** `buffer`: store-buffer bookkeeping (tso.ts), shown through a derived field instead. */
export type VarKind = 'state' | 'pc' | 'local' | 'ghost' | 'buffer';

export interface VarDecl {
  readonly id: number;
  /** Dotted display name, for example `PID0.ON` or `vCPU0.mode`. */
  readonly name: string;
  /** Inclusive upper bound; the lower bound is always 0. */
  readonly max: number;
  readonly init: number;
  readonly kind: VarKind;
  /** Names for the values, when the variable is an enumeration (`OUTSIDE_GUEST_MODE`, ...). */
  readonly values?: readonly string[];
}

export interface Assign {
  readonly id: number;
  readonly e: Expr;
  /**
   * Sets a variable its actor will not read again before writing it back to its initial value
   * (liveness.ts): a state-space reduction, not kernel behaviour, so traces leave it out.
   */
  readonly reset?: true;
}

/** Where a transition comes from, so that a trace step can be tied back to a program step. */
export interface StepOrigin {
  /** Program name, for example `vcpu_enter_guest` or `vmx_vcpu_pi_put`. */
  readonly program: string;
  /** Path of the step inside the program: indices through nested `if` bodies. */
  readonly path: readonly number[];
  /** Step operation, for example `local_irq_disable`. */
  readonly op: string;
  /** Line of the patch document this step was read from, when it came from a patch. */
  readonly line?: number;
  /** The hardware or kernel fact the transition encodes (kvm-model.md, SDM, kernel code). */
  readonly rule?: string;
}

export interface Transition {
  readonly id: number;
  readonly actor: number;
  readonly from: number;
  readonly to: number;
  readonly guard: Expr;
  readonly effects: readonly Assign[];
  /** Human-readable description of what happens, e.g. `pi_test_and_set_on() finds ON=0, sets it`. */
  readonly label: string;
  readonly origin?: StepOrigin;
  /** Counter increments carried by this transition (see `counters.ts`). */
  readonly events?: Readonly<Record<string, number>>;
  /**
   * A full barrier on x86 (a locked instruction, MFENCE, a serializing event): under TSO it
   * runs only once its CPU's store buffer has drained (see tso.ts). Ignored under SC.
   */
  readonly fence?: boolean;
}

export interface Actor {
  readonly id: number;
  readonly name: string;
  /** Swimlane the timeline puts this actor in: `vCPU thread`, `sender`, `hardware`, ... */
  readonly lane: string;
  readonly pcVar: number;
  readonly pcLabels: readonly string[];
}

export interface Property {
  /** Stable id from kvm-model.md section 3, also the SARIF rule id. */
  readonly id: string;
  /** The property is violated in every reachable state where `bad` is non-zero. */
  readonly bad: Expr;
}

/** A display-only field computed from the state, such as a pCPU's effective IRQ flag. */
export interface DerivedField {
  readonly name: string;
  readonly e: Expr;
  readonly values?: readonly string[];
}

export interface Model {
  readonly name: string;
  readonly vars: readonly VarDecl[];
  readonly actors: readonly Actor[];
  readonly transitions: readonly Transition[];
  readonly properties: readonly Property[];
  readonly derived: readonly DerivedField[];
  /** Counter names that transitions may carry in `events`. */
  readonly counters: readonly string[];
  /** Every program compiled into the model, even ones with no step (an empty hook). */
  readonly programs: readonly string[];
}

// ---------------------------------------------------------------- expression helpers

export const lit = (v: number): Expr => ({ k: 'const', v });
export const TRUE = lit(1);
export const FALSE = lit(0);
export const ref = (id: number): Expr => ({ k: 'var', id });
export const not = (e: Expr): Expr => (e.k === 'const' ? lit(e.v ? 0 : 1) : e.k === 'not' ? e.e : { k: 'not', e });
export const eq = (a: Expr, b: Expr | number): Expr => ({ k: 'eq', a, b: typeof b === 'number' ? lit(b) : b });
export const ne = (a: Expr, b: Expr | number): Expr => ({ k: 'ne', a, b: typeof b === 'number' ? lit(b) : b });
export const lt = (a: Expr, b: Expr | number): Expr => ({ k: 'lt', a, b: typeof b === 'number' ? lit(b) : b });
export const le = (a: Expr, b: Expr | number): Expr => ({ k: 'le', a, b: typeof b === 'number' ? lit(b) : b });
export const add = (a: Expr, b: Expr | number): Expr => ({ k: 'add', a, b: typeof b === 'number' ? lit(b) : b });
export const sub = (a: Expr, b: Expr | number): Expr => ({ k: 'sub', a, b: typeof b === 'number' ? lit(b) : b });
export const min = (a: Expr, b: Expr | number): Expr => ({ k: 'min', a, b: typeof b === 'number' ? lit(b) : b });
export const ite = (c: Expr, t: Expr | number, e: Expr | number): Expr => ({
  k: 'ite',
  c,
  t: typeof t === 'number' ? lit(t) : t,
  e: typeof e === 'number' ? lit(e) : e,
});

/** Conjunction with constant folding; `and()` is true. */
export function and(...es: Expr[]): Expr {
  const kept: Expr[] = [];
  for (const e of es) {
    if (e.k === 'const') {
      if (!e.v) return FALSE;
      continue;
    }
    if (e.k === 'and') kept.push(...e.es);
    else kept.push(e);
  }
  if (kept.length === 0) return TRUE;
  if (kept.length === 1) return kept[0]!;
  return { k: 'and', es: kept };
}

/** Disjunction with constant folding; `or()` is false. */
export function or(...es: Expr[]): Expr {
  const kept: Expr[] = [];
  for (const e of es) {
    if (e.k === 'const') {
      if (e.v) return TRUE;
      continue;
    }
    if (e.k === 'or') kept.push(...e.es);
    else kept.push(e);
  }
  if (kept.length === 0) return FALSE;
  if (kept.length === 1) return kept[0]!;
  return { k: 'or', es: kept };
}

/** Evaluates an expression against unpacked values (slow path: traces, tests, display). */
export function evaluate(e: Expr, values: ArrayLike<number>): number {
  switch (e.k) {
    case 'const':
      return e.v;
    case 'var':
      return values[e.id]!;
    case 'not':
      return evaluate(e.e, values) ? 0 : 1;
    case 'and':
      return e.es.every((x) => evaluate(x, values) !== 0) ? 1 : 0;
    case 'or':
      return e.es.some((x) => evaluate(x, values) !== 0) ? 1 : 0;
    case 'ite':
      return evaluate(e.c, values) ? evaluate(e.t, values) : evaluate(e.e, values);
    default: {
      const a = evaluate(e.a, values);
      const b = evaluate(e.b, values);
      switch (e.k) {
        case 'eq':
          return a === b ? 1 : 0;
        case 'ne':
          return a !== b ? 1 : 0;
        case 'lt':
          return a < b ? 1 : 0;
        case 'le':
          return a <= b ? 1 : 0;
        case 'add':
          return a + b;
        case 'sub':
          return a - b;
        case 'min':
          return Math.min(a, b);
        case 'max':
          return Math.max(a, b);
      }
    }
  }
}

/** A variable compared with a constant (`x == 3`, `3 != x`): the variable and the constant; else undefined. */
export function fieldTest(e: Expr): { readonly id: number; readonly value: number } | undefined {
  if (e.k !== 'eq' && e.k !== 'ne') return undefined;
  if (e.a.k === 'var' && e.b.k === 'const') return { id: e.a.id, value: e.b.v };
  if (e.b.k === 'var' && e.a.k === 'const') return { id: e.b.id, value: e.a.v };
  return undefined;
}

/** Variable ids an expression reads. */
export function readsOf(e: Expr, out: Set<number> = new Set()): Set<number> {
  forEachRead(e, (id) => out.add(id));
  return out;
}

/** Calls `f` with the id of every variable `e` reads (once per occurrence), without allocating. */
export function forEachRead(e: Expr, f: (id: number) => void): void {
  switch (e.k) {
    case 'const':
      return;
    case 'var':
      return f(e.id);
    case 'not':
      return forEachRead(e.e, f);
    case 'and':
    case 'or':
      for (let i = 0; i < e.es.length; i++) forEachRead(e.es[i]!, f);
      return;
    case 'ite':
      forEachRead(e.c, f);
      forEachRead(e.t, f);
      return forEachRead(e.e, f);
    default:
      forEachRead(e.a, f);
      return forEachRead(e.b, f);
  }
}

/** Rewrites every node bottom-up with `f`. */
export function mapExpr(e: Expr, f: (e: Expr) => Expr): Expr {
  return f(mapChildren(e, (x) => mapExpr(x, f)));
}

/**
 * `e` with each direct child replaced by `g` of it; `e` itself when `g` changes none, so a
 * rewrite that changes nothing allocates nothing.
 */
export function mapChildren(e: Expr, g: (e: Expr) => Expr): Expr {
  switch (e.k) {
    case 'const':
    case 'var':
      return e;
    case 'not': {
      const x = g(e.e);
      return x === e.e ? e : { k: 'not', e: x };
    }
    case 'and':
    case 'or': {
      let es: Expr[] | undefined;
      for (let i = 0; i < e.es.length; i++) {
        const x = e.es[i]!;
        const y = g(x);
        if (y !== x && !es) es = e.es.slice(0, i);
        es?.push(y);
      }
      return es ? { k: e.k, es } : e;
    }
    case 'ite': {
      const c = g(e.c);
      const t = g(e.t);
      const x = g(e.e);
      return c === e.c && t === e.t && x === e.e ? e : { k: 'ite', c, t, e: x };
    }
    default: {
      const a = g(e.a);
      const b = g(e.b);
      return a === e.a && b === e.b ? e : { k: e.k, a, b };
    }
  }
}
