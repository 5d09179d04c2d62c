/** What the Export buttons send: the model as JSON, or the swimlanes as SVG, with a safe file name. */
import { ExportFormat, ExportMessage, TimelineModel } from '../protocol';
import { timelineSvg } from './svgExport';

/** One path segment of [A-Za-z0-9._-], never starting with a dot (see isSafeExportFilename). */
export function exportFilename(model: TimelineModel, format: ExportFormat): string {
  const run = model.runs[0];
  const base = run ? `kvm-race-lens-${run.scenario}-${run.property}` : 'kvm-race-lens-timeline';
  const slug = base
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/-{2,}/g, '-')
    .replace(/^[-.]+|[-.]+$/g, '')
    .slice(0, 80);
  return `${slug || 'timeline'}.${format}`;
}

export function exportMessage(model: TimelineModel, format: ExportFormat): ExportMessage {
  const content = format === 'json' ? `${JSON.stringify(model, null, 2)}\n` : timelineSvg(model);
  return { type: 'export', format, filename: exportFilename(model, format), content };
}
