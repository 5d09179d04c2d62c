/**
 * Cancellation, in the two ways a review stops early on request: in-process through the
 * caller's AbortSignal, which the explorer looks at every CHECK_EVERY expansions, and in the
 * extension through the WorkerRunner, which terminates the worker thread running the job. The
 * editor's own test of the second (test/integration/scenarios.test.ts) cancels a review from
 * the Cancel command; this one runs the same client without VS Code.
 */
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { CompiledModel, compile } from '../../src/model/compile';
import { CHECK_EVERY, DEFAULT_LIMITS, ExploreStats, Limits, explore } from '../../src/model/explore';
import { CancelledError } from '../../src/model/errors';
import type { Model } from '../../src/model/ir';
import { profileByVersion } from '../../src/model/profiles';
import { scenarioById } from '../../src/model/scenarios';
import { buildModel } from '../../src/model/simulate';
import { readPatches } from '../../src/patch';
import { MAX_MODELLED_PATCHES, reviewPatchSet } from '../../src/review/review';
import { CancelToken, WorkerRunner } from '../../src/vscode/workerClient';
import { barrierSeries } from '../fixtures/barrierSeries';
import { fixture, render } from '../fixtures/fixtures';

const WORKER = path.resolve(__dirname, '../../src/vscode/worker.js');

/** What the explorer did between the reads of its signal. */
interface CheckGaps {
  /** Expansions before the first read, then between each read and the next. */
  readonly gaps: readonly number[];
  /** Expansions after the last read. */
  readonly tail: number;
  readonly expansions: number;
  /** Longest wall-clock time between two reads (reported, not asserted: it depends on the machine). */
  readonly maxMs: number;
  readonly stats: ExploreStats;
}

/** Explores `compiled`, counting expansions, with a signal that records when it is read and never fires. */
function checkGaps(compiled: CompiledModel, limits: Limits = {}): CheckGaps {
  let expansions = 0;
  let seen = 0;
  let last = performance.now();
  let maxMs = 0;
  const gaps: number[] = [];
  const counted: CompiledModel = {
    ...compiled,
    expand: (s, d, emit) => {
      expansions++;
      compiled.expand(s, d, emit);
    },
  };
  const signal = {
    get aborted() {
      const t = performance.now();
      maxMs = Math.max(maxMs, t - last);
      last = t;
      gaps.push(expansions - seen);
      seen = expansions;
      return false;
    },
  };
  const stats = explore(counted, { ...limits, signal }).stats;
  return { gaps, tail: expansions - seen, expansions, maxMs: Math.max(maxMs, performance.now() - last), stats };
}

/** A cancellation token as vscode's CancellationTokenSource gives one, fired by `cancel`. */
function cancellation(): { token: CancelToken; cancel: () => void } {
  const listeners: (() => void)[] = [];
  const token = {
    isCancellationRequested: false,
    onCancellationRequested: (l: () => void) => {
      listeners.push(l);
      return { dispose: () => listeners.splice(listeners.indexOf(l), 1) };
    },
  };
  return {
    token,
    cancel: () => {
      token.isCancellationRequested = true;
      for (const l of [...listeners]) l();
    },
  };
}

