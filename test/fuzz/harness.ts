/**
 * Runs fuzz cases through the reader alone and through the whole `check` pipeline (read,
 * review under a small state budget, JSON, SARIF and text output), and checks the invariants:
 * - only the core's typed errors (RaceLensError: InputError, ModelError) are thrown, each with
 *   a one-line message of sane length;
 * - every input finishes within 1 s: the reader alone within `slowMs`, and the review, which
 *   is cancelled at the budget's whole-review deadline (1 s) as the editor cancels a job, gives
 *   control back within `CANCEL_LATENCY_MS` of it (a review that needs longer, such as a long
 *   series of patches that each change the programs, is counted as cancelled, not as a failure);
 * - what comes out points inside the document (hunk and finding lines) and adds up (summary);
 * - memory stays bounded (peak RSS, reported by the caller).
 * Used by `npm run fuzz` (test/fuzz/main.ts) and by the fixed-seed unit test.
 */
import { performance } from 'node:perf_hooks';
import { CancelledError, RaceLensError } from '../../src/model/errors';
import { PatchSet, readPatches } from '../../src/patch';
import { formatReviewText, reviewJson, reviewSarif } from '../../src/review/output';
import { ResultCache } from '../../src/review/resultCache';
import { Review, exitStatus, reviewPatchSet } from '../../src/review/review';
import { Case, Input, describe as describeCase, drawCase, materialize } from './cases';

export interface Budget {
  /** Per exploration, as `check --max-states`. */
  readonly maxStates: number;
  /** Per exploration, as `check --timeout-ms`. */
  readonly timeoutMs: number;
  /** Whole review: past this the review is cancelled (and the input counts as slow). Infinity: never (deterministic). */
  readonly deadlineMs: number;
  /** Explore only these scenarios (the unit test's fast subset); all by default. */
  readonly scenarios?: readonly string[];
}

/** Small enough that a review of any fixture stays well under a second, large enough to decide most scenarios. */
export const FUZZ_BUDGET: Budget = { maxStates: 20_000, timeoutMs: 500, deadlineMs: 1_000 };

/** How long after a cancellation the review may still run ([hardening]: the editor stops work within 100 ms). */
export const CANCEL_LATENCY_MS = 100;

export type FailureKind = 'untyped-error' | 'bad-message' | 'slow' | 'inconsistent';

export interface Failure {
  readonly index: number;
  readonly kind: FailureKind;
  readonly stage: 'reader' | 'pipeline';
  readonly detail: string;
  readonly description: string;
  readonly size: number;
}

export interface CaseResult {
  readonly index: number;
  readonly size: number;
  readonly readerMs: number;
  readonly pipelineMs: number;
  /** `refused`: the reader threw an InputError; `error`: the review threw a typed error; `cancelled`: the review reached the deadline. */
  readonly outcome: 'refused' | 'reviewed' | 'error' | 'cancelled';
  /** The typed error's message with numbers taken out, for the histogram. */
  readonly message?: string;
  readonly exit?: number;
  readonly failures: readonly Failure[];
}

const VERSION = 'fuzz';

function lineCount(input: string | Uint8Array): number {
  // As the reader counts: \r\n, a lone \r and \n each end a line. An upper bound is enough here.
  const s = typeof input === 'string' ? input : Buffer.from(input).toString('latin1');
  let n = 1;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 10) n++;
    else if (c === 13 && s.charCodeAt(i + 1) !== 10) n++;
  }
  // A UTF-16 document has half as many characters as bytes read as latin1; lines only get fewer.
  return n;
}

/** Output laws: located lines inside the document, and a summary that adds up. */
function consistency(review: Review, set: PatchSet, lines: number): string[] {
  const bad: string[] = [];
  const inside = (what: string, l: number) => {
    if (!Number.isSafeInteger(l) || l < 1 || l > lines) bad.push(`${what} ${l} outside 1..${lines}`);
  };
  for (const p of set.patches) {
    inside('patch start', p.startLine);
    for (const f of p.files) for (const h of f.hunks) {
      inside(`hunk ${h.index} start`, h.startLine);
      inside(`hunk ${h.index} end`, h.endLine);
      if (h.endLine < h.startLine) bad.push(`hunk ${h.index} ends (${h.endLine}) before it starts (${h.startLine})`);
      for (const l of h.lines) inside(`hunk ${h.index} line`, l.line);
    }
  }
  let introduced = 0;
  let inconclusive = 0;
  for (const p of review.patches) {
    for (const h of p.hunks) {
      inside(`reported hunk ${h.index} start`, h.startLine);
      for (const c of h.changes) inside(`change of hunk ${h.index}`, c.line);
    }
    for (const f of p.findings) {
      if (f.verdict === 'introduced') introduced++;
      if (f.verdict === 'inconclusive') inconclusive++;
      for (const l of f.lines) inside(`finding ${f.property} line`, l);
      for (const s of f.counterexample) if (s.line !== undefined) inside(`counterexample line of ${f.property}`, s.line);
      if (f.verdict !== 'inconclusive' && f.counterexample.length === 0) bad.push(`${f.verdict} ${f.property} without a counterexample`);
    }
  }
  if (introduced !== review.summary.introduced || inconclusive !== review.summary.inconclusive) bad.push(`summary ${JSON.stringify(review.summary)} does not add up`);
  return bad;
}

