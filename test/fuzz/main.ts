/**
 * `npm run fuzz`: hostile input through the reader and the whole `check` pipeline, and random
 * programs through the explorer and SPIN.
 *
 *   npm run fuzz -- [--count N] [--seed S] [--only K] [--reader-only] [--max-bytes B] [--max-states N] [--scenarios A,B] [--spin N] [--json FILE]
 *
 * - `--count` cases (default 100,000) drawn from `--seed` (default 7); case k is rebuilt alone
 *   with `--only k`. Each runs through the reader, then (unless `--reader-only`) through the
 *   review under a small state budget (test/fuzz/harness.ts FUZZ_BUDGET).
 * - `--spin N`: N random program variants (test/fuzz/programs.ts) checked against SPIN
 *   instead of the input fuzzing (needs spin and gcc; test/fuzz/spinCampaign.ts), variants
 *   `--from` on; variant k is rebuilt alone with `--spin 1 --from k`.
 * Prints the count, cases per second, failures (with how to rebuild each), the slowest input
 * (size, milliseconds, what it is) and peak RSS. Exit status 1 when an invariant broke.
 */
import { performance } from 'node:perf_hooks';
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { MAX_PATCH_BYTES } from '../../src/patch';
import { LruResultCache } from '../../src/review/resultCache';
import { describe as describeCase, materialize } from './cases';
import { CaseResult, FUZZ_BUDGET, Failure, runCase, runInput } from './harness';
import { spinCampaign } from './spinCampaign';

const { values } = parseArgs({
  options: {
    count: { type: 'string', default: '100000' },
    seed: { type: 'string', default: '7' },
    only: { type: 'string' },
    from: { type: 'string', default: '0' },
    trace: { type: 'boolean', default: false },
    'reader-only': { type: 'boolean', default: false },
    spin: { type: 'string' },
    json: { type: 'string' },
    quiet: { type: 'boolean', default: false },
    'max-bytes': { type: 'string' },
    'max-states': { type: 'string' },
    scenarios: { type: 'string' },
  },
});

const mb = (b: number) => `${(b / 1024 / 1024).toFixed(0)} MB`;
const peakRss = () => process.resourceUsage().maxRSS * 1024;

