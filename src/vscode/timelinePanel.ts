/**
 * The timeline panel: the webview from src/webview showing a counterexample step by step,
 * baseline and patched side by side. One panel at a time (createOrShow), restored after a
 * reload by the serializer (revive). The HTML is a fixed shell with a nonce'd script; data only
 * goes over postMessage, and messages both ways pass the guards of src/protocol.ts.
 */
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import {
  ExportMessage,
  FromWebview,
  RunSide,
  TimelineModel,
  ToWebview,
  isFromWebview,
  isTimelineViewState,
  isToWebview,
} from '../protocol';
import { lineRange } from './diagnostics';
import { ErrorReporter } from './log';

export const TIMELINE_VIEW_TYPE = 'kvmRaceLens.timeline';

/** What the panel needs from the extension. */
export interface TimelineHost {
  readonly extensionUri: vscode.Uri;
  readonly errors: ErrorReporter;
  /** Where exports go when there is nobody to ask (the extension's storage). */
  readonly storageDir: vscode.Uri;
  /** False under test: exports are written to `storageDir` instead of asking with a dialog. */
  readonly interactive: boolean;
  /** Fired with every message sent to the webview (the integration tests listen). */
  readonly posted: vscode.EventEmitter<ToWebview>;
  /** Fired with every message the webview sent, and whether it passed the protocol guard. */
  readonly received: vscode.EventEmitter<ReceivedMessage>;
  readonly exported: vscode.EventEmitter<vscode.Uri>;
  /** Marks the selected step's patch line in the editor. */
  readonly stepHighlight: vscode.TextEditorDecorationType;
}

export interface ReceivedMessage {
  readonly message: unknown;
  readonly accepted: boolean;
}

export class TimelinePanel implements vscode.Disposable {
  static current: TimelinePanel | undefined;

  private readonly disposables: vscode.Disposable[] = [];
  private model: TimelineModel | null;
  private ready = false;
  private disposed = false;

  static createOrShow(host: TimelineHost, model: TimelineModel): TimelinePanel {
    const existing = TimelinePanel.current;
    if (existing) {
      existing.panel.reveal(existing.panel.viewColumn ?? vscode.ViewColumn.Beside, true);
      existing.show(model);
      return existing;
    }
    const panel = vscode.window.createWebviewPanel(TIMELINE_VIEW_TYPE, 'KVM Race Lens timeline', { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true }, {
      ...TimelinePanel.options(host.extensionUri),
      enableFindWidget: true,
    });
    TimelinePanel.current = new TimelinePanel(panel, host, model);
    return TimelinePanel.current;
  }

  /** After a reload: `state` is whatever the webview saved; only a valid TimelineViewState is used. */
  static revive(panel: vscode.WebviewPanel, host: TimelineHost, state: unknown): TimelinePanel {
    panel.webview.options = TimelinePanel.options(host.extensionUri);
    const model = isTimelineViewState(state) ? state.model : null;
    TimelinePanel.current?.dispose();
    TimelinePanel.current = new TimelinePanel(panel, host, model);
    return TimelinePanel.current;
  }

