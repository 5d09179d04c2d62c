/**
 * A bytecode interpreter for a model's successor function: the first tier of `compile.ts`.
 *
 * Generated JavaScript (the second tier) expands a model of millions of states a little faster,
 * but V8 compiles each generated function afresh, and a review explores dozens of models that
 * finish before their generated code would pay for its compilation (see `GENERATE_AFTER`). This
 * interpreter is one function for every model: V8 optimises it once per process.
 *
 * It computes exactly what the generated code computes, in the same order: actors in
 * declaration order, and an actor's transitions from its current program point in id order.
 */
import { Expr, Model, fieldTest } from './ir';
import { ModelError } from './errors';
import { Layout } from './compile';

// Opcodes. A value is an int32 on a small stack.
const CONST = 0; // v
const VAR_S = 1; // word shift mask: a field of the source state
const VAR_D = 2; // word shift mask: a field of the state being written
const NOT = 3;
const EQ = 4;
const NE = 5;
const LT = 6;
const LE = 7;
const ADD = 8;
const SUB = 9;
const MIN = 10;
const MAX = 11;
/** target: if the top is 0, jump keeping it; else pop (the left operands of `&&`). */
const AND_ELSE = 12;
/** target: if the top is not 0, make it 1 and jump; else pop (the left operands of `||`). */
const OR_ELSE = 13;
/** target: pop; jump when 0 (the condition of `?:`). */
const JZ = 14;
const JMP = 15; // target
const BOOL = 16; // top = top !== 0 ? 1 : 0
const END = 17;
// Fused: a field compared with a constant (word shift mask value), the commonest test in guards.
const S_EQ_C = 18;
const S_NE_C = 19;
const D_EQ_C = 20;
const D_NE_C = 21;
/**
 * word shift mask value target: a field of the source state compared with a constant, as a
 * left operand of `&&`: when the comparison holds, nothing is pushed and the next operand
 * follows; when it fails, 0 is pushed and the jump goes to the end of the `&&`.
 */
const S_EQ_C_AND = 22;
const S_NE_C_AND = 23;

const STACK = 256;

/** How many leading field tests of a guard `expandActor` checks before evaluating it. */
const PRE_TESTS = 3;

const BINARY = { eq: EQ, ne: NE, lt: LT, le: LE, add: ADD, sub: SUB, min: MIN, max: MAX } as const;

class Emitter {
  code: number[] = [];
  constructor(private readonly layout: Layout) {}

  /** Appends `e`, returning the maximum stack depth it needs. */
  expr(e: Expr, dst: boolean): number {
    const c = this.code;
    switch (e.k) {
      case 'const':
        c.push(CONST, e.v);
        return 1;
      case 'var': {
        const s = this.layout.slots[e.id]!;
        c.push(dst ? VAR_D : VAR_S, s.word, s.shift, s.mask);
        return 1;
      }
      case 'not': {
        const test = fieldTest(e.e);
        if (test) {
          // `!(x == c)` is `x != c`, and `!(x != c)` is `x == c`.
          this.fieldTest(e.e.k === 'eq' ? 'ne' : 'eq', test, dst);
          return 1;
        }
        const d = this.expr(e.e, dst);
        c.push(NOT);
        return d;
      }
      case 'and':
      case 'or': {
        if (e.es.length === 0) {
          c.push(CONST, e.k === 'and' ? 1 : 0);
          return 1;
        }
        const patches: number[] = [];
        let depth = 0;
        for (let i = 0; i < e.es.length; i++) {
          const x = e.es[i]!;
          const last = i === e.es.length - 1;
          const test = e.k === 'and' && !last && !dst ? sourceTest(x) : undefined;
          if (test) {
            const s = this.layout.slots[test.id]!;
            c.push(test.k === 'eq' ? S_EQ_C_AND : S_NE_C_AND, s.word, s.shift, s.mask, test.value, 0);
            patches.push(c.length - 1);
            depth = Math.max(depth, 1);
            continue;
          }
          depth = Math.max(depth, this.expr(x, dst));
          if (!last) {
            c.push(e.k === 'and' ? AND_ELSE : OR_ELSE, 0);
            patches.push(c.length - 1);
          }
        }
        c.push(BOOL);
        for (const p of patches) c[p] = c.length;
        return depth;
      }
      case 'ite': {
        const dc = this.expr(e.c, dst);
        c.push(JZ, 0);
        const toElse = c.length - 1;
        const dt = this.expr(e.t, dst);
        c.push(JMP, 0);
        const toEnd = c.length - 1;
        c[toElse] = c.length;
        const de = this.expr(e.e, dst);
        c[toEnd] = c.length;
        return Math.max(dc, dt, de);
      }
      default: {
        const test = fieldTest(e);
        if (test && (e.k === 'eq' || e.k === 'ne')) {
          this.fieldTest(e.k, test, dst);
          return 1;
        }
        const da = this.expr(e.a, dst);
        const db = this.expr(e.b, dst);
        c.push(BINARY[e.k]);
        return Math.max(da, db + 1);
      }
    }
  }