describe('cancellation', () => {
  it(`the explorer reads its signal before the first expansion and at least every ${CHECK_EVERY} after, in every model a review explores and in the generated tier`, () => {
    const models: Model[] = [];
    reviewPatchSet(readPatches(render(fixture('4.9-sync-after-irq-disable'), 'format-patch')), { observe: (run) => models.push(run.model) });
    reviewPatchSet(readPatches(render(fixture('upstream-srcu-unlock-after-sync'), 'format-patch')), { observe: (run) => models.push(run.model) });
    assert.ok(models.length > 20, `${models.length} explorations`);
    const runs = models.map((m) => checkGaps(compile(m)));
    // A scaled scenario whose successor function is generated JavaScript after 20,000
    // expansions, cut at three times that: the generated tier reads the signal as the
    // interpreted one does.
    const generateAfter = 20_000;
    const scaled = checkGaps(compile(buildModel(scenarioById('scale-2-2-2'), profileByVersion('upstream')), { generateAfter }), { maxStates: 3 * generateAfter });
    assert.ok(scaled.expansions > generateAfter, `${scaled.expansions} expansions`);
    runs.push(scaled);
    let widest = 0;
    let slowestMs = 0;
    for (const r of runs) {
      assert.equal(r.gaps[0], 0, 'read before the first expansion');
      const widestHere = Math.max(...r.gaps, r.tail);
      assert.ok(widestHere <= CHECK_EVERY, `${widestHere} expansions between two reads`);
      // Every read but the first comes exactly CHECK_EVERY expansions after the one before.
      assert.ok(r.gaps.slice(1).every((g) => g === CHECK_EVERY), JSON.stringify(r.gaps));
      if (r.stats.complete) assert.equal(r.expansions, r.stats.states, 'a complete run expands each state once');
      widest = Math.max(widest, widestHere);
      slowestMs = Math.max(slowestMs, r.maxMs);
    }
    console.log(`      [cancellation] ${runs.length} explorations, ${runs.reduce((n, r) => n + r.expansions, 0)} expansions: at most ${widest} expansions and ${slowestMs.toFixed(1)} ms between two reads of the signal`);
  });

  it('an AbortSignal fired mid-exploration stops the review with CancelledError at the explorer\'s next check', () => {
    const controller = new AbortController();
    let completed = 0;
    let callsThisRun = 0;
    let callsAfterAbort = 0;
    // The explorer reads the clock when it starts, at each check and when it ends. The third
    // read of a run comes at its check after CHECK_EVERY expansions: the abort fires there,
    // half-way through the exploration of a scenario with thousands of states.
    const now = () => {
      if (controller.signal.aborted) callsAfterAbort++;
      else if (++callsThisRun === 3) controller.abort();
      return 0;
    };
    const text = render(fixture('5.19-load-keeps-sn'), 'format-patch');
    assert.throws(
      () =>
        reviewPatchSet(readPatches(text), {
          scenarios: ['preempt-while-blocking-kvm-post'],
          signal: controller.signal,
          now,
          observe: () => {
            completed++;
            callsThisRun = 0;
          },
        }),
      (e: unknown) => e instanceof CancelledError && e.message === 'review cancelled',
    );
    assert.ok(controller.signal.aborted, 'the abort fired');
    assert.equal(completed, 0, 'the exploration it interrupted never reported a result');
    // The check after the abort stopped the run: the only later clock read is the run's end.
    assert.equal(callsAfterAbort, 1);
  });

  it('a review running in the worker thread ends cancelled within 100 ms of the cancel (WorkerRunner, as the extension uses it)', async function () {
    this.timeout(30_000);
    const runner = new WorkerRunner(WORKER, { maxConcurrent: 1 });
    try {
      const { token, cancel } = cancellation();
      const text = barrierSeries(MAX_MODELLED_PATCHES);
      const running = runner.run({ kind: 'review', text, profile: null, limits: { maxStates: DEFAULT_LIMITS.maxStates, timeoutMs: DEFAULT_LIMITS.maxMs } }, token);
      // Half a second in, the worker is exploring the series' first patches (it needs ~30 s for all).
      await new Promise((resolve) => setTimeout(resolve, 500));
      assert.equal(runner.running, 1);
      const cancelledAt = performance.now();
      cancel();
      const outcome = await running;
      const latencyMs = performance.now() - cancelledAt;
      assert.equal(outcome.status, 'cancelled', JSON.stringify(outcome));
      assert.ok(latencyMs < 100, `the job settled ${latencyMs.toFixed(1)} ms after the cancel`);
      assert.equal(runner.running, 0);
      assert.equal(runner.waiting, 0, 'a cancelled thread is not kept');
      const exitMs = outcome.status === 'cancelled' ? await outcome.exited : NaN;
      assert.equal(runner.stopping, 0, 'the thread has exited');
      console.log(`      [cancellation] worker review cancelled: the job settled ${latencyMs.toFixed(1)} ms after the cancel; its thread exited after ${exitMs} ms`);
    } finally {
      runner.dispose();
    }
  });
});
