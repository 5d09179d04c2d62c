/**
 * kvm-race-lens: the command line. No vscode here; the same core the extension uses.
 *
 * Exit status: 0 nothing introduced (simulate: nothing violated); 1 a violation (introduced);
 * 2 bad input or usage, with a one-line reason; 3 a result is inconclusive.
 */
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { InputError, RaceLensError } from './model/errors';
import { MAX_PATCH_BYTES, readPatches } from './patch';
import { ReviewedFile, formatCheck } from './review/output';
import { exitStatus, reviewPatchSet } from './review/review';
import { MODEL_FINGERPRINT, VERSION } from './version';
import { PrecomputedBaselines, bundledBaselines, precompute } from './review/resultCache';
import { Program } from './model/program';
import { PROFILES, profileByVersion } from './model/profiles';
import { SCENARIOS, scenarioById } from './model/scenarios';
import { buildModel, parseOverride, simulate } from './model/simulate';
import { toPromela } from './model/promela';
import { formatSimulation, simulationJson } from './review/simulationReport';

const USAGE = `usage:
  kvm-race-lens check FILE... [--json | --sarif] [--profile X.Y] [--max-states N] [--timeout-ms N]
  kvm-race-lens scenarios [--json]
  kvm-race-lens profiles [--json]
  kvm-race-lens simulate SCENARIO [--profile X.Y] [--set program=step,step,...]... [--json]
                         [--max-states N] [--timeout-ms N]
  kvm-race-lens export-promela SCENARIO [--profile X.Y] [--set program=step,step,...]... [--output FILE]
  kvm-race-lens baselines --output DIR   (run by npm run build: every profile's own programs, explored)`;

class UsageError extends RaceLensError {}

function positiveInt(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v) || Number(v) <= 0) throw new UsageError(`${name} needs a positive integer, got "${v}"`);
  return Number(v);
}

