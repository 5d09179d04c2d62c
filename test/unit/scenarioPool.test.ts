/**
 * A review spread over helper threads (review/scenarioPool.ts) gives the review it gives alone,
 * byte for byte (but the milliseconds), whatever the helpers do: answer, take everything and
 * die, or be cancelled; and a model that does not build is reported with the same reason.
 */
import * as assert from 'node:assert/strict';
import { existsSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { CancelledError } from '../../src/model/errors';
import { readPatches } from '../../src/patch';
import { ReviewOptions, reviewHunk, reviewPatchSet } from '../../src/review/review';
import { ScenarioPool } from '../../src/review/scenarioPool';
import { fixture, formatPatch, mbox, render } from '../fixtures/fixtures';
import { greedyMark } from './scenarioHelpers/greedyDead';

/** tsc's output of the helper entry: without the bundle's baselines, so helpers explore everything. */
const HELPER = path.resolve(__dirname, '../../src/review/scenarioHelper.js');
const GREEDY_DEAD = path.resolve(__dirname, 'scenarioHelpers/greedyDead.js');

/** A review's JSON without its timings, which differ from run to run. */
function json(value: unknown): string {
  return JSON.stringify(value, (k, v: unknown) => (k === 'ms' ? 0 : v));
}

function both(text: string, pool: ScenarioPool, opts: ReviewOptions = {}): { alone: string; pooled: string; batches: number } {
  const alone = json(reviewPatchSet(readPatches(text), opts));
  let batches = 0;
  const run = pool.run.bind(pool);
  pool.run = (request) => {
    batches++;
    return run(request);
  };
  try {
    return { alone, pooled: json(reviewPatchSet(readPatches(text), { ...opts, pool })), batches };
  } finally {
    pool.run = run;
  }
}

/** Two hunks of kvm_vm_ioctl_create_vcpu: the first duplicates a label, so it cannot build. */
function labelTwiceAndAnEdit(): string {
  return formatPatch({
    id: 'pool',
    subject: 'KVM: two hunks, one that cannot build',
    date: 'Mon, 6 Oct 2025 10:00:00 +0000',
    author: 'Pool <pool@example.org>',
    body: 'A label twice, then a real change.',
    files: [
      {
        source: 'kvm_main-upstream.c',
        path: 'virt/kvm/kvm_main.c',
        edits: [['arch_vcpu_destroy:\n', 'unlock_vcpu_destroy:\narch_vcpu_destroy:\n']],
      },
      ...fixture('upstream-drop-sync').files,
    ],
  });
}

describe('a review spread over helper threads (scenarioPool.ts)', function () {
  this.timeout(240_000);
  const pool = new ScenarioPool(HELPER, 1);
  after(() => pool.dispose());

  const documents: [string, () => string][] = [
    ['a reordering explored under x86-TSO', () => render(fixture('upstream-srcu-unlock-after-sync'), 'format-patch')],
    ['a PV TLB-flush rewrite in three hunks', () => render(fixture('upstream-pv-tlb-ipi-pending'), 'format-patch')],
    ['an IPIv pre-create patch under its own profile', () => render(fixture('5.19-precreate-outside-lock'), 'mail-reply')],
    ['a five-hunk patch whose hunks are tried alone', () => render(fixture('4.9-sync-after-irq-disable'), 'format-patch')],
    ['a series, each patch on top of the one before', () => mbox([fixture('upstream-irq-after-sync'), fixture('upstream-irq-after-sync-revert')])],
    ['a hunk that cannot build beside one that can', labelTwiceAndAnEdit],
  ];
  for (const [what, text] of documents) {
    it(`${what}: the same review as alone`, () => {
      const { alone, pooled, batches } = both(text(), pool);
      assert.ok(batches > 0, 'the pool was never asked');
      assert.equal(pooled, alone);
    });
  }

  it('the hunk that cannot build is reported with the reason a review alone gives', () => {
    const r = reviewPatchSet(readPatches(labelTwiceAndAnEdit()), { pool });
    const hunk = r.patches[0]!.hunks[0]!;
    assert.equal(hunk.status, 'not-modelled');
    assert.match(hunk.reason!, /label unlock_vcpu_destroy twice in kvm_vm_ioctl_create_vcpu/);
    assert.ok(r.patches[0]!.hunks.slice(1).some((h) => h.status !== 'not-modelled'));
  });

  it('explorations stopped by the state limit: the same inconclusive findings', () => {
    const { alone, pooled } = both(render(fixture('5.19-precreate-outside-lock'), 'format-patch'), pool, { maxStates: 3000 });
    assert.match(alone, /inconclusive/);
    assert.equal(pooled, alone);
  });

  it('"Simulate this hunk" through the pool: the same review as alone', () => {
    const text = render(fixture('4.9-sync-after-irq-disable'), 'format-patch');
    const set = readPatches(text);
    const index = set.patches[0]!.files.flatMap((f) => f.hunks)[1]!.index;
    assert.equal(json(reviewHunk(readPatches(text), index, { pool })), json(reviewHunk(readPatches(text), index)));
  });

  it('a helper that takes every scenario and dies: the caller explores them all, same review', () => {
    const dying = new ScenarioPool(GREEDY_DEAD, 1);
    const mark = greedyMark();
    rmSync(mark, { force: true });
    // The caller's first scenario waits until the helper has taken all the others, so that
    // every other one is one a dead helper took; the caller then explores them as races.
    let raced = 0;
    const run = dying.run.bind(dying);
    dying.run = (request) => {
      let first = true;
      return run({
        ...request,
        runHere: (i, answered) => {
          if (first) {
            first = false;
            const sleep = new Int32Array(new SharedArrayBuffer(4));
            for (let waited = 0; !existsSync(mark) && waited < 20_000; waited += 20) Atomics.wait(sleep, 0, 0, 20);
          }
          if (answered) raced++;
          return request.runHere(i, answered);
        },
      });
    };
    try {
      const { alone, pooled, batches } = both(render(fixture('upstream-srcu-unlock-after-sync'), 'format-patch'), dying);
      assert.ok(batches > 0);
      assert.ok(existsSync(mark), 'the helper never took the batch');
      assert.ok(raced > 0, 'no scenario was left by the dead helper');
      assert.equal(pooled, alone);
    } finally {
      rmSync(mark, { force: true });
      dying.dispose();
    }
  });

  it('a cancelled review stops with CancelledError, and the pool then reviews correctly', () => {
    const text = render(fixture('upstream-srcu-unlock-after-sync'), 'format-patch');
    let looks = 0;
    // Fires at the 40th look: inside the pool's batch (each scenario's build looks once).
    const signal = {
      get aborted(): boolean {
        return ++looks > 40;
      },
    };
    assert.throws(() => reviewPatchSet(readPatches(text), { pool, signal }), (e: unknown) => e instanceof CancelledError);
    const { alone, pooled } = both(text, pool);
    assert.equal(pooled, alone);
  });
});
