/**
 * x86-TSO: store buffers, added to a built model as a transformation of its transitions.
 *
 * SDM Vol. 3A §9.2.2 ("Memory ordering in P6 and more recent processor families"), in the
 * operational form of Owens, Sarkar and Sewell's x86-TSO:
 * - each CPU has a FIFO store buffer; a plain store enters it, and the buffer writes its oldest
 *   entry to memory at any later moment (a separate, nondeterministic step);
 * - a CPU's load of a location reads its own newest buffered store to it, else memory; other
 *   CPUs read memory only, so a CPU's store can be invisible to them after its later load: the
 *   one reordering x86 allows (store then load, to another location);
 * - locked instructions, MFENCE and serializing events are full barriers: they run with the
 *   buffer empty, so they wait for it to drain (`Transition.fence`).
 *
 * Only the locations a model names as buffered go through a buffer: the plain stores whose
 * order the model is asked about (in the posted-interrupt model, `vcpu->mode`). Every other
 * write in the model is a locked RMW, a store no other CPU reads, or model bookkeeping.
 *
 * The memory model is one module behind this function: a weaker architecture (arm64, say) would
 * be another transformation of the same transitions, with its own kinds of barrier.
 */
import { Assign, DerivedField, Expr, Model, Transition, VarDecl, and, eq, ite, le, lit, lt, mapExpr, ref, sub, add } from './ir';
import { ModelError } from './errors';

export interface StoreBufferSpec {
  /** Whose buffer, as shown in traces: `vCPU0's pCPU`. */
  readonly name: string;
  /** Actors whose code runs on that CPU: their plain stores to `locations` are buffered. */
  readonly actors: readonly number[];
  /** The buffered locations (variable ids), with the C expression a trace shows for each. */
  readonly locations: readonly { readonly id: number; readonly c: string }[];
  /** Entries the buffer holds; a store waits while it is full. */
  readonly depth: number;
}

interface Buffer {
  readonly spec: StoreBufferSpec;
  readonly n: number;
  readonly loc: readonly number[];
  readonly val: readonly number[];
  readonly index: ReadonlyMap<number, number>;
}

/** The value `actor` reads at location `id`: its newest buffered store there, else memory. */
function forwarded(b: Buffer, id: number): Expr {
  const k = b.index.get(id);
  if (k === undefined) return ref(id);
  let e: Expr = ref(id);
  // Slot j holds the (j+1)-th oldest entry; newer slots are checked last, so they win.
  for (let j = 0; j < b.spec.depth; j++) e = ite(and(lt(lit(j), ref(b.n)), eq(ref(b.loc[j]!), k)), ref(b.val[j]!), e);
  return e;
}

function forwardAll(b: Buffer, e: Expr): Expr {
  return mapExpr(e, (x) => (x.k === 'var' && b.index.has(x.id) ? forwarded(b, x.id) : x));
}

/** A transition of an actor on a buffered CPU, under TSO. */
function rewrite(t: Transition, b: Buffer): Transition {
  if (t.fence) {
    // Runs on an empty buffer, so its reads and writes are memory's.
    return { ...t, guard: and(eq(ref(b.n), 0), t.guard) };
  }
  const effects: Assign[] = [];
  let appended = 0;
  for (const a of t.effects) {
    const e = forwardAll(b, a.e);
    const k = b.index.get(a.id);
    if (k === undefined) {
      effects.push({ id: a.id, e });
      continue;
    }
    // Append at slot n (n counts the entries appended earlier in this transition too).
    for (let j = 0; j < b.spec.depth; j++) {
      const here = eq(ref(b.n), j);
      effects.push({ id: b.val[j]!, e: ite(here, e, ref(b.val[j]!)) });
      effects.push({ id: b.loc[j]!, e: ite(here, lit(k), ref(b.loc[j]!)) });
    }
    effects.push({ id: b.n, e: add(ref(b.n), 1) });
    appended++;
  }
  const room = appended ? [le(ref(b.n), b.spec.depth - appended)] : [];
  return { ...t, guard: and(...room, forwardAll(b, t.guard)), effects };
}

function valueName(v: VarDecl, x: number): string {
  return v.values?.[x] ?? String(x);
}

/**
 * `model` under x86-TSO: the buffers' variables, the transitions of the buffered CPUs'
 * actors rewritten, and one actor per buffer whose steps make the oldest entry visible.
 */
