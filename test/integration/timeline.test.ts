/**
 * The timeline panel: opened from the hunk's lens, its webview asks for the model ('ready'),
 * gets both sides of the finding, reveals patch lines, exports into storage under test, and
 * rejects messages that fail the protocol guards.
 */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { ShowMessage, TimelineModel } from '../../src/protocol';
import type { KvmRaceLensApi } from '../../src/vscode/api';
import { closeAllEditors, extensionApi, hunkHeaderLines, lenses, nextEvent, openFixture, review } from './helpers';

describe('timeline panel', () => {
  let api: KvmRaceLensApi;
  let doc: vscode.TextDocument;
  let model: TimelineModel;

  before(async () => {
    api = await extensionApi();
    await closeAllEditors();
    doc = (await openFixture('upstream-irq-after-sync.patch')).document;
    await review(doc.uri);
  });

  after(async () => {
    await closeAllEditors();
  });

  it('opens from the hunk lens; the webview says ready and receives both sides of the finding', async () => {
    const lens = (await lenses(doc.uri)).find((l) => l.line === hunkHeaderLines(doc)[0] && l.title === 'introduces pi-delivery');
    assert.ok(lens);
    const ready = nextEvent(api.timeline.onDidReceive, (e) => e.accepted && (e.message as { type?: string }).type === 'ready', 'the webview\'s ready message');
    const shown = nextEvent(api.timeline.onDidPost, (m) => m.type === 'show', 'a show message');
    const title = await vscode.commands.executeCommand<string>(lens.command, ...lens.args);
    assert.match(title ?? '', /^introduces pi-delivery · entry-vs-[a-z-]+$/);
    await ready;
    model = ((await shown) as ShowMessage).model;
    assert.equal(api.timeline.current()?.ready, true);
    assert.equal(model.documentUri, doc.uri.toString());
    assert.deepEqual(
      model.runs.map((r) => [r.side, r.verdict]),
      [
        ['baseline', 'holds'],
        ['patched', 'violated'],
      ],
    );
    const patched = model.runs[1]!.trace;
    assert.ok(patched && patched.steps.length > 5);
    assert.equal(patched.states.length, patched.steps.length + 1);
    assert.ok(patched.steps.some((s) => s.actor.startsWith('sender')), 'the racing sender is in the trace');
    assert.ok(patched.steps.some((s) => s.step === 'local_irq_disable()' && s.line !== undefined), 'the moved statement carries its patch line');
    assert.equal(model.hunk?.index, 0);
  });

  it('reveals and selects the patch line a step came from', async () => {
    const step = model.runs[1]!.trace!.steps.find((s) => s.step === 'local_irq_disable()' && s.line !== undefined)!;
    assert.equal(await api.timeline.deliver({ type: 'reveal', line: step.line }), true);
    const editor = vscode.window.activeTextEditor;
    assert.equal(editor?.document.uri.toString(), doc.uri.toString());
    assert.equal(editor!.selection.start.line, step.line! - 1);
    assert.equal(editor!.document.lineAt(editor!.selection.start.line).text, '+\tlocal_irq_disable();');
  });

  it('accepts step changes from the webview', async () => {
    assert.equal(await api.timeline.deliver({ type: 'stepChanged', side: 'patched', step: 3 }), true);
  });

  it('exports into the extension storage when nobody can be asked (test mode)', async () => {
    const exported = nextEvent(api.timeline.onDidExport, () => true, 'an export');
    assert.equal(await api.timeline.deliver({ type: 'export', format: 'json', filename: 'kvm-race-lens-trace.json', content: '{"ok":true}\n' }), true);
    const uri = await exported;
    assert.ok(uri.path.endsWith('/exports/kvm-race-lens-trace.json'), uri.toString());
    assert.equal(new TextDecoder().decode(await vscode.workspace.fs.readFile(uri)), '{"ok":true}\n');
  });

  it('rejects messages that fail the protocol guards', async () => {
    const bad: unknown[] = [
      { type: 'reveal', line: 0 },
      { type: 'reveal', line: 3, extra: true },
      { type: 'export', format: 'json', filename: '../escape.json', content: '{}' },
      { type: 'export', format: 'svg', filename: 'x.json', content: '' },
      { type: 'run', command: 'rm -rf /' },
      'ready',
      null,
    ];
    for (const m of bad) assert.equal(await api.timeline.deliver(m), false, JSON.stringify(m));
  });

  it('opens the same panel again for another finding (createOrShow)', async () => {
    const mbox = (await openFixture('series-irq-after-sync-and-revert.mbox')).document;
    await review(mbox.uri);
    const fixLens = (await lenses(mbox.uri)).find((l) => l.title === 'fixes pi-delivery');
    assert.ok(fixLens);
    const shown = nextEvent(api.timeline.onDidPost, (m) => m.type === 'show' && m.model.title.startsWith('fixes'), 'the fix\'s model');
    await vscode.commands.executeCommand(fixLens.command, ...fixLens.args);
    const fix = ((await shown) as ShowMessage).model;
    // For a fix, the baseline carries the counterexample the patch removes.
    assert.deepEqual(
      fix.runs.map((r) => [r.side, r.verdict]),
      [
        ['baseline', 'violated'],
        ['patched', 'holds'],
      ],
    );
  });
});
