/**
 * The tolerant pre-pass: finds file headers and hunks in one message and decides, line by line,
 * which document lines belong to which hunk, even when the hunk is quoted, interleaved with
 * reviewer text, or cut short. It does not build the patch structure: repair.ts writes what it
 * found as a clean unified diff for `diff`'s parsePatch, which does.
 *
 * How a hunk's extent is decided (the quoting and prose rule):
 * 1. A hunk's quote depth is the depth of its `@@` line. Only lines at that depth can be hunk lines.
 * 2. While the hunk is short of the line counts its header announced, a line at the hunk's depth is
 *    a hunk line if it starts with `+`, `-`, ` ` or `\`. In a quoted hunk, any other line at that
 *    depth (including a bare `>`) is a context line whose leading space the mail client ate.
 *    In an unquoted hunk, a run of empty lines is a run of empty context lines when it fits the
 *    counts and is followed by a hunk line or a diff header; anything else ends the hunk.
 * 3. Once the counts are met, only lines that start with `+`, `-`, ` ` or `\` continue the hunk
 *    (a header whose counts were too small is repaired, not obeyed); the rest ends it.
 * 4. A line at a shallower depth (reviewer prose, `>` text of an earlier reply, an empty line), or
 *    an elision mark at the hunk's depth (`[...]`, `<snip>`, `...`), interrupts the hunk. The hunk
 *    goes on after the interruption when, and only when, lines resume at the hunk's depth, the
 *    hunk is still short of its counts, no diff or hunk header sits in the interruption, and the
 *    whole resumed run of hunk lines fits in what is still missing. Otherwise the hunk ends there
 *    (truncated when short), and a resumed run holding `+`/`-` lines is reported as a warning:
 *    they belong to a hunk whose `@@` the reviewer cut away, and no header says where they go.
 *    Unquoted prose has nothing shallower to be, so in an unquoted hunk prose ends the hunk (2).
 * 5. Diff headers always end a hunk: `@@ -`, `diff --git`, a `--- `/`+++ ` pair (followed by `@@`
 *    while the hunk is short), and the `-- ` signature line of format-patch.
 *
 * Known ambiguities: once its leading space is eaten, a quoted context line whose text starts with
 * `+`, `-`, a space or `\` reads as that kind of line; a line a mailer wrapped reads as an extra
 * context line (quoted) or ends the hunk (unquoted); after an elision mark, the oldLine/newLine
 * numbers of later lines do not account for the lines the reviewer cut.
 */
import { DocumentLines } from './lines';

export type Marker = '+' | '-' | ' ' | '\\';

export interface HunkHeaderFields {
  oldStart: number;
  oldLines: number;
  newStart: number;
  newLines: number;
  /** Everything after the closing `@@`, untrimmed. */
  tail: string;
}

export interface ScannedHunk {
  headerDoc: number;
  depth: number;
  declared: HunkHeaderFields;
  /**
   * The hunk's lines as a clean unified diff carries them (marker, then text), and the document
   * line index (0-based) each was read from. Parallel arrays: a hunk can have millions of lines.
   */
  diffLines: string[];
  docs: number[];
  /** Context lines whose leading space was lost (a bare `>`, `> foo`, an empty unquoted line). */
  restored: number;
  /** Counts of the lines that arrived. */
  oldFound: number;
  newFound: number;
  /** Last document line that belongs to the hunk (its header when no line arrived). */
  lastDoc: number;
  /** Some of the hunk's lines ended in CR. */
  cr: boolean;
  /** Reviewer text the hunk continued across, as inclusive document line index ranges. */
  skipped: Array<[number, number]>;
  /** Elision marks (`[...]`) the hunk continued across: the reviewer cut lines there. */
  elisions: number[];
}

export interface ScannedFile {
  depth: number;
  headerDoc: number;
  /** `diff --git`, its extended headers and the `---`/`+++` pair, behind their quoting. */
  headers: string[];
  gitHeader: boolean;
  fileHeaders: boolean;
  binary: boolean;
  /** Names from a lone `Binary files x and y differ` line (GNU diff). */
  binaryNames: { oldFile: string; newFile: string } | null;
  hunks: ScannedHunk[];
}

export interface ScanResult {
  files: ScannedFile[];
  warnings: string[];
}