function normalise(message: string): string {
  return message.replace(/"[^"]*"/g, '"…"').replace(/`[^`]*`/g, '`…`').replace(/\d+/g, 'N').slice(0, 160);
}

function checkMessage(e: RaceLensError): string | undefined {
  if (e.message.includes('\n')) return `message spans lines: ${JSON.stringify(e.message.slice(0, 200))}`;
  if (e.message.length > 1000) return `message of ${e.message.length} characters: ${JSON.stringify(e.message.slice(0, 200))}`;
  if (!e.message.trim()) return 'empty message';
  return undefined;
}

export interface RunOptions {
  readonly budget?: Budget;
  readonly cache?: ResultCache;
  readonly slowMs?: number;
  /** Skip the pipeline (reader only). */
  readonly readerOnly?: boolean;
  /** Cut inputs to this many bytes (the unit test keeps them small); MAX_FUZZ_BYTES by default. */
  readonly maxBytes?: number;
}

export function runInput(index: number, inp: Input, description: () => string, opts: RunOptions = {}): CaseResult {
  const budget = opts.budget ?? FUZZ_BUDGET;
  const slowMs = opts.slowMs ?? 1000;
  const failures: Failure[] = [];
  const fail = (kind: FailureKind, stage: 'reader' | 'pipeline', detail: string) => failures.push({ index, kind, stage, detail, description: description(), size: inp.size });

  // 1. The reader alone.
  let set: PatchSet | undefined;
  let message: string | undefined;
  const r0 = performance.now();
  try {
    set = readPatches(inp.input);
  } catch (e) {
    if (!(e instanceof RaceLensError)) fail('untyped-error', 'reader', e instanceof Error ? `${e.name}: ${e.message}\n${e.stack ?? ''}` : String(e));
    else {
      message = normalise(e.message);
      const bad = checkMessage(e);
      if (bad) fail('bad-message', 'reader', bad);
    }
  }
  const readerMs = performance.now() - r0;
  if (readerMs > slowMs) fail('slow', 'reader', `${readerMs.toFixed(0)} ms`);
  if (!set || opts.readerOnly) return { index, size: inp.size, readerMs, pipelineMs: readerMs, outcome: set ? 'reviewed' : 'refused', ...(message ? { message } : {}), failures };

  // 2. The whole pipeline, as `check` runs it: read again, review, render every output.
  const p0 = performance.now();
  const deadline = p0 + budget.deadlineMs;
  let outcome: CaseResult['outcome'] = 'reviewed';
  let exit: number | undefined;
  try {
    const again = readPatches(inp.input);
    const review = reviewPatchSet(again, {
      maxStates: budget.maxStates,
      ...(Number.isFinite(budget.timeoutMs) ? { timeoutMs: budget.timeoutMs } : {}),
      ...(Number.isFinite(deadline) ? { signal: { get aborted() { return performance.now() > deadline; } } } : {}),
      ...(budget.scenarios ? { scenarios: budget.scenarios } : {}),
      ...(inp.profile !== undefined ? { profile: inp.profile } : {}),
      ...(opts.cache ? { cache: opts.cache } : {}),
    });
    exit = exitStatus(review);
    JSON.stringify(reviewJson(review, 'fuzz.patch'));
    JSON.stringify(reviewSarif([{ file: 'fuzz.patch', review }], VERSION));
    formatReviewText([{ file: 'fuzz.patch', review }]);
    for (const bad of consistency(review, again, lineCount(inp.input))) fail('inconsistent', 'pipeline', bad);
  } catch (e) {
    outcome = e instanceof CancelledError ? 'cancelled' : 'error';
    if (!(e instanceof RaceLensError)) fail('untyped-error', 'pipeline', e instanceof Error ? `${e.name}: ${e.message}\n${e.stack ?? ''}` : String(e));
    else {
      message = normalise(e.message);
      const bad = checkMessage(e);
      if (bad) fail('bad-message', 'pipeline', bad);
    }
  }
  const pipelineMs = performance.now() - p0;
  const allowed = Number.isFinite(budget.deadlineMs) ? budget.deadlineMs + CANCEL_LATENCY_MS : slowMs;
  if (pipelineMs > allowed) fail('slow', 'pipeline', `${pipelineMs.toFixed(0)} ms (allowed ${allowed.toFixed(0)})`);
  return { index, size: inp.size, readerMs, pipelineMs, outcome, ...(message ? { message } : {}), ...(exit !== undefined ? { exit } : {}), failures };
}

export function runCase(seed: number, index: number, opts: RunOptions = {}): CaseResult & { readonly case: Case } {
  const c = drawCase(seed, index);
  const inp = materialize(c, opts.maxBytes);
  return { ...runInput(index, inp, () => describeCase(c), opts), case: c };
}
