/**
 * The swimlanes as a standalone SVG file. Built as an XML DOM and serialised by XMLSerializer,
 * so every label (untrusted patch text among them) ends up as an escaped text node; nothing is
 * concatenated into markup. Colours are fixed, since the file is viewed outside VS Code's theme.
 */
import { TimelineModel, TimelineRun } from '../protocol';
import { changedSummary, isViolatingStep, runCaption, sideLabel, verdictWord } from './describe';
import { laneOrder, LANE_COLOURS } from './lanes';

const SVG_NS = 'http://www.w3.org/2000/svg';

const STEP_COL = 40;
const LANE_W = 250;
const ROW_H = 26;
const RUN_GAP = 40;
const MARGIN = 20;
/** Average glyph advance of the 12px sans-serif labels, to truncate without measuring. */
const CHAR_W = 6.6;

const PALETTE: readonly string[] = ['#1a85ff', '#388a34', '#c27d1a', '#8a3ffc', '#b8860b', '#d1242f'];
const VIOLATION = '#d1242f';
const INK = '#1f2328';
const MUTED = '#59636e';

/** XML 1.0 forbids most control characters and lone surrogates; replace them rather than emit an unreadable file. */
export function xmlSafe(text: string): string {
  // eslint-disable-next-line no-control-regex -- these are exactly the characters XML 1.0 forbids
  return text.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');
}

function truncate(text: string, width: number): string {
  const max = Math.max(4, Math.floor(width / CHAR_W));
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

function wrap(text: string, width: number): string[] {
  const max = Math.max(10, Math.floor(width / CHAR_W));
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line && line.length + 1 + word.length > max) {
      lines.push(line);
      line = '';
    }
    line = line ? `${line} ${word}` : word;
    while (line.length > max) {
      lines.push(line.slice(0, max));
      line = line.slice(max);
    }
  }
  if (line) lines.push(line);
  return lines;
}

class SvgBuilder {
  readonly doc: XMLDocument;
  readonly root: SVGSVGElement;

  constructor() {
    this.doc = document.implementation.createDocument(SVG_NS, 'svg', null);
    this.root = this.doc.documentElement as unknown as SVGSVGElement;
  }

  el(parent: Element, tag: string, attrs: Readonly<Record<string, string | number>> = {}, text?: string): Element {
    const e = this.doc.createElementNS(SVG_NS, tag);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
    if (text !== undefined) e.textContent = xmlSafe(text);
    parent.appendChild(e);
    return e;
  }

  text(parent: Element, x: number, y: number, text: string, attrs: Readonly<Record<string, string | number>> = {}): Element {
    return this.el(parent, 'text', { x, y, ...attrs }, text);
  }
}

function runWidth(run: TimelineRun): number {
  const lanes = run.trace ? laneOrder(run.trace.steps).length : 1;
  return STEP_COL + Math.max(lanes, 2) * LANE_W;
}

