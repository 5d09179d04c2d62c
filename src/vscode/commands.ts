/**
 * Every command, in one table, registered under one prefix. Each takes the arguments its lens,
 * menu or tree item passes, and falls back to the active editor (and the cursor) from the
 * command palette. A throw is reported and logged, never left to the extension host.
 */
import * as vscode from 'vscode';
import { SCENARIOS } from '../model/scenarios';
import type { TimelineHunk } from '../protocol';
import type { ErrorReporter } from './log';
import type { Outlines } from './outline';
import { findingTimeline, scenarioTimeline, verdictPhrase } from './present';
import type { ResultStore } from './results';
import type { ReviewService, RunOutcome } from './reviews';
import type { ScenarioNode, ScenarioTree } from './scenarioTree';
import type { ScenarioRun } from './workerProtocol';
import { TimelineHost, TimelinePanel } from './timelinePanel';

export const PREFIX = 'kvmRaceLens';

export const COMMANDS = {
  review: `${PREFIX}.review`,
  simulateHunk: `${PREFIX}.simulateHunk`,
  openTimeline: `${PREFIX}.openTimeline`,
  rerunScenario: `${PREFIX}.rerunScenario`,
  showScenarioTrace: `${PREFIX}.showScenarioTrace`,
  cancel: `${PREFIX}.cancel`,
  clearResults: `${PREFIX}.clearResults`,
  showLog: `${PREFIX}.showLog`,
} as const;

export type CommandName = keyof typeof COMMANDS;

export interface CommandContext {
  readonly service: ReviewService;
  readonly store: ResultStore;
  readonly outlines: Outlines;
  readonly tree: ScenarioTree;
  readonly errors: ErrorReporter;
  readonly timeline: TimelineHost;
}

type Cmd = (...args: unknown[]) => unknown;

// ----------------------------------------------------------------------------- arguments

function asUri(arg: unknown): vscode.Uri | undefined {
  if (arg instanceof vscode.Uri) return arg;
  if (typeof arg === 'string' && arg.length) return vscode.Uri.parse(arg, true);
  return undefined;
}

/** The document an argument names (open or not), else the active editor's. */
async function documentFor(arg: unknown): Promise<vscode.TextDocument | undefined> {
  const uri = asUri(arg);
  if (uri) return vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString()) ?? (await vscode.workspace.openTextDocument(uri));
  const doc = vscode.window.activeTextEditor?.document;
  if (!doc) void vscode.window.showInformationMessage('KVM Race Lens: open a patch, a mail or a diff first (or paste one into an untitled editor).');
  return doc;
}

async function hunkAtCursor(ctx: CommandContext, doc: vscode.TextDocument): Promise<number | undefined> {
  const editor = vscode.window.activeTextEditor;
  const line = editor && editor.document === doc ? editor.selection.active.line + 1 : 1;
  const outline = await ctx.outlines.get(doc);
  const hunks = outline?.patches.flatMap((p) => p.hunks) ?? [];
  return (hunks.find((h) => line >= h.startLine && line <= h.endLine) ?? hunks.find((h) => h.startLine >= line) ?? hunks[0])?.index;
}

// -------------------------------------------------------------------------------- commands

async function review(ctx: CommandContext, arg: unknown): Promise<RunOutcome | undefined> {
  let doc = await documentFor(arg);
  if (!doc) return undefined;
  // Text pasted from a mail client arrives as plain text: give it the patch language (colours, lenses).
  if (doc.isUntitled && doc.languageId === 'plaintext') doc = await vscode.languages.setTextDocumentLanguage(doc, 'kvm-patch');
  return ctx.service.reviewDocument(doc, 'user');
}

async function simulateHunk(ctx: CommandContext, uriArg: unknown, hunkArg: unknown): Promise<RunOutcome | undefined> {
  const doc = await documentFor(uriArg);
  if (!doc) return undefined;
  const hunk = typeof hunkArg === 'number' && Number.isSafeInteger(hunkArg) && hunkArg >= 0 ? hunkArg : await hunkAtCursor(ctx, doc);
  if (hunk === undefined) {
    void vscode.window.showWarningMessage('KVM Race Lens: this document has no diff hunks.');
    return undefined;
  }
  return ctx.service.simulateHunk(doc, hunk, 'user');
}

