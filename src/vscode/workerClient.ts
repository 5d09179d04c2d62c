/**
 * Runs jobs in worker threads, one job per thread at a time. A thread that finished its job
 * waits for the next one, so the next review finds V8's optimised code and the worker's kept
 * results warm. Cancelling terminates the thread: V8 stops it between two instructions, so a
 * cancelled exploration stops at once instead of at its next cancellation check, and its
 * memory goes with it; the next job gets a fresh thread. The job ends as cancelled when the
 * cancel is asked for, not when the thread has exited: freeing a thread's heap takes tens of
 * milliseconds after its code has stopped (30 to 150 ms measured for a review's heap), and no
 * one should wait for that. No `vscode` here: the cancellation token is structural, so a
 * vscode.CancellationToken fits and plain tests can pass their own.
 */
import { availableParallelism } from 'node:os';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import type { WorkerError, WorkerJob, WorkerResult } from './workerProtocol';

export interface CancelToken {
  readonly isCancellationRequested: boolean;
  onCancellationRequested(listener: () => void): { dispose(): unknown };
}

export type JobValue = Exclude<WorkerResult, { kind: 'error' }>;

export type JobOutcome =
  | { readonly status: 'done'; readonly value: JobValue; readonly ms: number }
  /**
   * Settled as soon as the cancel was asked for; the job's answer, should one still arrive, is
   * dropped. `exited` resolves with the milliseconds from the cancel to the exit of the job's
   * thread (0 for a job that was still queued).
   */
  | { readonly status: 'cancelled'; readonly ms: number; readonly exited: Promise<number> }
  | { readonly status: 'failed'; readonly error: WorkerError; readonly ms: number };

const NO_THREAD: Promise<number> = Promise.resolve(0);

/**
 * The heap of a worker that runs reviews, as the extension creates it.
 * - Old generation: generous for the explorer's packed states, small enough to protect the
 *   extension host: a runaway exploration fails in its own thread.
 * - Young generation: a review allocates models, stores and results that live for one
 *   exploration or one review. V8's default nursery is too small to hold them until they die,
 *   so many are promoted and collected again by mark-compact (30 reviews of
 *   srcu-unlock-after-sync and add-smp-mb: 107 scavenges and 6 mark-compacts by default, 68 and
 *   2 with 32 MB semi-spaces). With 96 MB a warm worker reviewed four heavy fixtures
 *   (srcu-unlock-after-sync, add-smp-mb, 5.19-preempted-skip, upstream-precreate-outside-lock)
 *   in a median of 298 ms against 360 ms with the default (7 alternating workers each, 25
 *   passes per worker, 2026-11-21; 192 MB: 285 ms, within noise of 96).
 */
export const REVIEW_WORKER_LIMITS = { maxOldGenerationSizeMb: 2048, maxYoungGenerationSizeMb: 96 } as const;

export interface WorkerRunnerOptions {
  /**
   * Heap cap of one worker. A runaway exploration then fails with ERR_WORKER_OUT_OF_MEMORY in
   * its own thread instead of taking the extension host process down with it.
   */
  readonly maxOldGenerationSizeMb?: number;
  /** Young-generation cap of one worker (see `REVIEW_WORKER_LIMITS`). */
  readonly maxYoungGenerationSizeMb?: number;
  /** Threads at once; more jobs wait their turn. Default: the cores but one (at least one). */
  readonly maxConcurrent?: number;
}

export class WorkerRunner {
  /** Threads running a job, with the job's cancel. */
  private readonly live = new Map<Worker, () => void>();
  /**
   * Threads told to terminate that have not exited yet. They count against the thread limit
   * until they have, so that no more heaps than threads allowed are ever held at once.
   */
  private readonly exiting = new Set<Worker>();
  /** Threads waiting for a job, unreferenced so they never keep a process alive. */
  private readonly idle: Worker[] = [];
  /** Jobs waiting for a thread: start() runs one, cancel() drops it. */
  private readonly queue: { start: () => void; cancel: () => void }[] = [];
  private readonly maxConcurrent: number;

  constructor(
    private readonly script: string,
    private readonly options: WorkerRunnerOptions = {},
  ) {
    this.maxConcurrent = Math.max(1, options.maxConcurrent ?? availableParallelism() - 1);
  }

  /** Jobs running in a thread (a cancelled job stops counting at the cancel). */
  get running(): number {
    return this.live.size;
  }

  /** Threads of cancelled or failed jobs still freeing their memory. */
  get stopping(): number {
    return this.exiting.size;
  }

  /** Whether a thread may start now without exceeding the limit. */
  private get room(): boolean {
    return this.live.size + this.exiting.size < this.maxConcurrent;
  }

  get queued(): number {
    return this.queue.length;
  }

  /** Threads waiting for their next job. */
  get waiting(): number {
    return this.idle.length;
  }

