/**
 * Extension entry (bundled to dist/extension.js). Wires the pieces together; every registration
 * goes into context.subscriptions. Exploration happens in worker threads (dist/worker.js), so
 * the extension host only reads documents, keeps results and draws them.
 */
import { performance } from 'node:perf_hooks';
import * as vscode from 'vscode';
import type { KvmRaceLensApi } from './api';
import { RaceLensProvider } from './codeLens';
import { CommandContext, registerCommands } from './commands';
import { Config, SettingName } from './config';
import { RaceLensDiagnostics } from './diagnostics';
import { RaceLensHover } from './hover';
import { ErrorReporter, LOG_NAME, shortMessage } from './log';
import { Outlines } from './outline';
import { ResultStore } from './results';
import { PATCH_LANGUAGES, ReviewService, autoReviewable } from './reviews';
import { SCENARIO_VIEW, ScenarioTree } from './scenarioTree';
import { ReceivedMessage, TIMELINE_VIEW_TYPE, TimelineHost, TimelinePanel } from './timelinePanel';
import { REVIEW_WORKER_LIMITS, WorkerRunner } from './workerClient';
import type { ToWebview } from '../protocol';

const loadedAt = performance.now();

/** Untitled pastes and .txt mails get lenses and hovers once reviewed (see RaceLensProvider). */
const SELECTOR: vscode.DocumentSelector = [...PATCH_LANGUAGES.map((language) => ({ language })), { language: 'plaintext' }];

const RESULT_SETTINGS: readonly SettingName[] = ['profile', 'maxStates', 'timeoutMs'];

function displayName(uri: vscode.Uri): string {
  return uri.scheme === 'file' ? vscode.workspace.asRelativePath(uri) : uri.toString(true);
}

