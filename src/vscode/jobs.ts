/**
 * What the worker thread does with a job: read the document, review it (or one hunk, or simulate
 * one scenario), and turn the core's typed errors into data. Pure and synchronous, so the unit
 * tests can call it without a thread; worker.ts only wires it to `worker_threads`.
 */
import { InputError, ModelError, RaceLensError } from '../model/errors';
import { explainViolation } from '../model/properties';
import { profileByVersion } from '../model/profiles';
import { scenarioById } from '../model/scenarios';
import { simulate } from '../model/simulate';
import { readPatches } from '../patch';
import type { PatchSet } from '../patch';
import { ReviewOptions, reviewHunk, reviewPatchSet } from '../review/review';
import { counterexampleOf } from '../review/simulationReport';
import type { ResultCache } from '../review/resultCache';
import type { ScenarioPool } from '../review/scenarioPool';
import { ExploreLimits, PatchOutline, ScenarioRun, WorkerError, WorkerJob, WorkerResult } from './workerProtocol';

function options(profile: string | null, limits: ExploreLimits, cache: ResultCache | undefined, pool: ScenarioPool | undefined): ReviewOptions {
  return { ...(profile !== null ? { profile } : {}), maxStates: limits.maxStates, timeoutMs: limits.timeoutMs, ...(cache ? { cache } : {}), ...(pool ? { pool } : {}) };
}

export function outlineOf(set: PatchSet): PatchOutline {
  return {
    patches: set.patches
      .map((p) => ({
        startLine: p.startLine,
        endLine: p.endLine,
        subject: p.subject,
        hunks: p.files.flatMap((f) => f.hunks.map((h) => ({ index: h.index, headerLine: h.headerLine, startLine: h.startLine, endLine: h.endLine }))),
      }))
      .filter((p) => p.hunks.length > 0)
      // The reader returns a series in series order; the editor wants document order.
      .sort((a, b) => a.startLine - b.startLine),
  };
}

export function simulateScenario(scenarioId: string, profileSpec: string, limits: ExploreLimits): ScenarioRun {
  const scenario = scenarioById(scenarioId);
  const profile = profileByVersion(profileSpec);
  const r = simulate(scenario, profile, {}, { maxStates: limits.maxStates, maxMs: limits.timeoutMs });
  return {
    scenario: r.scenario,
    profile: r.profile,
    notes: r.notes,
    properties: r.properties.map((p) => ({
      property: p.property,
      status: p.status,
      counterexample: p.trace ? counterexampleOf(p.trace) : null,
      states: p.trace ? p.trace.states : null,
      explanation: p.trace ? explainViolation(p.property, p.trace.states[p.trace.states.length - 1]!) : null,
    })),
    counters: r.counters ?? null,
    stats: { states: r.stats.states, ms: r.stats.ms, complete: r.stats.complete, stoppedBy: r.stats.stoppedBy ?? null },
  };
}

export function errorOf(e: unknown): WorkerError {
  if (e instanceof InputError) return { type: 'input', message: e.message };
  if (e instanceof ModelError || e instanceof RaceLensError) return { type: 'model', message: e.message };
  const err = e instanceof Error ? e : new Error(String(e));
  return { type: 'internal', message: err.message, ...(err.stack ? { stack: err.stack } : {}) };
}

/** `cache`: results kept across the jobs of one worker (and the bundled baselines); `pool`: its helper threads. */
export function runJob(job: WorkerJob, cache?: ResultCache, pool?: ScenarioPool): WorkerResult {
  try {
    switch (job.kind) {
      case 'outline':
        return { kind: 'outline', outline: outlineOf(readPatches(job.text)) };
      case 'review':
        return { kind: 'review', review: reviewPatchSet(readPatches(job.text), options(job.profile, job.limits, cache, pool)) };
      case 'reviewHunk': {
        const r = reviewHunk(readPatches(job.text), job.hunk, options(job.profile, job.limits, cache, pool));
        return { kind: 'reviewHunk', profile: r.profile, review: r.review };
      }
      case 'simulate':
        return { kind: 'simulate', run: simulateScenario(job.scenario, job.profile, job.limits) };
    }
  } catch (e) {
    return { kind: 'error', error: errorOf(e) };
  }
}