  /** Appends a field compared with a constant. */
  private fieldTest(k: 'eq' | 'ne', test: { id: number; value: number }, dst: boolean): void {
    const s = this.layout.slots[test.id]!;
    this.code.push(k === 'eq' ? (dst ? D_EQ_C : S_EQ_C) : dst ? D_NE_C : S_NE_C, s.word, s.shift, s.mask, test.value);
  }

  /** Appends a whole expression ending in END; returns its start. */
  program(e: Expr, dst: boolean): number {
    const start = this.code.length;
    const depth = this.expr(e, dst);
    if (depth > STACK) throw new ModelError(`expression too deep for the interpreter (${depth})`);
    this.code.push(END);
    return start;
  }
}

/** A field compared with a constant, possibly negated (`!(x == c)`), as `eq` or `ne`. */
function sourceTest(e: Expr): { k: 'eq' | 'ne'; id: number; value: number } | undefined {
  const negated = e.k === 'not';
  const inner = negated ? e.e : e;
  const test = fieldTest(inner);
  if (!test || (inner.k !== 'eq' && inner.k !== 'ne')) return undefined;
  return { k: (inner.k === 'eq') !== negated ? 'eq' : 'ne', id: test.id, value: test.value };
}

/** Evaluates the expression at `pc` against the states `s` (source) and `d` (being written). */
function evaluate(code: Int32Array, pc: number, s: Uint32Array, d: Uint32Array, stack: Int32Array): number {
  let sp = -1;
  for (;;) {
    switch (code[pc]) {
      case CONST:
        stack[++sp] = code[pc + 1]!;
        pc += 2;
        break;
      case VAR_S:
        stack[++sp] = (s[code[pc + 1]!]! >>> code[pc + 2]!) & code[pc + 3]!;
        pc += 4;
        break;
      case VAR_D:
        stack[++sp] = (d[code[pc + 1]!]! >>> code[pc + 2]!) & code[pc + 3]!;
        pc += 4;
        break;
      case S_EQ_C:
        stack[++sp] = ((s[code[pc + 1]!]! >>> code[pc + 2]!) & code[pc + 3]!) === code[pc + 4]! ? 1 : 0;
        pc += 5;
        break;
      case S_NE_C:
        stack[++sp] = ((s[code[pc + 1]!]! >>> code[pc + 2]!) & code[pc + 3]!) !== code[pc + 4]! ? 1 : 0;
        pc += 5;
        break;
      case D_EQ_C:
        stack[++sp] = ((d[code[pc + 1]!]! >>> code[pc + 2]!) & code[pc + 3]!) === code[pc + 4]! ? 1 : 0;
        pc += 5;
        break;
      case D_NE_C:
        stack[++sp] = ((d[code[pc + 1]!]! >>> code[pc + 2]!) & code[pc + 3]!) !== code[pc + 4]! ? 1 : 0;
        pc += 5;
        break;
      case S_EQ_C_AND:
        if (((s[code[pc + 1]!]! >>> code[pc + 2]!) & code[pc + 3]!) === code[pc + 4]!) pc += 6;
        else {
          stack[++sp] = 0;
          pc = code[pc + 5]!;
        }
        break;
      case S_NE_C_AND:
        if (((s[code[pc + 1]!]! >>> code[pc + 2]!) & code[pc + 3]!) !== code[pc + 4]!) pc += 6;
        else {
          stack[++sp] = 0;
          pc = code[pc + 5]!;
        }
        break;
      case NOT:
        stack[sp] = stack[sp] === 0 ? 1 : 0;
        pc += 1;
        break;
      case EQ:
        sp--;
        stack[sp] = stack[sp] === stack[sp + 1] ? 1 : 0;
        pc += 1;
        break;
      case NE:
        sp--;
        stack[sp] = stack[sp] !== stack[sp + 1] ? 1 : 0;
        pc += 1;
        break;
      case LT:
        sp--;
        stack[sp] = stack[sp]! < stack[sp + 1]! ? 1 : 0;
        pc += 1;
        break;
      case LE:
        sp--;
        stack[sp] = stack[sp]! <= stack[sp + 1]! ? 1 : 0;
        pc += 1;
        break;
      case ADD:
        sp--;
        stack[sp] = stack[sp]! + stack[sp + 1]!;
        pc += 1;
        break;
      case SUB:
        sp--;
        stack[sp] = stack[sp]! - stack[sp + 1]!;
        pc += 1;
        break;
      case MIN:
        sp--;
        if (stack[sp + 1]! < stack[sp]!) stack[sp] = stack[sp + 1]!;
        pc += 1;
        break;
      case MAX:
        sp--;
        if (stack[sp + 1]! > stack[sp]!) stack[sp] = stack[sp + 1]!;
        pc += 1;
        break;
      case AND_ELSE:
        if (stack[sp] === 0) pc = code[pc + 1]!;
        else {
          sp--;
          pc += 2;
        }
        break;
      case OR_ELSE:
        if (stack[sp] !== 0) {
          stack[sp] = 1;
          pc = code[pc + 1]!;
        } else {
          sp--;
          pc += 2;
        }
        break;
      case JZ:
        pc = stack[sp--] === 0 ? code[pc + 1]! : pc + 2;
        break;
      case JMP:
        pc = code[pc + 1]!;
        break;
      case BOOL:
        stack[sp] = stack[sp] !== 0 ? 1 : 0;
        pc += 1;
        break;
      default:
        return stack[sp]!;
    }
  }
}

