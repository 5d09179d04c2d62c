/**
 * One exploration, measured: build, compile and explore a scenario under a profile, without
 * counters. Run as a script (`node one.js SCENARIO PROFILE [MAX_STATES] [MAX_MS]`) it prints the
 * measurement as JSON with the process's peak RSS, so each big run gets its own process.
 */
import { compile } from '../../src/model/compile';
import { explore } from '../../src/model/explore';
import { profileByVersion } from '../../src/model/profiles';
import { scenarioById } from '../../src/model/scenarios';
import { buildModel } from '../../src/model/simulate';

export interface Measured {
  readonly states: number;
  readonly transitions: number;
  readonly complete: boolean;
  readonly stoppedBy?: string;
  /** Build + compile + explore, in milliseconds. */
  readonly ms: number;
  readonly exploreMs: number;
  readonly statesPerSecond: number;
  /** Bytes held by the explorer's arrays: the visited set (no edges are kept here). */
  readonly bytes: number;
}

export function exploreOnce(scenario: string, profile: string, maxStates?: number, maxMs?: number): Measured {
  const t0 = performance.now();
  const model = buildModel(scenarioById(scenario), profileByVersion(profile));
  const ex = explore(compile(model), { ...(maxStates ? { maxStates } : {}), ...(maxMs ? { maxMs } : {}) });
  const ms = performance.now() - t0;
  return {
    states: ex.stats.states,
    transitions: ex.stats.transitions,
    complete: ex.stats.complete,
    ...(ex.stats.stoppedBy ? { stoppedBy: ex.stats.stoppedBy } : {}),
    ms,
    exploreMs: ex.stats.ms,
    statesPerSecond: ex.stats.ms ? (ex.stats.states / ex.stats.ms) * 1000 : 0,
    bytes: ex.stats.bytes,
  };
}

if (require.main === module) {
  const [scenario, profile, maxStates, maxMs] = process.argv.slice(2);
  const r = exploreOnce(scenario!, profile!, maxStates ? Number(maxStates) : undefined, maxMs ? Number(maxMs) : undefined);
  process.stdout.write(JSON.stringify({ ...r, maxRssBytes: process.resourceUsage().maxRSS * 1024 }) + '\n');
}
