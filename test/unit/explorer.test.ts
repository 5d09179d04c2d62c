/**
 * The explorer's laws: it agrees with an independent, naive breadth-first search on random
 * models (same reachable states, same verdicts, shortest counterexamples that replay), it is
 * deterministic, and a state limit or an abort gives `inconclusive`, never `holds`.
 */
import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import { compile } from '../../src/model/compile';
import { OutOfRangeError } from '../../src/model/errors';
import { explore } from '../../src/model/explore';
import { Assign, Expr, Model, Transition, and, eq, evaluate, ite, lit, lt, min, add, not, or, ref } from '../../src/model/ir';
import { profileByVersion } from '../../src/model/profiles';
import { scenarioById } from '../../src/model/scenarios';
import { buildModel } from '../../src/model/simulate';
import { traceTo } from '../../src/model/trace';
import { run } from './helpers';

function buildFrom(scenario: string, profile = 'upstream'): Model {
  return buildModel(scenarioById(scenario), profileByVersion(profile));
}

// ------------------------------------------------------------------ random models

const VARS = [
  { id: 0, name: 'a', max: 3, init: 0, kind: 'state' as const },
  { id: 1, name: 'b', max: 1, init: 0, kind: 'state' as const },
  { id: 2, name: 'c', max: 2, init: 1, kind: 'state' as const },
  { id: 3, name: 'p.pc', max: 3, init: 0, kind: 'pc' as const },
  { id: 4, name: 'q.pc', max: 3, init: 0, kind: 'pc' as const },
];
const STATE_VARS = [0, 1, 2];

const atom: fc.Arbitrary<Expr> = fc.oneof(
  fc.tuple(fc.constantFrom(...STATE_VARS), fc.integer({ min: 0, max: 3 })).map(([v, c]) => eq(ref(v), c)),
  fc.tuple(fc.constantFrom(...STATE_VARS), fc.integer({ min: 0, max: 3 })).map(([v, c]) => lt(ref(v), c)),
);
const guard: fc.Arbitrary<Expr> = fc.oneof(
  atom,
  fc.tuple(atom, atom).map(([x, y]) => and(x, y)),
  fc.tuple(atom, atom).map(([x, y]) => or(x, not(y))),
  fc.constant(lit(1)),
);
const assign: fc.Arbitrary<Assign> = fc.constantFrom(...STATE_VARS).chain((id) => {
  const max = VARS[id]!.max;
  return fc.oneof(
    fc.integer({ min: 0, max }).map((c) => ({ id, e: lit(c) })),
    fc.constant({ id, e: min(add(ref(id), 1), max) }),
    fc.tuple(atom, fc.integer({ min: 0, max })).map(([c, v]) => ({ id, e: ite(c, v, ref(id)) })),
    fc.constantFrom(...STATE_VARS.filter((o) => VARS[o]!.max <= max)).map((o) => ({ id, e: ref(o) })),
  );
});
const transition = fc.record({
  actor: fc.integer({ min: 0, max: 1 }),
  from: fc.integer({ min: 0, max: 3 }),
  to: fc.integer({ min: 0, max: 3 }),
  guard,
  effects: fc.array(assign, { maxLength: 3 }),
});
const randomModel: fc.Arbitrary<Model> = fc
  .tuple(fc.array(transition, { minLength: 1, maxLength: 10 }), fc.array(guard, { minLength: 1, maxLength: 2 }))
  .map(([ts, bads]) => ({
    name: 'random',
    vars: VARS,
    actors: [
      { id: 0, name: 'p', lane: 'p', pcVar: 3, pcLabels: ['0', '1', '2', '3'] },
      { id: 1, name: 'q', lane: 'q', pcVar: 4, pcLabels: ['0', '1', '2', '3'] },
    ],
    transitions: ts.map((t, id): Transition => ({ id, ...t, label: `t${id}` })),
    properties: bads.map((bad, i) => ({ id: `prop${i}`, bad })),
    derived: [],
    counters: [],
    programs: [],
  }));

// ------------------------------------------------------------------ reference semantics

