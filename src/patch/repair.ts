/**
 * Writes what the pre-pass found in one file as a clean unified diff (quoting gone, lost spaces
 * restored, CRs dropped, hunk counts recomputed from the lines that arrived), keeps a map from
 * each hunk line of that text back to its document line, and says in words what was repaired.
 */
import { ScannedFile, ScannedHunk } from './scan';

export interface RepairedHunk {
  /** The `@@` line as written into the repaired text. */
  header: string;
  section: string;
  oldStart: number;
  newStart: number;
  /** Document line index (0-based) of each body line of the hunk in the repaired text, in order. */
  origins: number[];
  truncated: boolean;
  repairs: string[];
  scanned: ScannedHunk;
}

export interface RepairedFile {
  /** A unified diff of exactly one file, ready for parsePatch. */
  text: string;
  hunks: RepairedHunk[];
}

export function repairFile(file: ScannedFile): RepairedFile {
  const parts: string[] = pairedHeaders(file.headers);
  const hunks: RepairedHunk[] = [];
  for (const scanned of file.hunks) {
    const hunk = repairHunk(scanned);
    hunks.push(hunk);
    parts.push(hunk.header);
    if (scanned.diffLines.length > 0) parts.push(scanned.diffLines.join('\n'));
  }
  return { text: parts.join('\n'), hunks };
}

/**
 * parsePatch takes a lone `rename from` (or `copy to`...) as half a file name and refuses the
 * file; a reply can cut such a pair in two. Half a pair says nothing, so it is left out.
 */
function pairedHeaders(headers: readonly string[]): string[] {
  const has = (prefix: string): boolean => headers.some((h) => h.startsWith(prefix));
  const unpaired = new Set<string>();
  for (const kind of ['rename', 'copy']) {
    if (has(`${kind} from `) !== has(`${kind} to `)) unpaired.add(kind);
  }
  if (unpaired.size === 0) return [...headers];
  return headers.filter((h) => ![...unpaired].some((kind) => h.startsWith(`${kind} from `) || h.startsWith(`${kind} to `)));
}

/** Interruptions listed one by one in a hunk's repairs; the rest are counted. */
const LISTED = 5;

function repairHunk(h: ScannedHunk): RepairedHunk {
  const { oldFound, newFound, restored } = h;
  const d = h.declared;
  const header = `@@ -${d.oldStart},${oldFound} +${d.newStart},${newFound} @@${d.tail}`;
  const repairs: string[] = [];
  if (h.depth > 0) repairs.push(`quoting depth ${h.depth} removed`);
  if (h.cr) repairs.push('CRLF');
  if (restored > 0) {
    repairs.push(`${restored} context ${restored === 1 ? 'line' : 'lines'} had lost ${restored === 1 ? 'its' : 'their'} leading space`);
  }
  for (const [a, b] of h.skipped.slice(0, LISTED)) {
    repairs.push(a === b ? `reviewer text at line ${a + 1} skipped` : `reviewer text at lines ${a + 1}-${b + 1} skipped`);
  }
  if (h.skipped.length > LISTED) repairs.push(`reviewer text skipped at ${h.skipped.length - LISTED} more places`);
  for (const at of h.elisions.slice(0, LISTED)) {
    repairs.push(`reviewer cut lines at line ${at + 1}: oldLine/newLine after it do not count them`);
  }
  if (h.elisions.length > LISTED) repairs.push(`reviewer cut lines at ${h.elisions.length - LISTED} more places`);
  if (oldFound !== d.oldLines || newFound !== d.newLines) {
    repairs.push(`hunk counts recomputed: header said -${d.oldStart},${d.oldLines} +${d.newStart},${d.newLines}, found ${oldFound} old / ${newFound} new lines`);
  }
  return {
    header,
    section: d.tail.trim(),
    oldStart: d.oldStart,
    newStart: d.newStart,
    origins: h.docs,
    truncated: oldFound < d.oldLines || newFound < d.newLines,
    repairs,
    scanned: h,
  };
}
