/**
 * Compiles an IR model to packed integer states and generated successor code.
 *
 * A state is a fixed number of 32-bit words. Every variable owns a bit field inside one
 * word (fields never straddle words). The successor function runs in two tiers, like a JIT:
 * a bytecode interpreter (interp.ts) that V8 optimises once for every model, then, once a
 * model has expanded `GENERATE_AFTER` states, generated JavaScript that reads and writes the
 * fields directly. Both compute the same successors in the same order; neither allocates on
 * the explorer's hot path.
 */
import { Expr, Model, VarDecl } from './ir';
import { ModelError, OutOfRangeError } from './errors';
import { interpretedBad, interpretedExpand } from './interp';

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
export type ExpandActorFn = (actor: number, s: Uint32Array, d: Uint32Array, emit: (tid: number) => void) => void;
export type BadFn = (s: Uint32Array) => number;

export interface CompiledModel {
  readonly model: Model;
  readonly layout: Layout;
  readonly init: Uint32Array;
  /** Writes every successor of `s` into `d` in turn and calls `emit` with the transition id. */
  readonly expand: ExpandFn;
  /** `expand` restricted to one actor's transitions (for partial-order reduction, reduction.ts). */
  readonly expandActor: ExpandActorFn;
  /** Bit i is set when property i is violated in `s`. */
  readonly bad: BadFn;
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
      // Generated code holds integers and fixed tokens only, never text that came from a patch:
      // refuse anything else rather than let it reach `new Function`.
      if (!Number.isSafeInteger(e.v)) throw new ModelError(`constant ${JSON.stringify(String(e.v)).slice(0, 40)} is not an integer`);
      return String(e.v);
    case 'var':
      if (!layout.slots[e.id]) throw new ModelError(`variable ${String(e.id).slice(0, 40)} has no slot`);
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

/**
 * Expansions after which a model's successor function is generated as JavaScript. V8 compiles
 * each generated function afresh, and that compilation costs more than it saves below about
 * a million states (2026-11-21, models built afresh as a review builds them: ipiv-cap-resize
 * under a pre-create patch, 71,781 states, interpreted 49-107 ms, generated 89-164 ms;
 * scale-3-1-1, 544,302 states, 1,281-1,356 ms against 1,299-1,465 ms; scale-4-1-1, 1,991,626
 * states, 5.6-6.7 s against 5.1-5.4 s).
 */
export const GENERATE_AFTER = 1_000_000;

export type Tier = 'auto' | 'interpreted' | 'generated';

export interface CompileOptions {
  /** `auto` (the default) interprets, then generates after `generateAfter` expansions. */
  readonly tier?: Tier;
  readonly generateAfter?: number;
}

export function compile(model: Model, options: CompileOptions = {}): CompiledModel {
  const tier = options.tier ?? 'auto';
  const generateAfter = options.generateAfter ?? GENERATE_AFTER;
  const layout = layoutOf(model.vars);
  const W = layout.words;

  const init = new Uint32Array(W);
  for (const v of model.vars) {
    if (v.init < 0 || v.init > v.max) throw new ModelError(`initial value of ${v.name} out of range`);
    const slot = layout.slots[v.id]!;
    init[slot.word] = (init[slot.word]! | (v.init << slot.shift)) >>> 0;
  }

  const oob = (tid: number, id: number, value: number): never => {
    const t = model.transitions[tid]!;
    throw new OutOfRangeError(`transition "${t.label}" writes ${value} to ${model.vars[id]!.name}, outside 0..${model.vars[id]!.max}`);
  };
  model.transitions.forEach((t, i) => {
    if (t.id !== i) throw new ModelError(`transition ${i} has id ${t.id}`);
  });

  if (model.properties.length > 30) throw new ModelError('at most 30 properties per model');

  if (tier === 'generated') return { model, layout, init, ...generatedExpand(model, layout, oob), bad: generatedBad(model, layout) };
  const interpreted = interpretedExpand(model, layout, oob);
  const interpretedBadFn = interpretedBad(model, layout);
  if (tier === 'interpreted') return { model, layout, init, expand: interpreted.expand, expandActor: interpreted.expandActor, bad: interpretedBadFn };
  // Both entry points count expansions towards the switch: a reduced exploration calls either.
  let calls = 0;
  let generated: { expand: ExpandFn; expandActor: ExpandActorFn } | undefined;
  let badFn: BadFn = interpretedBadFn;
  const tick = () => {
    if (++calls === generateAfter) {
      generated = generatedExpand(model, layout, oob);
      badFn = generatedBad(model, layout);
    }
  };
  const expand: ExpandFn = (s, d, emit) => {
    if (generated) return generated.expand(s, d, emit);
    tick();
    interpreted.expand(s, d, emit);
  };
  const expandActor: ExpandActorFn = (a, s, d, emit) => {
    if (generated) return generated.expandActor(a, s, d, emit);
    tick();
    interpreted.expandActor(a, s, d, emit);
  };
  return { model, layout, init, expand, expandActor, bad: (s) => badFn(s) };
}

/** Bit i set when property i's `bad` holds, as generated JavaScript. */
function generatedBad(model: Model, layout: Layout): BadFn {
  const body = model.properties.map((p, i) => `if (${gen(p.bad, layout, 's', true)}) r |= ${1 << i};`).join('\n');
  return new Function(`return function bad(s) { let r = 0;\n${body}\nreturn r; };`)() as BadFn;
}

/**
 * The successor function as generated JavaScript: a switch per actor on its program counter;
 * `expandActor` is the same code behind a switch on the actor.
 */
function generatedExpand(model: Model, layout: Layout, oob: (tid: number, id: number, value: number) => never): { expand: ExpandFn; expandActor: ExpandActorFn } {
  const W = layout.words;
  const copy = Array.from({ length: W }, (_, i) => `d[${i}] = s[${i}];`).join(' ');
  // Successors, grouped by actor and program counter.
  const perActor: string[] = [];
  for (const actor of model.actors) {
    const byPc = new Map<number, number[]>();
    for (const t of model.transitions) {
      if (t.actor !== actor.id) continue;
      const list = byPc.get(t.from) ?? [];
      list.push(t.id);
      byPc.set(t.from, list);
    }
    if (byPc.size === 0) {
      perActor.push('');
      continue;
    }
    const parts: string[] = [];
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
    perActor.push(parts.join('\n'));
  }
  const expand = `function expand(s, d, emit) {\nlet v = 0; let pc = 0;\n${perActor.join('\n')}\n}`;
  const byActor = perActor.map((code, a) => `case ${a}: {\n${code}\nreturn;\n}`).join('\n');
  const expandActor = `function expandActor(a, s, d, emit) {\nlet v = 0; let pc = 0;\nswitch (a) {\n${byActor}\n}\n}`;
  return new Function('oob', `${expand}\n${expandActor}\nreturn { expand, expandActor };`)(oob) as { expand: ExpandFn; expandActor: ExpandActorFn };
}

/** Unpacks a packed state (at `offset` words into `arena`) into one number per variable. */
export function unpack(layout: Layout, arena: Uint32Array, offset = 0): number[] {
  return layout.slots.map((slot) => (arena[offset + slot.word]! >>> slot.shift) & slot.mask);
}
