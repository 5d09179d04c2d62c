/** Code lenses before and after a review, per fixture, and "Simulate this hunk". */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { RunOutcome } from '../../src/vscode/reviews';
import { extensionApi, hunkHeaderLines, lenses, openFixture, review, waitFor } from './helpers';

describe('code lenses', () => {
  before(async () => {
    await extensionApi();
  });

  it('shows "Review patch (2 hunks)" above the patch and "Simulate this hunk" above each hunk', async () => {
    const { document: doc } = await openFixture('upstream-irq-after-sync.patch');
    await vscode.commands.executeCommand('kvmRaceLens.clearResults', doc.uri);
    const headers = hunkHeaderLines(doc);
    assert.equal(headers.length, 2);
    const found = await waitFor('lenses', async () => {
      const l = await lenses(doc.uri);
      return l.length >= 3 ? l : undefined;
    });
    assert.deepEqual(
      found.map((l) => [l.line, l.title]),
      [
        [0, 'Review patch (2 hunks)'],
        [headers[0], 'Simulate this hunk'],
        [headers[1], 'Simulate this hunk'],
      ],
    );
    assert.equal(found[0]!.command, 'kvmRaceLens.review');
    assert.equal(found[1]!.command, 'kvmRaceLens.simulateHunk');
    assert.deepEqual(found[1]!.args, [doc.uri.toString(), 0]);
  });

  it('after a review, the hunk that causes the finding says "introduces pi-delivery" and opens the timeline', async () => {
    const { document: doc } = await openFixture('upstream-irq-after-sync.patch');
    await review(doc.uri);
    const headers = hunkHeaderLines(doc);
    const found = await lenses(doc.uri);
    const patchLens = found.find((l) => l.line === 0)!;
    assert.match(patchLens.title, /^Review patch \(2 hunks\) · 1 introduced · profile 6\.17$/);
    const first = found.filter((l) => l.line === headers[0]);
    assert.deepEqual(
      first.map((l) => l.title),
      ['introduces pi-delivery'],
    );
    assert.equal(first[0]!.command, 'kvmRaceLens.openTimeline');
    assert.equal(first[0]!.args[0], doc.uri.toString());
    const second = found.filter((l) => l.line === headers[1]);
    assert.deepEqual(
      second.map((l) => l.title),
      ['no finding of its own (see hunk 0)'],
    );
  });

  it('says "no behavioural change" for a comment-only hunk', async () => {
    const { document: doc } = await openFixture('upstream-comment-only.patch');
    await review(doc.uri);
    const found = await lenses(doc.uri);
    assert.deepEqual(
      found.map((l) => l.title),
      ['Review patch (1 hunk) · no behavioural change · profile 6.17', 'no behavioural change'],
    );
  });

  it('says "no verdict changes" for a modelled hunk that changes no verdict', async () => {
    const { document: doc } = await openFixture('5.19-preempted-skip.patch');
    await review(doc.uri);
    const found = await lenses(doc.uri);
    assert.equal(found.length, 2);
    assert.match(found[0]!.title, /^Review patch \(1 hunk\) · no verdict changes · profile 5\.19$/);
    assert.match(found[1]!.title, /^no verdict changes \(\d+ scenarios?\)$/);
  });

  it('"Simulate this hunk" replaces the lens with that hunk\'s own result', async () => {
    const { document: doc } = await openFixture('series-irq-after-sync-and-revert.mbox');
    await vscode.commands.executeCommand('kvmRaceLens.clearResults', doc.uri);
    const headers = hunkHeaderLines(doc);
    const before = await lenses(doc.uri);
    assert.equal(before.filter((l) => l.title.startsWith('Review patch')).length, 2, 'one review lens per patch of the series');
    const lens = before.find((l) => l.line === headers[0] && l.title === 'Simulate this hunk');
    assert.ok(lens, 'lens above the first hunk');
    const outcome = await vscode.commands.executeCommand<RunOutcome>(lens.command, ...lens.args);
    assert.equal(outcome?.status, 'done');
    const after = (await lenses(doc.uri)).filter((l) => l.line === headers[0]);
    assert.deepEqual(
      after.map((l) => l.title),
      ['introduces pi-delivery'],
    );
    // The other hunks keep their "Simulate this hunk" until they are run.
    assert.ok((await lenses(doc.uri)).some((l) => l.line === headers[1] && l.title === 'Simulate this hunk'));
  });

  it('gives documents in the built-in diff language the same lenses', async () => {
    const source = await vscode.workspace.openTextDocument(vscode.Uri.joinPath(vscode.workspace.workspaceFolders![0]!.uri, 'upstream-irq-after-sync.diff'));
    const doc = await vscode.workspace.openTextDocument({ language: 'diff', content: source.getText() });
    assert.equal(doc.languageId, 'diff');
    const found = await waitFor('lenses on a diff document', async () => {
      const l = await lenses(doc.uri);
      return l.length >= 3 ? l : undefined;
    });
    assert.deepEqual(
      found.map((l) => l.title),
      ['Review patch (2 hunks)', 'Simulate this hunk', 'Simulate this hunk'],
    );
  });

  it('reviews text pasted into an untitled editor (a mail reply)', async () => {
    const eml = await vscode.workspace.openTextDocument(vscode.Uri.joinPath(vscode.workspace.workspaceFolders![0]!.uri, 'upstream-irq-after-sync.eml'));
    const pasted = await vscode.workspace.openTextDocument({ content: eml.getText() });
    assert.equal(pasted.languageId, 'plaintext');
    await vscode.window.showTextDocument(pasted);
    await review(pasted.uri);
    const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === pasted.uri.toString())!;
    assert.equal(doc.languageId, 'kvm-patch', 'the paste got the patch language');
    const found = await waitFor('lenses on the paste', async () => {
      const l = await lenses(doc.uri);
      return l.some((x) => x.title === 'introduces pi-delivery') ? l : undefined;
    });
    assert.ok(found.some((l) => l.title.startsWith('Review patch (2 hunks)')));
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  });
});
