/**
 * A review's explorations spread over helper threads, for a reviewer that has cores to spare
 * (the extension's worker; not a cold CLI process, whose threads would start cold).
 *
 * A review asks for a batch: one program set explored in several scenarios (the patched side of
 * a patch, in every scenario that runs a changed program). The calling thread and the helpers
 * take the batch's scenarios in order from one shared counter, so each is built and explored
 * once, by whoever is free; a helper posts each outcome on its own port, and the caller reads
 * them synchronously (`receiveMessageOnPort`), so the review stays a synchronous function.
 * Every outcome is what the caller would have computed itself: the explorer is deterministic,
 * and a helper runs the same code (review.ts's Runner) with the same limits and the same stored
 * baselines. Findings, notes and their order are assembled by the caller afterwards, as
 * without helpers.
 *
 * The caller never waits long for a helper. Once every scenario is taken, it waits for a
 * scenario a helper is still exploring about as long as one of its own took, then explores it
 * too, and gives up as soon as the helper's answer is in (`answered`, read at the explorer's
 * cancellation checks). So a helper whose JIT is still cold, or which has died, costs little
 * more than what the caller would have spent alone.
 *
 * - A scenario whose model does not build stops the batch: no scenario is taken after it, and
 *   the first failure in scenario order is reported (every scenario before it was taken, and
 *   is answered), as a sequential review reports it.
 * - Cancelling the review (its signal) stops the caller at its next check, and the helpers at
 *   theirs: the batch's ABORT flag is set whenever the caller leaves it.
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import * as path from 'node:path';
import { MessageChannel, MessagePort, Worker, receiveMessageOnPort } from 'node:worker_threads';
import type { ProgramSet } from '../model/program';
import type { SimulationResult } from '../model/simulate';

/** What one scenario of a batch came to. */
export type BatchOutcome =
  | { readonly kind: 'result'; readonly result: SimulationResult }
  /** The programs do not build into this scenario's model: the reason. */
  | { readonly kind: 'unbuildable'; readonly message: string };

/** What a batch explores: scenarios (by id) of one program set, in a profile, within limits. */
export interface BatchWork {
  readonly profile: string;
  readonly programs: ProgramSet;
  readonly scenarios: readonly string[];
  readonly maxStates?: number;
  readonly timeoutMs?: number;
}

/** A batch as a helper receives it. */
export interface HelperBatch extends BatchWork {
  /** Tags the helper's messages: those of an earlier, abandoned batch are ignored. */
  readonly id: number;
  /** The control slots and the answered flags (see below). */
  readonly shared: SharedArrayBuffer;
}

/** The precomputed baselines' directory and the model fingerprint they must carry (`bundledBaselines`). */
export interface HelperBaselines {
  readonly dir: string;
  readonly fingerprint: string;
}

/** What a helper thread starts with. */
export interface HelperData {
  readonly port: MessagePort;
  readonly baselines?: HelperBaselines;
}

/** A helper's message on its port: one scenario's outcome. */
export interface HelperMessage {
  readonly batch: number;
  readonly index: number;
  readonly outcome: BatchOutcome;
}

// A batch's shared buffer: these Int32 slots, then one `answered` flag per scenario.
/** The next scenario index to take. */
export const NEXT = 0;
/** Set once a scenario did not build: take no more. */
export const STOP = 1;
/** Set when the caller has left the batch (done or cancelled): helpers stop. */
export const ABORT = 2;
const SLOTS = 3;

/** The batch's control slots. */
export function slotsOf(shared: SharedArrayBuffer): Int32Array {
  return new Int32Array(shared, 0, SLOTS);
}

/** Per scenario: set (and notified) by a helper once it has posted that scenario's outcome. */
export function answeredOf(shared: SharedArrayBuffer): Int32Array {
  return new Int32Array(shared, 4 * SLOTS);
}

interface Helper {
  readonly worker: Worker;
  readonly port: MessagePort;
}

export interface BatchRequest extends BatchWork {
  /** Whether the review was cancelled (checked before each scenario the caller takes). */
  readonly aborted: () => boolean;
  /**
   * Explores scenario `index` in the calling thread. With `answered`, a helper explores it too:
   * give up once that holds, returning undefined.
   */
  readonly runHere: (index: number, answered?: () => boolean) => BatchOutcome | undefined;
}

/**
 * Helpers for a review thread on this machine: the cores but one, at most three. On this
 * project's 2-core machine one helper made warm reviews faster once its JIT had run reviews
 * too: the bench's worker column with one helper against none, four runs on 2026-11-21
 * (median per hunk 22.8/25.6/26.6/19.9 ms against 22.9/24.6/28.1/22.3; fixtures at or under
 * 50 ms 25/25/24/28 of 31 against 25/24/22/25), and the sum of six heavy fixtures in three
 * alternating workers after 8 warm-up passes (669/632/514 ms against 754/845/606). Each thread
 * is slower beside the other (V8's compiler and GC threads share the cores), so the gain is
 * about a fifth, not a half; small reviews gain nothing. On a faster day (2026-11-22, Node's
 * own start 45 ms against 104-122), 20 alternating passes of every fixture found the helper
 * 6% slower in sum (488 against 462 ms; 4.9-sync-after-irq-disable 35.3 against 38.9, light
 * reviews a millisecond or two slower), with every review far under 50 ms either way: it is
 * kept for the slow days, when reviews come near the limit and it brought more under it. At
 * most three: a review explores a few dozen scenarios, and the extension may run more than
 * one review at once. Machines with four cores or more were not at hand to time.
 */
