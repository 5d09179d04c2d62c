/** Words for runs and steps, shared by the visible UI, ARIA labels and the SVG export. */
import { RunSide, RunVerdict, TimelineRun, TimelineStep } from '../protocol';

export function sideLabel(side: RunSide): string {
  return side === 'baseline' ? 'Baseline' : 'Patched';
}

/** Same words as the CLI (review/simulationReport verdictWord). */
export function verdictWord(verdict: RunVerdict): string {
  return verdict === 'violated' ? 'VIOLATED' : verdict === 'inconclusive' ? 'INCONCLUSIVE' : 'holds';
}

export function runCaption(run: TimelineRun): string {
  return `${run.property} · ${run.scenario} · profile ${run.profile}`;
}

/** The counterexample ends in the violating state, so its last step is the one to mark. */
export function isViolatingStep(run: TimelineRun, step: TimelineStep): boolean {
  return run.verdict === 'violated' && run.trace !== null && step.n === run.trace.steps.length;
}

/** "step 5 of 13: vCPU0 thread: local_irq_disable()"; index 0 is the initial state. */
export function describeStep(run: TimelineRun, index: number): string {
  const trace = run.trace;
  if (!trace) return `${sideLabel(run.side)}: no counterexample`;
  const total = trace.steps.length;
  const step = trace.steps[index - 1];
  if (!step) return `initial state, before step 1 of ${total}`;
  return `step ${step.n} of ${total}: ${step.actor}: ${step.step}`;
}

export function changedSummary(step: TimelineStep): string {
  return Object.entries(step.changed)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
}
