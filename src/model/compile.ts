/**
 * Compiles an IR model to packed integer states and generated successor code.
 *
 * A state is a fixed number of 32-bit words. Every variable owns a bit field inside one
 * word (fields never straddle words). The successor function is generated JavaScript that
 * reads and writes those fields directly, so the explorer's hot path allocates nothing.
 */
import { Expr, Model, VarDecl } from './ir';
import { ModelError } from './errors';

export interface Slot {
  readonly word: number;
  readonly shift: number;
  readonly mask: number;
}

export interface Layout {
  readonly words: number;
  readonly slots: readonly Slot[];
}

export function bitsFor(max: number): number {
  let bits = 1;
  while ((1 << bits) - 1 < max) bits++;
  return bits;
}

/** First-fit packing of the variables, in declaration order, into 32-bit words. */
export function layoutOf(vars: readonly VarDecl[]): Layout {
  const slots: Slot[] = [];
  const used: number[] = [];
  for (const v of vars) {
    const bits = bitsFor(v.max);
    if (bits > 31) throw new ModelError(`variable ${v.name} needs ${bits} bits`);
    let word = used.findIndex((u) => u + bits <= 32);
    if (word < 0) {
      word = used.length;
      used.push(0);
    }
    slots.push({ word, shift: used[word]!, mask: (1 << bits) - 1 });
    used[word]! += bits;
  }
  return { words: Math.max(1, used.length), slots };
}

export type ExpandFn = (s: Uint32Array, d: Uint32Array, emit: (tid: number) => void) => void;
export type BadFn = (s: Uint32Array) => number;

export interface CompiledModel {
  readonly model: Model;
  readonly layout: Layout;
  readonly init: Uint32Array;
  /** Writes every successor of `s` into `d` in turn and calls `emit` with the transition id. */
  readonly expand: ExpandFn;
  /** Bit i is set when property i is violated in `s`. */
  readonly bad: BadFn;
  /** Applies one transition to `s`, writing the successor to `d`; false when its guard is off. */
  readonly fire: (tid: number, s: Uint32Array, d: Uint32Array) => boolean;
}

function read(slot: Slot, arr: string): string {
  return slot.shift === 0 ? `(${arr}[${slot.word}] & ${slot.mask})` : `((${arr}[${slot.word}] >>> ${slot.shift}) & ${slot.mask})`;
}

/** Generates a JavaScript expression; `asBool` lets comparisons stay booleans. */
function gen(e: Expr, layout: Layout, arr: string, asBool: boolean): string {
  const g = (x: Expr, b: boolean) => gen(x, layout, arr, b);
  const num = (code: string) => (asBool ? code : `(${code} ? 1 : 0)`);
  switch (e.k) {
    case 'const':
      return String(e.v);
    case 'var':
      return read(layout.slots[e.id]!, arr);
    case 'not':
      return num(`!${g(e.e, true)}`);
    case 'and':
      return num(`(${e.es.map((x) => g(x, true)).join(' && ')})`);
    case 'or':
      return num(`(${e.es.map((x) => g(x, true)).join(' || ')})`);
    case 'ite':
      return `(${g(e.c, true)} ? ${g(e.t, asBool)} : ${g(e.e, asBool)})`;
    case 'eq':
      return num(`(${g(e.a, false)} === ${g(e.b, false)})`);
    case 'ne':
      return num(`(${g(e.a, false)} !== ${g(e.b, false)})`);
    case 'lt':
      return num(`(${g(e.a, false)} < ${g(e.b, false)})`);
    case 'le':
      return num(`(${g(e.a, false)} <= ${g(e.b, false)})`);
    case 'add':
      return `(${g(e.a, false)} + ${g(e.b, false)})`;
    case 'sub':
      return `(${g(e.a, false)} - ${g(e.b, false)})`;
    case 'min':
      return `Math.min(${g(e.a, false)}, ${g(e.b, false)})`;
    case 'max':
      return `Math.max(${g(e.a, false)}, ${g(e.b, false)})`;
    case 'at':
      throw new ModelError('unresolved program point in a built model');
  }
}

