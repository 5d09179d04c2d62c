/** Shared by the integration suites: the extension's API, fixtures, polling and lenses. */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { KvmRaceLensApi } from '../../src/vscode/api';
import type { RunOutcome } from '../../src/vscode/reviews';

export const EXTENSION_ID = 'kvm-race-lens.kvm-race-lens';

export async function extensionApi(): Promise<KvmRaceLensApi> {
  const ext = vscode.extensions.getExtension<KvmRaceLensApi>(EXTENSION_ID);
  assert.ok(ext, `${EXTENSION_ID} is installed`);
  return ext.activate();
}

export function packageJson(): { contributes: Record<string, unknown> } & Record<string, unknown> {
  const ext = vscode.extensions.getExtension(EXTENSION_ID);
  assert.ok(ext);
  return ext.packageJSON as { contributes: Record<string, unknown> } & Record<string, unknown>;
}

export function fixtureUri(name: string): vscode.Uri {
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, 'the test workspace folder is open');
  return vscode.Uri.joinPath(folder.uri, name);
}

export async function openFixture(name: string): Promise<vscode.TextEditor> {
  const doc = await vscode.workspace.openTextDocument(fixtureUri(name));
  return vscode.window.showTextDocument(doc, { preview: false, viewColumn: vscode.ViewColumn.One });
}

/** Polls until `fn` returns something truthy; fails with `what` after `timeoutMs`. */
export async function waitFor<T>(what: string, fn: () => T | undefined | null | false | Promise<T | undefined | null | false>, timeoutMs = 30_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${String(last)})` : ''}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The first event that satisfies `pred`, or a timeout error. */
export function nextEvent<T>(event: vscode.Event<T>, pred: (e: T) => boolean, what: string, timeoutMs = 60_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      sub.dispose();
      reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
    }, timeoutMs);
    const sub = event((e) => {
      if (!pred(e)) return;
      clearTimeout(timer);
      sub.dispose();
      resolve(e);
    });
  });
}

export interface LensInfo {
  readonly line: number;
  readonly title: string;
  readonly command: string;
  readonly args: readonly unknown[];
}

export async function lenses(uri: vscode.Uri): Promise<LensInfo[]> {
  const found = (await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', uri, 100)) ?? [];
  return found
    .filter((l) => l.command)
    .map((l) => ({ line: l.range.start.line, title: l.command!.title, command: l.command!.command, args: l.command!.arguments ?? [] }))
    .sort((a, b) => a.line - b.line || a.title.localeCompare(b.title));
}

/** 0-based lines of the `@@` hunk headers (quoted or not). */
export function hunkHeaderLines(doc: vscode.TextDocument): number[] {
  const out: number[] = [];
  for (let i = 0; i < doc.lineCount; i++) if (/^(?:>\s?)*@@ /.test(doc.lineAt(i).text)) out.push(i);
  return out;
}

export async function review(uri: vscode.Uri): Promise<RunOutcome> {
  const outcome = await vscode.commands.executeCommand<RunOutcome>('kvmRaceLens.review', uri);
  assert.ok(outcome, 'the review command returned an outcome');
  assert.equal(outcome.status, 'done', `review outcome: ${JSON.stringify(outcome)}`);
  return outcome;
}

export function raceLensDiagnostics(uri: vscode.Uri): vscode.Diagnostic[] {
  return vscode.languages.getDiagnostics(uri).filter((d) => d.source === 'KVM Race Lens');
}

export function codeOf(d: vscode.Diagnostic): { value: string; target: string } {
  const code = d.code;
  assert.ok(code && typeof code === 'object' && 'target' in code, 'the diagnostic code links to documentation');
  return { value: String(code.value), target: code.target.toString(true) };
}

export async function setSetting(name: string, value: unknown): Promise<void> {
  await vscode.workspace.getConfiguration('kvmRaceLens').update(name, value, vscode.ConfigurationTarget.Global);
}

export async function closeAllEditors(): Promise<void> {
  await vscode.commands.executeCommand('workbench.action.closeAllEditors');
}
