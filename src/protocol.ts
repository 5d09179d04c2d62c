/**
 * Messages between the extension host and the timeline webview, one type per direction, with
 * guards that check every field. Neither side trusts the other: the webview renders whatever the
 * extension sends (and patch text is untrusted), and the extension writes files and moves editors
 * on what the webview asks. No `vscode` and no DOM here, so both sides and plain tests can use it.
 */

// ---------------------------------------------------------------------------------------------
// The timeline model: what the webview shows.

export type FieldValue = number | string;
export type RunSide = 'baseline' | 'patched';
export type RunVerdict = 'holds' | 'violated' | 'inconclusive';

export const RUN_SIDES: readonly RunSide[] = ['baseline', 'patched'];
export const RUN_VERDICTS: readonly RunVerdict[] = ['holds', 'violated', 'inconclusive'];

export interface TimelineStep {
  /** 1-based position in the trace. */
  n: number;
  actor: string;
  /** Swimlane: `vCPU thread`, `scheduler`, `hardware`, `guest`, `sender`, `IOMMU`, `IPIv`, ... */
  lane: string;
  step: string;
  /** Fields whose value differs from the previous state. */
  changed: Record<string, FieldValue>;
  program?: string;
  op?: string;
  rule?: string;
  /** 1-based line in the patch document that produced this step. */
  line?: number;
}

export interface TimelineTrace {
  steps: TimelineStep[];
  /** states[0] is the initial state, states[k] the state after step k. */
  states: Record<string, FieldValue>[];
  explanation: string;
}

export interface TimelineRun {
  side: RunSide;
  scenario: string;
  profile: string;
  property: string;
  verdict: RunVerdict;
  trace: TimelineTrace | null;
  /** Maximum of each counter over all executions; null values are unbounded. */
  counters: Record<string, number | null> | null;
}

export interface TimelineHunk {
  index: number;
  startLine: number;
  endLine: number;
}

export interface TimelineModel {
  title: string;
  documentUri: string | null;
  hunk: TimelineHunk | null;
  runs: TimelineRun[];
}

// ---------------------------------------------------------------------------------------------
// Messages.

export type ExportFormat = 'json' | 'svg';

export interface ShowMessage {
  type: 'show';
  model: TimelineModel;
}
export interface SelectMessage {
  type: 'select';
  side: RunSide;
  /** 0 selects the initial state, k the state after step k. */
  step: number;
}
/** Extension -> webview. */
export type ToWebview = ShowMessage | SelectMessage;

export interface ReadyMessage {
  type: 'ready';
}
export interface RevealMessage {
  type: 'reveal';
  line: number;
}
export interface ExportMessage {
  type: 'export';
  format: ExportFormat;
  /** A bare file name (no directory), ending in `.json` or `.svg` to match `format`. */
  filename: string;
  content: string;
}
export interface StepChangedMessage {
  type: 'stepChanged';
  side: RunSide;
  step: number;
}
/** Webview -> extension. */
export type FromWebview = ReadyMessage | RevealMessage | ExportMessage | StepChangedMessage;

// ---------------------------------------------------------------------------------------------
// Persisted webview state (vscode.setState / getState, and the panel serializer's `state`).

/** Bump when TimelineViewState changes shape; older saved state is then dropped, not misread. */
export const TIMELINE_STATE_VERSION = 1;

export interface TimelineViewState {
  version: typeof TIMELINE_STATE_VERSION;
  model: TimelineModel;
  /** The run that had the selection last. */
  side: RunSide;
  /** Selected step per run (0 is the initial state). */
  steps: Partial<Record<RunSide, number>>;
}

// ---------------------------------------------------------------------------------------------
// Limits. They bound what one message can make either side do, not what a real trace needs
// (the longest explored counterexamples are tens of steps).

export const LIMITS = {
  maxRuns: 8,
  maxSteps: 10_000,
  maxFields: 2_000,
  maxText: 20_000,
  maxFilename: 120,
  /** 16 MiB of export content. */
  maxExport: 16 * 1024 * 1024,
} as const;

// ---------------------------------------------------------------------------------------------
// Guards. Every field the other side reads is checked for type and range. Message envelopes
// must not carry unknown keys (a misspelt field is a bug to surface); data objects may, since
// the view reads only the fields typed here (the model's steps also carry `origin`/`events`).

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function isText(x: unknown, max: number = LIMITS.maxText): x is string {
  return typeof x === 'string' && x.length <= max;
}

function isNonNegativeInt(x: unknown): x is number {
  return typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
}

function isPositiveInt(x: unknown): x is number {
  return isNonNegativeInt(x) && x >= 1;
}

function isFieldValue(x: unknown): x is FieldValue {
  return (typeof x === 'number' && Number.isFinite(x)) || isText(x);
}

function hasOnlyKeys(x: Record<string, unknown>, allowed: readonly string[]): boolean {
  return Object.keys(x).every((k) => allowed.includes(k));
}

function isFieldRecord(x: unknown): x is Record<string, FieldValue> {
  if (!isRecord(x)) return false;
  const entries = Object.entries(x);
  return entries.length <= LIMITS.maxFields && entries.every(([k, v]) => k.length <= LIMITS.maxText && isFieldValue(v));
}

