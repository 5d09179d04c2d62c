/**
 * The workspace the integration suite opens: a fresh folder holding copies of fixture patches,
 * so a run never touches test/fixtures/. Used by runTest.ts (@vscode/test-electron) and by
 * test/e2e/run.sh (`node out/test/integration/workspace.js DIR`) for code-server.
 */
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import * as path from 'node:path';

/** Repository root, from out/test/integration/. */
export const REPO = path.resolve(__dirname, '../../..');

export const FIXTURE_FILES = [
  'upstream-irq-after-sync.patch',
  'upstream-irq-after-sync.eml',
  'upstream-irq-after-sync.diff',
  '5.19-preempted-skip.patch',
  'upstream-comment-only.patch',
  'series-irq-after-sync-and-revert.mbox',
] as const;

export function prepareWorkspace(dir: string): string {
  const target = path.resolve(dir);
  rmSync(target, { recursive: true, force: true });
  mkdirSync(target, { recursive: true });
  for (const f of FIXTURE_FILES) copyFileSync(path.join(REPO, 'test/fixtures/patches', f), path.join(target, f));
  return target;
}

if (require.main === module) {
  const dir = process.argv[2];
  if (!dir) {
    console.error('usage: node out/test/integration/workspace.js DIR');
    process.exit(2);
  }
  console.log(prepareWorkspace(dir));
}
