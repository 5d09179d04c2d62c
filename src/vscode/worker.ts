/**
 * Worker-thread entry (bundled to dist/worker.js). Runs the jobs it is sent, one at a time, and
 * posts each result. The thread lives on between jobs, so V8's optimised code and the results
 * kept in `cache` make the next review fast; the extension host cancels a job by terminating
 * the thread, so nothing here polls for cancellation and a long exploration never blocks the
 * host's event loop. A review's scenarios are explored here and in helper threads
 * (review/scenarioPool.ts), which Node terminates with this thread. Must not import `vscode`
 * (enforced by eslint.config.mjs).
 */
import * as path from 'node:path';
import { parentPort } from 'node:worker_threads';
import { bundledBaselines, keptResults } from '../review/resultCache';
import { ScenarioPool, helperEntry, helpersForThisMachine } from '../review/scenarioPool';
import { MODEL_FINGERPRINT } from '../version';
import { runJob } from './jobs';
import { REVIEW_WORKER_LIMITS } from './workerClient';
import type { WorkerJob } from './workerProtocol';

const BASELINES = path.join(__dirname, 'baselines');
const cache = keptResults(bundledBaselines(BASELINES, MODEL_FINGERPRINT));
const HELPER = helperEntry(__dirname);
const HELPERS = helpersForThisMachine();
/**
 * Helpers that explore a review's scenarios beside this thread (one on a machine of two cores).
 * Each has the review thread's heap limits: caps, not reservations; a runaway exploration fails
 * in its own helper, and the review thread explores that scenario itself.
 */
const pool =
  HELPER && HELPERS
    ? new ScenarioPool(HELPER, HELPERS, {
        ...(MODEL_FINGERPRINT ? { baselines: { dir: BASELINES, fingerprint: MODEL_FINGERPRINT } } : {}),
        resourceLimits: REVIEW_WORKER_LIMITS,
      })
    : undefined;

parentPort?.on('message', (job: WorkerJob) => parentPort!.postMessage(runJob(job, cache, pool)));