export function isRunSide(x: unknown): x is RunSide {
  return x === 'baseline' || x === 'patched';
}

export function isRunVerdict(x: unknown): x is RunVerdict {
  return x === 'holds' || x === 'violated' || x === 'inconclusive';
}

export function isTimelineStep(x: unknown): x is TimelineStep {
  if (!isRecord(x)) return false;
  const { n, actor, lane, step, changed, program, op, rule, line } = x;
  return (
    isPositiveInt(n) &&
    isText(actor) &&
    isText(lane) &&
    isText(step) &&
    isFieldRecord(changed) &&
    (program === undefined || isText(program)) &&
    (op === undefined || isText(op)) &&
    (rule === undefined || isText(rule)) &&
    (line === undefined || isPositiveInt(line))
  );
}

export function isTimelineTrace(x: unknown): x is TimelineTrace {
  if (!isRecord(x)) return false;
  const { steps, states, explanation } = x;
  if (!Array.isArray(steps) || !Array.isArray(states) || !isText(explanation)) return false;
  if (steps.length > LIMITS.maxSteps || states.length !== steps.length + 1) return false;
  // Steps are numbered 1..N in order: the UI and `select` address them by that number.
  return steps.every((s: unknown, i) => isTimelineStep(s) && s.n === i + 1) && states.every(isFieldRecord);
}

function isCounters(x: unknown): x is Record<string, number | null> {
  if (!isRecord(x)) return false;
  const entries = Object.entries(x);
  return entries.length <= LIMITS.maxFields && entries.every(([k, v]) => k.length <= LIMITS.maxText && (v === null || (typeof v === 'number' && Number.isFinite(v))));
}

export function isTimelineRun(x: unknown): x is TimelineRun {
  if (!isRecord(x)) return false;
  return (
    isRunSide(x['side']) &&
    isText(x['scenario']) &&
    isText(x['profile']) &&
    isText(x['property']) &&
    isRunVerdict(x['verdict']) &&
    (x['trace'] === null || isTimelineTrace(x['trace'])) &&
    (x['counters'] === null || isCounters(x['counters']))
  );
}

function isHunk(x: unknown): x is TimelineHunk {
  return isRecord(x) && isNonNegativeInt(x['index']) && isPositiveInt(x['startLine']) && isPositiveInt(x['endLine']) && x['endLine'] >= x['startLine'];
}

export function isTimelineModel(x: unknown): x is TimelineModel {
  if (!isRecord(x)) return false;
  const { title, documentUri, hunk, runs } = x;
  if (!isText(title) || !(documentUri === null || isText(documentUri)) || !(hunk === null || isHunk(hunk))) return false;
  if (!Array.isArray(runs) || runs.length > LIMITS.maxRuns || !runs.every(isTimelineRun)) return false;
  // At most one run per side: the view lays them out as baseline | patched.
  const sides = runs.map((r) => r.side);
  return new Set(sides).size === sides.length;
}

/**
 * A file name the extension may join to a directory it chose: one path segment, no separators,
 * no dot-only names, no control characters, with the extension that matches the format.
 */
export function isSafeExportFilename(name: unknown, format: ExportFormat): name is string {
  if (typeof name !== 'string' || name.length === 0 || name.length > LIMITS.maxFilename) return false;
  // eslint-disable-next-line no-control-regex -- rejecting control characters is the point
  if (/[/\\:*?"<>|\u0000-\u001f\u007f]/.test(name) || name.startsWith('.')) return false;
  return name.toLowerCase().endsWith(`.${format}`);
}

export function isToWebview(x: unknown): x is ToWebview {
  if (!isRecord(x)) return false;
  switch (x['type']) {
    case 'show':
      return hasOnlyKeys(x, ['type', 'model']) && isTimelineModel(x['model']);
    case 'select':
      return hasOnlyKeys(x, ['type', 'side', 'step']) && isRunSide(x['side']) && isNonNegativeInt(x['step']);
    default:
      return false;
  }
}

export function isFromWebview(x: unknown): x is FromWebview {
  if (!isRecord(x)) return false;
  switch (x['type']) {
    case 'ready':
      return hasOnlyKeys(x, ['type']);
    case 'reveal':
      return hasOnlyKeys(x, ['type', 'line']) && isPositiveInt(x['line']);
    case 'export': {
      const format = x['format'];
      return (
        hasOnlyKeys(x, ['type', 'format', 'filename', 'content']) &&
        (format === 'json' || format === 'svg') &&
        isSafeExportFilename(x['filename'], format) &&
        typeof x['content'] === 'string' &&
        x['content'].length <= LIMITS.maxExport
      );
    }
    case 'stepChanged':
      return hasOnlyKeys(x, ['type', 'side', 'step']) && isRunSide(x['side']) && isNonNegativeInt(x['step']);
    default:
      return false;
  }
}

export function isTimelineViewState(x: unknown): x is TimelineViewState {
  if (!isRecord(x) || !hasOnlyKeys(x, ['version', 'model', 'side', 'steps'])) return false;
  if (x['version'] !== TIMELINE_STATE_VERSION || !isTimelineModel(x['model']) || !isRunSide(x['side'])) return false;
  const steps = x['steps'];
  return isRecord(steps) && Object.entries(steps).every(([k, v]) => isRunSide(k) && isNonNegativeInt(v));
}
