/** The counters of one run: the maximum of each over all executions; null means unbounded. */
import { TimelineRun } from '../protocol';
import { sideLabel } from './describe';
import { h } from './dom';

export function renderCounters(run: TimelineRun): HTMLElement | null {
  if (!run.counters) return null;
  const rows = Object.entries(run.counters).map(([name, value]) =>
    h('tr', {}, h('th', { attrs: { scope: 'row' }, text: name }), h('td', { className: value === null ? 'unbounded' : '', text: value === null ? 'unbounded' : String(value) })),
  );
  return h(
    'table',
    { className: 'counters', attrs: { 'aria-label': `${sideLabel(run.side)} counters` } },
    h('caption', { text: 'Counters, maximum over all executions' }),
    h('tbody', {}, ...rows),
  );
}
