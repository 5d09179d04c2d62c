/**
 * A helper thread that fails the worst way for a `ScenarioPool`: it takes every scenario of the
 * first batch it is sent, answers none, and exits. The caller must explore them all itself.
 */
import { parentPort } from 'node:worker_threads';
import { NEXT, slotsOf } from '../../../src/review/scenarioPool';
import type { HelperBatch } from '../../../src/review/scenarioPool';

parentPort?.once('message', (batch: HelperBatch) => {
  const slots = slotsOf(batch.shared);
  while (Atomics.add(slots, NEXT, 1) < batch.scenarios.length);
  process.exit(0);
});
