/**
 * What the editor shows for a review, decided without `vscode`: lens titles, diagnostics as plans
 * (line, severity, related lines), hover sections and timeline models. The glue turns these into
 * CodeLens, Diagnostic, Hover and postMessage calls; plain mocha tests pin them.
 */
import { PROPERTY_INFO } from '../model/properties';
import { CONDS, OPS, StepDoc } from '../model/pi/semantics';
import { RunSide, RunVerdict, TimelineHunk, TimelineModel, TimelineRun, TimelineStep, isRunVerdict } from '../protocol';
import type { Finding, HunkReport, PatchReview, SideView } from '../review/review';
import type { CounterexampleStep } from '../review/simulationReport';
import type { ScenarioRun } from './workerProtocol';

/** The project's home; property ids are anchors of its README (see README "Properties"). */
export const DOCS_URL = 'https://github.com/kvm-race-lens/kvm-race-lens';

export function propertyDocUrl(property: string): string {
  return `${DOCS_URL}#${PROPERTY_INFO[property]?.doc ?? property}`;
}

export function shorten(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length <= max ? flat : `${flat.slice(0, Math.max(1, max - 1)).trimEnd()}…`;
}

export function verdictPhrase(f: Pick<Finding, 'verdict' | 'property'>): string {
  switch (f.verdict) {
    case 'introduced':
      return `introduces ${f.property}`;
    case 'fixed':
      return `fixes ${f.property}`;
    case 'still-violated':
      return `leaves ${f.property} violated`;
    case 'inconclusive':
      return `inconclusive: ${f.property}`;
  }
}

// ------------------------------------------------------------------------------------ lenses

export const REVIEW_LENS = (hunks: number) => `Review patch (${hunks} hunk${hunks === 1 ? '' : 's'})`;
export const SIMULATE_LENS = 'Simulate this hunk';
export const REASON_MAX = 48;

/** One lens above a hunk after a run. `finding` indexes the PatchReview's findings. */
export interface HunkLensItem {
  readonly title: string;
  readonly tooltip: string;
  readonly finding?: number;
}

export function hunkLensItems(patch: PatchReview, hunk: number): HunkLensItem[] {
  const report = patch.hunks.find((h) => h.index === hunk);
  if (!report) return [];
  const where = hunkWhere(report);
  if (report.status === 'not-modelled') {
    const reason = report.reason ?? 'the model does not cover this code';
    return [{ title: `not modelled: ${shorten(reason, REASON_MAX)}`, tooltip: `${where}: not modelled: ${reason}` }];
  }
  if (report.status === 'no-behavioural-change') {
    return [{ title: 'no behavioural change', tooltip: `${where}: ${report.reason ?? 'no behavioural change'}` }];
  }
  const partly = report.status === 'partial' ? ` (partly modelled: ${report.reason ?? ''})` : '';
  const items: HunkLensItem[] = [];
  patch.findings.forEach((f, i) => {
    if (f.hunks.includes(hunk)) items.push({ title: verdictPhrase(f), tooltip: `${f.message}${partly}. Click to step through the counterexample.`, finding: i });
  });
  if (items.length) return items;
  if (!patch.scenarios.length) return [{ title: 'nothing to explore', tooltip: `${where}: ${patch.notes.join('; ') || 'no change the model runs'}${partly}` }];
  const others = [...new Set(patch.findings.flatMap((f) => f.hunks))];
  if (others.length) {
    return [{ title: `no finding of its own (see hunk ${others.join(', ')})`, tooltip: `${where}: the patch's findings come from other hunks${partly}` }];
  }
  const n = patch.scenarios.length;
  return [{ title: `no verdict changes (${n} scenario${n === 1 ? '' : 's'})`, tooltip: `${where}: every property keeps its verdict in the ${n} scenarios that run the changed code${partly}` }];
}

function hunkWhere(h: HunkReport): string {
  return `hunk ${h.index} (${h.file}${h.function ? `: ${h.function}()` : ''})`;
}

/** The patch lens's suffix after a review: "1 introduced", "no verdict changes", ... */
export function patchSummary(p: PatchReview): string {
  const count = (v: Finding['verdict']) => p.findings.filter((f) => f.verdict === v).length;
  const parts = [
    [count('introduced'), 'introduced'],
    [count('fixed'), 'fixed'],
    [count('still-violated'), 'still violated'],
    [count('inconclusive'), 'inconclusive'],
  ]
    .filter(([n]) => (n as number) > 0)
    .map(([n, w]) => `${n} ${w}`);
  if (parts.length) return parts.join(', ');
  if (p.scenarios.length) return 'no verdict changes';
  return p.hunks.every((h) => h.status === 'no-behavioural-change') ? 'no behavioural change' : 'nothing the model runs';
}

// ------------------------------------------------------------------------------- diagnostics

export type Severity = 'error' | 'warning' | 'information';