  private static options(extensionUri: vscode.Uri): vscode.WebviewOptions {
    return {
      enableScripts: true,
      localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'dist'), vscode.Uri.joinPath(extensionUri, 'media')],
    };
  }

  private constructor(
    private readonly panel: vscode.WebviewPanel,
    private readonly host: TimelineHost,
    model: TimelineModel | null,
  ) {
    this.model = model;
    if (model) panel.title = `Timeline: ${model.title}`;
    panel.webview.html = this.html();
    panel.onDidDispose(() => this.dispose(), null, this.disposables);
    panel.webview.onDidReceiveMessage((m: unknown) => void this.receive(m), null, this.disposables);
  }

  get state(): { readonly model: TimelineModel | null; readonly ready: boolean; readonly visible: boolean } {
    return { model: this.model, ready: this.ready, visible: this.panel.visible };
  }

  show(model: TimelineModel): void {
    this.model = model;
    this.panel.title = `Timeline: ${model.title}`;
    if (this.ready) void this.post({ type: 'show', model });
  }

  private async post(message: ToWebview): Promise<boolean> {
    const valid: unknown = message;
    if (!isToWebview(valid)) {
      // Our own model broke a protocol limit: say so rather than let the webview drop it silently.
      this.host.errors.report('timeline', new Error(`refusing to send an invalid "${message.type}" message`), 'user');
      return false;
    }
    this.host.posted.fire(message);
    return this.panel.webview.postMessage(message);
  }

  /** Handles one message as if the webview had sent it; false when the guard rejects it. */
  async receive(message: unknown): Promise<boolean> {
    const accepted = isFromWebview(message);
    this.host.received.fire({ message, accepted });
    if (!accepted) {
      this.host.errors.log.warn(`timeline: ignored a message that does not match the protocol: ${JSON.stringify(message)?.slice(0, 200)}`);
      return false;
    }
    try {
      return await this.dispatch(message);
    } catch (e) {
      this.host.errors.report(`timeline ${message.type}`, e, 'user');
      return false;
    }
  }

  private async dispatch(message: FromWebview): Promise<boolean> {
    switch (message.type) {
      case 'ready':
        this.ready = true;
        if (this.model) await this.post({ type: 'show', model: this.model });
        return true;
      case 'reveal':
        return this.reveal(message.line);
      case 'stepChanged':
        this.highlight(message.side, message.step);
        return true;
      case 'export':
        return this.export(message);
    }
  }

  private documentUri(): vscode.Uri | undefined {
    const s = this.model?.documentUri;
    return s ? vscode.Uri.parse(s, true) : undefined;
  }

  /** Reveals and selects a line of the patch document, in the editor column it already has. */
  private async reveal(line: number): Promise<boolean> {
    const uri = this.documentUri();
    if (!uri) return false;
    const doc = await vscode.workspace.openTextDocument(uri);
    if (line > doc.lineCount) return false;
    const visible = vscode.window.visibleTextEditors.find((e) => e.document.uri.toString() === uri.toString());
    const column = visible?.viewColumn ?? (this.panel.viewColumn === vscode.ViewColumn.One ? vscode.ViewColumn.Two : vscode.ViewColumn.One);
    const editor = await vscode.window.showTextDocument(doc, { viewColumn: column, preserveFocus: false, preview: false });
    const range = lineRange(doc, line);
    editor.selection = new vscode.Selection(range.start, range.end);
    editor.revealRange(range, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
    return true;
  }

  /** Marks the selected step's patch line in the visible editors, without moving focus. */
  private highlight(side: RunSide, step: number): void {
    const uri = this.documentUri();
    if (!uri) return;
    const line = this.model?.runs.find((r) => r.side === side)?.trace?.steps[step - 1]?.line;
    for (const editor of vscode.window.visibleTextEditors) {
      if (editor.document.uri.toString() !== uri.toString()) continue;
      editor.setDecorations(this.host.stepHighlight, line !== undefined && line <= editor.document.lineCount ? [lineRange(editor.document, line)] : []);
    }
  }

  /** Writes only where the user chose in the save dialog, or (under test) into the extension's storage. */
  private async export(message: ExportMessage): Promise<boolean> {
    let target: vscode.Uri | undefined;
    if (this.host.interactive) {
      const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
      target = await vscode.window.showSaveDialog({
        title: 'Export the KVM Race Lens timeline',
        saveLabel: 'Export',
        ...(folder ? { defaultUri: vscode.Uri.joinPath(folder, message.filename) } : {}),
        filters: message.format === 'json' ? { JSON: ['json'] } : { SVG: ['svg'] },
      });
      if (!target) return false;
    } else {
      await vscode.workspace.fs.createDirectory(this.host.storageDir);
      target = vscode.Uri.joinPath(this.host.storageDir, message.filename);
    }
    await vscode.workspace.fs.writeFile(target, new TextEncoder().encode(message.content));
    this.host.exported.fire(target);
    this.host.errors.log.info(`timeline exported as ${message.format} to ${target.toString(true)}`);
    if (this.host.interactive) void vscode.window.showInformationMessage(`KVM Race Lens: exported the timeline to ${target.toString(true)}`);
    return true;
  }

  /** A fixed shell: URIs and the nonce are the only things put into it. */
  private html(): string {
    const webview = this.panel.webview;
    const nonce = randomBytes(18).toString('base64');
    const script = webview.asWebviewUri(vscode.Uri.joinPath(this.host.extensionUri, 'dist', 'webview.js'));
    const style = webview.asWebviewUri(vscode.Uri.joinPath(this.host.extensionUri, 'media', 'timeline.css'));
    const csp = `default-src 'none'; script-src 'nonce-${nonce}'; style-src ${webview.cspSource}; img-src ${webview.cspSource} data:`;
    return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${style.toString()}">
<title>KVM Race Lens timeline</title>
</head>
<body>
<main id="app"></main>
<script type="module" nonce="${nonce}" src="${script.toString()}"></script>
</body>
</html>`;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (TimelinePanel.current === this) TimelinePanel.current = undefined;
    const uri = this.documentUri();
    for (const editor of vscode.window.visibleTextEditors) if (uri && editor.document.uri.toString() === uri.toString()) editor.setDecorations(this.host.stepHighlight, []);
    this.panel.dispose();
    while (this.disposables.length) this.disposables.pop()?.dispose();
  }
}
