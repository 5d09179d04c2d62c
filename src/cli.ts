#!/usr/bin/env node
/**
 * kvm-race-lens: the command line. No vscode here; the same core the extension uses.
 *
 * Exit status: 0 nothing introduced (simulate: nothing violated); 1 a violation (introduced);
 * 2 bad input or usage, with a one-line reason; 3 a result is inconclusive.
 */
import { parseArgs } from 'node:util';
import { RaceLensError } from './model/errors';
import { Program } from './model/program';
import { PROFILES, profileByVersion } from './model/profiles';
import { SCENARIOS, scenarioById } from './model/scenarios';
import { parseOverride, simulate } from './model/simulate';
import { formatSimulation, simulationJson } from './review/simulationReport';

const USAGE = `usage:
  kvm-race-lens scenarios [--json]
  kvm-race-lens profiles [--json]
  kvm-race-lens simulate SCENARIO [--profile X.Y] [--set program=step,step,...]... [--json]
                         [--max-states N] [--timeout-ms N]`;

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
      profile: { type: 'string' },
      set: { type: 'string', multiple: true },
      'max-states': { type: 'string' },
      'timeout-ms': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const [command, ...rest] = positionals;
  if (values.help || !command) {
    process.stdout.write(USAGE + '\n');
    return command || values.help ? 0 : 2;
  }
  switch (command) {
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
      const overrides: Record<string, Program> = {};
      for (const s of values.set ?? []) {
        const [name, program] = parseOverride(s);
        overrides[name] = program;
      }
      const maxStates = positiveInt('--max-states', values['max-states']);
      const maxMs = positiveInt('--timeout-ms', values['timeout-ms']);
      const r = simulate(scenario, profile, overrides, { ...(maxStates ? { maxStates } : {}), ...(maxMs ? { maxMs } : {}) });
      process.stdout.write((values.json ? JSON.stringify(simulationJson(r), null, 2) : formatSimulation(r, profile)) + '\n');
      if (r.properties.some((p) => p.status === 'violated')) return 1;
      if (r.properties.some((p) => p.status === 'inconclusive')) return 3;
      return 0;
    }
    default:
      throw new UsageError(`unknown command "${command}"\n${USAGE}`);
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
