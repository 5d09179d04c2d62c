// One base configuration, several targets (see ../shared/docs/style.md):
// the CLI and the extension host bundle run on Node (CommonJS, `vscode` external), the
// exploration worker runs in a Node worker thread, and the timeline runs in the webview (ESM,
// browser). Type-checking is `tsc` (npm run compile); esbuild only bundles.
// Flags: --production (minify, no source maps), --watch.
import * as esbuild from 'esbuild';
import { existsSync } from 'node:fs';

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');

const base = {
  bundle: true,
  minify: production,
  sourcemap: production ? false : 'linked',
  logLevel: 'warning',
  legalComments: 'none',
};

const node = { ...base, platform: 'node', format: 'cjs', target: 'node20', external: ['vscode'] };

const targets = [
  { ...node, entryPoints: ['src/cli.ts'], outfile: 'dist/cli.js' },
  { ...node, entryPoints: ['src/vscode/extension.ts'], outfile: 'dist/extension.js' },
  { ...node, entryPoints: ['src/vscode/worker.ts'], outfile: 'dist/worker.js' },
  { ...base, platform: 'browser', format: 'esm', target: 'es2022', entryPoints: ['src/webview/main.ts'], outfile: 'dist/webview.js' },
].filter((t) => existsSync(t.entryPoints[0]));

if (watch) {
  for (const t of targets) await (await esbuild.context(t)).watch();
} else {
  await Promise.all(targets.map((t) => esbuild.build(t)));
}