function genEffects(model: Model, layout: Layout, tid: number): string {
  const t = model.transitions[tid]!;
  const lines: string[] = [];
  for (const a of t.effects) {
    const slot = layout.slots[a.id]!;
    const max = model.vars[a.id]!.max;
    lines.push(`v = ${gen(a.e, layout, 'd', false)};`);
    // A value outside the declared range would wrap silently: refuse it instead.
    lines.push(`if (v < 0 || v > ${max}) oob(${tid}, ${a.id}, v);`);
    const clear = (~(slot.mask << slot.shift)) >>> 0;
    lines.push(`d[${slot.word}] = (d[${slot.word}] & ${clear}) | (v << ${slot.shift});`);
  }
  return lines.join('\n');
}

export function compile(model: Model): CompiledModel {
  const layout = layoutOf(model.vars);
  const W = layout.words;
  const copy = Array.from({ length: W }, (_, i) => `d[${i}] = s[${i}];`).join(' ');

  const init = new Uint32Array(W);
  for (const v of model.vars) {
    if (v.init < 0 || v.init > v.max) throw new ModelError(`initial value of ${v.name} out of range`);
    const slot = layout.slots[v.id]!;
    init[slot.word] = (init[slot.word]! | (v.init << slot.shift)) >>> 0;
  }

  // Successors, grouped by actor and program counter.
  const parts: string[] = ['let v = 0; let pc = 0;'];
  for (const actor of model.actors) {
    const byPc = new Map<number, number[]>();
    for (const t of model.transitions) {
      if (t.actor !== actor.id) continue;
      const list = byPc.get(t.from) ?? [];
      list.push(t.id);
      byPc.set(t.from, list);
    }
    if (byPc.size === 0) continue;
    parts.push(`pc = ${read(layout.slots[actor.pcVar]!, 's')};`);
    parts.push('switch (pc) {');
    for (const [pc, tids] of [...byPc.entries()].sort((a, b) => a[0] - b[0])) {
      parts.push(`case ${pc}:`);
      for (const tid of tids) {
        const t = model.transitions[tid]!;
        parts.push(`if (${gen(t.guard, layout, 's', true)}) {`);
        parts.push(copy);
        parts.push(genEffects(model, layout, tid));
        const pcSlot = layout.slots[actor.pcVar]!;
        const clear = (~(pcSlot.mask << pcSlot.shift)) >>> 0;
        parts.push(`d[${pcSlot.word}] = (d[${pcSlot.word}] & ${clear}) | (${t.to} << ${pcSlot.shift});`);
        parts.push(`emit(${tid});`);
        parts.push('}');
      }
      parts.push('break;');
    }
    parts.push('}');
  }

  const oob = (tid: number, id: number, value: number): never => {
    const t = model.transitions[tid]!;
    throw new ModelError(`transition "${t.label}" writes ${value} to ${model.vars[id]!.name}, outside 0..${model.vars[id]!.max}`);
  };
  const expand = new Function('oob', `return function expand(s, d, emit) {\n${parts.join('\n')}\n};`)(oob) as ExpandFn;

  const badBody = model.properties
    .map((p, i) => `if (${gen(p.bad, layout, 's', true)}) r |= ${1 << i};`)
    .join('\n');
  if (model.properties.length > 30) throw new ModelError('at most 30 properties per model');
  const bad = new Function(`return function bad(s) { let r = 0;\n${badBody}\nreturn r; };`)() as BadFn;

  const fireFns = model.transitions.map((t) => {
    const actor = model.actors[t.actor]!;
    const pcSlot = layout.slots[actor.pcVar]!;
    const clear = (~(pcSlot.mask << pcSlot.shift)) >>> 0;
    const body = [
      `if (${read(pcSlot, 's')} !== ${t.from} || !(${gen(t.guard, layout, 's', true)})) return false;`,
      'let v = 0;',
      copy,
      genEffects(model, layout, t.id),
      `d[${pcSlot.word}] = (d[${pcSlot.word}] & ${clear}) | (${t.to} << ${pcSlot.shift});`,
      'return true;',
    ].join('\n');
    return new Function('oob', `return function fire(s, d) {\n${body}\n};`)(oob) as (s: Uint32Array, d: Uint32Array) => boolean;
  });
  const fire = (tid: number, s: Uint32Array, d: Uint32Array): boolean => {
    const f = fireFns[tid];
    if (!f) throw new ModelError(`no transition ${tid}`);
    return f(s, d);
  };

  return { model, layout, init, expand, bad, fire };
}

/** Unpacks a packed state (at `offset` words into `arena`) into one number per variable. */
export function unpack(layout: Layout, arena: Uint32Array, offset = 0): number[] {
  return layout.slots.map((slot) => (arena[offset + slot.word]! >>> slot.shift) & slot.mask);
}
