/**
 * Runs SPIN on an exported model: `spin -o2 -a`, pan compiled with `-DSAFETY -DNOREDUCE`,
 * then one pan run per never claim. Used by the benchmark and, through compare.ts, by the
 * agreement test, the random-program test and the fuzz campaign.
 *
 * - `-o2` keeps write-only variables in the state vector. By default SPIN hides them, which
 *   merges states the explorer keeps apart (a ghost or display-only field), so the counts
 *   would differ for a reason that has nothing to do with correctness.
 * - `-DNOREDUCE`: no partial-order reduction. With one process it could not reduce anything,
 *   and it makes the count an unreduced one by construction.
 * - The maximum search depth (`-m`) is pan's DFS stack, not the BFS depth: a DFS path can be
 *   as long as there are states, times two for the claim's steps. A run that hits it is an
 *   error here, never a silently truncated count.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface PanClaimResult {
  readonly claim: string;
  readonly errors: number;
  readonly states: number;
  readonly transitions: number;
  readonly seconds: number;
}

export interface SpinResult {
  readonly claims: Readonly<Record<string, PanClaimResult>>;
  /** Wall time of `spin -a`, of compiling pan, and of all pan runs, in milliseconds. */
  readonly ms: { readonly generate: number; readonly compile: number; readonly run: number };
}

export interface SpinOptions {
  /** gcc optimisation level: `-O2` for the benchmark, `-O0` keeps the test's compiles short. */
  readonly optimize?: '-O0' | '-O1' | '-O2';
  /** An upper bound on the states, to size pan's hash table and DFS stack. */
  readonly expectedStates: number;
}

let available: boolean | undefined;

/** True when `spin` and `gcc` can be run. */
export async function spinAvailable(): Promise<boolean> {
  if (available === undefined) {
    try {
      await run('spin', ['-V']);
      await run('gcc', ['--version']);
      available = true;
    } catch {
      available = false;
    }
  }
  return available;
}

function parsePan(claim: string, out: string): PanClaimResult {
  if (/max search depth too small/.test(out)) throw new Error(`pan -N ${claim}: max search depth too small`);
  const num = (re: RegExp) => {
    const m = re.exec(out);
    if (!m) throw new Error(`pan -N ${claim}: no ${re.source} in its output:\n${out.slice(0, 2000)}`);
    return Number(m[1]);
  };
  return {
    claim,
    errors: num(/errors: (\d+)/),
    states: num(/(\d+) states, stored/),
    transitions: num(/(\d+) transitions \(= stored\+matched\)/),
    seconds: num(/pan: elapsed time ([\d.e+-]+) seconds/),
  };
}

/** pan's output, whatever its exit status (it reports errors in the output). */
async function pan(dir: string, args: string[]): Promise<string> {
  try {
    return (await run(path.join(dir, 'pan'), args, { cwd: dir, maxBuffer: 1 << 26 })).stdout;
  } catch (e) {
    const out = (e as { stdout?: string }).stdout;
    if (typeof out === 'string' && /states, stored/.test(out)) return out;
    throw e;
  }
}

async function timed<T>(f: () => Promise<T>): Promise<[T, number]> {
  const t = performance.now();
  const r = await f();
  return [r, performance.now() - t];
}

/** Runs SPIN on `promela` once per claim in `claims`. */
export async function runSpin(promela: string, claims: readonly string[], opts: SpinOptions): Promise<SpinResult> {
  const dir = mkdtempSync(path.join(tmpdir(), 'krl-spin-'));
  try {
    writeFileSync(path.join(dir, 'model.pml'), promela);
    const [, generate] = await timed(() => run('spin', ['-o2', '-a', 'model.pml'], { cwd: dir, maxBuffer: 1 << 24 }));
    const [, compile] = await timed(() => run('gcc', [opts.optimize ?? '-O0', '-DSAFETY', '-DNOREDUCE', '-w', '-o', 'pan', 'pan.c'], { cwd: dir, maxBuffer: 1 << 24 }));
    let w = 10;
    while (1 << w < opts.expectedStates * 2 && w < 28) w++;
    const depth = Math.max(10_000, 2 * opts.expectedStates + 100);
    const results: Record<string, PanClaimResult> = {};
    let runMs = 0;
    for (const claim of claims) {
      const [stdout, ms] = await timed(() => pan(dir, ['-N', claim, `-w${w}`, `-m${depth}`]));
      runMs += ms;
      results[claim] = parsePan(claim, stdout);
    }
    return { claims: results, ms: { generate, compile, run: runMs } };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
