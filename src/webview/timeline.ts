/**
 * The timeline view: the runs of one model side by side (baseline | patched), each with its
 * verdict, swimlanes, the state at the selected step and its counters. Owns the selection;
 * rendering a selection only flips classes and ARIA attributes and rebuilds the state panel.
 */
import { ExportFormat, RUN_SIDES, RunSide, TimelineModel, TimelineRun } from '../protocol';
import { renderCounters } from './counters';
import { describeStep, isViolatingStep, runCaption, sideLabel, verdictWord } from './describe';
import { clear, h } from './dom';
import { keyAction } from './keyboard';
import { Swimlanes, renderSwimlanes } from './lanes';
import { renderStatePanel } from './statePanel';

/** Why a selection changed: only the user's own moves are reported back to the extension. */
export type SelectionCause = 'user' | 'host' | 'restore';

export interface TimelineEvents {
  selected(side: RunSide, index: number, cause: SelectionCause): void;
  reveal(line: number): void;
  export(format: ExportFormat): void;
}

export interface TimelineSelection {
  readonly side: RunSide;
  readonly steps: Partial<Record<RunSide, number>>;
}

interface RunPane {
  readonly run: TimelineRun;
  readonly section: HTMLElement;
  readonly swimlanes: Swimlanes | null;
  readonly stateSlot: HTMLElement;
  index: number;
}

/** A trace's identity for keeping the selection when the extension re-sends the same result. */
function traceKey(run: TimelineRun): string {
  return JSON.stringify(run.trace?.steps.map((s) => [s.actor, s.step]) ?? null);
}

export class TimelineView {
  private model: TimelineModel | null = null;
  private readonly panes = new Map<RunSide, RunPane>();
  private active: RunSide = 'baseline';
  private readonly live: HTMLElement;
  private readonly content: HTMLElement;

  constructor(
    root: HTMLElement,
    private readonly events: TimelineEvents,
  ) {
    clear(root);
    this.content = h('div', { className: 'timeline' });
    // One polite live region for the whole view: step changes are announced, not focus moves.
    this.live = h('div', { className: 'sr-only', attrs: { role: 'status', 'aria-live': 'polite', 'aria-atomic': 'true', id: 'announcer' } });
    root.append(this.content, this.live);
    this.renderEmpty();
  }

  get current(): TimelineModel | null {
    return this.model;
  }

  selection(): TimelineSelection {
    const steps: Partial<Record<RunSide, number>> = {};
    for (const [side, pane] of this.panes) if (pane.swimlanes) steps[side] = pane.index;
    return { side: this.active, steps };
  }

  /** Shows a model. `keep` restores a selection; otherwise each run opens on its last (violating) step. */
  show(model: TimelineModel, keep?: TimelineSelection): void {
    const focusedSide = this.focusedSide();
    const previous = new Map([...this.panes].map(([side, p]) => [side, { key: traceKey(p.run), index: p.index }]));
    this.model = model;
    this.panes.clear();
    clear(this.content);
    document.title = model.title;

    const runs = RUN_SIDES.map((side) => model.runs.find((r) => r.side === side)).filter((r): r is TimelineRun => r !== undefined);
    this.content.append(this.renderToolbar(model));
    const columns = h('div', { className: `runs runs-${runs.length}` });
    for (const run of runs) {
      const pane = this.renderRun(run);
      this.panes.set(run.side, pane);
      columns.appendChild(pane.section);
    }
    if (runs.length === 0) columns.appendChild(h('p', { className: 'no-trace', text: 'This result has no runs to show.' }));
    this.content.appendChild(columns);

    for (const pane of this.panes.values()) {
      const last = pane.run.trace?.steps.length ?? 0;
      const kept = keep?.steps[pane.run.side];
      const old = previous.get(pane.run.side);
      const index = kept ?? (old && old.key === traceKey(pane.run) ? old.index : last);
      this.applySelection(pane, Math.min(Math.max(index, 0), last));
    }
    const withSteps = [...this.panes.values()].filter((p) => p.swimlanes);
    const preferred = keep?.side ?? focusedSide ?? this.active;
    this.active = (withSteps.find((p) => p.run.side === preferred) ?? withSteps[0])?.run.side ?? 'baseline';
    this.markActive();
    // Keep keyboard users where they were: a re-render must not drop focus to <body>.
    if (focusedSide) this.panes.get(this.active)?.swimlanes?.listbox.focus();
  }

  /** Selects state `index` (0 = initial) of a run; out-of-range indexes are clamped. */
  select(side: RunSide, index: number, cause: SelectionCause, options: { focus?: boolean } = {}): void {
    const pane = this.panes.get(side);
    if (!pane?.swimlanes || !pane.run.trace) return;
    const clamped = Math.min(Math.max(index, 0), pane.run.trace.steps.length);
    const changed = clamped !== pane.index || side !== this.active;
    this.active = side;
    this.markActive();
    this.applySelection(pane, clamped);
    if (options.focus) pane.swimlanes.listbox.focus();
    const step = pane.run.trace.steps[clamped - 1];
    this.announce(`${describeStep(pane.run, clamped)}${step && isViolatingStep(pane.run, step) ? ', violation' : ''} (${side})`);
    if (changed || cause !== 'user') this.events.selected(side, clamped, cause);
  }

  private focusedSide(): RunSide | null {
    for (const [side, pane] of this.panes) if (pane.swimlanes?.listbox.contains(document.activeElement)) return side;
    return null;
  }

  private announce(text: string): void {
    this.live.textContent = text;
  }

