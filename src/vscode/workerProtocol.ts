/**
 * Jobs the extension host hands to the exploration worker, and what comes back. One job per
 * worker thread: the job travels in `workerData`, the answer is the worker's one message.
 * No `vscode` here (the worker must not load it) and only structured-cloneable data.
 */
import type { PropertyStatus } from '../model/explore';
import type { PatchReview, Review } from '../review/review';
import type { CounterexampleStep } from '../review/simulationReport';

export interface ExploreLimits {
  /** Per exploration (one scenario, one side), as the CLI's --max-states. */
  readonly maxStates: number;
  /** Per exploration, as the CLI's --timeout-ms. */
  readonly timeoutMs: number;
}

export type WorkerJob =
  | { readonly kind: 'outline'; readonly text: string }
  | { readonly kind: 'review'; readonly text: string; readonly profile: string | null; readonly limits: ExploreLimits }
  | { readonly kind: 'reviewHunk'; readonly text: string; readonly hunk: number; readonly profile: string | null; readonly limits: ExploreLimits }
  | { readonly kind: 'simulate'; readonly scenario: string; readonly profile: string; readonly limits: ExploreLimits };

/** Where the patches and hunks of a document are: all the lenses need, without the review. */
export interface PatchOutline {
  readonly patches: readonly {
    readonly startLine: number;
    readonly endLine: number;
    readonly subject: string | null;
    readonly hunks: readonly { readonly index: number; readonly headerLine: number; readonly startLine: number; readonly endLine: number }[];
  }[];
}

export interface ScenarioProperty {
  readonly property: string;
  readonly status: PropertyStatus;
  readonly counterexample: readonly CounterexampleStep[] | null;
  readonly states: readonly Readonly<Record<string, number | string>>[] | null;
  readonly explanation: string | null;
}

/** One scenario simulated under one profile (the tree view's re-run). */
export interface ScenarioRun {
  readonly scenario: string;
  readonly profile: string;
  readonly notes: readonly string[];
  readonly properties: readonly ScenarioProperty[];
  readonly counters: Readonly<Record<string, number | null>> | null;
  readonly stats: { readonly states: number; readonly ms: number; readonly complete: boolean; readonly stoppedBy: string | null };
}

/** `input`: the document or a setting cannot be used; `model`: a model or profile error; `internal`: a bug. */
export interface WorkerError {
  readonly type: 'input' | 'model' | 'internal';
  readonly message: string;
  readonly stack?: string;
}

export type WorkerResult =
  | { readonly kind: 'outline'; readonly outline: PatchOutline }
  | { readonly kind: 'review'; readonly review: Review }
  | { readonly kind: 'reviewHunk'; readonly profile: string; readonly review: PatchReview }
  | { readonly kind: 'simulate'; readonly run: ScenarioRun }
  | { readonly kind: 'error'; readonly error: WorkerError };