const HUNK_HEADER = /^@@ -(\d{1,9})(?:,(\d{1,9}))? \+(\d{1,9})(?:,(\d{1,9}))? @@(.*)$/;
const GIT_EXTENDED_HEADER = /^(?:index [0-9a-fA-F]+\.\.[0-9a-fA-F]+|old mode |new mode |deleted file mode |new file mode |similarity index |dissimilarity index |rename from |rename to |copy from |copy to |Binary files |GIT binary patch)/;
/** A line of a `GIT binary patch` payload: `literal N`/`delta N`, then base85 lines led by a length letter. */
const BINARY_PAYLOAD = /^(?:(?:literal|delta) \d+|[A-Za-z][0-9A-Za-z!#$%&()*+;<=>?@^_`{|}~-]*|)$/;
const LONE_BINARY = /^Binary files (.+) and (.+) differ$/;
const GIT_VERSION = /^\d+\.\d+/;
/** What reviewers write where they cut lines out of a quoted hunk: `[...]`, `<snip>`, `...`. */
const ELISION = /^\s*(?:\[\s*(?:\.{3}|\u2026|snip(?:ped)?|trimmed|cut)\s*\]|<\s*snip(?:ped)?\s*>|\.{3}|\u2026)\s*$/i;

export function parseHunkHeader(body: string): HunkHeaderFields | null {
  const m = HUNK_HEADER.exec(body);
  if (!m) return null;
  return {
    oldStart: +(m[1] as string),
    oldLines: m[2] === undefined ? 1 : +m[2],
    newStart: +(m[3] as string),
    newLines: m[4] === undefined ? 1 : +m[4],
    tail: m[5] as string,
  };
}

/** Scans document lines [from, to) of one message. */
export function scanMessage(doc: DocumentLines, from: number, to: number): ScanResult {
  return new Scanner(doc, from, to).run();
}

class Scanner {
  private readonly files: ScannedFile[] = [];
  private readonly warnings: string[] = [];
  private readonly body: readonly string[];
  private readonly depth: Uint16Array;

  constructor(
    private readonly doc: DocumentLines,
    private readonly from: number,
    private readonly to: number,
  ) {
    this.body = doc.body;
    this.depth = doc.depth;
  }

  run(): ScanResult {
    let file: ScannedFile | null = null;
    let i = this.from;
    while (i < this.to) {
      const body = this.body[i] as string;
      const d = this.depth[i] as number;
      const c0 = body.charCodeAt(0);
      if (c0 === 100 /* d */ && body.startsWith('diff --git ')) {
        file = this.newFile(d, i);
        file.gitHeader = true;
        file.headers.push(body);
        i = this.readExtendedHeaders(file, i + 1);
        continue;
      }
      if (c0 === 45 /* - */ && this.isFileHeaderPair(i)) {
        const joins = file !== null && file.gitHeader && file.depth === d && !file.fileHeaders && file.hunks.length === 0;
        if (!joins || file === null) file = this.newFile(d, i);
        file.fileHeaders = true;
        file.headers.push(body, this.body[i + 1] as string);
        i += 2;
        continue;
      }
      if (c0 === 64 /* @ */) {
        const declared = parseHunkHeader(body);
        if (declared) {
          if (file === null || file.depth !== d || file.binary) file = this.newFile(d, i);
          const hunk: ScannedHunk = { headerDoc: i, depth: d, declared, diffLines: [], docs: [], restored: 0, oldFound: 0, newFound: 0, lastDoc: i, cr: this.doc.cr[i] === 1, skipped: [], elisions: [] };
          file.hunks.push(hunk);
          i = this.readHunk(hunk, i + 1);
          continue;
        }
      }
      if (c0 === 66 /* B */ && body.endsWith(' differ')) {
        const m = LONE_BINARY.exec(body);
        if (m) {
          file = this.newFile(d, i);
          file.binary = true;
          file.binaryNames = { oldFile: m[1] as string, newFile: m[2] as string };
        }
      }
      i++;
    }
    return { files: this.files, warnings: this.warnings };
  }

  private newFile(depth: number, headerDoc: number): ScannedFile {
    const file: ScannedFile = { depth, headerDoc, headers: [], gitHeader: false, fileHeaders: false, binary: false, binaryNames: null, hunks: [] };
    this.files.push(file);
    return file;
  }

  private readExtendedHeaders(file: ScannedFile, i: number): number {
    while (i < this.to && this.depth[i] === file.depth) {
      const body = this.body[i] as string;
      if (!GIT_EXTENDED_HEADER.test(body)) break;
      file.headers.push(body);
      i++;
      if (body.startsWith('Binary files ')) file.binary = true;
      if (body.startsWith('GIT binary patch')) {
        file.binary = true;
        // The base85 payload is data, not text to parse: step over it.
        while (i < this.to && this.depth[i] === file.depth && BINARY_PAYLOAD.test(this.body[i] as string)) i++;
      }
    }
    return i;
  }

  private isFileHeaderPair(i: number): boolean {
    return (
      (this.body[i] as string).startsWith('--- ') &&
      i + 1 < this.to &&
      this.depth[i + 1] === this.depth[i] &&
      (this.body[i + 1] as string).startsWith('+++ ')
    );
  }

  /** Rule 5: lines that end a hunk whatever its counts say. */
  private isBoundary(i: number, countsMet: boolean): boolean {
    const body = this.body[i] as string;
    const c0 = body.charCodeAt(0);
    if (c0 === 64 /* @ */) return HUNK_HEADER.test(body);
    if (c0 === 100 /* d */) return body.startsWith('diff --git ');
    if (c0 !== 45 /* - */) return false;
    if (body === '-- ' || body === '--') {
      if (countsMet || i + 1 >= this.to) return true;
      return this.depth[i + 1] === this.depth[i] && GIT_VERSION.test(this.body[i + 1] as string);
    }
    if (!this.isFileHeaderPair(i)) return false;
    if (countsMet) return true;
    return i + 2 < this.to && this.depth[i + 2] === this.depth[i] && HUNK_HEADER.test(this.body[i + 2] as string);
  }

  /** Rule 2 and 3: what a line at the hunk's depth is, or null when it is not a hunk line. */
  private classify(body: string, depth: number, strict: boolean): Marker | 'restored' | null {
    const c0 = body.charCodeAt(0);
    if (c0 === 43 /* + */) return '+';
    if (c0 === 45 /* - */) return '-';
    if (c0 === 32 /* space */) return ' ';
    if (c0 === 92 /* \ */) return '\\';
    if (strict || depth === 0 || ELISION.test(body)) return null;
    return 'restored';
  }

  private readHunk(hunk: ScannedHunk, i: number): number {
    const hd = hunk.depth;
    const want = hunk.declared;
    let oldSeen = 0;
    let newSeen = 0;
    const take = (at: number, kind: Marker | 'restored'): void => {
      const body = this.body[at] as string;
      if (kind === 'restored') {
        hunk.restored++;
        hunk.diffLines.push(` ${body}`);
      } else {
        hunk.diffLines.push(body);
      }
      hunk.docs.push(at);
      if (kind !== '+' && kind !== '\\') oldSeen++;
      if (kind !== '-' && kind !== '\\') newSeen++;
      hunk.lastDoc = at;
      if (this.doc.cr[at] === 1) hunk.cr = true;
    };
    while (i < this.to) {
      const d = this.depth[i] as number;
      const met = oldSeen >= want.oldLines && newSeen >= want.newLines;
      let interrupted = d < hd;
      if (d === hd) {
        if (this.isBoundary(i, met)) break;
        const body = this.body[i] as string;
        const kind = this.classify(body, hd, met);
        if (kind !== null) {
          take(i, kind);
          i++;
          continue;
        }
        if (hd === 0 && body === '' && !met) {
          const end = this.emptyContextRun(i, want.oldLines - oldSeen, want.newLines - newSeen);
          if (end > i) {
            for (; i < end; i++) take(i, 'restored');
            continue;
          }
        }
        interrupted = ELISION.test(body);
      }
      if (interrupted && !met) {
        const resume = this.resumeAfterInterruption(hunk, i, want.oldLines - oldSeen, want.newLines - newSeen);
        if (resume > i) {
          hunk.skipped.push([i, resume - 1]);
          i = resume;
          continue;
        }
      }
      break;
    }
    hunk.oldFound = oldSeen;
    hunk.newFound = newSeen;
    return i;
  }

  /**
   * Rule 2, unquoted: empty lines [i, end) are empty context lines (an editor or mailer trimmed
   * their single space) when they fit the counts and a hunk line or a diff header follows.
   * Returns `end`, or `i` when the empty lines end the hunk.
   */
  private emptyContextRun(i: number, oldMissing: number, newMissing: number): number {
    let end = i;
    while (end < this.to && this.depth[end] === 0 && this.body[end] === '') end++;
    const n = end - i;
    if (n > oldMissing || n > newMissing || end >= this.to || this.depth[end] !== 0) return i;
    const next = this.body[end] as string;
    const follows = this.isBoundary(end, false) || this.classify(next, 0, true) !== null;
    return follows ? end : i;
  }

  /**
   * Rule 4: after reviewer text at a shallower depth, returns where the hunk resumes, or `i`
   * when it does not.
   */
  private resumeAfterInterruption(hunk: ScannedHunk, i: number, oldMissing: number, newMissing: number): number {
    const hd = hunk.depth;
    let j = i;
    const elisions: number[] = [];
    for (; j < this.to; j++) {
      const body = this.body[j] as string;
      const dj = this.depth[j] as number;
      if (dj > hd) break;
      if (dj === hd) {
        if (!ELISION.test(body)) break;
        elisions.push(j);
      }
      if (HUNK_HEADER.test(body) || body.startsWith('diff --git ')) return i;
    }
    if (j >= this.to || this.depth[j] !== hd) return i;
    let oldRun = 0;
    let newRun = 0;
    let changes = 0;
    let k = j;
    for (; k < this.to && this.depth[k] === hd && !this.isBoundary(k, false); k++) {
      const kind = this.classify(this.body[k] as string, hd, false);
      if (kind === null) break;
      if (kind === '\\') continue;
      if (kind !== '+') oldRun++;
      if (kind !== '-') newRun++;
      if (kind === '+' || kind === '-') changes++;
    }
    if (k === j) return i;
    if (oldRun <= oldMissing && newRun <= newMissing) {
      for (const at of elisions) hunk.elisions.push(at);
      return j;
    }
    if (changes > 0) {
      this.warnings.push(
        `lines ${j + 1}-${k}: quoted diff lines without a @@ header of their own (they do not fit the hunk at line ${hunk.headerDoc + 1}) were not read`,
      );
    }
    return i;
  }
}