export interface RelatedPlan {
  readonly line: number;
  readonly message: string;
}

export interface DiagnosticPlan {
  /** 1-based document line. */
  readonly line: number;
  readonly severity: Severity;
  readonly message: string;
  readonly code: string;
  readonly target: string;
  readonly related: readonly RelatedPlan[];
}

export function severityOf(verdict: Finding['verdict']): Severity {
  return verdict === 'introduced' ? 'error' : verdict === 'fixed' ? 'information' : 'warning';
}

const MAX_RELATED = 12;

function stepText(s: CounterexampleStep, total: number): string {
  return `step ${s.n} of ${total}: ${s.actor}: ${s.step}`;
}

/**
 * One diagnostic per finding, on the first line that matters. Related information points at
 * the other actor's steps (at their own line, or where they interleave with the patched code:
 * the next step that has a line), then at the other lines of the finding and the trace.
 */
export function diagnosticPlan(finding: Finding, patch: PatchReview): DiagnosticPlan {
  const hunks = patch.hunks.filter((h) => finding.hunks.includes(h.index));
  const changes = hunks.flatMap((h) => h.changes);
  const line = finding.lines[0] ?? changes[0]?.line ?? hunks[0]?.startLine ?? patch.startLine;
  const steps = finding.counterexample;
  const total = steps.length;
  const own = steps.find((s) => s.line === line)?.actor ?? steps.find((s) => s.line !== undefined)?.actor ?? null;
  const related: RelatedPlan[] = [];
  const add = (l: number | undefined, message: string) => {
    if (l === undefined || l < 1 || related.some((r) => r.line === l && r.message === message)) return;
    related.push({ line: l, message });
  };
  // The other actors' steps, grouped by the patched step they come just before (or after), in
  // step order within a group; the group nearest to its patched step first: that is the race.
  const groups = new Map<number, { distance: number; items: { n: number; line: number | undefined; message: string }[] }>();
  steps.forEach((s, i) => {
    if (own === null || s.actor === own) return;
    const next = steps.slice(i + 1).find((x) => x.line !== undefined);
    const prev = [...steps.slice(0, i)].reverse().find((x) => x.line !== undefined);
    const anchor = s.line !== undefined ? s : (next ?? prev);
    if (!anchor) return;
    const note = s.line !== undefined ? '' : ` (${next ? 'before' : 'after'} ${own}'s step ${anchor.n} here)`;
    const g = groups.get(anchor.n) ?? { distance: Infinity, items: [] };
    g.distance = Math.min(g.distance, Math.abs(anchor.n - s.n));
    g.items.push({ n: s.n, line: anchor.line, message: `${stepText(s, total)}${note}` });
    groups.set(anchor.n, g);
  });
  for (const g of [...groups.values()].sort((a, b) => a.distance - b.distance)) for (const o of g.items) add(o.line, o.message);
  for (const l of finding.lines.slice(1)) add(l, `also changed: ${changes.find((c) => c.line === l || c.from === l)?.summary ?? 'a line this finding depends on'}`);
  for (const s of steps) if (s.line !== undefined && s.line !== line) add(s.line, stepText(s, total));
  if (!related.length) {
    // At least the other changed lines of the patch, so the reader sees what the change moved.
    for (const c of patch.hunks.flatMap((h) => h.changes)) {
      if (c.line !== line) add(c.line, `${c.program}: ${c.summary}`);
      if (c.from !== undefined && c.from !== line) add(c.from, `${c.program}: ${c.summary} (old place)`);
    }
  }
  return {
    line,
    severity: severityOf(finding.verdict),
    message: finding.message,
    code: finding.property,
    target: propertyDocUrl(finding.property),
    related: related.slice(0, MAX_RELATED),
  };
}

/** Findings of several runs over one document, without repeats (same property, verdict, lines). */
export function findingKey(f: Finding): string {
  return `${f.property}\u0000${f.verdict}\u0000${f.lines.join(',')}`;
}

// ------------------------------------------------------------------------------------- hover

/**
 * Markdown-escapes untrusted text (patch text, model strings): every ASCII punctuation character
 * CommonMark could read as syntax gets a backslash, and line breaks become spaces. Unlike
 * MarkdownString.appendText it keeps ordinary spaces, so long rules still wrap in the hover.
 */
export function escapeMarkdown(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!|<>~&$:"']/g, '\\$&').replace(/\s*\n\s*/g, ' ');
}

export function stepDoc(name: string | undefined): StepDoc | undefined {
  if (!name) return undefined;
  return OPS[name] ?? CONDS[name];
}

export interface HoverSource {
  readonly label: string;
  readonly profile: string;
  readonly patch: PatchReview;
}