  private markActive(): void {
    for (const [side, pane] of this.panes) pane.section.classList.toggle('active', side === this.active);
  }

  private applySelection(pane: RunPane, index: number): void {
    const lanes = pane.swimlanes;
    if (!lanes) return;
    lanes.rows[pane.index]?.setAttribute('aria-selected', 'false');
    lanes.rows[pane.index]?.classList.remove('selected');
    pane.index = index;
    const row = lanes.rows[index];
    if (row) {
      row.setAttribute('aria-selected', 'true');
      row.classList.add('selected');
      lanes.listbox.setAttribute('aria-activedescendant', row.id);
      row.scrollIntoView({ block: 'nearest' });
    }
    clear(pane.stateSlot);
    pane.stateSlot.appendChild(renderStatePanel(pane.run, index));
  }

  private renderEmpty(): void {
    clear(this.content);
    this.content.appendChild(h('p', { className: 'empty', text: 'No simulation to show yet. Run a review or a simulation to see its counterexample here.' }));
  }

  private renderToolbar(model: TimelineModel): HTMLElement {
    const meta: string[] = [];
    if (model.hunk) meta.push(`hunk ${model.hunk.index}, lines ${model.hunk.startLine}–${model.hunk.endLine}`);
    if (model.documentUri) meta.push(model.documentUri);
    const jsonButton = h('button', { className: 'export', text: 'Export JSON', attrs: { type: 'button', 'aria-label': 'Export the trace as JSON' } });
    const svgButton = h('button', { className: 'export', text: 'Export SVG', attrs: { type: 'button', 'aria-label': 'Export the swimlanes as SVG' } });
    jsonButton.addEventListener('click', () => this.events.export('json'));
    svgButton.addEventListener('click', () => this.events.export('svg'));
    return h(
      'header',
      { className: 'toolbar' },
      h('div', { className: 'titles' }, h('h1', { text: model.title }), meta.length ? h('p', { className: 'meta', text: meta.join(' · ') }) : null),
      h('div', { className: 'actions', attrs: { role: 'toolbar', 'aria-label': 'Export' } }, jsonButton, svgButton),
      h('p', { className: 'keys-help', text: '↑↓ / ←→ / j k: step · Home/End: first/last · Tab: other run · Enter: show patch line' }),
    );
  }

  private renderRun(run: TimelineRun): RunPane {
    const headingId = `${run.side}-heading`;
    const explanationId = `${run.side}-explanation`;
    const verdict = verdictWord(run.verdict);
    const section = h('section', { className: `run ${run.side} verdict-${run.verdict}`, attrs: { 'aria-labelledby': headingId } });
    section.appendChild(
      h(
        'header',
        { className: 'run-header' },
        h('h2', { attrs: { id: headingId } }, h('span', { text: sideLabel(run.side) }), h('span', { className: `badge badge-${run.verdict}`, text: verdict })),
        h('p', { className: 'caption', text: runCaption(run) }),
      ),
    );
    const swimlanes = renderSwimlanes(run, explanationId);
    const stateSlot = h('div', { className: 'state-slot' });
    if (run.trace) {
      section.appendChild(h('p', { className: 'explanation', attrs: { id: explanationId }, text: run.trace.explanation }));
    } else {
      section.appendChild(h('p', { className: 'no-trace', text: `${verdict}: no counterexample` }));
    }
    if (swimlanes) {
      section.appendChild(swimlanes.root);
      this.wireSteps(run.side, swimlanes);
    }
    section.appendChild(stateSlot);
    const counters = renderCounters(run);
    if (counters) section.appendChild(counters);
    return { run, section, swimlanes, stateSlot, index: 0 };
  }

  private wireSteps(side: RunSide, swimlanes: Swimlanes): void {
    swimlanes.listbox.addEventListener('click', (e) => {
      const row = e.target instanceof Element ? e.target.closest('[role="option"]') : null;
      const index = Number(row?.getAttribute('data-index'));
      if (!row || !Number.isInteger(index)) return;
      this.select(side, index, 'user', { focus: true });
      this.activate(side, false);
    });
    // Focus (Tab, a click) makes a run the active one; its selection stays where it was.
    swimlanes.listbox.addEventListener('focus', () => {
      this.active = side;
      this.markActive();
    });
    swimlanes.listbox.addEventListener('keydown', (e) => {
      const other = this.panes.get(side === 'baseline' ? 'patched' : 'baseline');
      const action = keyAction(e, side, !!other?.swimlanes);
      const pane = this.panes.get(side);
      if (!action || !pane?.run.trace) return;
      e.preventDefault();
      const last = pane.run.trace.steps.length;
      switch (action.kind) {
        case 'move':
          this.select(side, pane.index + action.by, 'user');
          break;
        case 'first':
          this.select(side, 0, 'user');
          break;
        case 'last':
          this.select(side, last, 'user');
          break;
        case 'activate':
          this.activate(side, true);
          break;
        case 'switchSide':
          this.select(action.to, this.panes.get(action.to)?.index ?? 0, 'user', { focus: true });
          break;
      }
    });
  }

  /** Enter or a click on a step: show its patch line, when the mapping gave it one. */
  private activate(side: RunSide, explain: boolean): void {
    const pane = this.panes.get(side);
    const step = pane && pane.index > 0 ? pane.run.trace?.steps[pane.index - 1] : undefined;
    if (step?.line !== undefined) this.events.reveal(step.line);
    else if (step && explain) this.announce(`step ${step.n} has no patch line`);
  }
}
