/**
 * A model's behaviour key: the same for models that differ only in where their steps come
 * from and how their program points are named; different for any change the explorer reads.
 */
import * as assert from 'node:assert/strict';
import { behaviourKey, shapeOf } from '../../src/model/behaviour';
import { Expr, Model, Transition, lit } from '../../src/model/ir';
import { profileByVersion } from '../../src/model/profiles';
import { SCENARIOS } from '../../src/model/scenarios';
import { buildModel } from '../../src/model/simulate';

const profile = profileByVersion('upstream');
const scenario = SCENARIOS.find((s) => s.id === 'entry-vs-two-kvm-posts')!;

function model(): Model {
  return buildModel(scenario, profile);
}

/** `m` with transition `i` replaced by `f` of it. */
function withTransition(m: Model, i: number, f: (t: Transition) => Transition): Model {
  return { ...m, transitions: m.transitions.map((t, k) => (k === i ? f(t) : t)) };
}

/** The first transition with at least one effect, and its index. */
function effectful(m: Model): number {
  const i = m.transitions.findIndex((t) => t.effects.length > 0 && t.origin);
  assert.ok(i >= 0);
  return i;
}

describe('behaviour key', () => {
  it('is the same for two builds of the same scenario and programs', () => {
    assert.equal(behaviourKey(model()), behaviourKey(model()));
  });

  it('leaves out where steps come from and how program points are named', () => {
    const m = model();
    const moved: Model = {
      ...m,
      transitions: m.transitions.map((t) => (t.origin ? { ...t, origin: { ...t.origin, line: 4242, path: [...t.origin.path, 7], program: `${t.origin.program}_renamed` } } : t)),
      actors: m.actors.map((a) => ({ ...a, pcLabels: a.pcLabels.map((l) => `${l} (renamed)`) })),
      programs: [...m.programs, 'kvm_unrelated'],
    };
    assert.equal(behaviourKey(moved), behaviourKey(m));
  });

  it('changes with anything the explorer reads', () => {
    const m = model();
    const i = effectful(m);
    const base = behaviourKey(m);
    const bump = (e: Expr): Expr => (e.k === 'const' ? lit(e.v + 1) : { k: 'not', e });
    const variants: Record<string, Model> = {
      guard: withTransition(m, i, (t) => ({ ...t, guard: bump(t.guard) })),
      'effect value': withTransition(m, i, (t) => ({ ...t, effects: t.effects.map((x, k) => (k === 0 ? { ...x, e: bump(x.e) } : x)) })),
      'effect target': withTransition(m, i, (t) => ({ ...t, effects: t.effects.map((x, k) => (k === 0 ? { ...x, id: x.id + 1 } : x)) })),
      'one effect fewer': withTransition(m, i, (t) => ({ ...t, effects: t.effects.slice(1) })),
      destination: withTransition(m, i, (t) => ({ ...t, to: t.to + 1 })),
      label: withTransition(m, i, (t) => ({ ...t, label: `${t.label}!` })),
      events: withTransition(m, i, (t) => ({ ...t, events: { ...t.events, pi_wakeup_scan: 1 } })),
      fence: withTransition(m, i, (t) => ({ ...t, fence: !t.fence })),
      'transition order': { ...m, transitions: [m.transitions[1]!, m.transitions[0]!, ...m.transitions.slice(2)] },
      'a variable bound': { ...m, vars: m.vars.map((v, k) => (k === 0 ? { ...v, max: v.max + 1 } : v)) },
      'a variable name': { ...m, vars: m.vars.map((v, k) => (k === 0 ? { ...v, name: `${v.name}'` } : v)) },
      'an initial value': { ...m, vars: m.vars.map((v, k) => (k === 0 ? { ...v, init: v.init === 0 ? 1 : 0 } : v)) },
      'a property': { ...m, properties: m.properties.map((p, k) => (k === 0 ? { ...p, bad: bump(p.bad) } : p)) },
      'a derived field': { ...m, derived: m.derived.length ? m.derived.map((d, k) => (k === 0 ? { ...d, e: bump(d.e) } : d)) : [{ name: 'x', e: lit(0) }] },
      'an actor lane': { ...m, actors: m.actors.map((a, k) => (k === 0 ? { ...a, lane: `${a.lane}'` } : a)) },
      counters: { ...m, counters: [...m.counters, 'extra'] },
    };
    const keys = new Set([base]);
    for (const [what, v] of Object.entries(variants)) {
      const k = behaviourKey(v);
      assert.notEqual(k, base, what);
      keys.add(k);
    }
    assert.equal(keys.size, Object.keys(variants).length + 1, 'two different changes gave the same key');
  });

  it('models with one key have one shape; the shape changes with the points, targets and order of transitions', () => {
    const m = model();
    const i = effectful(m);
    const renamed: Model = { ...m, transitions: m.transitions.map((t) => (t.origin ? { ...t, origin: { ...t.origin, line: 4242 } } : t)) };
    assert.equal(behaviourKey(renamed), behaviourKey(m));
    assert.equal(shapeOf(renamed), shapeOf(m));
    assert.equal(shapeOf(model()), shapeOf(m));
    const changed: Record<string, Model> = {
      destination: withTransition(m, i, (t) => ({ ...t, to: t.to + 1 })),
      'effect target': withTransition(m, i, (t) => ({ ...t, effects: t.effects.map((x, k) => (k === 0 ? { ...x, id: x.id + 1 } : x)) })),
      'one effect fewer': withTransition(m, i, (t) => ({ ...t, effects: t.effects.slice(1) })),
      fence: withTransition(m, i, (t) => ({ ...t, fence: !t.fence })),
      'transition order': { ...m, transitions: [m.transitions[1]!, m.transitions[0]!, ...m.transitions.slice(2)] },
      'a variable bound': { ...m, vars: m.vars.map((v, k) => (k === 0 ? { ...v, max: v.max + 1 } : v)) },
    };
    for (const [what, v] of Object.entries(changed)) assert.notEqual(shapeOf(v), shapeOf(m), what);
  });

  it('differs for every scenario of every profile: no two models share a key by accident', () => {
    const seen = new Map<string, string>();
    for (const p of ['4.9', '5.19', 'upstream'].map(profileByVersion)) {
      for (const s of SCENARIOS) {
        if (!p.areas.includes(s.area)) continue;
        const m = buildModel(s, p);
        const k = behaviourKey(m);
        const other = seen.get(k);
        // Two profiles may build one scenario alike (their programs agree where it runs): the
        // model name (scenario@profile) is part of the key, so even then the keys differ.
        assert.equal(other, undefined, `${m.name} and ${other} share a key`);
        seen.set(k, m.name);
      }
    }
  });
});
