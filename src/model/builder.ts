/**
 * Builds an IR `Model`: variables, actors with program counters, transitions.
 *
 * Program counters are allocated freely while programs are compiled; steps that do nothing
 * under the chosen memory model (barriers under sequential consistency, labels, jumps) alias
 * their entry to their exit instead of costing a transition. Aliases are resolved and the
 * program counters renumbered densely when the model is built; "an actor is at a program
 * point" (`at`) compares its counter with a constant that is given its number then.
 */
import { Assign, DerivedField, Expr, Model, Property, StepOrigin, Transition, VarDecl, VarKind, eq, ref } from './ir';
import { ModelError } from './errors';

export interface TransitionSpec {
  readonly from: number;
  readonly to: number;
  readonly guard: Expr;
  readonly effects?: readonly Assign[];
  readonly label: string;
  readonly origin?: StepOrigin;
  readonly events?: Readonly<Record<string, number>>;
  readonly fence?: boolean;
}

export class ActorBuilder {
  private readonly labels: string[] = [];
  private readonly parent: number[] = [];
  private readonly pinned: number[] = [];
  readonly specs: TransitionSpec[] = [];

  constructor(
    readonly id: number,
    readonly name: string,
    readonly lane: string,
    readonly pcVar: number,
  ) {}

  /** A fresh program counter value; `label` names it in traces. */
  pc(label: string): number {
    this.labels.push(label);
    this.parent.push(this.parent.length);
    return this.parent.length - 1;
  }

  private find(pc: number): number {
    let r = pc;
    while (this.parent[r] !== r) r = this.parent[r]!;
    // Path compression.
    for (let x = pc; this.parent[x] !== r; ) {
      const next = this.parent[x]!;
      this.parent[x] = r;
      x = next;
    }
    return r;
  }

  /** Makes `a` and `b` the same program point. */
  alias(a: number, b: number): void {
    const ra = this.find(a);
    const rb = this.find(b);
    if (ra === rb) return;
    // The smaller id stays the representative, so numbering is deterministic.
    if (ra < rb) this.parent[rb] = ra;
    else this.parent[ra] = rb;
  }

  add(spec: TransitionSpec): void {
    this.specs.push(spec);
  }

  /** Keeps a program point numbered even if no transition touches it (it is referred to). */
  pin(pc: number): void {
    this.pinned.push(pc);
  }

  /** Resolves aliases: dense pc numbering (entry first) and the label of each. */
  resolve(entry: number): { map: (pc: number) => number; labels: string[] } {
    const reps = new Map<number, number>();
    const labels: string[] = [];
    const number = (pc: number) => {
      const r = this.find(pc);
      let n = reps.get(r);
      if (n === undefined) {
        n = reps.size;
        reps.set(r, n);
        labels.push(this.labels[r]!);
      }
      return n;
    };
    number(entry);
    for (const s of this.specs) {
      number(s.from);
      number(s.to);
    }
    for (const pc of this.pinned) number(pc);
    return { map: number, labels };
  }
}

export class ModelBuilder {
  private readonly vars: VarDecl[] = [];
  private readonly actors: { b: ActorBuilder; entry: number }[] = [];
  private readonly properties: Property[] = [];
  private readonly derived: DerivedField[] = [];
  private readonly counters = new Set<string>();
  /** Programs compiled into the model (see `Model.programs`). */
  readonly programsUsed = new Set<string>();
  private readonly byName = new Map<string, number>();
  /** The constants `at` compared program counters with, to be numbered by `build`. */
  private readonly points: { readonly value: { k: 'const'; v: number }; readonly actor: ActorBuilder; readonly pc: number }[] = [];

  constructor(readonly name: string) {}

  /** Declares a variable and returns its id. */
  declare(name: string, max: number, init = 0, kind: VarKind = 'state', values?: readonly string[]): number {
    if (this.byName.has(name)) throw new ModelError(`variable ${name} declared twice`);
    const id = this.vars.length;
    const v: { -readonly [K in keyof VarDecl]: VarDecl[K] } = { id, name, max, init, kind };
    if (values) v.values = values;
    this.vars.push(v);
    this.byName.set(name, id);
    return id;
  }

  /** Declares a variable and returns an expression reading it. */
  v(name: string, max: number, init = 0, kind: VarKind = 'state', values?: readonly string[]): Expr {
    return ref(this.declare(name, max, init, kind, values));
  }

  idOf(name: string): number {
    const id = this.byName.get(name);
    if (id === undefined) throw new ModelError(`no variable ${name}`);
    return id;
  }

  actor(name: string, lane: string): ActorBuilder {
    // The pc variable's bound is fixed in build(), once the program points are known.
    const pcVar = this.declare(`${name}.pc`, 1, 0, 'pc');
    const b = new ActorBuilder(this.actors.length, name, lane, pcVar);
    this.actors.push({ b, entry: -1 });
    return b;
  }

  /** Sets where an actor starts. */
  start(actor: ActorBuilder, pc: number): void {
    this.actors[actor.id]!.entry = pc;
  }

  property(id: string, bad: Expr): void {
    this.properties.push({ id, bad });
  }

  derive(name: string, e: Expr, values?: readonly string[]): void {
    this.derived.push({ name, e, ...(values ? { values } : {}) });
  }

  counter(name: string): void {
    this.counters.add(name);
  }

  /**
   * "`actor` is at program point `pc`": its counter compared with a constant that `build` sets
   * to the point's final number. The expression must not be read (evaluated, printed, folded)
   * before the model is built; the model areas only put it into guards and properties.
   */
  at(actor: ActorBuilder, pc: number): Expr {
    actor.pin(pc);
    const value = { k: 'const' as const, v: -1 };
    this.points.push({ value, actor, pc });
    return eq(ref(actor.pcVar), value);
  }

  build(): Model {
    const vars = [...this.vars];
    const transitions: Transition[] = [];
    const maps = this.actors.map(({ b, entry }) => {
      if (entry < 0) throw new ModelError(`actor ${b.name} has no start`);
      return b.resolve(entry);
    });
    for (const p of this.points) p.value.v = maps[p.actor.id]!.map(p.pc);
    const actors = this.actors.map(({ b, entry }, k) => {
      const { map, labels } = maps[k]!;
      vars[b.pcVar] = { ...vars[b.pcVar]!, max: Math.max(1, labels.length - 1), init: map(entry) };
      for (const s of b.specs) {
        if (s.events) {
          for (const k in s.events) if (!this.counters.has(k)) throw new ModelError(`unknown counter ${k}`);
        }
        const t: { -readonly [K in keyof Transition]: Transition[K] } = {
          id: transitions.length,
          actor: b.id,
          from: map(s.from),
          to: map(s.to),
          guard: s.guard,
          effects: s.effects ?? [],
          label: s.label,
        };
        if (s.origin) t.origin = s.origin;
        if (s.events) t.events = s.events;
        if (s.fence) t.fence = true;
        transitions.push(t);
      }
      return { id: b.id, name: b.name, lane: b.lane, pcVar: b.pcVar, pcLabels: labels };
    });
    return {
      name: this.name,
      vars,
      actors,
      transitions,
      properties: [...this.properties],
      derived: [...this.derived],
      counters: [...this.counters],
      programs: [...this.programsUsed].sort(),
    };
  }
}
