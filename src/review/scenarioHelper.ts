/**
 * A helper thread of a `ScenarioPool` (scenarioPool.ts), bundled to dist/scenarioHelper.js:
 * takes scenarios of each batch it is sent from the shared counter, explores them as the
 * caller's review would (`batchExplorer`, with the baselines it is told of), posts each outcome
 * on its port and then flags it answered. It stops at the explorer's next cancellation check
 * once the caller has left the batch (ABORT).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { bundledBaselines } from './resultCache';
import { batchExplorer } from './review';
import { ABORT, HelperBatch, HelperData, HelperMessage, NEXT, STOP, answeredOf, slotsOf } from './scenarioPool';

const { port, baselines: where } = workerData as HelperData;
const baselines = where ? bundledBaselines(where.dir, where.fingerprint) : undefined;

function serve(batch: HelperBatch): void {
  const slots = slotsOf(batch.shared);
  const answered = answeredOf(batch.shared);
  const signal = {
    get aborted(): boolean {
      return Atomics.load(slots, ABORT) !== 0;
    },
  };
  try {
    const explore = batchExplorer(batch.profile, batch.programs, {
      signal,
      ...(batch.maxStates !== undefined ? { maxStates: batch.maxStates } : {}),
      ...(batch.timeoutMs !== undefined ? { timeoutMs: batch.timeoutMs } : {}),
      ...(baselines ? { cache: baselines } : {}),
    });
    for (;;) {
      if (Atomics.load(slots, STOP) || signal.aborted) return;
      const index = Atomics.add(slots, NEXT, 1);
      if (index >= batch.scenarios.length) return;
      const outcome = explore(batch.scenarios[index]!);
      const message: HelperMessage = { batch: batch.id, index, outcome };
      port.postMessage(message);
      Atomics.store(answered, index, 1);
      Atomics.notify(answered, index);
      if (outcome.kind === 'unbuildable') Atomics.store(slots, STOP, 1);
    }
  } catch {
    // The caller left the batch (cancelled), or an internal error: the caller explores what
    // this helper did not answer, and meets the same error itself if there is one.
  }
}

parentPort?.on('message', serve);
