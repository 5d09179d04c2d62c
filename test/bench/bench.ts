/**
 * `npm run bench`: what exploration and review cost on this machine. Timings live here, never
 * in the tests.
 *
 *   node out/test/bench/bench.js [--json FILE] [--quick] [--only SECTION,...]
 *
 * Sections:
 * - scenarios: every scenario under every profile: states, transitions, states/s, memory;
 * - fixtures: every exploration the fixture reviews run (baseline and patched programs);
 * - latency: review of every fixture patch, as a cold CLI process (`check FILE --json`), through
 *   the warm in-process API, and warm in a worker thread with the extension's heap limits
 *   (warmWorker.ts), alone and with its helper threads, median of several runs, per modelled hunk;
 *   with Node's own start (`node -e 0`) beside it, and, where NODE_EXTRA_CA_CERTS is set, the
 *   cold process and Node's start again without it;
 * - reduction: the models the fixture reviews reduce, simulated with and without partial-order
 *   reduction;
 * - scaling: the scaled scenarios (1-4 senders, 1-4 vectors, 1-3 vCPUs), each in its own
 *   process for an honest peak RSS, with how states and time grow;
 * - spin: the explorer beside SPIN (pan -O2 -DSAFETY -DNOREDUCE) on the same exported models:
 *   states/s and end to end (ours: build, compile, explore; SPIN's: spin -a, gcc, pan).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import * as path from 'node:path';
import { compile } from '../../src/model/compile';
import { explore } from '../../src/model/explore';
import { PROFILES, UPSTREAM } from '../../src/model/profiles';
import { ALL_STATES_CLAIM, toPromela } from '../../src/model/promela';
import { SCENARIOS, scenarioById } from '../../src/model/scenarios';
import { buildModel, simulateModel } from '../../src/model/simulate';
import { readPatches } from '../../src/patch';
import { reviewPatchSet } from '../../src/review/review';
import { bundledBaselines } from '../../src/review/resultCache';
import { helpersForThisMachine } from '../../src/review/scenarioPool';
import { runSpin, spinAvailable } from '../spin/pan';
import { distBaselines } from './distBaselines';
import { exploreOnce } from './one';

const ROOT = path.join(__dirname, '..', '..', '..');
const CLI = path.join(ROOT, 'dist', 'cli.js');
const PATCHES = path.join(ROOT, 'test', 'fixtures', 'patches');

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const jsonAt = args.indexOf('--json');
const jsonFile = jsonAt >= 0 ? args[jsonAt + 1] : undefined;
const onlyAt = args.indexOf('--only');
const only = onlyAt >= 0 ? new Set(args[onlyAt + 1]!.split(',')) : undefined;
const want = (section: string) => !only || only.has(section);

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const kib = (bytes: number) => `${fmt(bytes / 1024)} KiB`;

function table(title: string, head: string[], rows: (string | number)[][]): void {
  const cells = [head, ...rows.map((r) => r.map(String))];
  const widths = head.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  process.stdout.write(`\n## ${title}\n\n`);
  for (const [k, r] of cells.entries()) {
    process.stdout.write(r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ') + '\n');
    if (k === 0) process.stdout.write(widths.map((w) => '-'.repeat(w)).join('  ') + '\n');
  }
}

const patchFiles = readdirSync(PATCHES)
  .filter((f) => f.endsWith('.patch'))
  .sort();

async function main(): Promise<void> {
const results: Record<string, unknown> = {
  machine: { node: process.version, cpus: cpus().length, model: cpus()[0]?.model ?? 'unknown', date: new Date().toISOString() },
};

// ------------------------------------------------------------------ scenarios

if (want('scenarios')) {
  const rows: (string | number)[][] = [];
  const out: unknown[] = [];
  for (const profile of quick ? [UPSTREAM] : PROFILES) {
    for (const scenario of SCENARIOS) {
      if (!profile.areas.includes(scenario.area)) continue;
      const r = exploreOnce(scenario.id, profile.id);
      rows.push([`${scenario.id}@${profile.id}`, fmt(r.states), fmt(r.transitions), fmt(r.ms, 1), fmt(r.statesPerSecond), kib(r.bytes)]);
      out.push({ scenario: scenario.id, profile: profile.id, ...r });
    }
  }
  table('Scenarios (build + compile + explore, no counters; memory: the visited set, the most the explorer held)', ['scenario@profile', 'states', 'transitions', 'ms', 'states/s', 'memory'], rows);
  results['scenarios'] = out;
}

// ------------------------------------------------------------------ fixtures' programs and latency

if (want('fixtures')) {
  const rows: (string | number)[][] = [];
  const out: unknown[] = [];
  for (const f of patchFiles) {
    reviewPatchSet(readPatches(readFileSync(path.join(PATCHES, f))), {
      observe: (r) => {
        const s = r.result.stats;
        rows.push([f.replace(/\.patch$/, ''), `${r.scenario.id}@${r.profile.id}`, fmt(s.states), fmt(s.transitions), fmt(s.ms, 1), fmt(s.ms ? (s.states / s.ms) * 1000 : 0), kib(s.bytes), s.reduced ? 'yes' : '']);
        out.push({ fixture: f, scenario: r.scenario.id, profile: r.profile.id, states: s.states, transitions: s.transitions, ms: s.ms, bytes: s.bytes, reduced: s.reduced === true });
      },
    });
  }
  table("Explorations the fixture reviews run (baseline and patched programs; memory: the visited set and the edges kept for the counters, the most the explorer held; reduced: partial-order reduction ran, so states count the reduced graph)", ['fixture', 'scenario@profile', 'states', 'transitions', 'ms', 'states/s', 'memory', 'reduced'], rows);
  results['fixtures'] = out;
}

if (want('latency')) {
  const runs = quick ? 3 : 7;
  // The baselines npm run build wrote, read with the fingerprint they carry.
  const stored = distBaselines(ROOT);
  const baselines = stored ? bundledBaselines(stored.dir, stored.fingerprint) : undefined;
  // Warm in the extension: the same reviews in a worker thread with the extension's heap limits,
  // alone and with helper threads: as many as the extension gives it on this machine, at least
  // one (on 2 cores it gives none, and the column shows why).
  const inWorker = (helpers: string) =>
    JSON.parse(execFileSync(process.execPath, [path.join(__dirname, 'warmWorker.js'), String(runs), helpers, ...patchFiles.map((f) => path.join(PATCHES, f))], { encoding: 'utf8', maxBuffer: 1 << 24 })) as number[][];
  const alone = inWorker('0');
  const helpers = Math.max(1, helpersForThisMachine());
  const helped = inWorker(String(helpers));
  // Node reads and parses the certificates NODE_EXTRA_CA_CERTS names as it starts, before any
  // script runs (this project's machines set it for their npm proxy: about 80 ms of a start of
  // 120-160 ms). The CLI opens no connection, so the cold process is also timed without it.
  const withoutCa = process.env['NODE_EXTRA_CA_CERTS'] !== undefined ? Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'NODE_EXTRA_CA_CERTS')) : undefined;
  const envs = withoutCa ? [process.env, withoutCa] : [process.env];
  // Median per environment, the runs alternating between them so that both meet the same drift.
  const timedProcess = (argv: string[]): [number, number | undefined] => {
    const ms: number[][] = envs.map(() => []);
    for (let i = 0; i < runs; i++) {
      envs.forEach((env, k) => {
        const t = performance.now();
        try {
          execFileSync(process.execPath, argv, { stdio: ['ignore', 'pipe', 'pipe'], env });
        } catch (e) {
          // Exit status 1 means "a violation was introduced": a result, not a failure.
          if ((e as { status?: number }).status !== 1) throw e;
        }
        ms[k]!.push(performance.now() - t);
      });
    }
    return [median(ms[0]!), ms[1] ? median(ms[1]) : undefined];
  };
  const [nodeStart, nodeStartWithoutCa] = timedProcess(['-e', '0']);
  const rows: (string | number)[][] = [];
  const out: unknown[] = [];
  for (const [k, f] of patchFiles.entries()) {
    const file = path.join(PATCHES, f);
    const [c, cw] = timedProcess([CLI, 'check', file, '--json']);
    // Warm, as the extension's worker: a JIT that has run reviews before, and the bundled
    // baselines; the patched side is explored afresh every time.
    const text = readFileSync(file);
    const first = reviewPatchSet(readPatches(text), baselines ? { cache: baselines } : {});
    const hunks = first.patches.reduce((n, p) => n + p.hunks.filter((h) => h.status === 'modelled' || h.status === 'partial').length, 0);
    const warm: number[] = [];
    for (let i = 0; i < runs; i++) {
      const t = performance.now();
      reviewPatchSet(readPatches(text), baselines ? { cache: baselines } : {});
      warm.push(performance.now() - t);
    }
    const w = median(warm);
    const wa = median(alone[k]!);
    const wh = median(helped[k]!);
    const perHunk = (ms: number) => (hunks ? fmt(ms / hunks, 1) : '-');
    rows.push([f.replace(/\.patch$/, ''), fmt(c), ...(cw !== undefined ? [fmt(cw)] : []), hunks, perHunk(w), perHunk(wa), perHunk(wh)]);
    out.push({ fixture: f, coldCliMs: c, ...(cw !== undefined ? { coldCliWithoutExtraCaMs: cw } : {}), warmApiMs: w, modelledHunks: hunks, warmPerHunkMs: hunks ? w / hunks : null, warmWorkerMs: wa, warmWorkerHelpedMs: wh, helpers, runs });
  }
  table(
    `Review latency (median of ${runs}; Node's own start, node -e 0: ${fmt(nodeStart)} ms${nodeStartWithoutCa !== undefined ? `, ${fmt(nodeStartWithoutCa)} ms without NODE_EXTRA_CA_CERTS` : ''}; warm: after earlier reviews, with the bundled baselines: in this process, in a worker thread with the extension's heap limits, and in that worker with ${helpers} helper thread${helpers === 1 ? '' : 's'}; the extension gives it ${helpersForThisMachine()} on this machine)`,
    ['fixture', 'cold CLI ms', ...(withoutCa ? ['cold, no extra CA ms'] : []), 'hunks', 'warm ms/hunk', 'worker ms/hunk', `+${helpers} helper ms/hunk`],
    rows,
  );
  results['latency'] = out;
  results['nodeStart'] = { ms: nodeStart, ...(nodeStartWithoutCa !== undefined ? { withoutExtraCaMs: nodeStartWithoutCa } : {}), runs };
}

// ------------------------------------------------------------------ partial-order reduction

if (want('reduction')) {
  // Every model the fixture reviews explore where reduction ran, explored again with and
  // without it (median of 5 each): what it saves, and what finding the counterexample costs.
  const rows: (string | number)[][] = [];
  const out: unknown[] = [];
  const seen = new Set<string>();
  const runs = quick ? 3 : 5;
  for (const f of patchFiles) {
    reviewPatchSet(readPatches(readFileSync(path.join(PATCHES, f))), {
      observe: ({ model, scenario, profile, result }) => {
        if (!result.stats.reduced || seen.has(`${model.name}\u0000${result.stats.states}`)) return;
        seen.add(`${model.name}\u0000${result.stats.states}`);
        const time = (reduce: boolean) => {
          const ms: number[] = [];
          let states = 0;
          for (let i = 0; i < runs; i++) {
            const t = performance.now();
            states = simulateModel(model, scenario, profile, {}, { reduce }).stats.states;
            ms.push(performance.now() - t);
          }
          return { states, ms: median(ms) };
        };
        const full = time(false);
        const reduced = time(true);
        rows.push([model.name, fmt(full.states), fmt(reduced.states), fmt(full.ms, 1), fmt(reduced.ms, 1), fmt(full.ms / reduced.ms, 2)]);
        out.push({ fixture: f, model: model.name, states: full.states, reducedStates: reduced.states, ms: full.ms, reducedMs: reduced.ms });
      },
    });
  }
  table(`Partial-order reduction (simulate: explore, counters, shortest counterexample; median of ${runs})`, ['model', 'states', 'reduced', 'ms', 'reduced ms', 'speed-up'], rows);
  results['reduction'] = out;
}

// ------------------------------------------------------------------ scaling

if (want('scaling')) {
  const ids = quick
    ? ['scale-1-1-1', 'scale-2-1-1', 'scale-3-1-1']
    : ['scale-1-1-1', 'scale-2-1-1', 'scale-3-1-1', 'scale-4-1-1', 'scale-4-2-1', 'scale-4-3-1', 'scale-4-4-1', 'scale-1-1-2', 'scale-2-1-2', 'scale-2-2-2', 'scale-1-1-3', 'scale-3-1-3'];
  const rows: (string | number)[][] = [];
  const out: { id: string; states: number; ms: number; complete: boolean }[] = [];
  for (const id of ids) {
    const text = execFileSync(process.execPath, [path.join(__dirname, 'one.js'), id, UPSTREAM.id, '10000000', '60000'], { encoding: 'utf8' });
    const r = JSON.parse(text) as ReturnType<typeof exploreOnce> & { maxRssBytes: number };
    const prev = out.at(-1);
    const growth = prev && r.complete && prev.complete ? `x${fmt(r.states / prev.states, 1)} states, x${fmt(r.ms / prev.ms, 1)} time` : '';
    rows.push([id, fmt(r.states), fmt(r.transitions), r.complete ? 'yes' : `no (${r.stoppedBy})`, fmt(r.ms), fmt(r.statesPerSecond), `${fmt(r.maxRssBytes / 2 ** 20)} MiB`, growth]);
    out.push({ id, ...r });
  }
  table('Scaled scenarios (scale-SENDERS-VECTORS-VCPUS, upstream, limits 10^7 states / 60 s, one process each)', ['scenario', 'states', 'transitions', 'complete', 'ms', 'states/s', 'peak RSS', 'growth vs previous row'], rows);
  results['scaling'] = out;
}

// ------------------------------------------------------------------ SPIN

if (want('spin')) {
  if (!(await spinAvailable())) {
    process.stdout.write('\n## SPIN\n\nspin or gcc is not installed (apt install spin gcc): section skipped\n');
  } else {
    const ids = [...SCENARIOS.map((s) => s.id), ...(quick ? ['scale-2-1-1'] : ['scale-2-1-1', 'scale-3-1-1', 'scale-4-1-1'])];
    const rows: (string | number)[][] = [];
    const out: unknown[] = [];
    for (const id of ids) {
      const scenario = scenarioById(id);
      const t0 = performance.now();
      const model = buildModel(scenario, UPSTREAM);
      const compiled = compile(model);
      const ex = explore(compiled, { maxStates: 10_000_000, maxMs: 120_000 });
      const ours = performance.now() - t0;
      const spin = await runSpin(toPromela(model), [ALL_STATES_CLAIM], { optimize: '-O2', expectedStates: ex.stats.states });
      const pan = spin.claims[ALL_STATES_CLAIM]!;
      const spinTotal = spin.ms.generate + spin.ms.compile + spin.ms.run;
      const oursRate = ex.stats.ms ? (ex.stats.states / ex.stats.ms) * 1000 : 0;
      // pan reports its time in hundredths of a second: below that, its rate is not measurable.
      const panRate = pan.seconds >= 0.05 ? pan.states / pan.seconds : null;
      rows.push([
        id,
        fmt(ex.stats.states),
        fmt(pan.states),
        fmt(oursRate),
        panRate === null ? `(<0.05 s)` : fmt(panRate),
        panRate === null ? '-' : fmt(oursRate / panRate, 2),
        fmt(ours),
        `${fmt(spinTotal)} (${fmt(spin.ms.compile)} gcc)`,
        ours < spinTotal ? 'ours' : 'SPIN',
      ]);
      out.push({ scenario: id, states: ex.stats.states, panStates: pan.states, oursStatesPerSecond: oursRate, panStatesPerSecond: panRate, oursEndToEndMs: ours, spinEndToEndMs: spinTotal, spinMs: spin.ms });
    }
    table('Explorer beside SPIN (upstream profile)', ['scenario', 'our states', 'pan states', 'our states/s', 'pan states/s', 'ours/pan', 'our e2e ms', 'SPIN e2e ms', 'faster'], rows);
    results['spin'] = out;
  }
}

if (jsonFile) {
  writeFileSync(jsonFile, JSON.stringify(results, null, 2) + '\n');
  process.stdout.write(`\nwrote ${jsonFile}\n`);
}
}

main().catch((e: unknown) => {
  process.stderr.write(`bench: ${(e as Error).stack ?? String(e)}\n`);
  process.exitCode = 1;
});
