/**
 * What the patch reader produces: patches, files, hunks and lines, each located in the document
 * the reviewer opened. Every line number here is 1-based and counts lines the way an editor does
 * (`\r\n`, a lone `\r` and `\n` each end a line), so a diagnostic can be put on it directly.
 */

/** One `+`, `-` or context line of a hunk. `text` is the line without its marker. */
export interface PatchLine {
  kind: '+' | '-' | ' ';
  text: string;
  /** Document line the text was read from. */
  line: number;
  /** Line in the pre-image (context and `-` lines), counted from the hunk's `oldStart`. */
  oldLine?: number;
  /** Line in the post-image (context and `+` lines), counted from the hunk's `newStart`. */
  newLine?: number;
}

export interface Hunk {
  /** 0-based across the whole PatchSet, in document order. */
  index: number;
  /** Path without a/ or b/: the new path unless the file is deleted; '' when no file header arrived. */
  file: string;
  /** null stands for /dev/null; '' when no file header arrived. */
  oldFile: string | null;
  newFile: string | null;
  /** The `@@` line as repaired (quoting removed, counts recomputed). */
  header: string;
  /** Text after the closing `@@`, trimmed: the function the hunk is in ('' if none). */
  section: string;
  oldStart: number;
  /** Counts of the lines that arrived, which may differ from what the header announced. */
  oldLines: number;
  newStart: number;
  newLines: number;
  /** Document line of the `@@` line. */
  headerLine: number;
  /** Document lines spanned, from the header to the last hunk line (reviewer text in between included). */
  startLine: number;
  endLine: number;
  lines: PatchLine[];
  /** Fewer lines arrived than the header announced (a reply cut the hunk short). */
  truncated: boolean;
  /** Quote depth of the `@@` line; 0 for unquoted. */
  quoteDepth: number;
  /** What the tolerant pre-pass had to change to read the hunk, in plain words. */
  repairs: string[];
}

export interface FilePatch {
  oldFile: string | null;
  newFile: string | null;
  file: string;
  binary: boolean;
  /** Document line of the file's first header (`diff --git`, `---`, `Binary files`), or of its first hunk. */
  headerLine: number;
  hunks: Hunk[];
}

export type PatchFormat = 'format-patch' | 'mbox' | 'git-diff' | 'unified' | 'mail-reply';

export interface Patch {
  subject: string | null;
  /** The subject without `Re:` and bracketed prefixes such as `[PATCH v2 1/3]`. */
  title: string | null;
  series: { n: number; total: number } | null;
  author: string | null;
  /** ISO 8601 (UTC) when the date could be read with its time zone. */
  date: string | null;
  dateRaw: string | null;
  messageId: string | null;
  startLine: number;
  endLine: number;
  files: FilePatch[];
  format: PatchFormat;
}

export interface PatchSet {
  /** In series order (by n of [PATCH n/m]); patches without a series number keep their place. */
  patches: Patch[];
  /** One line each: things the reader worked around at document level. */
  warnings: string[];
}

export interface ReadOptions {
  /** Refuse documents larger than this many bytes (default MAX_PATCH_BYTES). */
  maxBytes?: number;
}
