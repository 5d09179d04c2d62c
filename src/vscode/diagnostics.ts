/**
 * One diagnostic per finding, on the patch line that matters, with the property id as its code
 * (linked to the property's documentation) and related information at the other actor's steps.
 * One collection; a document's entry is rebuilt whenever its results change and removed when
 * it closes.
 */
import * as vscode from 'vscode';
import { DiagnosticPlan, Severity, diagnosticPlan } from './present';
import { ResultStore } from './results';

export const DIAGNOSTIC_SOURCE = 'KVM Race Lens';

const SEVERITY: Record<Severity, vscode.DiagnosticSeverity> = {
  error: vscode.DiagnosticSeverity.Error,
  warning: vscode.DiagnosticSeverity.Warning,
  information: vscode.DiagnosticSeverity.Information,
};

/** The code on a patch line: past any `> ` quoting and the `+`/`-`/` ` marker, to the end of the line. */
export function lineRange(doc: vscode.TextDocument, line: number): vscode.Range {
  const l = Math.min(Math.max(line - 1, 0), doc.lineCount - 1);
  const text = doc.lineAt(l).text;
  const prefix = /^(?:>[ \t]?)*[+\- ]?\s*/.exec(text)?.[0].length ?? 0;
  const start = prefix < text.length ? prefix : 0;
  return new vscode.Range(l, start, l, text.length);
}

export function toDiagnostic(doc: vscode.TextDocument, plan: DiagnosticPlan): vscode.Diagnostic {
  const d = new vscode.Diagnostic(lineRange(doc, plan.line), plan.message, SEVERITY[plan.severity]);
  d.source = DIAGNOSTIC_SOURCE;
  d.code = { value: plan.code, target: vscode.Uri.parse(plan.target) };
  d.relatedInformation = plan.related.map((r) => new vscode.DiagnosticRelatedInformation(new vscode.Location(doc.uri, lineRange(doc, r.line)), r.message));
  return d;
}

export class RaceLensDiagnostics implements vscode.Disposable {
  readonly collection = vscode.languages.createDiagnosticCollection('kvm-race-lens');

  constructor(private readonly store: ResultStore) {}

  refresh(uri: vscode.Uri): void {
    const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
    const entries = doc && !doc.isClosed ? this.store.findings(uri) : [];
    if (!doc || !entries.length) {
      this.collection.delete(uri);
      return;
    }
    this.collection.set(
      uri,
      entries.map((e) => toDiagnostic(doc, diagnosticPlan(e.finding, e.patch))),
    );
  }

  delete(uri: vscode.Uri): void {
    this.collection.delete(uri);
  }

  dispose(): void {
    this.collection.dispose();
  }
}
