// One base configuration, several targets (see ../shared/docs/style.md):
// the CLI and the extension host bundle run on Node (CommonJS, `vscode` external), the
// exploration worker and its scenario helpers run in Node worker threads, and the timeline
// runs in the webview (ESM, browser). Type-checking is `tsc` (npm run compile); esbuild only bundles.
// Flags: --production (minify, no source maps), --watch.
import * as esbuild from 'esbuild';
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import * as path from 'node:path';

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');

const base = {
  bundle: true,
  minify: production,
  sourcemap: production ? false : 'linked',
  logLevel: 'warning',
  legalComments: 'none',
};

// The model code's fingerprint, compiled into the Node bundles: precomputed baselines
// (dist/baselines/, written below) are only used by a bundle of the same model code. A watch
// build leaves it out, since its baselines would go stale on the next save.
function fingerprint(dir) {
  const hash = createHash('sha256');
  const walk = (d) => {
    for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.ts')) hash.update(p).update('\0').update(readFileSync(p)).update('\0');
    }
  };
  walk(dir);
  return hash.digest('hex').slice(0, 32);
}
const define = watch ? {} : { __KRL_MODEL_FINGERPRINT__: JSON.stringify(fingerprint('src/model')) };

const node = { ...base, platform: 'node', format: 'cjs', target: 'node20', external: ['vscode'], define };

const targets = [
  { ...node, entryPoints: ['src/cliLauncher.ts'], outfile: 'dist/cli.js' },
  { ...node, entryPoints: ['src/cli.ts'], outfile: 'dist/cli-main.js' },
  { ...node, entryPoints: ['src/vscode/extension.ts'], outfile: 'dist/extension.js' },
  { ...node, entryPoints: ['src/vscode/worker.ts'], outfile: 'dist/worker.js' },
  { ...node, entryPoints: ['src/review/scenarioHelper.ts'], outfile: 'dist/scenarioHelper.js' },
  { ...base, platform: 'browser', format: 'esm', target: 'es2022', entryPoints: ['src/webview/main.ts'], outfile: 'dist/webview.js' },
].filter((t) => existsSync(t.entryPoints[0]));

if (watch) {
  for (const t of targets) await (await esbuild.context(t)).watch();
} else {
  await Promise.all(targets.map((t) => esbuild.build(t)));
  // Every profile's own programs, explored once here so that a review only explores its patch.
  rmSync('dist/baselines', { recursive: true, force: true });
  execFileSync(process.execPath, ['dist/cli.js', 'baselines', '--output', 'dist/baselines'], { stdio: 'inherit' });
  // The CLI's V8 code cache (src/cliLauncher.ts), from a review of the bundled example.
  rmSync('dist/cli-main.cache', { force: true });
  const example = spawnSync(process.execPath, ['dist/cli.js', 'check', 'examples/0001-KVM-x86-disable-IRQs-after-syncing-PIR.patch', '--json'], {
    env: { ...process.env, KRL_CODE_CACHE_OUT: 'dist/cli-main.cache' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  if (example.status === null || example.status > 1) throw new Error(`the code-cache run of the example failed (${example.status ?? example.signal})`);
}
