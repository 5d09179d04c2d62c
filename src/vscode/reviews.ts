/**
 * Runs reviews, hunk simulations and scenario simulations in worker threads and files the
 * results in the ResultStore. A run the user started sits behind a cancellable progress
 * notification; background runs (auto-review, re-review after an edit) show in the status bar
 * and are superseded, not stacked, when the document changes again.
 */
import * as vscode from 'vscode';
import type { Review } from '../review/review';
import { Config } from './config';
import { ErrorReporter } from './log';
import { ResultStore } from './results';
import { JobValue, WorkerRunner } from './workerClient';
import type { ScenarioRun, WorkerError, WorkerJob } from './workerProtocol';

export type Audience = 'user' | 'background';

export type RunOutcome =
  | { readonly status: 'done'; readonly ms: number }
  /** The user cancelled: the job ended at once, and its worker thread was terminated (the log says when it exited). */
  | { readonly status: 'cancelled' }
  /** A newer run of the same thing replaced it, or the document changed or closed meanwhile. */
  | { readonly status: 'superseded' }
  | { readonly status: 'failed'; readonly type: WorkerError['type']; readonly message: string };

/** Languages whose documents get lenses, hovers and auto-review. */
export const PATCH_LANGUAGES: readonly string[] = ['kvm-patch', 'diff'];

/**
 * Schemes auto-review reads from: files, unsaved text and virtual file systems, but not the
 * read-only views other extensions open (git:, output:, ...).
 */
const AUTO_SCHEMES = new Set(['file', 'untitled', 'vscode-vfs', 'vscode-remote', 'memfs', 'vscode-test-web']);

export function autoReviewable(doc: vscode.TextDocument): boolean {
  return PATCH_LANGUAGES.includes(doc.languageId) && AUTO_SCHEMES.has(doc.uri.scheme);
}

interface Running {
  readonly cts: vscode.CancellationTokenSource;
  superseded: boolean;
}

function label(uri: vscode.Uri): string {
  return uri.scheme === 'file' ? uri.path.split('/').pop() || uri.fsPath : uri.toString(true);
}

export class ReviewService implements vscode.Disposable {
  private readonly timers = new Map<string, ReturnType<typeof setTimeout>>();
  private readonly running = new Map<string, Running>();
  /**
   * Per document: the key of the last review started (running, done, failed or cancelled). A
   * background review of the same text under the same settings would only repeat it.
   */
  private readonly attempted = new Map<string, string>();
  private readonly simulated = new vscode.EventEmitter<ScenarioRun>();
  private readonly reviewed = new vscode.EventEmitter<{ uri: vscode.Uri; review: Review }>();
  /** A scenario was simulated (the tree shows its verdicts). */
  readonly onDidSimulate = this.simulated.event;
  /** A document was reviewed (the tree shows the scenarios' baseline -> patched verdicts). */
  readonly onDidReview = this.reviewed.event;

  constructor(
    private readonly runner: WorkerRunner,
    private readonly store: ResultStore,
    private readonly config: Config,
    private readonly errors: ErrorReporter,
  ) {}

  private get log(): vscode.LogOutputChannel {
    return this.errors.log;
  }

  /** The profile for things that have no mail date: the setting, else the active patch's, else upstream. */
  currentProfile(): string {
    const set = this.config.reviewProfile;
    if (set) return set;
    const active = vscode.window.activeTextEditor?.document.uri;
    return (active && this.store.get(active)?.review?.review.profile) ?? 'upstream';
  }

  // ---------------------------------------------------------------------------------- runs

  /** What a review's result depends on: the text (its version) and the settings. */
  private reviewKey(doc: vscode.TextDocument): string {
    const { maxStates, timeoutMs } = this.config.limits;
    return `${doc.version}|${this.config.reviewProfile ?? 'auto'}|${maxStates}|${timeoutMs}`;
  }

  /** A review of this text under these settings was started already: a background one would add nothing. */
  private upToDate(doc: vscode.TextDocument): boolean {
    const key = this.reviewKey(doc);
    return this.attempted.get(doc.uri.toString()) === key || this.store.get(doc.uri)?.review?.key === key;
  }

  async reviewDocument(doc: vscode.TextDocument, audience: Audience): Promise<RunOutcome> {
    const uri = doc.uri;
    this.cancelTimer(uri);
    this.store.track(uri);
    const version = doc.version;
    const key = this.reviewKey(doc);
    this.attempted.set(uri.toString(), key);
    const job: WorkerJob = { kind: 'review', text: doc.getText(), profile: this.config.reviewProfile, limits: this.config.limits };
    this.store.setRunning(uri, 'review', true);
    try {
      return await this.run(`${uri.toString()}#review`, `reviewing ${label(uri)}`, audience, job, (value, ms) => {
        if (value.kind !== 'review' || !this.current(uri, version)) return false;
        this.log.info(`reviewed ${label(uri)} in ${ms} ms: profile ${value.review.profile} (${value.review.profileFrom}), ${JSON.stringify(value.review.summary)}`);
        this.store.setReview(uri, version, key, value.review, ms);
        this.reviewed.fire({ uri, review: value.review });
        return true;
      });
    } finally {
      if (!this.running.has(`${uri.toString()}#review`)) this.store.setRunning(uri, 'review', false);
    }
  }