export type OutOfRange = (tid: number, varId: number, value: number) => never;

/**
 * The interpreted successor function of `model`: same contract as the generated `expand`
 * (writes each successor of `s` into `d` and calls `emit(tid)`).
 */
export interface InterpretedExpand {
  readonly expand: (s: Uint32Array, d: Uint32Array, emit: (tid: number) => void) => void;
  /** The successors by one actor's transitions only. */
  readonly expandActor: (a: number, s: Uint32Array, d: Uint32Array, emit: (tid: number) => void) => void;
}

/**
 * An Int32Array copy of a growing number[] for the hot loop: `sync` copies what was appended
 * since the last call, growing the copy by doubling (so the offsets into both agree).
 */
class Ints {
  ints = new Int32Array(256);
  private copied = 0;
  constructor(readonly src: number[]) {}
  sync(): void {
    const n = this.src.length;
    if (n > this.ints.length) {
      const grown = new Int32Array(Math.max(n, 2 * this.ints.length));
      grown.set(this.ints.subarray(0, this.copied));
      this.ints = grown;
    }
    for (let i = this.copied; i < n; i++) this.ints[i] = this.src[i]!;
    this.copied = n;
  }
}

export function interpretedExpand(model: Model, layout: Layout, oob: OutOfRange): InterpretedExpand {
  const W = layout.words;
  const em = new Emitter(layout);
  const T = model.transitions.length;
  const order: number[] = [];
  // Per actor: the pc field and, per pc, the range of its transitions in `order`.
  const A = model.actors.length;
  const pcWord = new Int32Array(A);
  const pcShift = new Int32Array(A);
  const pcMask = new Int32Array(A);
  const pcClear = new Uint32Array(A);
  const rangeBase = new Int32Array(A + 1);
  const ranges: number[] = [];
  const byActor = model.actors.map(() => new Map<number, number[]>());
  for (const t of model.transitions) {
    const m = byActor[t.actor]!;
    const list = m.get(t.from) ?? [];
    list.push(t.id);
    m.set(t.from, list);
  }
  for (const actor of model.actors) {
    const slot = layout.slots[actor.pcVar]!;
    pcWord[actor.id] = slot.word;
    pcShift[actor.id] = slot.shift;
    pcMask[actor.id] = slot.mask;
    pcClear[actor.id] = ~(slot.mask << slot.shift) >>> 0;
    rangeBase[actor.id] = ranges.length / 2;
    const m = byActor[actor.id]!;
    let pcs = 1;
    for (const pc of m.keys()) if (pc + 1 > pcs) pcs = pc + 1;
    for (let pc = 0; pc < pcs; pc++) {
      const list = m.get(pc) ?? [];
      ranges.push(order.length, order.length + list.length);
      order.push(...list);
    }
    rangeBase[actor.id + 1] = ranges.length / 2;
  }
  rangeBase[A] = ranges.length / 2;
  const orderArr = Int32Array.from(order);
  const rangeArr = Int32Array.from(ranges);
  const stack = new Int32Array(STACK + 1);

  // The bytecode of a transition is emitted the first time its actor stands at its program
  // point (`prepare`), not before: a review's models reach about half of their program points
  // (the other actors' paths a scenario never takes), and emitting is most of what compiling
  // a small model costs. Per transition, its guard's bytecode (-1: nothing left to evaluate),
  // its target, and the ranges of its effects in `eff` and of its leading tests in `preTests`.
  const guard = new Int32Array(T);
  const to = new Int32Array(T);
  const effFrom = new Int32Array(T);
  const effTo = new Int32Array(T);
  const preFrom = new Int32Array(T);
  const preTo = new Int32Array(T);
  const codeInts = new Ints(em.code);
  const effectInts = new Ints([]); // per effect: expr, word, shift, mask, max, var
  const preInts = new Ints([]); // per test: word, shift, mask, value, 1 for == or 0 for !=
  // Their current copies, for `expandActor`.
  let bytecode = codeInts.ints;
  let eff = effectInts.ints;
  let preTests = preInts.ints;
  // A range not prepared yet has its end stored as ~end (negative), so that the hot loop needs
  // no other test to notice it.
  for (let r = 0; r < rangeBase[A]!; r++) rangeArr[2 * r + 1] = ~rangeArr[2 * r + 1]!;

  /** Emits the transitions of range `r`; returns its end. */
  function prepare(r: number): number {
    const hi = ~rangeArr[2 * r + 1]!;
    for (let k = rangeArr[2 * r]!; k < hi; k++) {
      const t = model.transitions[orderArr[k]!]!;
      // Up to PRE_TESTS leading conjuncts of the guard (or the guard itself) that compare a
      // field with a constant are tested in `expandActor`, inline, and only the rest of the
      // guard is evaluated, so that a transition whose actor cannot run (the commonest reason
      // a guard fails: it is off its CPU, or in guest mode) costs no call. A guard reads only
      // the source state and has no effect, so its conjuncts may be split so.
      preFrom[t.id] = preInts.src.length;
      const conjuncts = t.guard.k === 'and' ? t.guard.es : [t.guard];
      let tested = 0;
      for (; tested < Math.min(PRE_TESTS, conjuncts.length); tested++) {
        const test = sourceTest(conjuncts[tested]!);
        if (!test) break;
        const slot = layout.slots[test.id]!;
        preInts.src.push(slot.word, slot.shift, slot.mask, test.value, test.k === 'eq' ? 1 : 0);
      }
      preTo[t.id] = preInts.src.length;
      const rest = conjuncts.slice(tested);
      guard[t.id] = rest.length === 0 ? -1 : em.program(rest.length === 1 ? rest[0]! : { k: 'and', es: rest }, false);
      to[t.id] = t.to;
      effFrom[t.id] = effectInts.src.length;
      for (const a of t.effects) {
        const slot = layout.slots[a.id]!;
        effectInts.src.push(em.program(a.e, true), slot.word, slot.shift, slot.mask, model.vars[a.id]!.max, a.id);
      }
      effTo[t.id] = effectInts.src.length;
    }
    codeInts.sync();
    effectInts.sync();
    preInts.sync();
    bytecode = codeInts.ints;
    eff = effectInts.ints;
    preTests = preInts.ints;
    rangeArr[2 * r + 1] = hi;
    return hi;
  }

  function expandActor(a: number, s: Uint32Array, d: Uint32Array, emit: (tid: number) => void): void {
    const pc = (s[pcWord[a]!]! >>> pcShift[a]!) & pcMask[a]!;
    const r = rangeBase[a]! + pc;
    if (r >= rangeBase[a + 1]!) return;
    let hi = rangeArr[2 * r + 1]!;
    if (hi < 0) hi = prepare(r);
    for (let k = rangeArr[2 * r]!; k < hi; k++) {
      const tid = orderArr[k]!;
      let holds = true;
      for (let p = preFrom[tid]!, end = preTo[tid]!; p < end; p += 5) {
        if ((((s[preTests[p]!]! >>> preTests[p + 1]!) & preTests[p + 2]!) === preTests[p + 3]!) !== (preTests[p + 4] === 1)) {
          holds = false;
          break;
        }
      }
      if (!holds) continue;
      const g = guard[tid]!;
      if (g >= 0 && evaluate(bytecode, g, s, d, stack) === 0) continue;
      for (let w = 0; w < W; w++) d[w] = s[w]!;
      for (let o = effFrom[tid]!, end = effTo[tid]!; o < end; o += 6) {
        const v = evaluate(bytecode, eff[o]!, s, d, stack);
        if (v < 0 || v > eff[o + 4]!) oob(tid, eff[o + 5]!, v);
        const word = eff[o + 1]!;
        const shift = eff[o + 2]!;
        d[word] = ((d[word]! & ~(eff[o + 3]! << shift)) | (v << shift)) >>> 0;
      }
      const pw = pcWord[a]!;
      d[pw] = ((d[pw]! & pcClear[a]!) | (to[tid]! << pcShift[a]!)) >>> 0;
      emit(tid);
    }
  }
  return {
    expand(s: Uint32Array, d: Uint32Array, emit: (tid: number) => void): void {
      for (let a = 0; a < A; a++) expandActor(a, s, d, emit);
    },
    expandActor,
  };
}

/** Bit i set when property i's `bad` holds in `s`: same contract as the generated `bad`. */
export function interpretedBad(model: Model, layout: Layout): (s: Uint32Array) => number {
  const em = new Emitter(layout);
  const starts = Int32Array.from(model.properties.map((p) => em.program(p.bad, false)));
  const code = Int32Array.from(em.code);
  const stack = new Int32Array(STACK + 1);
  return function bad(s: Uint32Array): number {
    let r = 0;
    for (let i = 0; i < starts.length; i++) if (evaluate(code, starts[i]!, s, s, stack) !== 0) r |= 1 << i;
    return r;
  };
}
