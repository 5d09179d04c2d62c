/**
 * What is known about each open document: its last full review, its last per-hunk simulations,
 * and what is running. Lenses, diagnostics, hovers, the tree and the timeline all read from here
 * and refresh on `onDidChange`.
 */
import * as vscode from 'vscode';
import type { Finding, PatchReview, Review } from '../review/review';
import { findingKey } from './present';

export interface ReviewResult {
  readonly seq: number;
  /** The document version that was reviewed. */
  readonly version: number;
  /** The document version and the settings it was reviewed with (see ReviewService.reviewKey). */
  readonly key: string;
  readonly review: Review;
  readonly ms: number;
}

export interface HunkResult {
  readonly seq: number;
  readonly version: number;
  readonly profile: string;
  /** The hunk reviewed on its own, on top of the patches before it. */
  readonly review: PatchReview;
  readonly ms: number;
}

export interface DocumentResults {
  review: ReviewResult | undefined;
  readonly hunks: Map<number, HunkResult>;
  reviewRunning: boolean;
  readonly hunksRunning: Set<number>;
  /** Edits re-review the document (it was reviewed, or auto-review picked it up). */
  tracked: boolean;
}

/** A finding of a document, with where it came from; `ref` is stable until the next run. */
export interface FindingEntry {
  readonly ref: string;
  readonly finding: Finding;
  readonly patch: PatchReview;
  readonly profile: string;
}

export class ResultStore implements vscode.Disposable {
  private readonly docs = new Map<string, DocumentResults>();
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  private seq = 0;
  readonly onDidChange = this.changed.event;

  get(uri: vscode.Uri): DocumentResults | undefined {
    return this.docs.get(uri.toString());
  }

  private entry(uri: vscode.Uri): DocumentResults {
    const key = uri.toString();
    let d = this.docs.get(key);
    if (!d) {
      d = { review: undefined, hunks: new Map(), reviewRunning: false, hunksRunning: new Set(), tracked: false };
      this.docs.set(key, d);
    }
    return d;
  }

  uris(): vscode.Uri[] {
    return [...this.docs.keys()].map((k) => vscode.Uri.parse(k));
  }

  track(uri: vscode.Uri): void {
    this.entry(uri).tracked = true;
  }

  setReview(uri: vscode.Uri, version: number, key: string, review: Review, ms: number): void {
    const d = this.entry(uri);
    d.review = { seq: ++this.seq, version, key, review, ms };
    this.changed.fire(uri);
  }

  setHunk(uri: vscode.Uri, version: number, hunk: number, profile: string, review: PatchReview, ms: number): void {
    this.entry(uri).hunks.set(hunk, { seq: ++this.seq, version, profile, review, ms });
    this.changed.fire(uri);
  }

  setRunning(uri: vscode.Uri, what: 'review' | number, running: boolean): void {
    // A run that ends after its document closed must not bring the entry back.
    const d = running ? this.entry(uri) : this.docs.get(uri.toString());
    if (!d) return;
    if (what === 'review') d.reviewRunning = running;
    else if (running) d.hunksRunning.add(what);
    else d.hunksRunning.delete(what);
    this.changed.fire(uri);
  }

  /** The text changed: per-hunk results no longer match the hunks; the review stays until replaced. */
  edited(uri: vscode.Uri): void {
    const d = this.docs.get(uri.toString());
    if (d?.hunks.size) {
      d.hunks.clear();
      this.changed.fire(uri);
    }
  }

  /** Forget results but keep following edits (a setting changed: they are out of date). */
  clearResults(uri: vscode.Uri): void {
    const d = this.docs.get(uri.toString());
    if (!d) return;
    d.review = undefined;
    d.hunks.clear();
    this.changed.fire(uri);
  }

  delete(uri: vscode.Uri): void {
    if (this.docs.delete(uri.toString())) this.changed.fire(uri);
  }

  /** The run whose result a hunk shows: its own simulation if newer than the review. */
  hunkSource(uri: vscode.Uri, hunk: number): { patch: PatchReview; profile: string; ref: (finding: number) => string } | undefined {
    const d = this.docs.get(uri.toString());
    if (!d) return undefined;
    const own = d.hunks.get(hunk);
    const review = d.review;
    const pIndex = review ? review.review.patches.findIndex((p) => p.hunks.some((h) => h.index === hunk)) : -1;
    const fromReview = review && pIndex >= 0 ? review : undefined;
    if (own && (!fromReview || own.seq > fromReview.seq)) return { patch: own.review, profile: own.profile, ref: (i) => `h:${hunk}:${i}` };
    if (fromReview) return { patch: fromReview.review.patches[pIndex]!, profile: fromReview.review.profile, ref: (i) => `r:${pIndex}:${i}` };
    return undefined;
  }

  /** Every finding of the document: the review's, then the hunk runs' that the review does not already have. */
  findings(uri: vscode.Uri): FindingEntry[] {
    const d = this.docs.get(uri.toString());
    if (!d) return [];
    const out: FindingEntry[] = [];
    const seen = new Set<string>();
    d.review?.review.patches.forEach((patch, p) =>
      patch.findings.forEach((finding, i) => {
        seen.add(findingKey(finding));
        out.push({ ref: `r:${p}:${i}`, finding, patch, profile: d.review!.review.profile });
      }),
    );
    for (const [hunk, run] of [...d.hunks].sort((a, b) => a[0] - b[0])) {
      run.review.findings.forEach((finding, i) => {
        if (seen.has(findingKey(finding))) return;
        seen.add(findingKey(finding));
        out.push({ ref: `h:${hunk}:${i}`, finding, patch: run.review, profile: run.profile });
      });
    }
    return out;
  }

  finding(uri: vscode.Uri, ref: string): FindingEntry | undefined {
    const d = this.docs.get(uri.toString());
    if (!d) return undefined;
    const [kind, a, b] = ref.split(':');
    const x = Number(a);
    const i = Number(b);
    if (!Number.isInteger(x) || !Number.isInteger(i)) return undefined;
    if (kind === 'r' && d.review) {
      const patch = d.review.review.patches[x];
      const finding = patch?.findings[i];
      return patch && finding ? { ref, finding, patch, profile: d.review.review.profile } : undefined;
    }
    if (kind === 'h') {
      const run = d.hunks.get(x);
      const finding = run?.review.findings[i];
      return run && finding ? { ref, finding, patch: run.review, profile: run.profile } : undefined;
    }
    return undefined;
  }

  dispose(): void {
    this.changed.dispose();
    this.docs.clear();
  }
}