async function openTimeline(ctx: CommandContext, uriArg: unknown, refArg: unknown): Promise<string | undefined> {
  const doc = await documentFor(uriArg);
  if (!doc) return undefined;
  let ref = typeof refArg === 'string' ? refArg : undefined;
  if (ref === undefined) {
    const entries = ctx.store.findings(doc.uri);
    if (!entries.length) {
      void vscode.window.showInformationMessage('KVM Race Lens: no findings in this document yet. Run "KVM Race Lens: Review" first.');
      return undefined;
    }
    const pick =
      entries.length === 1
        ? { ref: entries[0]!.ref }
        : await vscode.window.showQuickPick(
            entries.map((e) => ({ label: verdictPhrase(e.finding), description: e.finding.scenario, detail: e.finding.message, ref: e.ref })),
            { title: 'KVM Race Lens: open which counterexample?' },
          );
    if (!pick) return undefined;
    ref = pick.ref;
  }
  const entry = ctx.store.finding(doc.uri, ref);
  if (!entry) {
    void vscode.window.showWarningMessage('KVM Race Lens: that result is out of date; review the patch again.');
    return undefined;
  }
  const h = entry.patch.hunks.find((x) => x.index === entry.finding.hunks[0]);
  const hunk: TimelineHunk | null = h ? { index: h.index, startLine: h.startLine, endLine: Math.max(h.endLine, h.startLine) } : null;
  const model = findingTimeline(entry.finding, entry.profile, doc.uri.toString(), hunk);
  TimelinePanel.createOrShow(ctx.timeline, model);
  return model.title;
}

async function rerunScenario(ctx: CommandContext, arg: unknown): Promise<{ outcome: RunOutcome; run?: ScenarioRun } | undefined> {
  let id: string | undefined;
  if (typeof arg === 'string') id = arg;
  else if (typeof arg === 'object' && arg !== null && 'kind' in arg) {
    const node = arg as ScenarioNode;
    id = node.kind === 'scenario' ? node.id : node.kind === 'property' ? node.scenario : undefined;
  } else {
    const pick = await vscode.window.showQuickPick(
      SCENARIOS.map((s) => ({ label: s.id, description: s.title, detail: s.description })),
      { title: `KVM Race Lens: simulate which scenario (profile ${ctx.service.currentProfile()})?`, matchOnDescription: true },
    );
    id = pick?.label;
  }
  if (!id) return undefined;
  return ctx.service.simulateScenario(id, 'user');
}

function showScenarioTrace(ctx: CommandContext, scenarioArg: unknown, propertyArg: unknown): string | undefined {
  if (typeof scenarioArg !== 'string' || typeof propertyArg !== 'string') return undefined;
  const run = ctx.tree.verdicts(scenarioArg)?.run;
  const model = run ? scenarioTimeline(run, propertyArg) : undefined;
  if (!model) {
    void vscode.window.showInformationMessage(`KVM Race Lens: no counterexample of ${propertyArg} in ${scenarioArg}; re-run the scenario first.`);
    return undefined;
  }
  TimelinePanel.createOrShow(ctx.timeline, model);
  return model.title;
}

function cancel(ctx: CommandContext): number {
  const n = ctx.service.cancelAll();
  if (!n) vscode.window.setStatusBarMessage('KVM Race Lens: nothing is running', 3000);
  return n;
}

async function clearResults(ctx: CommandContext, arg: unknown): Promise<void> {
  const doc = await documentFor(arg);
  if (!doc) return;
  ctx.service.forget(doc.uri);
  ctx.store.delete(doc.uri);
}

/** The table: short name -> handler factory. Registered as `kvmRaceLens.<name>`. */
export const COMMAND_TABLE: Record<CommandName, (ctx: CommandContext) => Cmd> = {
  review: (ctx) => (uri) => review(ctx, uri),
  simulateHunk: (ctx) => (uri, hunk) => simulateHunk(ctx, uri, hunk),
  openTimeline: (ctx) => (uri, ref) => openTimeline(ctx, uri, ref),
  rerunScenario: (ctx) => (node) => rerunScenario(ctx, node),
  showScenarioTrace: (ctx) => (scenario, property) => showScenarioTrace(ctx, scenario, property),
  cancel: (ctx) => () => cancel(ctx),
  clearResults: (ctx) => (uri) => clearResults(ctx, uri),
  showLog: (ctx) => () => ctx.errors.log.show(),
};

export function registerCommands(ctx: CommandContext, subscriptions: vscode.Disposable[]): void {
  for (const [name, make] of Object.entries(COMMAND_TABLE) as [CommandName, (ctx: CommandContext) => Cmd][]) {
    const handler = make(ctx);
    subscriptions.push(
      vscode.commands.registerCommand(COMMANDS[name], async (...args: unknown[]) => {
        try {
          return await handler(...args);
        } catch (e) {
          ctx.errors.report(`command ${name}`, e, 'user');
          return undefined;
        }
      }),
    );
  }
}
