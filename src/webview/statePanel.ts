/**
 * The state after the selected step: every field of states[k], grouped by the object it belongs
 * to (the prefix before the first dot: PID0, vCPU0, pCPU0, sched0, guest0, sender0, ...), with the
 * fields that step changed highlighted and their previous value shown.
 */
import { FieldValue, TimelineRun } from '../protocol';
import { sideLabel } from './describe';
import { h, srOnly } from './dom';

export interface FieldGroup {
  readonly name: string;
  readonly fields: readonly { readonly key: string; readonly field: string; readonly value: FieldValue }[];
}

/** Groups in order of first appearance, which follows the model's variable order. */
export function groupFields(state: Readonly<Record<string, FieldValue>>): FieldGroup[] {
  const groups = new Map<string, { key: string; field: string; value: FieldValue }[]>();
  for (const [key, value] of Object.entries(state)) {
    const dot = key.indexOf('.');
    const name = dot > 0 ? key.slice(0, dot) : 'other';
    const field = dot > 0 ? key.slice(dot + 1) : key;
    let list = groups.get(name);
    if (!list) groups.set(name, (list = []));
    list.push({ key, field, value });
  }
  return [...groups].map(([name, fields]) => ({ name, fields }));
}

export function renderStatePanel(run: TimelineRun, index: number): HTMLElement {
  const trace = run.trace;
  const panel = h('section', { className: 'state-panel', attrs: { 'aria-label': `${sideLabel(run.side)} state` } });
  if (!trace) return panel;
  const state = trace.states[index] ?? {};
  const before = index > 0 ? trace.states[index - 1] : undefined;
  const step = index > 0 ? trace.steps[index - 1] : undefined;
  const changed = new Set(Object.keys(step?.changed ?? {}));
  panel.appendChild(h('h3', { className: 'state-title', text: step ? `State after step ${step.n} of ${trace.steps.length}` : 'Initial state' }));
  if (step) panel.appendChild(h('p', { className: 'state-step', text: `${step.actor}: ${step.step}` }));
  if (step && changed.size === 0) panel.appendChild(h('p', { className: 'state-note', text: 'This step changed no field (a branch or a check).' }));

  const grid = h('div', { className: 'state-groups' });
  for (const group of groupFields(state)) {
    const dl = h('dl', { className: 'fields' });
    for (const f of group.fields) {
      const isChanged = changed.has(f.key);
      const was = isChanged && before && f.key in before ? before[f.key] : undefined;
      const cls = isChanged ? 'field changed' : 'field';
      dl.appendChild(
        h(
          'div',
          { className: cls, attrs: { 'data-field': f.key, title: f.key } },
          h('dt', { text: f.field }),
          h(
            'dd',
            {},
            h('span', { className: 'value', text: String(f.value) }),
            was !== undefined ? h('span', { className: 'was', text: `was ${String(was)}` }) : null,
            isChanged ? srOnly(' (changed by this step)') : null,
          ),
        ),
      );
    }
    grid.appendChild(h('div', { className: 'state-group', attrs: { role: 'group', 'aria-label': group.name } }, h('h4', { text: group.name }), dl));
  }
  panel.appendChild(grid);
  return panel;
}
