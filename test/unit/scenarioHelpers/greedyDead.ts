/**
 * A helper thread that fails the worst way for a `ScenarioPool`: it takes every scenario of the
 * first batch it is sent, answers none, leaves a mark (`greedyMark`) and exits. The caller must
 * explore them all itself.
 */
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { parentPort } from 'node:worker_threads';
import { NEXT, slotsOf } from '../../../src/review/scenarioPool';
import type { HelperBatch } from '../../../src/review/scenarioPool';

/** The file the helper writes once it has taken everything (per process: threads share the pid). */
export function greedyMark(): string {
  return path.join(tmpdir(), `krl-greedy-helper-${process.pid}`);
}

parentPort?.once('message', (batch: HelperBatch) => {
  const slots = slotsOf(batch.shared);
  while (Atomics.add(slots, NEXT, 1) < batch.scenarios.length);
  writeFileSync(greedyMark(), 'taken');
  process.exit(0);
});
