/**
 * The same input gives byte-identical JSON and SARIF, however the review ran: in this process
 * twice from nothing, in this process through the layers of stored results a long-lived reviewer
 * keeps (primed by other renderings of the same patches, so every stored trace is re-pointed at
 * other lines), in the exploration worker thread through the extension's WorkerRunner (one
 * thread, warm across the jobs), and in the CLI process with the baselines `npm run build`
 * stored, under another locale and time zone.
 *
 * The inputs: every fixture once, the five formats taken in turn so that each appears, and every
 * series. Reviewing every file in every format takes 40 s a pass on a 2-core machine and
 * exercises the same code as this set. The worker and the CLI run while this process reviews.
 */
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { DEFAULT_LIMITS } from '../../src/model/explore';
import { profileByVersion } from '../../src/model/profiles';
import { SCENARIOS } from '../../src/model/scenarios';
import { SimulationResult } from '../../src/model/simulate';
import { ReviewedFile, formatCheck } from '../../src/review/output';
import { PrecomputedBaselines, ResultCache, keptResults, precompute } from '../../src/review/resultCache';
import type { Review } from '../../src/review/review';
import { VERSION } from '../../src/version';
import { runJob } from '../../src/vscode/jobs';
import { WorkerRunner } from '../../src/vscode/workerClient';
import type { ExploreLimits } from '../../src/vscode/workerProtocol';
import { FIXTURES, FORMATS, render } from '../fixtures/fixtures';
import { PATCH_DIR, fixtureFileName, renderedFixtures } from '../fixtures/write';

const REPO = path.resolve(__dirname, '../../..');
const CLI = path.join(REPO, 'dist/cli.js');
/** tsc's output of src/vscode/worker.ts: the worker module without the bundle's baselines. */
const WORKER = path.resolve(__dirname, '../../src/vscode/worker.js');
/** The extension's default limits, which are the CLI's. */
const LIMITS: ExploreLimits = { maxStates: DEFAULT_LIMITS.maxStates, timeoutMs: DEFAULT_LIMITS.maxMs };

const singles = FIXTURES.filter((f) => !f.seriesOnly);
/** Relative to the repository, as a user would pass them to the CLI: the paths are in the output. */
const FILES: readonly string[] = [
  ...singles.map((f, k) => fixtureFileName(f, FORMATS[k % FORMATS.length]!)),
  ...renderedFixtures()
    .map(([name]) => name)
    .filter((name) => name.endsWith('.mbox')),
].map((name) => path.relative(REPO, path.join(PATCH_DIR, name)));
/** Each single fixture in the next format: the same programs at other lines, to prime the stored results. */
const PRIMERS: readonly string[] = singles.map((f, k) => render(f, FORMATS[(k + 1) % FORMATS.length]!));

const textOf = (file: string) => readFileSync(path.join(REPO, file), 'utf8');

interface Outputs {
  readonly json: string;
  readonly sarif: string;
}

function outputsOf(file: string, review: Review): Outputs {
  const files: ReviewedFile[] = [{ file, review }];
  return { json: formatCheck(files, 'json', VERSION), sarif: formatCheck(files, 'sarif', VERSION) };
}

/** The review the extension's job function gives, in this thread. */
function reviewHere(text: string, cache?: ResultCache): Review {
  const r = runJob({ kind: 'review', text, profile: null, limits: LIMITS }, cache);
  if (r.kind !== 'review') throw new Error(`review failed: ${JSON.stringify(r)}`);
  return r.review;
}

/** Byte equality, reported at the first difference rather than as a megabyte diff. */
function assertSameBytes(what: string, got: string | Buffer, want: string): void {
  const a = Buffer.isBuffer(got) ? got : Buffer.from(got, 'utf8');
  const b = Buffer.from(want, 'utf8');
  if (a.equals(b)) return;
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  const around = (x: Buffer) => JSON.stringify(x.subarray(Math.max(0, i - 80), i + 80).toString('utf8'));
  assert.fail(`${what}: ${a.length} bytes against ${b.length}, first difference at byte ${i}:\n  got  ${around(a)}\n  want ${around(b)}`);
}

/** Lets the worker's messages and the CLI's output in between two reviews on this thread. */
const yieldToEvents = () => new Promise<void>((resolve) => setImmediate(resolve));

/** A store that counts the results it answers. */
class Counted implements ResultCache {
  hits = 0;
  constructor(private readonly inner: ResultCache) {}
  get(key: string): SimulationResult | undefined {
    const r = this.inner.get(key);
    if (r) this.hits++;
    return r;
  }
  set(key: string, result: SimulationResult): void {
    this.inner.set(key, result);
  }
}

/** The precomputed baselines as `npm run build` writes them (through JSON), computed here on a profile's first use. */
function baselinesHere(): PrecomputedBaselines {
  return new PrecomputedBaselines((id) => {
    const profile = profileByVersion(id);
    return JSON.parse(JSON.stringify(precompute(profile, SCENARIOS, 'determinism'))) as unknown;
  }, 'determinism');
}

interface CliRun {
  readonly stdout: Buffer;
  readonly stderr: string;
  readonly code: number | null;
  readonly ms: number;
}

/** `kvm-race-lens check FLAG FILES...` in the repository, in Danish and at UTC+12:45 (Chatham Islands). */
function cliCheck(flag: '--json' | '--sarif', files: readonly string[]): Promise<CliRun> {
  const { KRL_NO_BASELINES: _stored, ...env } = process.env;
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, 'check', flag, ...files], { cwd: REPO, env: { ...env, LANG: 'da_DK.UTF-8', LC_ALL: 'da_DK.UTF-8', TZ: 'Pacific/Chatham' } });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => (err += b.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => resolve({ stdout: Buffer.concat(out), stderr: err, code, ms: performance.now() - t0 }));
  });
}

