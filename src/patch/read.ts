/**
 * The reader: document -> messages -> (tolerant pre-pass) -> repaired unified diff per file ->
 * `diff`'s parsePatch -> located patches, files, hunks and lines.
 */
import { parsePatch, type StructuredPatch, type StructuredPatchHunk } from 'diff';
import { InputError } from '../model/errors';
import { decodeDocument, MAX_PATCH_BYTES } from './decode';
import { DocumentLines, splitDocument } from './lines';
import { MailInfo, MessageRange, parseSubject, readMailInfo, splitCommits, splitMessages } from './mail';
import { RepairedFile, repairFile } from './repair';
import { ScannedFile, scanMessage } from './scan';
import { FilePatch, Hunk, Patch, PatchFormat, PatchLine, PatchSet, ReadOptions } from './types';

export function readPatches(input: string | Uint8Array, opts: ReadOptions = {}): PatchSet {
  const { text, warnings } = decodeDocument(input, opts.maxBytes ?? MAX_PATCH_BYTES);
  const doc = splitDocument(text);
  const messages = splitMessages(doc);
  const envelopes = messages.filter((m) => m.envelope).length;
  const patches: Patch[] = [];
  const counter = { hunks: 0 };
  for (const message of messages) {
    const info = readMailInfo(doc, message);
    const parts = message.envelope || (info.hasHeaders && !info.commit) ? [message] : splitCommits(doc, message);
    for (const part of parts) {
      const partInfo = part === message ? info : readMailInfo(doc, part);
      const patch = readPatch(doc, part, partInfo, envelopes > 1, counter, warnings);
      if (patch) patches.push(patch);
    }
  }
  if (counter.hunks === 0) throw new InputError('no diff hunks found');
  return { patches: inSeriesOrder(patches), warnings: capped(warnings) };
}

/** Enough warnings to act on; a pathological document could otherwise produce one per line. */
const MAX_WARNINGS = 50;

function capped(warnings: string[]): string[] {
  if (warnings.length <= MAX_WARNINGS) return warnings;
  return [...warnings.slice(0, MAX_WARNINGS), `... and ${warnings.length - MAX_WARNINGS} more warnings`];
}

function readPatch(doc: DocumentLines, range: MessageRange, info: MailInfo, inMbox: boolean, counter: { hunks: number }, warnings: string[]): Patch | null {
  const scan = scanMessage(doc, range.start, range.end);
  for (const w of scan.warnings) warnings.push(w);
  const files: FilePatch[] = [];
  for (const scanned of scan.files) {
    const file = readFile(scanned, counter, warnings);
    if (file) files.push(file);
  }
  if (files.length === 0 && info.subject === null) return null;
  const { title, series } = parseSubject(info.subject);
  return {
    subject: info.subject,
    title,
    series,
    author: info.author,
    date: info.date,
    dateRaw: info.dateRaw,
    messageId: info.messageId,
    startLine: range.start + 1,
    endLine: lastContentLine(doc, range) + 1,
    files,
    format: formatOf(info, files, scan.files, inMbox),
  };
}

function formatOf(info: MailInfo, files: readonly FilePatch[], scanned: readonly ScannedFile[], inMbox: boolean): PatchFormat {
  const quoted = files.some((f) => f.hunks.some((h) => h.quoteDepth > 0));
  if (quoted || (info.subject !== null && /^\s*(re|aw|sv)\s*:/i.test(info.subject))) return 'mail-reply';
  if (inMbox) return 'mbox';
  if (info.commit) return 'git-diff';
  if (info.hasHeaders) return 'format-patch';
  return scanned.some((f) => f.gitHeader) ? 'git-diff' : 'unified';
}

function lastContentLine(doc: DocumentLines, range: MessageRange): number {
  for (let i = range.end - 1; i > range.start; i--) if ((doc.text[i] as string).trim() !== '') return i;
  return range.start;
}

