/** Activation, the manifest's promises, and the kvm-patch language. */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { COMMANDS } from '../../src/vscode/commands';
import { extensionApi, fixtureUri, packageJson } from './helpers';

describe('activation and manifest', () => {
  it('activates and reports its activation time', async () => {
    const api = await extensionApi();
    assert.equal(typeof api.activationMs, 'number');
    assert.ok(api.activationMs >= 0 && api.activationMs < 5_000, `activation took ${api.activationMs} ms`);
    // run.sh picks this line up for its summary.
    console.log(`[kvm-race-lens] activation ${api.activationMs.toFixed(1)} ms; VS Code ${vscode.version}; uiKind ${vscode.env.uiKind === vscode.UIKind.Web ? 'web' : 'desktop'}; remote ${vscode.env.remoteName ?? 'none'}`);
  });

  it('registers every contributed command, all under kvmRaceLens.', async () => {
    await extensionApi();
    const contributed = (packageJson().contributes['commands'] as { command: string }[]).map((c) => c.command);
    const registered = new Set(await vscode.commands.getCommands(true));
    for (const id of contributed) {
      assert.ok(id.startsWith('kvmRaceLens.'), id);
      assert.ok(registered.has(id), `${id} is registered`);
    }
    assert.deepEqual([...contributed].sort(), Object.values(COMMANDS).sort(), 'the manifest and the command table agree');
  });

  it('gives every setting a markdownDescription', () => {
    const props = (packageJson().contributes['configuration'] as { properties: Record<string, { markdownDescription?: string }> }).properties;
    assert.deepEqual(Object.keys(props).sort(), ['kvmRaceLens.autoReview', 'kvmRaceLens.debounceMs', 'kvmRaceLens.maxStates', 'kvmRaceLens.profile', 'kvmRaceLens.timeoutMs']);
    for (const [k, v] of Object.entries(props)) assert.ok(v.markdownDescription && v.markdownDescription.length > 20, `${k} has a markdownDescription`);
  });

  it('declares untrusted and virtual workspace support', () => {
    // Limited when untrusted: the workspace cannot raise the exploration budgets (the unit test
    // security.test.ts checks the list against the contributed settings).
    const caps = packageJson()['capabilities'] as { untrustedWorkspaces: { supported: boolean | string; restrictedConfigurations: string[] }; virtualWorkspaces: { supported: boolean } };
    assert.equal(caps.untrustedWorkspaces.supported, 'limited');
    assert.deepEqual([...caps.untrustedWorkspaces.restrictedConfigurations].sort(), ['kvmRaceLens.maxStates', 'kvmRaceLens.timeoutMs']);
    assert.equal(caps.virtualWorkspaces.supported, true);
  });

  for (const name of ['upstream-irq-after-sync.patch', 'upstream-irq-after-sync.diff', 'series-irq-after-sync-and-revert.mbox', 'upstream-irq-after-sync.eml']) {
    it(`opens ${name.replace(/^.*\./, '.')} files as kvm-patch`, async () => {
      const doc = await vscode.workspace.openTextDocument(fixtureUri(name));
      assert.equal(doc.languageId, 'kvm-patch');
    });
  }
});