export interface HoverPlan {
  readonly changes: readonly { readonly program: string; readonly summary: string; readonly note: string | null }[];
  readonly steps: readonly {
    readonly where: string;
    readonly text: string;
    readonly program: string | null;
    readonly op: string | null;
    readonly rule: string | null;
  }[];
  readonly docs: readonly { readonly name: string; readonly summary: string; readonly rule: string }[];
}

const MAX_HOVER_STEPS = 4;

/** What the model does at a document line (1-based), from the reviews that mapped it. */
export function hoverPlan(line: number, sources: readonly HoverSource[]): HoverPlan | undefined {
  const changes: { program: string; summary: string; note: string | null }[] = [];
  const steps: { where: string; text: string; program: string | null; op: string | null; rule: string | null }[] = [];
  const names: string[] = [];
  const seen = new Set<string>();
  for (const src of sources) {
    for (const h of src.patch.hunks) {
      if (line < h.startLine || line > h.endLine) continue;
      for (const c of h.changes) {
        if (c.line !== line && c.from !== line) continue;
        const key = `${c.program}|${c.summary}`;
        if (seen.has(key)) continue;
        seen.add(key);
        const note = c.from === undefined ? null : c.line === line ? `moved here from line ${c.from}` : `moved from here to line ${c.line}`;
        changes.push({ program: c.program, summary: c.summary, note });
        for (const m of c.summary.matchAll(/[A-Za-z_][A-Za-z0-9_]*/g)) names.push(m[0]);
      }
    }
    for (const f of src.patch.findings) {
      for (const side of ['patched', 'baseline'] as const) {
        const trace = f.sides[side].counterexample;
        if (!trace) continue;
        for (const s of trace) {
          if (s.line !== line || steps.length >= MAX_HOVER_STEPS) continue;
          const key = `${side}|${f.property}|${f.scenario}|${s.n}`;
          if (seen.has(key)) continue;
          seen.add(key);
          steps.push({
            where: `${side}, ${f.property} in ${f.scenario} (profile ${src.profile}), step ${s.n} of ${trace.length}`,
            text: `${s.actor}: ${s.step}`,
            program: s.program ?? null,
            op: s.op ?? null,
            rule: s.rule ?? null,
          });
          if (s.op) names.push(s.op);
        }
      }
    }
  }
  const docs: { name: string; summary: string; rule: string }[] = [];
  for (const name of names) {
    const doc = stepDoc(name);
    if (!doc || docs.some((d) => d.name === name) || docs.length >= 3) continue;
    docs.push({ name, summary: doc.summary, rule: doc.rule });
  }
  if (!changes.length && !steps.length) return undefined;
  return { changes, steps, docs };
}

// ----------------------------------------------------------------------------------- timeline

function timelineSteps(steps: readonly CounterexampleStep[]): TimelineStep[] {
  return steps.map((s) => ({
    n: s.n,
    actor: s.actor,
    lane: s.lane,
    step: s.step,
    changed: { ...s.changed },
    ...(s.program !== undefined ? { program: s.program } : {}),
    ...(s.op !== undefined ? { op: s.op } : {}),
    ...(s.rule !== undefined ? { rule: s.rule } : {}),
    ...(s.line !== undefined ? { line: s.line } : {}),
  }));
}

function runOf(
  side: RunSide,
  scenario: string,
  profile: string,
  property: string,
  view: Pick<SideView, 'verdict' | 'counterexample' | 'states' | 'explanation' | 'counters'>,
): TimelineRun {
  const verdict: RunVerdict = isRunVerdict(view.verdict) ? view.verdict : 'inconclusive';
  const trace =
    view.counterexample && view.states && view.states.length === view.counterexample.length + 1
      ? { steps: timelineSteps(view.counterexample), states: view.states.map((s) => ({ ...s })), explanation: view.explanation ?? '' }
      : null;
  return { side, scenario, profile, property, verdict, trace, counters: view.counters ? { ...view.counters } : null };
}

/** Baseline and patched side by side, from the finding's two sides in its scenario. */
export function findingTimeline(finding: Finding, profile: string, documentUri: string | null, hunk: TimelineHunk | null): TimelineModel {
  return {
    title: `${verdictPhrase(finding)} · ${finding.scenario}`,
    documentUri,
    hunk,
    runs: [runOf('baseline', finding.scenario, profile, finding.property, finding.sides.baseline), runOf('patched', finding.scenario, profile, finding.property, finding.sides.patched)],
  };
}

/** A plain simulation of one scenario under the current kernel: one run, shown as the baseline. */
export function scenarioTimeline(run: ScenarioRun, property: string): TimelineModel | undefined {
  const p = run.properties.find((x) => x.property === property);
  if (!p) return undefined;
  return {
    title: `${property} ${p.status} · ${run.scenario} · profile ${run.profile}`,
    documentUri: null,
    hunk: null,
    runs: [runOf('baseline', run.scenario, run.profile, property, { verdict: p.status, counterexample: p.counterexample, states: p.states, explanation: p.explanation, counters: run.counters })],
  };
}
