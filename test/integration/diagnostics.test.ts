/** Diagnostics: codes, ranges, related information, refresh on edit, removal on close, auto-review. */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { codeOf, extensionApi, fixtureUri, openFixture, raceLensDiagnostics, review, setSetting, waitFor } from './helpers';

const DOC_URL = 'https://github.com/kvm-race-lens/kvm-race-lens#pi-delivery';

describe('diagnostics', () => {
  before(async () => {
    await extensionApi();
  });

  it('puts one error per finding on the changed line, coded pi-delivery and linked to its documentation', async () => {
    const { document: doc } = await openFixture('upstream-irq-after-sync.patch');
    await review(doc.uri);
    const diags = await waitFor('diagnostics', () => {
      const d = raceLensDiagnostics(doc.uri);
      return d.length ? d : undefined;
    });
    assert.equal(diags.length, 1);
    const d = diags[0]!;
    assert.equal(d.severity, vscode.DiagnosticSeverity.Error);
    assert.deepEqual(codeOf(d), { value: 'pi-delivery', target: DOC_URL });
    assert.match(d.message, /^introduces a violation of pi-delivery/);
    // The removed `local_irq_disable();` (Finding.lines[0]), from the code after the `-` and the tab.
    const text = doc.lineAt(d.range.start.line).text;
    assert.equal(text, '-\tlocal_irq_disable();');
    assert.equal(d.range.start.line, d.range.end.line);
    assert.equal(d.range.start.character, 2);
    assert.equal(d.range.end.character, text.length);
  });

  it('points related information at the other actors\' steps and the patched lines', async () => {
    const { document: doc } = await openFixture('upstream-irq-after-sync.patch');
    const d = await waitFor('diagnostic', () => raceLensDiagnostics(doc.uri)[0]);
    const related = d.relatedInformation ?? [];
    assert.ok(related.length >= 2, `related information: ${related.length}`);
    for (const r of related) {
      assert.equal(r.location.uri.toString(), doc.uri.toString());
      assert.ok(r.location.range.start.line < doc.lineCount);
    }
    // The racing sender's post, anchored where it interleaves with the vCPU thread: at the added local_irq_disable().
    const sender = related.find((r) => /: sender\d/.test(r.message));
    assert.ok(sender, `a related entry for the sender: ${related.map((r) => r.message).join(' | ')}`);
    assert.equal(doc.lineAt(sender.location.range.start.line).text, '+\tlocal_irq_disable();');
    assert.ok(related.some((r) => r.message.includes('vCPU0 thread')), 'the vCPU thread\'s own steps on patched lines');
  });

  it('places the finding on the quoted line of a mail reply', async () => {
    const { document: doc } = await openFixture('upstream-irq-after-sync.eml');
    await review(doc.uri);
    const diags = await waitFor('diagnostics', () => {
      const d = raceLensDiagnostics(doc.uri);
      return d.length ? d : undefined;
    });
    assert.equal(diags.length, 1);
    assert.equal(doc.lineAt(diags[0]!.range.start.line).text, '> -\tlocal_irq_disable();');
    assert.equal(diags[0]!.range.start.character, 4);
    assert.equal(codeOf(diags[0]!).value, 'pi-delivery');
  });

  it('gives Information to a fix (the revert in a series) and Error to the patch that broke it', async () => {
    const { document: doc } = await openFixture('series-irq-after-sync-and-revert.mbox');
    await review(doc.uri);
    const diags = await waitFor('diagnostics', () => {
      const d = raceLensDiagnostics(doc.uri);
      return d.length >= 2 ? d : undefined;
    });
    const severities = diags.map((d) => d.severity).sort();
    assert.deepEqual(severities, [vscode.DiagnosticSeverity.Error, vscode.DiagnosticSeverity.Information]);
    const fix = diags.find((d) => d.severity === vscode.DiagnosticSeverity.Information)!;
    assert.match(fix.message, /^fixes pi-delivery/);
  });

  it('reports nothing for patches without findings', async () => {
    for (const name of ['5.19-preempted-skip.patch', 'upstream-comment-only.patch']) {
      const { document: doc } = await openFixture(name);
      await review(doc.uri);
      assert.deepEqual(raceLensDiagnostics(doc.uri), [], name);
    }
  });

  describe('following edits', () => {
    after(async () => {
      await setSetting('debounceMs', undefined);
      await setSetting('autoReview', undefined);
    });

    it('re-reviews after an edit (debounced) and moves the diagnostic with the text', async () => {
      await setSetting('debounceMs', 100);
      const source = await vscode.workspace.openTextDocument(fixtureUri('upstream-irq-after-sync.patch'));
      const doc = await vscode.workspace.openTextDocument({ language: 'kvm-patch', content: source.getText() });
      await vscode.window.showTextDocument(doc);
      await review(doc.uri);
      const before = await waitFor('diagnostic', () => raceLensDiagnostics(doc.uri)[0]);
      const edit = new vscode.WorkspaceEdit();
      edit.insert(doc.uri, new vscode.Position(0, 0), 'Reviewer note.\n\n');
      assert.ok(await vscode.workspace.applyEdit(edit));
      const moved = await waitFor('the diagnostic two lines further down', () => {
        const d = raceLensDiagnostics(doc.uri)[0];
        return d && d.range.start.line === before.range.start.line + 2 ? d : undefined;
      });
      assert.equal(doc.lineAt(moved.range.start.line).text, '-\tlocal_irq_disable();');
    });

    it('removes a document\'s diagnostics when it closes', async () => {
      const source = await vscode.workspace.openTextDocument(fixtureUri('upstream-irq-after-sync.patch'));
      const doc = await vscode.workspace.openTextDocument({ language: 'kvm-patch', content: source.getText() });
      await vscode.window.showTextDocument(doc);
      await review(doc.uri);
      await waitFor('diagnostic', () => raceLensDiagnostics(doc.uri)[0]);
      const api = await extensionApi();
      await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
      await waitFor('diagnostics removed on close', () => raceLensDiagnostics(doc.uri).length === 0 && api.results(doc.uri) === undefined);
    });

    it('reviews on open when auto-review is on', async () => {
      await setSetting('autoReview', true);
      const source = await vscode.workspace.openTextDocument(fixtureUri('upstream-irq-after-sync.patch'));
      const doc = await vscode.workspace.openTextDocument({ language: 'kvm-patch', content: source.getText() });
      const d = await waitFor('a diagnostic without running Review', () => raceLensDiagnostics(doc.uri)[0]);
      assert.equal(codeOf(d).value, 'pi-delivery');
    });
  });
});