/** Draws one run at x, returns its height. */
function drawRun(b: SvgBuilder, run: TimelineRun, x: number, y0: number): number {
  const width = runWidth(run);
  const g = b.el(b.root, 'g', { transform: `translate(${x} ${y0})` });
  b.el(g, 'title', {}, `${sideLabel(run.side)}: ${runCaption(run)}`);
  const violated = run.verdict === 'violated';
  b.text(g, 0, 16, `${sideLabel(run.side)} — ${verdictWord(run.verdict)}`, { 'font-weight': 'bold', 'font-size': 15, fill: violated ? VIOLATION : INK });
  b.text(g, 0, 34, truncate(runCaption(run), width), { fill: MUTED });
  let y = 48;
  const trace = run.trace;
  if (!trace) {
    b.text(g, 0, y + 16, 'no counterexample', { fill: MUTED, 'font-style': 'italic' });
    return y + 28;
  }
  const lanes = laneOrder(trace.steps);
  const top = y;
  const rows = trace.steps.length;
  const bottom = top + ROW_H * (rows + 1) + 6;
  lanes.forEach((lane, i) => {
    const cx = STEP_COL + i * LANE_W;
    const colour = PALETTE[i % LANE_COLOURS] ?? INK;
    b.el(g, 'rect', { x: cx + 2, y: top, width: LANE_W - 4, height: ROW_H - 4, rx: 3, fill: colour, 'fill-opacity': 0.15, stroke: colour });
    b.text(g, cx + LANE_W / 2, top + 15, truncate(lane, LANE_W - 8), { 'text-anchor': 'middle', 'font-weight': 'bold', fill: INK });
    b.el(g, 'line', { x1: cx + 10, y1: top + ROW_H, x2: cx + 10, y2: bottom, stroke: colour, 'stroke-opacity': 0.5, 'stroke-dasharray': '3 3' });
  });
  y = top + ROW_H;
  for (const step of trace.steps) {
    const col = Math.max(0, lanes.indexOf(step.lane));
    const cx = STEP_COL + col * LANE_W;
    const colour = PALETTE[col % LANE_COLOURS] ?? INK;
    const violating = isViolatingStep(run, step);
    const sg = b.el(g, 'g', { class: violating ? 'step violating' : 'step' });
    const tip = [`${step.n}. ${step.actor}: ${step.step}`, changedSummary(step), step.line !== undefined ? `patch line ${step.line}` : '', step.rule ?? ''].filter((s) => s).join('\n');
    b.el(sg, 'title', {}, tip);
    b.text(sg, STEP_COL - 8, y + 17, String(step.n), { 'text-anchor': 'end', fill: MUTED });
    b.el(sg, 'rect', { x: cx + 4, y: y + 3, width: LANE_W - 8, height: ROW_H - 6, rx: 3, fill: violating ? VIOLATION : colour, 'fill-opacity': violating ? 0.2 : 0.1, stroke: violating ? VIOLATION : colour, 'stroke-width': violating ? 2 : 1 });
    b.text(sg, cx + 10, y + 17, truncate((violating ? '✖ ' : '') + step.step, LANE_W - 20), { fill: INK });
    y += ROW_H;
  }
  y += 16;
  for (const line of wrap(trace.explanation, width)) {
    b.text(g, 0, y, line, { fill: violated ? VIOLATION : INK });
    y += 16;
  }
  return y;
}

/** The whole model (every run side by side) as an SVG document string. */
export function timelineSvg(model: TimelineModel): string {
  const b = new SvgBuilder();
  b.root.setAttribute('font-family', 'system-ui, -apple-system, "Segoe UI", sans-serif');
  b.root.setAttribute('font-size', '12');
  b.el(b.root, 'title', {}, model.title);
  const bg = b.el(b.root, 'rect', { x: 0, y: 0, fill: '#ffffff' });
  b.text(b.root, MARGIN, MARGIN + 14, model.title, { 'font-size': 16, 'font-weight': 'bold', fill: INK });
  let y = MARGIN + 22;
  if (model.hunk) {
    b.text(b.root, MARGIN, y + 14, `hunk ${model.hunk.index}, lines ${model.hunk.startLine}–${model.hunk.endLine}`, { fill: MUTED });
    y += 18;
  }
  y += 12;
  let x = MARGIN;
  let height = 0;
  for (const run of model.runs) {
    height = Math.max(height, drawRun(b, run, x, y));
    x += runWidth(run) + RUN_GAP;
  }
  if (model.runs.length === 0) {
    b.text(b.root, MARGIN, y + 14, 'no runs', { fill: MUTED });
    height = 24;
  }
  const width = Math.max(x - RUN_GAP + MARGIN, 400);
  const total = Math.ceil(y + height + MARGIN);
  for (const [k, v] of [['width', width], ['height', total], ['viewBox', `0 0 ${width} ${total}`]] as const) b.root.setAttribute(k, String(v));
  bg.setAttribute('width', String(width));
  bg.setAttribute('height', String(total));
  return `<?xml version="1.0" encoding="UTF-8"?>\n${new XMLSerializer().serializeToString(b.doc)}\n`;
}
