/**
 * Lenses: "Review patch (N hunks)" above each patch and "Simulate this hunk" above each hunk;
 * after a run the hunk's lens says what it does ("introduces pi-delivery", "no behavioural
 * change", "not modelled: ...") and opens the timeline. provideCodeLenses only places ranges;
 * resolveCodeLens attaches titles and commands; the provider fires when results change.
 */
import * as vscode from 'vscode';
import { COMMANDS } from './commands';
import { Outlines } from './outline';
import { HunkLensItem, REVIEW_LENS, SIMULATE_LENS, hunkLensItems, patchSummary } from './present';
import { ResultStore } from './results';
import { PATCH_LANGUAGES } from './reviews';

type LensData =
  | { readonly kind: 'review'; readonly uri: string; readonly startLine: number; readonly hunks: number }
  | { readonly kind: 'hunk'; readonly uri: string; readonly hunk: number; readonly item: HunkLensItem | 'idle' | 'running'; readonly ref: string | null };

class RaceLens extends vscode.CodeLens {
  constructor(
    range: vscode.Range,
    readonly data: LensData,
  ) {
    super(range);
  }
}

export class RaceLensProvider implements vscode.CodeLensProvider<RaceLens>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeCodeLenses = this.changed.event;

  constructor(
    private readonly outlines: Outlines,
    private readonly store: ResultStore,
  ) {}

  refresh(): void {
    this.changed.fire();
  }

  async provideCodeLenses(doc: vscode.TextDocument, token: vscode.CancellationToken): Promise<RaceLens[]> {
    const results = this.store.get(doc.uri);
    // Other languages (an untitled paste, a .txt mail) get lenses once they were reviewed.
    if (!PATCH_LANGUAGES.includes(doc.languageId) && !results) return [];
    const outline = await this.outlines.get(doc);
    if (!outline || token.isCancellationRequested) return [];
    const at = (line: number) => {
      const l = Math.min(Math.max(line - 1, 0), doc.lineCount - 1);
      return new vscode.Range(l, 0, l, 0);
    };
    const uri = doc.uri.toString();
    const lenses: RaceLens[] = [];
    for (const p of outline.patches) {
      lenses.push(new RaceLens(at(p.startLine), { kind: 'review', uri, startLine: p.startLine, hunks: p.hunks.length }));
      for (const h of p.hunks) {
        const range = at(h.headerLine);
        if (results?.hunksRunning.has(h.index)) {
          lenses.push(new RaceLens(range, { kind: 'hunk', uri, hunk: h.index, item: 'running', ref: null }));
          continue;
        }
        const source = this.store.hunkSource(doc.uri, h.index);
        const items = source ? hunkLensItems(source.patch, h.index) : [];
        if (!source || !items.length) {
          lenses.push(new RaceLens(range, { kind: 'hunk', uri, hunk: h.index, item: 'idle', ref: null }));
          continue;
        }
        for (const item of items) lenses.push(new RaceLens(range, { kind: 'hunk', uri, hunk: h.index, item, ref: item.finding !== undefined ? source.ref(item.finding) : null }));
      }
    }
    return lenses;
  }

  resolveCodeLens(lens: RaceLens): RaceLens {
    const d = lens.data;
    if (d.kind === 'review') {
      const results = this.store.get(vscode.Uri.parse(d.uri));
      const reviewed = results?.review?.review.patches.find((p) => p.startLine === d.startLine);
      const suffix = results?.reviewRunning ? ' · reviewing…' : reviewed ? ` · ${patchSummary(reviewed)} · profile ${results!.review!.review.profile}` : '';
      lens.command = {
        title: `${REVIEW_LENS(d.hunks)}${suffix}`,
        command: COMMANDS.review,
        arguments: [d.uri],
        tooltip: 'Explore every scenario before and after this patch (the whole document, each patch on top of the ones before it)',
      };
    } else if (d.item === 'idle') {
      lens.command = { title: SIMULATE_LENS, command: COMMANDS.simulateHunk, arguments: [d.uri, d.hunk], tooltip: 'Explore this hunk on its own, on top of the patches before it' };
    } else if (d.item === 'running') {
      lens.command = { title: 'Simulating this hunk…', command: COMMANDS.cancel, tooltip: 'Click to cancel' };
    } else if (d.ref !== null) {
      lens.command = { title: d.item.title, command: COMMANDS.openTimeline, arguments: [d.uri, d.ref], tooltip: d.item.tooltip };
    } else {
      lens.command = { title: d.item.title, command: COMMANDS.simulateHunk, arguments: [d.uri, d.hunk], tooltip: `${d.item.tooltip}. Click to simulate this hunk again.` };
    }
    return lens;
  }

  dispose(): void {
    this.changed.dispose();
  }
}