/** Naive BFS over unpacked states, using only `evaluate`: independent of compile.ts. */
function referenceBfs(model: Model) {
  const init = model.vars.map((v) => v.init);
  const key = (s: number[]) => s.join(',');
  const seen = new Map<string, number>([[key(init), 0]]);
  const queue: number[][] = [init];
  const firstBad: (number | undefined)[] = model.properties.map((p) => (evaluate(p.bad, init) ? 0 : undefined));
  for (let head = 0; head < queue.length; head++) {
    const s = queue[head]!;
    const depth = seen.get(key(s))!;
    for (const t of model.transitions) {
      const pc = model.actors[t.actor]!.pcVar;
      if (s[pc] !== t.from || !evaluate(t.guard, s)) continue;
      const d = [...s];
      for (const a of t.effects) d[a.id] = evaluate(a.e, d);
      d[pc] = t.to;
      if (seen.has(key(d))) continue;
      seen.set(key(d), depth + 1);
      queue.push(d);
      model.properties.forEach((p, i) => {
        if (firstBad[i] === undefined && evaluate(p.bad, d)) firstBad[i] = depth + 1;
      });
    }
  }
  return { states: seen.size, firstBad };
}

describe('explorer', () => {
  it('agrees with a naive BFS on random models: states, verdicts, shortest counterexamples that replay', () => {
    fc.assert(
      fc.property(randomModel, (model) => {
        const ref_ = referenceBfs(model);
        const ex = explore(compile(model));
        // Both tiers of the successor function, and a switch between them mid-run, explore
        // the same states in the same order.
        for (const options of [{ tier: 'interpreted' as const }, { tier: 'generated' as const }, { generateAfter: 3 }]) {
          const other = explore(compile(model, options));
          assert.deepEqual(other.store.arena.slice(0, other.store.count * other.store.words), ex.store.arena.slice(0, ex.store.count * ex.store.words));
          assert.deepEqual(other.store.via.slice(0, other.store.count), ex.store.via.slice(0, ex.store.count));
        }
        assert.equal(ex.stats.states, ref_.states);
        assert.equal(ex.stats.complete, true);
        ex.outcomes.forEach((o, i) => {
          const expected = ref_.firstBad[i];
          assert.equal(o.status, expected === undefined ? 'holds' : 'violated');
          if (expected === undefined) return;
          const trace = traceTo(ex, o.stateIndex!);
          assert.equal(trace.steps.length, expected, 'not the shortest counterexample');
          // Replay with the reference semantics: every step is enabled and lands where the trace says.
          let s = model.vars.map((v) => v.init);
          for (const i of ex.store.pathTo(o.stateIndex!).slice(1)) {
            const t = model.transitions[ex.store.via[i]!]!;
            const pc = model.actors[t.actor]!.pcVar;
            assert.equal(s[pc], t.from);
            assert.ok(evaluate(t.guard, s));
            const d = [...s];
            for (const a of t.effects) d[a.id] = evaluate(a.e, d);
            d[pc] = t.to;
            s = d;
          }
          assert.ok(evaluate(model.properties[i]!.bad, s), 'the trace does not end in a violating state');
        });
      }),
      { seed: 20261121, numRuns: 300 },
    );
  });

  it('interpreted and generated successors agree on real models, including a switch of tier mid-run', () => {
    for (const [s, p] of [
      ['migrate-while-blocked', 'upstream'],
      ['entry-vs-two-kvm-posts', '4.9'],
      ['preempt-while-blocking-kvm-post', '5.19'],
    ] as const) {
      const model = buildFrom(s, p);
      const runs = [{ tier: 'interpreted' as const }, { tier: 'generated' as const }, { generateAfter: 100 }].map((o) => explore(compile(model, o)));
      const [a, ...rest] = runs;
      assert.ok(a!.stats.states > 1000, `${s}: too small to switch tiers`);
      for (const b of rest) {
        assert.deepEqual(b.store.arena, a!.store.arena, `${s}@${p}`);
        assert.deepEqual(b.store.via, a!.store.via);
        assert.deepEqual(b.outcomes, a!.outcomes);
        assert.equal(b.stats.transitions, a!.stats.transitions);
      }
    }
  });

  it('is deterministic: the same simulation gives the same result, byte for byte but the clock', () => {
    const strip = (x: unknown) => JSON.stringify(x, (k, v) => (k === 'ms' ? undefined : v));
    for (const [s, p] of [
      ['entry-vs-device-post', '4.9'],
      ['preempt-while-blocking', 'upstream'],
      ['migrate-while-blocked', '4.11'],
    ] as const) {
      assert.equal(strip(run(s, p)), strip(run(s, p)), `${s}@${p}`);
    }
  });

  it('counts in its memory every array it holds: the visited set, and the edges when it keeps them', () => {
    const compiled = compile(buildFrom('migrate-while-blocked'));
    const bare = explore(compiled);
    const withEdges = explore(compiled, { recordEdges: true });
    assert.equal(bare.stats.bytes, bare.store.bytes);
    // Every state's successors are recorded (start, target, transition id: three Int32Arrays).
    const edges = withEdges.edges!;
    assert.equal(withEdges.stats.bytes, withEdges.store.bytes + edges.start.byteLength + edges.to.byteLength + edges.tid.byteLength);
    assert.ok(edges.to.length >= withEdges.stats.transitions, `${edges.to.length} edge slots for ${withEdges.stats.transitions} transitions`);
    // The visited set holds at least the packed states and one parent, transition and hash each.
    assert.ok(bare.store.bytes >= bare.stats.states * (4 * compiled.layout.words + 12));
  });

  it('says inconclusive, not holds, when the state limit is reached', () => {
    const full = run('migrate-while-blocked', 'upstream');
    assert.ok(full.stats.complete);
    const limited = explore(compile(buildFrom('migrate-while-blocked')), { maxStates: Math.floor(full.stats.states / 3) });
    assert.equal(limited.stats.complete, false);
    assert.equal(limited.stats.stoppedBy, 'states');
    assert.ok(limited.stats.states <= Math.floor(full.stats.states / 3));
    for (const o of limited.outcomes) assert.equal(o.status, 'inconclusive');
  });

  it('a violation found before the limit is still a violation', () => {
    const model = buildFrom('entry-vs-device-post', '4.9');
    const full = explore(compile(model));
    const bad = full.outcomes.find((o) => o.id === 'pi-delivery')!;
    assert.equal(bad.status, 'violated');
    const limited = explore(compile(model), { maxStates: bad.stateIndex! + 1 });
    assert.equal(limited.stats.complete, false);
    assert.equal(limited.outcomes.find((o) => o.id === 'pi-delivery')!.status, 'violated');
    assert.equal(limited.outcomes.find((o) => o.id === 'vcpu-wakeup')!.status, 'inconclusive');
  });

  it('says inconclusive when aborted, whether before starting or during the run', () => {
    const model = buildFrom('migrate-while-blocked');
    const ac = new AbortController();
    ac.abort();
    const before = explore(compile(model), { signal: ac.signal });
    assert.equal(before.stats.stoppedBy, 'abort');
    for (const o of before.outcomes) assert.notEqual(o.status, 'holds');
    let reads = 0;
    const flips = {
      get aborted() {
        return ++reads > 3;
      },
    };
    const during = explore(compile(model), { signal: flips });
    assert.equal(during.stats.stoppedBy, 'abort');
    assert.ok(during.stats.states > 1);
    for (const o of during.outcomes) assert.notEqual(o.status, 'holds');
  });

  it('says inconclusive when the time budget runs out (injected clock)', () => {
    let t = 0;
    const r = explore(compile(buildFrom('migrate-while-blocked')), { maxMs: 5, now: () => (t += 1) });
    assert.equal(r.stats.stoppedBy, 'time');
    for (const o of r.outcomes) assert.notEqual(o.status, 'holds');
  });

  it('refuses a write outside a variable\'s range with an OutOfRangeError, in either tier', () => {
    // The SPIN campaign tells such a model (SPIN's range assertion must fail too) from one that
    // does not build by this type.
    const model: Model = {
      name: 'overflow',
      vars: [
        { id: 0, name: 'b', max: 1, init: 0, kind: 'state' },
        { id: 1, name: 'p.pc', max: 3, init: 0, kind: 'pc' },
      ],
      actors: [{ id: 0, name: 'p', lane: 'p', pcVar: 1, pcLabels: ['0', '1', '2', '3'] }],
      transitions: [{ id: 0, actor: 0, from: 0, to: 1, guard: lit(1), effects: [{ id: 0, e: add(ref(0), 2) }], label: 'b += 2' }],
      properties: [],
      derived: [],
      counters: [],
      programs: [],
    };
    for (const tier of ['interpreted', 'generated'] as const) {
      assert.throws(() => explore(compile(model, { tier })), (e: unknown) => e instanceof OutOfRangeError && /transition "b \+= 2" writes 2 to b, outside 0\.\.1/.test(e.message), tier);
    }
  });
});