function readFile(scanned: ScannedFile, counter: { hunks: number }, warnings: string[]): FilePatch | null {
  const repaired = repairFile(scanned);
  let parsed: StructuredPatch | undefined;
  try {
    const list = parsePatch(repaired.text);
    if (list.length !== 1) throw new Error(`expected one file, found ${list.length}`);
    parsed = list[0];
  } catch (e) {
    warnings.push(`line ${scanned.headerDoc + 1}: the diff could not be read (${oneLine(e)})`);
    return null;
  }
  if (parsed === undefined || parsed.hunks.length !== repaired.hunks.length) {
    warnings.push(`line ${scanned.headerDoc + 1}: the diff could not be read (hunks went missing)`);
    return null;
  }
  const names = fileNames(scanned, parsed);
  const hunks: Hunk[] = [];
  for (let k = 0; k < repaired.hunks.length; k++) {
    const hunk = locateHunk(repaired, k, parsed.hunks[k] as StructuredPatchHunk, names, counter.hunks);
    if (!hunk) {
      warnings.push(`line ${scanned.headerDoc + 1}: a hunk could not be mapped back to the document`);
      continue;
    }
    hunks.push(hunk);
    counter.hunks++;
  }
  return { ...names, binary: scanned.binary || parsed.isBinary === true, headerLine: scanned.headerDoc + 1, hunks };
}

interface FileNames {
  oldFile: string | null;
  newFile: string | null;
  file: string;
}

function fileNames(scanned: ScannedFile, parsed: StructuredPatch): FileNames {
  let oldName: string | undefined = parsed.oldFileName;
  let newName: string | undefined = parsed.newFileName;
  if (scanned.binaryNames) {
    oldName ??= scanned.binaryNames.oldFile;
    newName ??= scanned.binaryNames.newFile;
  }
  const oldFile = oldName === undefined ? '' : cleanName(oldName, 'a/');
  const newFile = newName === undefined ? '' : cleanName(newName, 'b/');
  return { oldFile, newFile, file: newFile ?? oldFile ?? '' };
}

/** `a/arch/x86/kvm/x86.c` -> `arch/x86/kvm/x86.c`; `/dev/null` -> null. */
function cleanName(name: string, prefix: string): string | null {
  const n = name.trim();
  if (n === '/dev/null') return null;
  return n.startsWith(prefix) ? n.slice(prefix.length) : n;
}

function locateHunk(repaired: RepairedFile, k: number, parsed: StructuredPatchHunk, names: FileNames, index: number): Hunk | null {
  const r = repaired.hunks[k];
  if (r === undefined || parsed.lines.length !== r.origins.length) return null;
  const lines: PatchLine[] = [];
  let oldLine = r.oldStart;
  let newLine = r.newStart;
  for (let j = 0; j < parsed.lines.length; j++) {
    const raw = parsed.lines[j] as string;
    const line = (r.origins[j] as number) + 1;
    const kind = raw[0];
    const text = raw.slice(1);
    if (kind === '+') lines.push({ kind, text, line, newLine: newLine++ });
    else if (kind === '-') lines.push({ kind, text, line, oldLine: oldLine++ });
    else if (kind === ' ') lines.push({ kind, text, line, oldLine: oldLine++, newLine: newLine++ });
    // `\ No newline at end of file` qualifies the line before it; it is not a line of the file.
  }
  const s = r.scanned;
  return {
    index,
    file: names.file,
    oldFile: names.oldFile,
    newFile: names.newFile,
    header: r.header,
    section: r.section,
    oldStart: r.oldStart,
    oldLines: parsed.oldLines,
    newStart: r.newStart,
    newLines: parsed.newLines,
    headerLine: s.headerDoc + 1,
    startLine: s.headerDoc + 1,
    endLine: s.lastDoc + 1,
    lines,
    truncated: r.truncated,
    quoteDepth: s.depth,
    repairs: r.repairs,
  };
}

function oneLine(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  return msg.split('\n')[0] ?? msg;
}

/**
 * Patches that carry `[PATCH n/m]` are put in the order of n, within the places such patches
 * occupy; patches without a series number stay where the document has them.
 */
function inSeriesOrder(patches: Patch[]): Patch[] {
  const slots: number[] = [];
  const numbered: Patch[] = [];
  patches.forEach((p, i) => {
    if (p.series) {
      slots.push(i);
      numbered.push(p);
    }
  });
  const sorted = numbered.map((p, i) => ({ p, i })).sort((a, b) => (a.p.series?.n ?? 0) - (b.p.series?.n ?? 0) || a.i - b.i);
  const out = [...patches];
  slots.forEach((slot, k) => {
    out[slot] = (sorted[k] as { p: Patch }).p;
  });
  return out;
}
