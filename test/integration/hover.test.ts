/** Hover on mapped lines: the program step, the counterexample step, and the rule the model encodes. */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { extensionApi, openFixture, review } from './helpers';

function hoverText(hovers: vscode.Hover[]): string {
  return hovers
    .flatMap((h) => h.contents)
    .map((c) => (typeof c === 'string' ? c : 'value' in c ? c.value : ''))
    .join('\n')
    .replace(/\*\*/g, '')
    .replace(/\\(.)/g, '$1');
}

function lineOf(doc: vscode.TextDocument, text: string): number {
  for (let i = 0; i < doc.lineCount; i++) if (doc.lineAt(i).text === text) return i;
  throw new Error(`no line ${JSON.stringify(text)}`);
}

describe('hover', () => {
  before(async () => {
    await extensionApi();
  });

  it('explains a removed statement: the program step and what the model does there', async () => {
    const { document: doc } = await openFixture('upstream-irq-after-sync.patch');
    await review(doc.uri);
    const line = lineOf(doc, '-\tlocal_irq_disable();');
    const text = hoverText(await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', doc.uri, new vscode.Position(line, 3)));
    assert.match(text, /vcpu_enter_guest/);
    assert.match(text, /local_irq_disable removed/);
    assert.match(text, /host IRQs off on this pCPU/, 'the step summary from the model');
    assert.match(text, /§1/, 'the rule it encodes');
  });

  it('places an added statement in the counterexample', async () => {
    const { document: doc } = await openFixture('upstream-irq-after-sync.patch');
    await review(doc.uri);
    const line = lineOf(doc, '+\tlocal_irq_disable();');
    const text = hoverText(await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', doc.uri, new vscode.Position(line, 3)));
    assert.match(text, /patched, pi-delivery in [a-z-]+ \(profile 6\.17\), step \d+ of \d+/);
    assert.match(text, /vCPU0 thread: local_irq_disable\(\)/);
    assert.match(text, /§1: with host IRQs disabled/, 'the rule, with ordinary spaces so it wraps');
  });

  it('has nothing to say about an unmapped line', async () => {
    const { document: doc } = await openFixture('upstream-irq-after-sync.patch');
    await review(doc.uri);
    const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', doc.uri, new vscode.Position(1, 2));
    assert.equal(hoverText(hovers).includes('KVM Race Lens'), false);
  });
});