function run(argv: string[]): number {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      json: { type: 'boolean', default: false },
      sarif: { type: 'boolean', default: false },
      version: { type: 'boolean', default: false },
      profile: { type: 'string' },
      set: { type: 'string', multiple: true },
      'max-states': { type: 'string' },
      'timeout-ms': { type: 'string' },
      output: { type: 'string', short: 'o' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const [command, ...rest] = positionals;
  if (values.version) {
    process.stdout.write(`kvm-race-lens ${VERSION}\n`);
    return 0;
  }
  if (values.help || !command) {
    process.stdout.write(USAGE + '\n');
    return command || values.help ? 0 : 2;
  }
  switch (command) {
    case 'check': {
      if (!rest.length) throw new UsageError('check needs at least one FILE');
      if (values.json && values.sarif) throw new UsageError('--json and --sarif are exclusive');
      const maxStates = positiveInt('--max-states', values['max-states']);
      const timeoutMs = positiveInt('--timeout-ms', values['timeout-ms']);
      const cache = precomputedBaselines();
      const reviewed: ReviewedFile[] = rest.map((file) => ({
        file,
        review: reviewPatchSet(readPatches(readInput(file)), {
          ...(cache ? { cache } : {}),
          ...(values.profile ? { profile: values.profile } : {}),
          ...(maxStates ? { maxStates } : {}),
          ...(timeoutMs ? { timeoutMs } : {}),
        }),
      }));
      process.stdout.write(formatCheck(reviewed, values.sarif ? 'sarif' : values.json ? 'json' : 'text', VERSION));
      const codes = reviewed.map((r) => exitStatus(r.review));
      return codes.includes(1) ? 1 : codes.includes(3) ? 3 : 0;
    }
    case 'scenarios': {
      if (values.json) {
        process.stdout.write(JSON.stringify({ schema: 1, scenarios: SCENARIOS.map((s) => ({ id: s.id, title: s.title, seeds: s.seeds, focus: s.focus, description: s.description })) }, null, 2) + '\n');
      } else {
        for (const s of SCENARIOS) process.stdout.write(`${s.id.padEnd(34)} ${s.title}  [seeds ${s.seeds.join(', ')}]\n`);
      }
      return 0;
    }
    case 'profiles': {
      if (values.json) {
        process.stdout.write(JSON.stringify({ schema: 1, profiles: PROFILES.map((p) => ({ id: p.id, released: p.released, summary: p.summary, changes: p.changes })) }, null, 2) + '\n');
      } else {
        for (const p of PROFILES) process.stdout.write(`${p.id.padEnd(6)} ${p.released}  ${p.summary}\n`);
      }
      return 0;
    }
    case 'simulate': {
      if (rest.length !== 1) throw new UsageError('simulate takes exactly one SCENARIO');
      const scenario = scenarioById(rest[0]!);
      const profile = profileByVersion(values.profile ?? 'upstream');
      const overrides = overridesOf(values.set);
      const maxStates = positiveInt('--max-states', values['max-states']);
      const maxMs = positiveInt('--timeout-ms', values['timeout-ms']);
      const r = simulate(scenario, profile, overrides, { ...(maxStates ? { maxStates } : {}), ...(maxMs ? { maxMs } : {}) });
      process.stdout.write((values.json ? JSON.stringify(simulationJson(r), null, 2) : formatSimulation(r, profile)) + '\n');
      if (r.properties.some((p) => p.status === 'violated')) return 1;
      if (r.properties.some((p) => p.status === 'inconclusive')) return 3;
      return 0;
    }
    case 'export-promela': {
      if (rest.length !== 1) throw new UsageError('export-promela takes exactly one SCENARIO');
      const text = toPromela(buildModel(scenarioById(rest[0]!), profileByVersion(values.profile ?? 'upstream'), overridesOf(values.set)));
      if (values.output) writeFileSync(values.output, text);
      else process.stdout.write(text);
      return 0;
    }
    case 'baselines': {
      if (!values.output) throw new UsageError('baselines needs --output DIR');
      if (!MODEL_FINGERPRINT) throw new UsageError('baselines needs a bundle built by esbuild.mjs (it records the model fingerprint)');
      mkdirSync(values.output, { recursive: true });
      for (const profile of PROFILES) {
        const file = precompute(profile, SCENARIOS, MODEL_FINGERPRINT);
        writeFileSync(path.join(values.output, `${profile.id}.json`), JSON.stringify(file));
      }
      return 0;
    }
    default:
      throw new UsageError(`unknown command "${command}"\n${USAGE}`);
  }
}

/**
 * The baselines `npm run build` precomputed next to the bundle (dist/baselines/), unless
 * KRL_NO_BASELINES is set.
 */
function precomputedBaselines(): PrecomputedBaselines | undefined {
  return process.env['KRL_NO_BASELINES'] ? undefined : bundledBaselines(path.join(__dirname, 'baselines'), MODEL_FINGERPRINT);
}

/** The `--set program=steps` overrides. */
function overridesOf(sets: readonly string[] | undefined): Record<string, Program> {
  const overrides: Record<string, Program> = {};
  for (const s of sets ?? []) {
    const [name, program] = parseOverride(s);
    overrides[name] = program;
  }
  return overrides;
}

/** Reads a patch file, refusing what is not a readable regular file of sane size. */
function readInput(file: string): Uint8Array {
  let size: number;
  try {
    const st = statSync(file);
    if (!st.isFile()) throw new InputError(`${file}: not a regular file`);
    size = st.size;
  } catch (e) {
    if (e instanceof InputError) throw e;
    throw new InputError(`${file}: cannot read it (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  if (size > MAX_PATCH_BYTES) throw new InputError(`${file}: ${size} bytes is over the ${MAX_PATCH_BYTES}-byte limit for a patch`);
  try {
    return readFileSync(file);
  } catch (e) {
    throw new InputError(`${file}: cannot read it (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}

function main(): void {
  let code: number;
  try {
    code = run(process.argv.slice(2));
  } catch (e) {
    const err = e as Error & { code?: string };
    // Typed errors and argument errors are the user's to fix: one line, no stack.
    const known = e instanceof RaceLensError || err.code?.startsWith('ERR_PARSE_ARGS');
    process.stderr.write(`kvm-race-lens: ${known ? '' : 'internal error: '}${err.message.split('\n')[0]}\n`);
    code = 2;
  }
  process.exitCode = code;
}

main();
