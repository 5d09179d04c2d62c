/**
 * Warm review latency as the extension sees it: reviews run in a worker thread created with the
 * extension's resource limits (`REVIEW_WORKER_LIMITS`), whose JIT has run the reviews before.
 * The patched side is explored afresh every time (the bundled baselines only, no kept results),
 * as in the bench's in-process measurement.
 *
 *   node out/test/bench/warmWorker.js RUNS HELPERS FILE...
 *
 * HELPERS: the review thread's helper threads (scenarioPool.ts), 0 for none.
 *
 * Prints one JSON array: per file, the milliseconds of each timed run. The bench (bench.ts)
 * runs it in a process of its own, once for all fixtures.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { readPatches } from '../../src/patch';
import { bundledBaselines } from '../../src/review/resultCache';
import { reviewPatchSet } from '../../src/review/review';
import { REVIEW_WORKER_LIMITS } from '../../src/vscode/workerClient';
import { ScenarioPool } from '../../src/review/scenarioPool';
import { distBaselines } from './distBaselines';

const ROOT = path.join(__dirname, '..', '..', '..');

interface Task {
  readonly runs: number;
  readonly helpers: number;
  readonly files: readonly string[];
}

function measure({ runs, helpers, files }: Task): number[][] {
  const stored = distBaselines(ROOT);
  // Helper threads from the bundle, as the extension's worker has them (src/vscode/worker.ts).
  const pool = new ScenarioPool(path.join(ROOT, 'dist', 'scenarioHelper.js'), helpers, { ...(stored ? { baselines: stored } : {}), resourceLimits: REVIEW_WORKER_LIMITS });
  const baselines = stored ? bundledBaselines(stored.dir, stored.fingerprint) : undefined;
  const opts = { ...(baselines ? { cache: baselines } : {}), pool };
  const texts = files.map((file) => readFileSync(file));
  // A JIT that has run reviews before: every fixture once, then each measured in turn.
  for (const text of texts) reviewPatchSet(readPatches(text), opts);
  const out = texts.map((text) => {
    const ms: number[] = [];
    for (let i = 0; i < runs; i++) {
      const t = performance.now();
      reviewPatchSet(readPatches(text), opts);
      ms.push(performance.now() - t);
    }
    return ms;
  });
  pool.dispose();
  return out;
}

if (isMainThread) {
  const [runs, helpers, ...files] = process.argv.slice(2);
  const task: Task = { runs: Number(runs), helpers: Number(helpers), files };
  const worker = new Worker(__filename, { workerData: task, resourceLimits: REVIEW_WORKER_LIMITS });
  worker.once('message', (ms: number[][]) => process.stdout.write(JSON.stringify(ms)));
  worker.once('error', (e) => {
    process.stderr.write(`${e.stack ?? e.message}\n`);
    process.exitCode = 2;
  });
} else {
  parentPort!.postMessage(measure(workerData as Task));
}