  /** `urgent`: start now even above the thread limit (short jobs, and what the user is waiting for). */
  run(job: WorkerJob, token?: CancelToken, urgent = false): Promise<JobOutcome> {
    if (token?.isCancellationRequested) return Promise.resolve({ status: 'cancelled', ms: 0, exited: NO_THREAD });
    if (urgent || this.room) return this.start(job, token);
    return new Promise<JobOutcome>((resolve) => {
      const entry = {
        start: () => {
          sub?.dispose();
          resolve(this.start(job, token));
        },
        cancel: () => {
          sub?.dispose();
          const i = this.queue.indexOf(entry);
          if (i >= 0) this.queue.splice(i, 1);
          resolve({ status: 'cancelled', ms: 0, exited: NO_THREAD });
        },
      };
      const sub = token?.onCancellationRequested(entry.cancel);
      this.queue.push(entry);
    });
  }

  private next(): void {
    while (this.room && this.queue.length) this.queue.shift()!.start();
  }

  private readonly forgetters = new Map<Worker, () => void>();

  private acquire(): Worker {
    const w = this.idle.pop();
    if (w) {
      w.off('exit', this.forgetters.get(w)!);
      this.forgetters.delete(w);
      w.ref();
      return w;
    }
    const { maxOldGenerationSizeMb, maxYoungGenerationSizeMb } = this.options;
    const resourceLimits = { ...(maxOldGenerationSizeMb ? { maxOldGenerationSizeMb } : {}), ...(maxYoungGenerationSizeMb ? { maxYoungGenerationSizeMb } : {}) };
    return new Worker(this.script, Object.keys(resourceLimits).length ? { resourceLimits } : {});
  }

  private release(w: Worker): void {
    // A thread that dies while idle is simply forgotten. (Only our own listeners are ever
    // removed: Worker keeps internal ones that deliver its messages.)
    const forget = () => {
      const i = this.idle.indexOf(w);
      if (i >= 0) this.idle.splice(i, 1);
    };
    w.once('exit', forget);
    this.forgetters.set(w, forget);
    w.unref();
    this.idle.push(w);
    while (this.idle.length > this.maxConcurrent) void this.idle.shift()!.terminate();
  }

  /**
   * Terminates a thread; resolves with the milliseconds from `since` to its exit. It counts
   * against the thread limit until then, and a queued job starts when it has exited.
   */
  private stop(worker: Worker, since = performance.now()): Promise<number> {
    this.exiting.add(worker);
    // Its job has ended: whatever the thread reports while it dies is of no use, and an
    // 'error' event without a listener would throw in the extension host.
    worker.on('error', () => undefined);
    const exited = () => {
      this.exiting.delete(worker);
      this.next();
      return Math.round(performance.now() - since);
    };
    return worker.terminate().then(exited, exited);
  }

  private start(job: WorkerJob, token?: CancelToken): Promise<JobOutcome> {
    const t0 = performance.now();
    const elapsed = () => Math.round(performance.now() - t0);
    return new Promise<JobOutcome>((resolve) => {
      let settled = false;
      // Set after the worker starts; settle() may run before (a token that fires at once).
      const hold: { subscription?: { dispose(): unknown } } = {};
      const worker = this.acquire();
      /** Ends the job; its thread waits for the next job, is terminated, or is already terminating. */
      const settle = (o: JobOutcome, thread: 'keep' | 'stop' | 'stopping') => {
        if (settled) return;
        settled = true;
        this.live.delete(worker);
        hold.subscription?.dispose();
        worker.off('message', onMessage);
        worker.off('error', onError);
        worker.off('exit', onExit);
        if (thread === 'keep') this.release(worker);
        else if (thread === 'stop') void this.stop(worker);
        resolve(o);
        this.next();
      };
      const cancel = () => {
        if (settled) return;
        settle({ status: 'cancelled', ms: elapsed(), exited: this.stop(worker) }, 'stopping');
      };
      this.live.set(worker, cancel);
      if (token) hold.subscription = token.onCancellationRequested(cancel);
      const onMessage = (result: WorkerResult) => {
        // A failed job is data (bad input, a model error): the thread itself is fine. An
        // internal error may have left it in any state, so it is not reused.
        if (result.kind === 'error') settle({ status: 'failed', error: result.error, ms: elapsed() }, result.error.type === 'internal' ? 'stop' : 'keep');
        else settle({ status: 'done', value: result, ms: elapsed() }, 'keep');
      };
      const onError = (e: Error) => {
        settle({ status: 'failed', error: { type: 'internal', message: `worker: ${e.message}`, ...(e.stack ? { stack: e.stack } : {}) }, ms: elapsed() }, 'stop');
      };
      const onExit = (code: number) => {
        settle({ status: 'failed', error: { type: 'internal', message: `worker stopped without a result (exit code ${code})` }, ms: elapsed() }, 'stop');
      };
      worker.on('message', onMessage);
      worker.on('error', onError);
      worker.on('exit', onExit);
      worker.postMessage(job);
    });
  }

  /** Drops every queued job and terminates every running one; each reports `cancelled` at once. */
  cancelAll(): void {
    for (const q of [...this.queue]) q.cancel();
    for (const cancel of [...this.live.values()]) cancel();
  }

  dispose(): void {
    this.cancelAll();
    for (const w of this.idle.splice(0)) void w.terminate();
  }
}
