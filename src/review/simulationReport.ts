/**
 * Renders one simulation for people (text) and for programs (JSON).
 */
import { PROPERTY_INFO, explainViolation } from '../model/properties';
import { SimulationResult } from '../model/simulate';
import { Trace, TraceStep } from '../model/trace';
import { areaById } from '../model/registry';
import { Profile } from '../model/profiles';

export interface CounterexampleStep {
  readonly n: number;
  readonly actor: string;
  readonly lane: string;
  readonly step: string;
  readonly changed: Readonly<Record<string, number | string>>;
  readonly program?: string;
  readonly op?: string;
  readonly rule?: string;
  readonly line?: number;
}

export function counterexampleOf(trace: Trace): CounterexampleStep[] {
  return trace.steps.map((s: TraceStep) => ({
    n: s.n,
    actor: s.actor,
    lane: s.lane,
    step: s.step,
    changed: s.changed,
    ...(s.origin ? { program: s.origin.program, op: s.origin.op } : {}),
    ...(s.origin?.rule ? { rule: s.origin.rule } : {}),
    ...(s.origin?.line !== undefined ? { line: s.origin.line } : {}),
  }));
}

export function verdictWord(status: string): string {
  return status === 'violated' ? 'VIOLATED' : status === 'inconclusive' ? 'INCONCLUSIVE' : 'holds';
}

export function formatCounters(c: Readonly<Record<string, number | null>>): string {
  return Object.entries(c)
    .map(([k, v]) => `${k} ${v === null ? 'unbounded' : v}`)
    .join(' · ');
}

export function formatStats(r: SimulationResult): string {
  const s = r.stats;
  const how = s.complete ? 'complete' : `stopped by the ${s.stoppedBy === 'states' ? 'state limit' : s.stoppedBy === 'time' ? 'time limit' : 'cancel'}: only what was reached is covered`;
  const reduced = s.reduced ? ', after partial-order reduction' : '';
  return `explored ${s.states.toLocaleString('en-US')} states, ${s.transitions.toLocaleString('en-US')} transitions, depth ${s.depth}, in ${s.ms} ms (${how}${reduced})`;
}

/** A numbered step list; `indent` prefixes every line. */
export function formatTrace(trace: Trace, indent = '  '): string {
  const lines: string[] = [];
  const width = Math.max(...trace.steps.map((s) => s.actor.length), 5);
  for (const s of trace.steps) {
    const changed = Object.entries(s.changed)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ');
    lines.push(`${indent}${String(s.n).padStart(3)}  ${s.actor.padEnd(width)}  ${s.step}${changed ? `   [${changed}]` : ''}`);
  }
  return lines.join('\n');
}

export function formatSimulation(r: SimulationResult, profile: Profile): string {
  const out: string[] = [];
  out.push(`KVM Race Lens: simulate ${r.scenario}`);
  out.push(`  profile ${profile.id} (${profile.released}): ${profile.summary}`);
  for (const [k, v] of Object.entries(r.overrides)) out.push(`  --set ${k} = ${v}`);
  for (const n of r.notes) out.push(`  note: ${n}`);
  out.push('');
  for (const p of r.properties) {
    const extra = p.trace ? `   (shortest counterexample: ${p.trace.steps.length} steps)` : '';
    out.push(`  ${p.property.padEnd(22)} ${verdictWord(p.status)}${extra}`);
  }
  out.push('');
  out.push(`  ${formatStats(r)}`);
  if (r.counters) out.push(`  counters, maximum over all executions: ${formatCounters(r.counters)}`);
  for (const p of r.properties) {
    if (!p.trace) continue;
    out.push('');
    out.push(`${p.property}: ${PROPERTY_INFO[p.property]?.holdsWhen ?? ''}`);
    out.push(`shortest counterexample (${p.trace.steps.length} steps):`);
    out.push(formatTrace(p.trace));
    out.push(`  => ${explainViolation(p.property, p.trace.states[p.trace.states.length - 1]!)}`);
    if (p.countersAlongTrace) out.push(`  counters along this trace: ${formatCounters(p.countersAlongTrace)}`);
  }
  return out.join('\n');
}

export function simulationJson(r: SimulationResult): unknown {
  return {
    schema: 1,
    scenario: r.scenario,
    profile: r.profile,
    overrides: r.overrides,
    notes: r.notes,
    properties: r.properties.map((p) => ({
      property: p.property,
      verdict: p.status,
      ...(p.trace
        ? {
            counterexample: counterexampleOf(p.trace),
            explanation: explainViolation(p.property, p.trace.states[p.trace.states.length - 1]!),
            countersAlongTrace: p.countersAlongTrace,
          }
        : {}),
    })),
    counters: r.counters ?? null,
    counterDescriptions: areaById(r.area).counters,
    stats: r.stats,
  };
}