export function activate(context: vscode.ExtensionContext): KvmRaceLensApi {
  const t0 = performance.now();
  const log = vscode.window.createOutputChannel(LOG_NAME, { log: true });
  context.subscriptions.push(log);
  try {
    return wire(context, log, t0);
  } catch (e) {
    log.error(`activation failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    log.show(true);
    void vscode.window.showErrorMessage(`KVM Race Lens failed to activate: ${shortMessage(e)}`);
    throw e;
  }
}

function wire(context: vscode.ExtensionContext, log: vscode.LogOutputChannel, t0: number): KvmRaceLensApi {
  const subs = context.subscriptions;
  const errors = new ErrorReporter(log);
  const config = new Config();
  const runner = new WorkerRunner(vscode.Uri.joinPath(context.extensionUri, 'dist', 'worker.js').fsPath, REVIEW_WORKER_LIMITS);
  const store = new ResultStore();
  const outlines = new Outlines(runner, log);
  const service = new ReviewService(runner, store, config, errors);
  const lenses = new RaceLensProvider(outlines, store);
  const diagnostics = new RaceLensDiagnostics(store);
  const tree = new ScenarioTree();
  const posted = new vscode.EventEmitter<ToWebview>();
  const received = new vscode.EventEmitter<ReceivedMessage>();
  const exported = new vscode.EventEmitter<vscode.Uri>();
  const stepHighlight = vscode.window.createTextEditorDecorationType({
    isWholeLine: true,
    backgroundColor: new vscode.ThemeColor('editor.rangeHighlightBackground'),
    overviewRulerColor: new vscode.ThemeColor('editorOverviewRuler.rangeHighlightForeground'),
    overviewRulerLane: vscode.OverviewRulerLane.Center,
  });
  subs.push(config, store, outlines, service, lenses, diagnostics, tree, posted, received, exported, stepHighlight);
  subs.push({ dispose: () => TimelinePanel.current?.dispose() });

  const timeline: TimelineHost = {
    extensionUri: context.extensionUri,
    errors,
    storageDir: vscode.Uri.joinPath(context.storageUri ?? context.globalStorageUri, 'exports'),
    interactive: context.extensionMode !== vscode.ExtensionMode.Test,
    posted,
    received,
    exported,
    stepHighlight,
  };

  subs.push(
    vscode.languages.registerCodeLensProvider(SELECTOR, lenses),
    vscode.languages.registerHoverProvider(SELECTOR, new RaceLensHover(store)),
    vscode.window.createTreeView(SCENARIO_VIEW, { treeDataProvider: tree, showCollapseAll: true }),
    vscode.window.registerWebviewPanelSerializer(TIMELINE_VIEW_TYPE, {
      deserializeWebviewPanel: async (panel, state: unknown) => {
        TimelinePanel.revive(panel, timeline, state);
      },
    }),
  );
  const ctx: CommandContext = { service, store, outlines, tree, errors, timeline };
  registerCommands(ctx, subs);

  const isOpen = (uri: vscode.Uri) => vscode.workspace.textDocuments.some((d) => !d.isClosed && d.uri.toString() === uri.toString());
  const autoReview = (doc: vscode.TextDocument) => {
    if (config.autoReview && autoReviewable(doc) && !store.get(doc.uri)?.tracked) service.schedule(doc, 0);
  };

  store.onDidChange(
    (uri) => {
      diagnostics.refresh(uri);
      lenses.refresh();
    },
    null,
    subs,
  );
  service.onDidSimulate((run) => tree.recordSimulation(run), null, subs);
  service.onDidReview(({ uri, review }) => tree.recordReview(displayName(uri), review), null, subs);
  vscode.workspace.onDidOpenTextDocument(errors.guard('auto-review', autoReview), null, subs);
  vscode.workspace.onDidChangeTextDocument(
    errors.guard('re-review after an edit', (e: vscode.TextDocumentChangeEvent) => {
      if (!e.contentChanges.length) return;
      const doc = e.document;
      store.edited(doc.uri);
      if (store.get(doc.uri)?.tracked || (config.autoReview && autoReviewable(doc))) service.schedule(doc);
    }),
    null,
    subs,
  );
  vscode.workspace.onDidCloseTextDocument(
    errors.guard('close', (doc: vscode.TextDocument) => {
      // A language change closes and reopens the document under the same URI: keep its results then.
      setTimeout(() => {
        if (isOpen(doc.uri)) return;
        service.forget(doc.uri);
        store.delete(doc.uri);
        diagnostics.delete(doc.uri);
        outlines.delete(doc.uri);
      }, 0);
    }),
    null,
    subs,
  );
  vscode.window.onDidChangeVisibleTextEditors(
    errors.guard('re-review on show', (editors: readonly vscode.TextEditor[]) => {
      for (const { document: doc } of editors) {
        const r = store.get(doc.uri);
        if (r?.tracked && !r.review && !r.reviewRunning) service.schedule(doc, 0);
      }
    }),
    null,
    subs,
  );
  config.onDidChange(
    errors.guard('settings', (names: readonly SettingName[]) => {
      if (names.some((n) => RESULT_SETTINGS.includes(n))) {
        // Results under the old profile or limits are out of date. Re-review what is on screen;
        // forget the rest, which is re-reviewed when it is shown again.
        const visible = new Set(vscode.window.visibleTextEditors.map((e) => e.document.uri.toString()));
        for (const uri of store.uris()) {
          const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
          if (!store.get(uri)?.tracked) store.edited(uri);
          else if (doc && visible.has(uri.toString())) {
            store.edited(uri);
            service.schedule(doc);
          } else store.clearResults(uri);
        }
      }
      if (names.includes('autoReview')) for (const doc of vscode.workspace.textDocuments) autoReview(doc);
      lenses.refresh();
      for (const uri of store.uris()) diagnostics.refresh(uri);
    }),
    null,
    subs,
  );
  for (const doc of vscode.workspace.textDocuments) autoReview(doc);

  const activationMs = performance.now() - t0;
  log.info(
    `activated in ${activationMs.toFixed(1)} ms (activate() itself; the bundle had finished loading ${(t0 - loadedAt).toFixed(1)} ms earlier); VS Code ${vscode.version}, ` +
      `${vscode.env.uiKind === vscode.UIKind.Web ? 'web' : 'desktop'} UI, remote ${vscode.env.remoteName ?? 'none'}, node ${process.versions.node}`,
  );

  return {
    activationMs,
    config,
    onDidChangeResults: store.onDidChange,
    results: (uri) => store.get(uri),
    runningWorkers: () => runner.running,
    simulateScenario: (scenario, profile) => service.simulateScenario(scenario, 'background', profile),
    cancelAll: () => service.cancelAll(),
    scenarios: tree,
    timeline: {
      onDidPost: posted.event,
      onDidReceive: received.event,
      onDidExport: exported.event,
      current: () => TimelinePanel.current?.state,
      deliver: async (message) => (TimelinePanel.current ? TimelinePanel.current.receive(message) : false),
    },
  };
}

export function deactivate(): void {
  // Everything is in context.subscriptions; running workers are terminated by ReviewService.dispose.
}