/** Settles like `p`, but never counts as an unhandled rejection before a test awaits it. */
function started<T>(p: Promise<T>): Promise<T> {
  p.catch(() => undefined);
  return p;
}

describe('determinism: byte-identical JSON and SARIF on every path', function () {
  const timings: string[] = [];
  const reference = new Map<string, Outputs>();
  const reviews: ReviewedFile[] = [];
  let worker: Promise<{ outputs: Map<string, Outputs>; ms: number; threads: number }>;
  let cli: Promise<{ json: CliRun; sarif: CliRun; single: { json: CliRun; sarif: CliRun } }>;
  const timed = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
    const t0 = performance.now();
    const r = await fn();
    timings.push(`${what} ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    return r;
  };

  before(async function () {
    // The worker, then the CLI, run on the other core while this thread reviews.
    worker = started(
      (async () => {
        const runner = new WorkerRunner(WORKER, { maxConcurrent: 1 });
        const t0 = performance.now();
        const outputs = new Map<string, Outputs>();
        try {
          for (const file of FILES) {
            const o = await runner.run({ kind: 'review', text: textOf(file), profile: null, limits: LIMITS });
            if (o.status !== 'done' || o.value.kind !== 'review') throw new Error(`${file}: worker job ${JSON.stringify(o)}`);
            outputs.set(file, outputsOf(file, o.value.review));
          }
          return { outputs, ms: performance.now() - t0, threads: runner.waiting };
        } finally {
          runner.dispose();
        }
      })(),
    );
    // One after the other, after the worker: this thread and one other at a time fill two cores.
    cli = started(
      (async () => {
        await worker.catch(() => undefined);
        const json = await cliCheck('--json', FILES);
        const sarif = await cliCheck('--sarif', FILES);
        const single = { json: await cliCheck('--json', [FILES[0]!]), sarif: await cliCheck('--sarif', [FILES[0]!]) };
        return { json, sarif, single };
      })(),
    );
    await timed('in-process, from nothing', async () => {
      for (const file of FILES) {
        const review = reviewHere(textOf(file));
        reviews.push({ file, review });
        reference.set(file, outputsOf(file, review));
        await yieldToEvents();
      }
    });
  });

  after(() => {
    console.log(`      [determinism] ${FILES.length} files: ${timings.join('; ')}`);
  });

  it('in this process, a second review from nothing', async () => {
    await timed('again from nothing', async () => {
      for (const file of FILES) {
        const got = outputsOf(file, reviewHere(textOf(file)));
        assertSameBytes(`${file} JSON`, got.json, reference.get(file)!.json);
        assertSameBytes(`${file} SARIF`, got.sarif, reference.get(file)!.sarif);
        await yieldToEvents();
      }
    });
  });

  it('in this process, through stored baselines and results kept from other renderings of the same patches', async () => {
    const baselines = new Counted(baselinesHere());
    const cache = new Counted(keptResults(baselines));
    await timed('with stored results', async () => {
      for (const text of PRIMERS) {
        reviewHere(text, cache);
        await yieldToEvents();
      }
      assert.ok(baselines.hits > 0, 'the stored baselines were never used');
      const primed = cache.hits;
      for (const file of FILES) {
        const got = outputsOf(file, reviewHere(textOf(file), cache));
        assertSameBytes(`${file} JSON`, got.json, reference.get(file)!.json);
        assertSameBytes(`${file} SARIF`, got.sarif, reference.get(file)!.sarif);
        await yieldToEvents();
      }
      assert.ok(cache.hits - primed >= FILES.length, `the files' reviews took only ${cache.hits - primed} results from the store`);
    });
  });

  it('in the exploration worker thread (the extension\'s WorkerRunner, one thread warm across the jobs)', async () => {
    const { outputs, ms, threads } = await worker;
    timings.push(`worker ${(ms / 1000).toFixed(1)} s`);
    assert.equal(threads, 1, 'one thread ran every job');
    for (const file of FILES) {
      assertSameBytes(`${file} JSON`, outputs.get(file)!.json, reference.get(file)!.json);
      assertSameBytes(`${file} SARIF`, outputs.get(file)!.sarif, reference.get(file)!.sarif);
    }
  });

  it('in the CLI process (dist/cli.js check --json and --sarif, with the built baselines, another locale and time zone)', async () => {
    const { json, sarif, single } = await cli;
    timings.push(`CLI ${(json.ms / 1000).toFixed(1)} s (--json), ${(sarif.ms / 1000).toFixed(1)} s (--sarif), all files in one process each`);
    for (const run of [json, sarif, single.json, single.sarif]) {
      assert.equal(run.stderr, '');
      assert.ok(run.code === 0 || run.code === 1 || run.code === 3, `exit ${run.code}`);
    }
    assertSameBytes('check --json of every file', json.stdout, formatCheck(reviews, 'json', VERSION));
    assertSameBytes('check --sarif of every file', sarif.stdout, formatCheck(reviews, 'sarif', VERSION));
    const first = FILES[0]!;
    assertSameBytes(`check --json ${first}`, single.json.stdout, reference.get(first)!.json);
    assertSameBytes(`check --sarif ${first}`, single.sarif.stdout, reference.get(first)!.sarif);
  });
});
