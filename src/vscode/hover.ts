/**
 * Hover on a mapped patch line: which program step it is, where it sits in the counterexample,
 * and what the model does there (the step's summary and the SDM or kernel rule it encodes).
 * Patch text and model strings are untrusted: they go in only through escapeMarkdown, and the
 * MarkdownString is neither trusted (no command links) nor allowed HTML.
 */
import * as vscode from 'vscode';
import { HoverSource, escapeMarkdown as md, hoverPlan } from './present';
import { ResultStore } from './results';

export class RaceLensHover implements vscode.HoverProvider {
  constructor(private readonly store: ResultStore) {}

  provideHover(doc: vscode.TextDocument, position: vscode.Position): vscode.Hover | undefined {
    const results = this.store.get(doc.uri);
    if (!results) return undefined;
    const sources: HoverSource[] = [];
    const review = results.review?.review;
    if (review) for (const patch of review.patches) sources.push({ label: 'review', profile: review.profile, patch });
    for (const [hunk, run] of results.hunks) sources.push({ label: `hunk ${hunk}`, profile: run.profile, patch: run.review });
    const plan = hoverPlan(position.line + 1, sources);
    if (!plan) return undefined;
    const out: string[] = ['**KVM Race Lens**', ''];
    for (const c of plan.changes) out.push(`- program step **${md(c.program)}**: ${md(c.summary)}${c.note ? ` (${md(c.note)})` : ''}`);
    for (const s of plan.steps) {
      out.push(`- ${md(s.where)}: **${md(s.text)}**${s.program && s.op ? ` (${md(`${s.program}: ${s.op}`)})` : ''}`);
      if (s.rule) out.push(`  *${md(s.rule)}*`);
    }
    if (plan.docs.length) {
      out.push('', '---', '');
      for (const d of plan.docs) out.push(`- **${md(d.name)}**: ${md(d.summary)} — ${md(d.rule)}`);
    }
    const markdown = new vscode.MarkdownString(out.join('\n'));
    markdown.isTrusted = false;
    markdown.supportHtml = false;
    return new vscode.Hover(markdown, doc.lineAt(position.line).range);
  }
}
