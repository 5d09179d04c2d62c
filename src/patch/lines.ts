/**
 * The document as an editor numbers it: `\r\n`, a lone `\r` and `\n` each end a line. Each line
 * is also split into its mail quoting (`>`, `> >`, `>>`...) and the text behind it, once, so that
 * every later pass can look at a line's quote depth in constant time.
 */

export interface DocumentLines {
  /** Line texts without their line ends; index i is document line i + 1. */
  readonly text: readonly string[];
  /** The line ended in `\r\n` (or a lone `\r`), so a mail client or editor left a CR behind. */
  readonly cr: Uint8Array;
  /** Quote depth: the number of `>` characters in the line's quote prefix. */
  readonly depth: Uint16Array;
  /** The line behind its quote prefix. */
  readonly body: readonly string[];
}

export function splitDocument(text: string): DocumentLines {
  let lines = text.split('\n');
  let cr: Uint8Array = new Uint8Array(lines.length);
  if (text.includes('\r')) ({ lines, cr } = splitCarriageReturns(lines));
  const depth = new Uint16Array(lines.length);
  // Most documents have no quoting at all: then the bodies are the lines themselves.
  let body: string[] = lines;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    if (line.charCodeAt(0) !== 62 /* > */) continue;
    if (body === lines) body = lines.slice();
    const q = splitQuote(line);
    depth[i] = Math.min(q.depth, 0xffff);
    body[i] = q.body;
  }
  return { text: lines, cr, depth, body };
}

/** Splits LF-separated lines further at CRs: `\r\n` ends one line, a lone `\r` ends one too. */
function splitCarriageReturns(lf: readonly string[]): { lines: string[]; cr: Uint8Array } {
  const lines: string[] = [];
  const flags: number[] = [];
  const last = lf.length - 1;
  lf.forEach((line, k) => {
    if (!line.includes('\r')) {
      lines.push(line);
      flags.push(0);
      return;
    }
    const pieces = line.split('\r');
    // "a\r" before an LF is one CRLF-terminated line; at the very end it is "a" and an empty line.
    const crlf = k < last && pieces[pieces.length - 1] === '';
    if (crlf) pieces.pop();
    pieces.forEach((piece, j) => {
      lines.push(piece);
      flags.push(crlf || j < pieces.length - 1 ? 1 : 0);
    });
  });
  return { lines, cr: Uint8Array.from(flags) };
}

/**
 * Splits a line into quote depth and body. A quote prefix is a run of `>`, each optionally
 * followed by one space; the space after the last `>` belongs to the prefix, so `>  foo`
 * (a quoted context line) has body ` foo` and `> foo` has body `foo`.
 */
export function splitQuote(line: string): { depth: number; body: string } {
  let i = 0;
  let depth = 0;
  while (line.charCodeAt(i) === 62 /* > */) {
    depth++;
    i++;
    if (line.charCodeAt(i) === 32) {
      if (line.charCodeAt(i + 1) === 62) {
        i++;
        continue;
      }
      i++;
      break;
    }
  }
  return { depth, body: line.slice(i) };
}