  async simulateHunk(doc: vscode.TextDocument, hunk: number, audience: Audience): Promise<RunOutcome> {
    const uri = doc.uri;
    const version = doc.version;
    const key = `${uri.toString()}#hunk:${hunk}`;
    const job: WorkerJob = { kind: 'reviewHunk', text: doc.getText(), hunk, profile: this.config.reviewProfile, limits: this.config.limits };
    this.store.setRunning(uri, hunk, true);
    try {
      return await this.run(key, `simulating hunk ${hunk} of ${label(uri)}`, audience, job, (value, ms) => {
        if (value.kind !== 'reviewHunk' || !this.current(uri, version)) return false;
        this.log.info(`simulated hunk ${hunk} of ${label(uri)} in ${ms} ms: profile ${value.profile}, ${value.review.findings.length} findings`);
        this.store.setHunk(uri, version, hunk, value.profile, value.review, ms);
        return true;
      });
    } finally {
      if (!this.running.has(key)) this.store.setRunning(uri, hunk, false);
    }
  }

  async simulateScenario(scenario: string, audience: Audience, profile = this.currentProfile()): Promise<{ outcome: RunOutcome; run?: ScenarioRun }> {
    let run: ScenarioRun | undefined;
    const job: WorkerJob = { kind: 'simulate', scenario, profile, limits: this.config.limits };
    const outcome = await this.run(`scenario:${scenario}`, `simulating ${scenario} (profile ${profile})`, audience, job, (value, ms) => {
      if (value.kind !== 'simulate') return false;
      run = value.run;
      this.log.info(`simulated ${scenario} under ${value.run.profile} in ${ms} ms: ${value.run.properties.map((p) => `${p.property} ${p.status}`).join(', ')}`);
      this.simulated.fire(value.run);
      return true;
    });
    return run ? { outcome, run } : { outcome };
  }

  private current(uri: vscode.Uri, version: number): boolean {
    const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
    return doc !== undefined && !doc.isClosed && doc.version === version;
  }

  private async run(key: string, title: string, audience: Audience, job: WorkerJob, accept: (value: JobValue, ms: number) => boolean): Promise<RunOutcome> {
    const previous = this.running.get(key);
    if (previous) {
      previous.superseded = true;
      previous.cts.cancel();
    }
    const me: Running = { cts: new vscode.CancellationTokenSource(), superseded: false };
    this.running.set(key, me);
    const body = (token?: vscode.CancellationToken) => {
      token?.onCancellationRequested(() => me.cts.cancel());
      // What the user asked for does not wait behind background re-reviews.
      return this.runner.run(job, me.cts.token, audience === 'user');
    };
    const outcome =
      audience === 'user'
        ? await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `KVM Race Lens: ${title}`, cancellable: true }, (_progress, token) => body(token))
        : await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: `KVM Race Lens: ${title}` }, () => body());
    if (this.running.get(key) === me) this.running.delete(key);
    me.cts.dispose();
    switch (outcome.status) {
      case 'done':
        return accept(outcome.value, outcome.ms) ? { status: 'done', ms: outcome.ms } : { status: 'superseded' };
      case 'cancelled':
        if (me.superseded) return { status: 'superseded' };
        this.log.info(`${title}: cancelled`);
        void outcome.exited.then((ms) => this.log.info(`${title}: the cancelled job's worker thread exited ${ms} ms after the request`));
        vscode.window.setStatusBarMessage(`KVM Race Lens: ${title}: cancelled`, 4000);
        return { status: 'cancelled' };
      case 'failed':
        if (outcome.error.type === 'input') {
          this.log.warn(`${title}: ${outcome.error.message}`);
          if (audience === 'user') void vscode.window.showWarningMessage(`KVM Race Lens: ${title}: ${outcome.error.message}`);
        } else {
          this.errors.report(title, outcome.error, audience);
        }
        return { status: 'failed', type: outcome.error.type, message: outcome.error.message };
    }
  }

  // ---------------------------------------------------------------------------- scheduling

  /** Re-review after the debounce delay; a newer edit restarts the delay. */
  schedule(doc: vscode.TextDocument, delay = this.config.debounceMs): void {
    const key = doc.uri.toString();
    this.cancelTimer(doc.uri);
    this.timers.set(
      key,
      setTimeout(() => {
        this.timers.delete(key);
        const open = vscode.workspace.textDocuments.find((d) => d.uri.toString() === key);
        if (open && !open.isClosed && !this.upToDate(open)) void this.reviewDocument(open, 'background');
      }, delay),
    );
  }

  private cancelTimer(uri: vscode.Uri): void {
    const key = uri.toString();
    const t = this.timers.get(key);
    if (t !== undefined) clearTimeout(t);
    this.timers.delete(key);
  }

  /** The document closed: stop its runs and timers (superseded, not reported as cancelled). */
  forget(uri: vscode.Uri): void {
    this.cancelTimer(uri);
    this.attempted.delete(uri.toString());
    const prefix = `${uri.toString()}#`;
    for (const [key, r] of this.running) {
      if (!key.startsWith(prefix)) continue;
      r.superseded = true;
      r.cts.cancel();
    }
  }

  /** The user's cancel: every run stops and reports `cancelled`. */
  cancelAll(): number {
    const n = this.running.size;
    for (const r of this.running.values()) r.cts.cancel();
    return n;
  }

  dispose(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    for (const r of this.running.values()) {
      r.superseded = true;
      r.cts.cancel();
    }
    this.runner.dispose();
    this.simulated.dispose();
    this.reviewed.dispose();
  }
}
