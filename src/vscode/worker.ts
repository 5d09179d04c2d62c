/**
 * Worker-thread entry (bundled to dist/worker.js). Runs the jobs it is sent, one at a time, and
 * posts each result. The thread lives on between jobs, so V8's optimised code and the results
 * kept in `cache` make the next review fast; the extension host cancels a job by terminating
 * the thread, so nothing here polls for cancellation and a long exploration never blocks the
 * host's event loop. Must not import `vscode` (enforced by eslint.config.mjs).
 */
import * as path from 'node:path';
import { parentPort } from 'node:worker_threads';
import { bundledBaselines, keptResults } from '../review/resultCache';
import { MODEL_FINGERPRINT } from '../version';
import { runJob } from './jobs';
import type { WorkerJob } from './workerProtocol';

const cache = keptResults(bundledBaselines(path.join(__dirname, 'baselines'), MODEL_FINGERPRINT));

parentPort?.on('message', (job: WorkerJob) => parentPort!.postMessage(runJob(job, cache)));
