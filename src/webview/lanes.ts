/**
 * The swimlanes of one run: one column per lane, one row per step (row 0 is the initial state),
 * exposed to assistive technology as a listbox of steps whose labels say the lane and actor.
 */
import { RunSide, TimelineRun, TimelineStep } from '../protocol';
import { describeStep, isViolatingStep, sideLabel, runCaption } from './describe';
import { h } from './dom';

/**
 * Lanes in a fixed order, from the guest down to the senders, so the same actor sits in the same
 * column in every view; lanes the model adds later follow in order of first appearance.
 */
export const KNOWN_LANES: readonly string[] = ['guest', 'vCPU thread', 'scheduler', 'hardware', 'sender', 'IOMMU', 'IPIv'];

export function laneOrder(steps: readonly TimelineStep[]): string[] {
  const present = new Set(steps.map((s) => s.lane));
  const known = KNOWN_LANES.filter((l) => present.has(l));
  const other = [...present].filter((l) => !KNOWN_LANES.includes(l));
  return [...known, ...other];
}

/** Lane colours come from a fixed palette by column, never from data. */
export const LANE_COLOURS = 6;
export function laneClass(column: number): string {
  return `lane-c${column % LANE_COLOURS}`;
}

export function optionId(side: RunSide, index: number): string {
  return `${side}-step-${index}`;
}

export interface Swimlanes {
  /** Scrolling container: lane header plus the listbox. */
  readonly root: HTMLElement;
  readonly listbox: HTMLElement;
  /** rows[k] is the option for state k (0 = initial). */
  readonly rows: readonly HTMLElement[];
}

export function renderSwimlanes(run: TimelineRun, explanationId: string): Swimlanes | null {
  const trace = run.trace;
  if (!trace) return null;
  const lanes = laneOrder(trace.steps);
  const header = h(
    'div',
    { className: 'lane-header', attrs: { 'aria-hidden': 'true' } },
    h('span', { className: 'step-n', text: '#' }),
    ...lanes.map((lane, i) => h('span', { className: `lane-name ${laneClass(i)}`, text: lane })),
  );
  const listbox = h('div', {
    className: 'steps',
    attrs: {
      role: 'listbox',
      tabindex: '0',
      id: `${run.side}-steps`,
      'aria-label': `${sideLabel(run.side)} counterexample, ${trace.steps.length} steps: ${runCaption(run)}`,
    },
  });
  const rows: HTMLElement[] = [];

  const initial = h(
    'div',
    { className: 'step-row initial', attrs: { role: 'option', id: optionId(run.side, 0), 'aria-selected': 'false', 'data-index': '0', 'aria-label': describeStep(run, 0) } },
    h('span', { className: 'step-n', text: '0' }),
    ...lanes.map((_, i) => h('span', { className: `lane-cell ${laneClass(i)}` }, i === 0 ? h('span', { className: 'initial-label', text: 'initial state' }) : null)),
  );
  rows.push(initial);

  for (const step of trace.steps) {
    const column = lanes.indexOf(step.lane);
    const violating = isViolatingStep(run, step);
    const label = describeStep(run, step.n) + (step.line !== undefined ? `, patch line ${step.line}` : '') + (violating ? ', violation' : '');
    const attrs: Record<string, string> = { role: 'option', id: optionId(run.side, step.n), 'aria-selected': 'false', 'data-index': String(step.n), 'aria-label': label };
    if (violating) attrs['aria-describedby'] = explanationId;
    const row = h(
      'div',
      { className: `step-row${violating ? ' violating' : ''}${step.line !== undefined ? ' has-line' : ''}`, attrs },
      h('span', { className: 'step-n', text: String(step.n) }),
      ...lanes.map((_, i) => h('span', { className: `lane-cell ${laneClass(i)}` }, i === column ? stepCard(step, violating) : null)),
    );
    rows.push(row);
  }
  for (const r of rows) listbox.appendChild(r);
  const root = h('div', { className: 'swimlanes' }, header, listbox);
  return { root, listbox, rows };
}

function stepCard(step: TimelineStep, violating: boolean): HTMLElement {
  const changed = Object.entries(step.changed);
  const tip = [step.rule, step.program && step.op ? `${step.program}: ${step.op}` : step.program ?? step.op].filter((x): x is string => !!x).join('\n');
  const card = h(
    'span',
    { className: 'step-card', attrs: tip ? { title: tip } : {} },
    h('span', { className: 'actor', text: step.actor }),
    h('span', { className: 'label', text: step.step }),
    changed.length
      ? h('span', { className: 'changes' }, ...changed.map(([k, v]) => h('span', { className: 'change', text: `${k}=${v}` })))
      : null,
    step.line !== undefined ? h('span', { className: 'line-ref', text: `line ${step.line}` }) : null,
    violating ? h('span', { className: 'violation-tag', text: '✖ violation' }) : null,
  );
  return card;
}
