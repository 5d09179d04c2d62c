/**
 * `npm run test:integration`: downloads VS Code (the oldest release `engines.vscode` allows,
 * unless VSCODE_VERSION says otherwise), starts it with only this extension enabled on a
 * workspace of fixture patches, and runs the mocha suite (index.ts) in its extension host.
 * test/e2e/run.sh runs the same suite inside code-server, where nothing can be downloaded.
 */
import * as path from 'node:path';
import { runTests } from '@vscode/test-electron';
import { REPO, prepareWorkspace } from './workspace';

async function main(): Promise<void> {
  const workspace = prepareWorkspace(path.join(REPO, '.vscode-test', 'workspace'));
  await runTests({
    version: process.env['VSCODE_VERSION'] ?? '1.100.3',
    extensionDevelopmentPath: REPO,
    extensionTestsPath: path.join(__dirname, 'index'),
    launchArgs: [workspace, '--disable-extensions', '--disable-workspace-trust', '--skip-welcome', '--skip-release-notes'],
  });
}

main().catch((e: unknown) => {
  console.error('integration tests failed:', e);
  process.exit(1);
});
