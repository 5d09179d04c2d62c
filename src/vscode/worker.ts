/**
 * Worker-thread entry (bundled to dist/worker.js). Runs the one job it was started with and
 * posts the result. The extension host cancels by terminating the thread, so nothing here
 * needs to poll for cancellation, and a long exploration never blocks the host's event loop.
 * Must not import `vscode` (enforced by eslint.config.mjs).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { runJob } from './jobs';
import type { WorkerJob } from './workerProtocol';

if (parentPort) parentPort.postMessage(runJob(workerData as WorkerJob));
