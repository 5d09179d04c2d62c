/**
 * Security properties of what ships ([hardening]): nothing from a patch is ever executed, the
 * extension runs no shell and writes only where the user chose or into its own storage, its
 * workspace-trust and virtual-workspace declarations match what it does, and the webview never
 * turns text into HTML. The rendered panel's CSP is read back in the browser tests
 * (test/webview/run.mjs) and in the real workbench (test/e2e/check.mjs).
 *
 * Runs after `npm run build` (as `npm test` does): the bundles in dist/ are what is checked.
 */
import * as assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { compile } from '../../src/model/compile';
import { ModelError } from '../../src/model/errors';
import { Model, eq, lit, ref } from '../../src/model/ir';

const ROOT = join(__dirname, '..', '..', '..');
const read = (p: string) => readFileSync(join(ROOT, p), 'utf8');

function sources(dir: string): { path: string; text: string }[] {
  return readdirSync(join(ROOT, dir)).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(join(ROOT, path)).isDirectory()) return sources(path);
    return /\.ts$/.test(name) ? [{ path, text: read(path) }] : [];
  });
}

/** A one-variable model whose only transition writes `value` (a constant the caller forges). */
function modelWriting(value: number): Model {
  return {
    name: 'forged',
    vars: [
      { id: 0, name: 'x', max: 3, init: 0, kind: 'state' },
      { id: 1, name: 'pc', max: 1, init: 0, kind: 'pc' },
    ],
    actors: [{ id: 0, name: 'a', lane: 'a', pcVar: 1, pcLabels: ['start', 'done'] }],
    transitions: [{ id: 0, actor: 0, from: 0, to: 1, label: 'write', guard: lit(1), effects: [{ id: 0, e: { k: 'const', v: value } }] }],
    properties: [{ id: 'p', bad: eq(ref(0), 2) }],
    derived: [],
    counters: [],
    programs: [],
  };
}

describe('security', () => {
  it('generated successor code holds integers only: a forged constant is refused, never run', () => {
    const g = globalThis as { pwned?: number };
    delete g.pwned;
    const forged = '0; globalThis.pwned = 1' as unknown as number;
    assert.throws(() => compile(modelWriting(forged), { tier: 'generated' }), (e: unknown) => e instanceof ModelError && /is not an integer/.test(e.message));
    assert.equal(g.pwned, undefined);
    // The same model with an integer compiles: the refusal is about the constant, not the model.
    assert.doesNotThrow(() => compile(modelWriting(1), { tier: 'generated' }));
  });

  it('no bundle can start a process: no child_process in dist/ (what ships, dependencies included)', () => {
    const bundles = ['dist/extension.js', 'dist/worker.js', 'dist/scenarioHelper.js', 'dist/webview.js', 'dist/cli-main.js', 'dist/cli.js'];
    for (const b of bundles) {
      assert.ok(existsSync(join(ROOT, b)), `${b} is built (npm run build)`);
      const text = read(b);
      // dist/cli.js is the launcher of dist/cli-main.js (src/cliLauncher.ts).
      assert.ok(text.length > (b === 'dist/cli.js' ? 1000 : 10_000), `${b} is a real bundle`);
      for (const bad of ['child_process', 'execSync', 'spawnSync']) assert.ok(!text.includes(bad), `${b} mentions ${bad}`);
    }
  });

  it('the extension writes only through the timeline export, to the storage or a file the user chose', () => {
    const writers = [...sources('src/vscode'), ...sources('src/webview')].flatMap((f) =>
      f.text.split('\n').flatMap((line, i) => (/\b(writeFile|writeFileSync|appendFile|createWriteStream|rename|unlink|rmSync|mkdirSync|delete)\s*\(/.test(line) && !/^\s*(\/\/|\*)/.test(line) && /fs\b|workspace\.fs/.test(line) ? [`${f.path}:${i + 1}`] : [])),
    );
    assert.deepEqual(writers.map((w) => w.replace(/:\d+$/, '')), ['src/vscode/timelinePanel.ts']);
    const panel = read('src/vscode/timelinePanel.ts');
    assert.match(panel, /target = await vscode\.window\.showSaveDialog\(/);
    assert.match(panel, /target = vscode\.Uri\.joinPath\(this\.host\.storageDir, message\.filename\)/);
    assert.match(read('src/vscode/extension.ts'), /storageDir: vscode\.Uri\.joinPath\(context\.storageUri \?\? context\.globalStorageUri, 'exports'\)/);
  });

  it('declares workspace trust and virtual workspaces as it behaves', () => {
    const pkg = JSON.parse(read('package.json')) as {
      capabilities: { untrustedWorkspaces: { supported: boolean | string; restrictedConfigurations?: string[] }; virtualWorkspaces: { supported: boolean } };
      contributes: { configuration: { properties: Record<string, { type: string }> } };
    };
    const { untrustedWorkspaces, virtualWorkspaces } = pkg.capabilities;
    // Budgets a workspace could raise to exhaust memory or time are the user's alone when untrusted.
    assert.equal(untrustedWorkspaces.supported, 'limited');
    const budgets = Object.entries(pkg.contributes.configuration.properties).filter(([, p]) => p.type === 'number' || p.type === 'integer').map(([k]) => k).filter((k) => /maxStates|timeoutMs/.test(k));
    assert.deepEqual([...(untrustedWorkspaces.restrictedConfigurations ?? [])].sort(), budgets.sort());
    // Virtual workspaces: the patches come from open documents, never from the file system.
    assert.equal(virtualWorkspaces.supported, true);
    for (const f of [...sources('src/vscode'), ...sources('src/webview')]) {
      assert.ok(!/from 'node:fs'|from 'fs'|require\('fs'\)/.test(f.text), `${f.path} reads the file system`);
      assert.ok(!/\.fsPath\b/.test(f.text.replace(/extensionUri, 'dist', 'worker\.js'\)\.fsPath/g, '').replace(/uri\.scheme === 'file' \? [^\n]*fsPath/g, '')), `${f.path} uses a file-system path of a document`);
    }
  });

  it('the webview renders text as text: no HTML sinks, no eval, no inline handlers', () => {
    for (const f of sources('src/webview')) {
      assert.ok(!/\.innerHTML\s*=|\.outerHTML\s*=|insertAdjacentHTML|document\.write|\beval\(|new Function/.test(f.text), `${f.path} has an HTML or code sink`);
      assert.ok(!/setAttribute\(\s*['"`]on/i.test(f.text), `${f.path} sets an inline handler`);
    }
    const shell = read('src/vscode/timelinePanel.ts');
    assert.match(shell, /default-src 'none'; script-src 'nonce-\$\{nonce\}'/);
    assert.ok(!/ on[a-z]+=/.test(shell), 'an inline handler in the panel shell');
  });
});