export function withStoreBuffers(model: Model, specs: readonly StoreBufferSpec[]): Model {
  const vars: VarDecl[] = [...model.vars];
  const declare = (name: string, max: number, kind: VarDecl['kind'] = 'buffer'): number => {
    if (vars.some((v) => v.name === name)) throw new ModelError(`variable ${name} declared twice`);
    vars.push({ id: vars.length, name, max, init: 0, kind });
    return vars.length - 1;
  };
  const owner = new Map<number, Buffer>();
  const buffers: Buffer[] = specs.map((spec) => {
    if (spec.depth < 1 || !spec.locations.length) throw new ModelError(`store buffer of ${spec.name}: needs a depth and locations`);
    const maxVal = Math.max(...spec.locations.map((l) => model.vars[l.id]!.max));
    const b: Buffer = {
      spec,
      n: declare(`${spec.name}.store buffer.n`, spec.depth),
      loc: Array.from({ length: spec.depth }, (_, j) => declare(`${spec.name}.store buffer[${j}].location`, Math.max(1, spec.locations.length - 1))),
      val: Array.from({ length: spec.depth }, (_, j) => declare(`${spec.name}.store buffer[${j}].value`, Math.max(1, maxVal))),
      index: new Map(spec.locations.map((l, k) => [l.id, k])),
    };
    for (const a of spec.actors) {
      if (owner.has(a)) throw new ModelError(`actor ${model.actors[a]!.name} is on two CPUs`);
      owner.set(a, b);
    }
    return b;
  });

  const transitions: Transition[] = model.transitions.map((t) => {
    const b = owner.get(t.actor);
    return b ? rewrite(t, b) : t;
  });
  const actors = [...model.actors];
  const derived: DerivedField[] = [...model.derived];
  for (const b of buffers) {
    const pcVar = declare(`${b.spec.name} store buffer.pc`, 1, 'pc');
    const actor = actors.length;
    actors.push({ id: actor, name: `store buffer of ${b.spec.name}`, lane: 'store buffer', pcVar, pcLabels: ['drain'] });
    const D = b.spec.depth;
    b.spec.locations.forEach((l, k) => {
      const v = model.vars[l.id]!;
      for (let x = 0; x <= v.max; x++) {
        // The oldest entry becomes visible; the rest move up and the freed slot is cleared, so
        // that equal buffers are equal states.
        const effects: Assign[] = [{ id: l.id, e: lit(x) }];
        for (let j = 0; j < D; j++) {
          effects.push({ id: b.loc[j]!, e: j + 1 < D ? ref(b.loc[j + 1]!) : lit(0) });
          effects.push({ id: b.val[j]!, e: j + 1 < D ? ref(b.val[j + 1]!) : lit(0) });
        }
        effects.push({ id: b.n, e: sub(ref(b.n), 1) });
        transitions.push({
          id: transitions.length,
          actor,
          from: 0,
          to: 0,
          guard: and(lt(lit(0), ref(b.n)), eq(ref(b.loc[0]!), k), eq(ref(b.val[0]!), x)),
          effects,
          label: `${l.c} = ${valueName(v, x)} becomes visible to other CPUs (store buffer of ${b.spec.name})`,
          origin: { program: 'x86-TSO', path: [], op: 'store buffer drain', rule: 'SDM Vol. 3A §9.2.2: a store becomes visible to other processors when it leaves the store buffer, in program order' },
        });
      }
    });
    // What the buffer holds, oldest first, as one displayed field.
    const names: string[] = ['empty'];
    const codes: { e: Expr; name: string }[] = [];
    b.spec.locations.forEach((l, k) => {
      const v = model.vars[l.id]!;
      for (let x = 0; x <= v.max; x++) codes.push({ e: and(eq(ref(b.loc[0]!), k), eq(ref(b.val[0]!), x)), name: `${l.c} = ${valueName(v, x)}` });
    });
    const slot = (j: number) =>
      codes.reduceRight<Expr>((acc, c, i) => ite(mapExpr(c.e, (x) => (x.k === 'var' && x.id === b.loc[0] ? ref(b.loc[j]!) : x.k === 'var' && x.id === b.val[0] ? ref(b.val[j]!) : x)), i, acc), lit(0));
    // Value = sum over filled slots of code_j * C^j, offset per length.
    const C = codes.length;
    let offset = 1;
    let e: Expr = lit(0);
    for (let len = 1; len <= D; len++) {
      let sum: Expr = lit(offset);
      let weight = 1;
      for (let j = len - 1; j >= 0; j--) {
        sum = add(sum, weight === 1 ? slot(j) : mulConst(slot(j), weight));
        weight *= C;
      }
      e = ite(eq(ref(b.n), len), sum, e);
      for (const combo of combos(codes.map((c) => c.name), len)) names.push(combo.join(', then '));
      offset += C ** len;
    }
    derived.push({ name: `${b.spec.name}.store buffer`, e, values: names });
  }
  return { ...model, vars, actors, transitions, derived };
}

/** `e * k` for a small constant, as repeated addition (the IR has no multiplication). */
function mulConst(e: Expr, k: number): Expr {
  let out: Expr = lit(0);
  for (let i = 0; i < k; i++) out = add(out, e);
  return out;
}

/** Every sequence of `len` names, in the order the derived field numbers them. */
function combos(names: readonly string[], len: number): string[][] {
  if (len === 0) return [[]];
  const out: string[][] = [];
  for (const head of names) for (const rest of combos(names, len - 1)) out.push([head, ...rest]);
  return out;
}
