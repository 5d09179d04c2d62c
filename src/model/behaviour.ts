/**
 * What a model's exploration depends on, as a SHA-256 digest.
 *
 * Two models with the same digest have the same variables, actors, transitions (in the same
 * order, with the same guards, effects, labels, counted events and fences), properties,
 * derived fields and counters. The explorer, the reduction and the counters read nothing else,
 * so the two explore the same state graph and give the same verdicts, counters and
 * counterexamples, step for step and transition id for transition id. What the digest leaves
 * out changes no state: where each transition comes from (`origin`: program, path in it, patch
 * line) and the names of program points. A review uses this to take, for a patched model that
 * is the baseline's in all but those (a patch that adds a call the scenario's area does not
 * run, or renumbers steps around one), the baseline's result re-pointed at its own steps.
 *
 * The model is written as two streams, numbers and texts, in one fixed walk in which every
 * list carries its length and every optional part a presence flag, so that two different
 * models cannot write the same streams. Numbers go into a Float64Array (every model number is
 * a safe integer), texts into one JSON array: no string per expression node, which would cost
 * more than the small explorations it saves.
 */
import { createHash } from 'node:crypto';
import { Expr, Model } from './ir';

const BINARY: readonly Expr['k'][] = ['eq', 'ne', 'lt', 'le', 'add', 'sub', 'min', 'max'];

class Streams {
  numbers = new Float64Array(4096);
  n = 0;
  readonly texts: string[] = [];

  num(x: number): void {
    if (this.n === this.numbers.length) {
      const next = new Float64Array(this.numbers.length * 2);
      next.set(this.numbers);
      this.numbers = next;
    }
    this.numbers[this.n++] = x;
  }

  text(s: string): void {
    this.texts.push(s);
  }

  /** A list: its length, then each item as `write` writes it. */
  each<T>(items: readonly T[], write: (x: T) => void): void {
    this.num(items.length);
    for (const x of items) write(x);
  }

  /** An optional list of texts. */
  list(list: readonly string[] | undefined): void {
    if (!list) return this.num(-1);
    this.each(list, (s) => this.text(s));
  }

  expr(e: Expr): void {
    switch (e.k) {
      case 'const':
        this.num(1);
        return this.num(e.v);
      case 'var':
        this.num(2);
        return this.num(e.id);
      case 'not':
        this.num(4);
        return this.expr(e.e);
      case 'and':
      case 'or':
        this.num(e.k === 'and' ? 5 : 6);
        this.num(e.es.length);
        for (let i = 0; i < e.es.length; i++) this.expr(e.es[i]!);
        return;
      case 'ite':
        this.num(7);
        this.expr(e.c);
        this.expr(e.t);
        return this.expr(e.e);
      default:
        this.num(BINARY.indexOf(e.k) + 8);
        this.expr(e.a);
        return this.expr(e.b);
    }
  }

  events(ev: Readonly<Record<string, number>> | undefined): void {
    if (!ev) return this.num(-1);
    const keys = Object.keys(ev);
    this.num(keys.length);
    for (const k of keys) {
      this.text(k);
      this.num(ev[k]!);
    }
  }
}

export function behaviourKey(model: Model): string {
  const w = new Streams();
  w.text(model.name);
  w.each(model.vars, (v) => {
    w.text(v.name);
    w.text(v.kind);
    w.num(v.max);
    w.num(v.init);
    w.list(v.values);
  });
  w.each(model.actors, (a) => {
    w.text(a.name);
    w.text(a.lane);
    w.num(a.pcVar);
  });
  w.each(model.transitions, (t) => {
    w.num(t.actor);
    w.num(t.from);
    w.num(t.to);
    w.expr(t.guard);
    w.each(t.effects, (x) => {
      w.num(x.id);
      w.num(x.reset ? 1 : 0);
      w.expr(x.e);
    });
    w.text(t.label);
    w.events(t.events);
    w.num(t.fence ? 1 : 0);
  });
  w.each(model.properties, (p) => {
    w.text(p.id);
    w.expr(p.bad);
  });
  w.each(model.derived, (d) => {
    w.text(d.name);
    w.expr(d.e);
    w.list(d.values);
  });
  w.list(model.counters);
  return createHash('sha256')
    .update(`${w.n}:`)
    .update(new Uint8Array(w.numbers.buffer, 0, w.n * 8))
    .update(JSON.stringify(w.texts))
    .digest('hex');
}

/**
 * A cheap 32-bit digest of part of what `behaviourKey` covers: the variables' bounds and initial
 * values, and each transition's actor, source and target points, the variables its effects
 * write, and whether it is a barrier. Two models with the same behaviour key have the same
 * shape, so models of different shapes never explore alike and their keys need not be
 * computed: a patch that moves a step changes the points of the transitions around it. Equal
 * shapes say nothing; only the key decides.
 */
export function shapeOf(model: Model): number {
  let h = 0x811c9dc5 | 0;
  const mix = (x: number) => {
    h = Math.imul(h ^ x, 0x01000193);
  };
  mix(model.vars.length);
  for (const v of model.vars) {
    mix(v.max);
    mix(v.init);
  }
  mix(model.transitions.length);
  for (const t of model.transitions) {
    mix(t.actor);
    mix(t.from);
    mix(t.to);
    mix(t.fence ? -1 : t.effects.length);
    for (const a of t.effects) mix(a.id);
  }
  return h >>> 0;
}
