/** Counters: maximum over all executions, null when a cycle can repeat the counted event. */
import * as assert from 'node:assert/strict';
import { compile } from '../../src/model/compile';
import { maxCounters } from '../../src/model/counters';
import { explore } from '../../src/model/explore';
import { Model, Transition, eq, lit, ref } from '../../src/model/ir';

function model(ts: Omit<Transition, 'id' | 'actor' | 'label' | 'guard' | 'effects'>[]): Model {
  return {
    name: 'counters',
    vars: [{ id: 0, name: 'p.pc', max: 7, init: 0, kind: 'pc' }],
    actors: [{ id: 0, name: 'p', lane: 'p', pcVar: 0, pcLabels: [] }],
    transitions: ts.map((t, id) => ({ id, actor: 0, label: `t${id}`, guard: eq(ref(0), ref(0)), effects: [], ...t })),
    properties: [{ id: 'never', bad: lit(0) }],
    derived: [],
    counters: ['hits'],
    programs: [],
  };
}

describe('counters', () => {
  it('takes the heaviest path of a DAG', () => {
    // 0 -> 1 (1 hit) -> 3 (1 hit); 0 -> 2 (0) -> 3; 3 -> 4 (1 hit)
    const m = model([
      { from: 0, to: 1, events: { hits: 1 } },
      { from: 1, to: 3, events: { hits: 1 } },
      { from: 0, to: 2 },
      { from: 2, to: 3 },
      { from: 3, to: 4, events: { hits: 1 } },
    ]);
    assert.deepEqual(maxCounters(explore(compile(m), { recordEdges: true })), { hits: 3 });
  });

  it('is unbounded when a cycle repeats the event, bounded when the cycle is free', () => {
    const repeating = model([{ from: 0, to: 1 }, { from: 1, to: 2, events: { hits: 1 } }, { from: 2, to: 1 }]);
    assert.deepEqual(maxCounters(explore(compile(repeating), { recordEdges: true })), { hits: null });
    const free = model([{ from: 0, to: 1, events: { hits: 2 } }, { from: 1, to: 2 }, { from: 2, to: 1 }]);
    assert.deepEqual(maxCounters(explore(compile(free), { recordEdges: true })), { hits: 2 });
  });

  it('is not computed without the full graph', () => {
    const m = model([{ from: 0, to: 1, events: { hits: 1 } }]);
    assert.equal(maxCounters(explore(compile(m))), undefined);
    assert.equal(maxCounters(explore(compile(m), { recordEdges: true, maxEdges: 0 })), undefined);
  });
});