export function helpersForThisMachine(): number {
  return Math.max(0, Math.min(3, availableParallelism() - 1));
}

/**
 * The helper threads' entry for a review thread whose module is in `dir`: next to it in dist/
 * (the bundles), or in src/review/ of tsc's output (tests); undefined when there is none.
 */
export function helperEntry(dir: string): string | undefined {
  return [path.join(dir, 'scenarioHelper.js'), path.join(dir, '..', 'review', 'scenarioHelper.js')].find((f) => existsSync(f));
}

/** The longest the caller waits for a helper's answer before exploring that scenario too. */
const MAX_PATIENCE_MS = 50;

export class ScenarioPool {
  private helpers: Helper[] = [];
  private batches = 0;

  /**
   * `script`: the helper thread's entry (scenarioHelper.ts, bundled as dist/scenarioHelper.js);
   * `size`: helper threads besides the caller; `baselines`: where the helpers read the
   * precomputed baselines (resultCache.ts), as the caller's review does.
   */
  constructor(
    private readonly script: string,
    readonly size: number,
    private readonly options: { readonly baselines?: HelperBaselines; readonly resourceLimits?: { readonly maxOldGenerationSizeMb?: number; readonly maxYoungGenerationSizeMb?: number } } = {},
  ) {}

  private ensureHelpers(): Helper[] {
    while (this.helpers.length < this.size) {
      const { port1, port2 } = new MessageChannel();
      const data: HelperData = { port: port2, ...(this.options.baselines ? { baselines: this.options.baselines } : {}) };
      const worker = new Worker(this.script, { workerData: data, transferList: [port2], ...(this.options.resourceLimits ? { resourceLimits: this.options.resourceLimits } : {}) });
      // Idle helpers never keep a process alive; a helper that fails is replaced on the next batch.
      worker.unref();
      worker.on('error', () => this.drop(worker));
      worker.on('exit', () => this.drop(worker));
      this.helpers.push({ worker, port: port1 });
    }
    return this.helpers;
  }

  private drop(worker: Worker): void {
    this.helpers = this.helpers.filter((h) => h.worker !== worker);
  }

  /**
   * Every scenario's outcome, by index: all of them, or, after a scenario that does not build,
   * every one up to the first such (in order). Throws what `runHere` throws (a cancel).
   */
  run(request: BatchRequest): (BatchOutcome | undefined)[] {
    const n = request.scenarios.length;
    const outcomes: (BatchOutcome | undefined)[] = new Array<BatchOutcome | undefined>(n).fill(undefined);
    const helpers = this.ensureHelpers();
    const id = ++this.batches;
    const shared = new SharedArrayBuffer(4 * (SLOTS + n));
    const slots = slotsOf(shared);
    const answered = answeredOf(shared);
    // The request's data only: its functions stay here.
    const batch: HelperBatch = {
      id,
      profile: request.profile,
      programs: request.programs,
      scenarios: request.scenarios,
      ...(request.maxStates !== undefined ? { maxStates: request.maxStates } : {}),
      ...(request.timeoutMs !== undefined ? { timeoutMs: request.timeoutMs } : {}),
      shared,
    };
    for (const h of helpers) h.worker.postMessage(batch);
    const receive = () => {
      for (const h of helpers) {
        for (let m = receiveMessageOnPort(h.port); m; m = receiveMessageOnPort(h.port)) {
          const msg = m.message as HelperMessage;
          if (msg.batch === id) outcomes[msg.index] ??= msg.outcome;
        }
      }
    };
    try {
      // The caller takes scenarios like a helper, and times its own.
      let ownMs = 0;
      let own = 0;
      for (;;) {
        if (Atomics.load(slots, STOP) || request.aborted()) break;
        const i = Atomics.add(slots, NEXT, 1);
        if (i >= n) break;
        const t = performance.now();
        outcomes[i] = request.runHere(i);
        ownMs += performance.now() - t;
        own++;
        if (outcomes[i]!.kind === 'unbuildable') Atomics.store(slots, STOP, 1);
      }
      // Every scenario up to here is taken; those a helper has not answered yet are raced here,
      // in order, up to the first that does not build: after waiting for the helper as long as
      // one of the caller's own scenarios took on average, since a warm helper is about to answer.
      const patience = own ? Math.min(MAX_PATIENCE_MS, ownMs / own) : 0;
      const taken = Math.min(n, Atomics.load(slots, NEXT));
      for (let i = 0; i < taken; i++) {
        receive();
        if (!outcomes[i] && patience > 0 && Atomics.wait(answered, i, 0, patience) !== 'timed-out') receive();
        if (!outcomes[i]) {
          if (request.aborted()) break;
          const mine = request.runHere(i, () => Atomics.load(answered, i) !== 0);
          if (mine) outcomes[i] ??= mine;
          else receive();
        }
        if (outcomes[i]?.kind === 'unbuildable') break;
      }
    } finally {
      Atomics.store(slots, ABORT, 1);
    }
    return outcomes;
  }

  dispose(): void {
    for (const h of this.helpers.splice(0)) void h.worker.terminate();
  }
}