async function main(): Promise<number> {
  const seed = Number(values.seed);
  if (values.spin !== undefined) return spinCampaign(Number(values.spin), seed, !values.quiet, Number(values.from));
  const cache = new LruResultCache(256);
  const budget = {
    ...FUZZ_BUDGET,
    ...(values['max-states'] ? { maxStates: Number(values['max-states']) } : {}),
    ...(values.scenarios ? { scenarios: values.scenarios.split(',') } : {}),
  };
  const opts = { cache, budget, readerOnly: values['reader-only'], ...(values['max-bytes'] ? { maxBytes: Number(values['max-bytes']) } : {}) };
  if (values.only !== undefined) {
    const r = runCase(seed, Number(values.only), opts);
    process.stdout.write(`${describeCase(r.case)}\n${JSON.stringify({ ...r, case: undefined }, null, 2)}\n`);
    return r.failures.length ? 1 : 0;
  }
  const count = Number(values.count);
  const failures: Failure[] = [];
  const messages = new Map<string, number>();
  const outcomes = { refused: 0, reviewed: 0, error: 0, cancelled: 0 };
  const exits = new Map<number, number>();
  let slowest: (CaseResult & { what: string }) | undefined;
  let slowestReader: (CaseResult & { what: string }) | undefined;
  let bytes = 0;
  const t0 = performance.now();
  let last = t0;
  const from = Number(values.from);
  for (let i = from; i < from + count; i++) {
    if (values.trace) process.stderr.write(`${i}\n`);
    const r = runCase(seed, i, opts);
    bytes += r.size;
    outcomes[r.outcome]++;
    if (r.message) messages.set(r.message, (messages.get(r.message) ?? 0) + 1);
    if (r.exit !== undefined) exits.set(r.exit, (exits.get(r.exit) ?? 0) + 1);
    for (const f of r.failures) {
      failures.push(f);
      if (failures.length <= 20) process.stdout.write(`\nFAIL case ${f.index} (${f.kind}, ${f.stage}): ${f.description}\n  ${f.detail.split('\n').slice(0, 6).join('\n  ')}\n`);
    }
    if (!slowest || r.pipelineMs > slowest.pipelineMs) slowest = { ...r, what: describeCase(r.case) };
    if (!slowestReader || r.readerMs > slowestReader.readerMs) slowestReader = { ...r, what: describeCase(r.case) };
    const now = performance.now();
    if (!values.quiet && now - last > 10_000) {
      last = now;
      process.stdout.write(`${i + 1 - from} cases, ${((i + 1 - from) / ((now - t0) / 1000)).toFixed(0)}/s, ${failures.length} failures, peak RSS ${mb(peakRss())}\n`);
    }
  }
  const seconds = (performance.now() - t0) / 1000;

  // Above the documented cap: refused at once with one line, as bytes (the CLI) and as text (the editor).
  const over = MAX_PATCH_BYTES + 1;
  const capped = [true, false].map((asBytes) => {
    const c = { k: 'huge' as const, size: over, bytes: asBytes };
    return runInput(count, materialize(c, Infinity), () => describeCase(c), { readerOnly: true });
  });
  for (const r of capped) {
    for (const f of r.failures) failures.push(f);
    if (r.outcome !== 'refused' || !/^document too large/.test(r.message ?? '')) failures.push({ index: r.index, kind: 'inconsistent', stage: 'reader', detail: `not refused: ${r.message ?? r.outcome}`, description: `${over}-byte document`, size: over });
  }

  // The slowest input again, with nothing cached: what a cold `check` would take.
  const cold = slowest ? runCase(seed, slowest.index, { readerOnly: false }) : undefined;

  const report = {
    seed,
    cases: count,
    seconds: +seconds.toFixed(1),
    casesPerSecond: +(count / seconds).toFixed(0),
    megabytesRead: +(bytes / 1024 / 1024).toFixed(1),
    budget,
    outcomes,
    exitStatuses: Object.fromEntries([...exits].sort((a, b) => a[0] - b[0])),
    failures: failures.length,
    failuresByKind: failures.reduce<Record<string, number>>((acc, f) => ((acc[f.kind] = (acc[f.kind] ?? 0) + 1), acc), {}),
    slowest: slowest && { index: slowest.index, bytes: slowest.size, ms: +slowest.pipelineMs.toFixed(1), coldMs: cold && +cold.pipelineMs.toFixed(1), readerMs: +slowest.readerMs.toFixed(1), what: slowest.what },
    slowestReader: slowestReader && { index: slowestReader.index, bytes: slowestReader.size, ms: +slowestReader.readerMs.toFixed(1), what: slowestReader.what },
    sizeCap: capped.map((r) => ({ bytes: r.size, ms: +r.readerMs.toFixed(1), message: r.message })),
    peakRssBytes: peakRss(),
    topMessages: [...messages].sort((a, b) => b[1] - a[1]).slice(0, 25).map(([m, n]) => `${n}\t${m}`),
  };
  process.stdout.write(`\n${JSON.stringify(report, null, 2)}\n`);
  if (values.json) writeFileSync(values.json, JSON.stringify({ ...report, failureList: failures }, null, 2));
  process.stdout.write(
    `\n${count} cases in ${seconds.toFixed(0)} s (${report.casesPerSecond}/s); ${failures.length} failures; ` +
      `slowest ${slowest?.size ?? 0} bytes in ${slowest?.pipelineMs.toFixed(0) ?? 0} ms (cold ${cold?.pipelineMs.toFixed(0) ?? '-'} ms): ${slowest?.what ?? '-'}; peak RSS ${mb(peakRss())}\n`,
  );
  return failures.length ? 1 : 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`fuzz: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exitCode = 2;
  },
);
