/**
 * Turning the bytes (or string) a reviewer opened into text, and refusing what is not a text
 * document. Refusals are InputErrors with a one-line reason; nothing else here throws.
 */
import { InputError } from '../model/errors';

/** Largest document the reader accepts; 20 MB mboxes are routine, 64 MB is a generous cap. */
export const MAX_PATCH_BYTES = 64 * 1024 * 1024;

/** How much of the document the binary sniffing looks at (the same window git uses). */
const SNIFF_CHARS = 8 * 1024;
/** Share of control characters above which a document is taken as binary. Text has almost none. */
const MAX_CONTROL_SHARE = 0.1;

export interface DecodedDocument {
  text: string;
  warnings: string[];
}

export function decodeDocument(input: string | Uint8Array, maxBytes: number = MAX_PATCH_BYTES): DecodedDocument {
  const warnings: string[] = [];
  let text: string;
  if (typeof input === 'string') {
    const size = utf8Length(input, maxBytes);
    if (size > maxBytes) throw tooLarge(size, maxBytes);
    text = input.charCodeAt(0) === 0xfeff ? input.slice(1) : input;
  } else {
    if (input.length > maxBytes) throw tooLarge(input.length, maxBytes);
    if (input.length === 0) throw new InputError('empty document');
    text = decodeBytes(input, warnings);
  }
  if (text.length === 0) throw new InputError('empty document');
  sniffBinary(text);
  if (text.trim() === '') throw new InputError('empty document');
  if (text.includes('\x1b')) {
    // `git diff --color=always > x.patch` leaves SGR sequences around every marker.
    // eslint-disable-next-line no-control-regex -- ESC is the very character being removed
    text = text.replace(/\x1b\[[0-9;:?]*[A-Za-z]/g, '');
    warnings.push('ANSI colour codes removed');
  }
  return { text, warnings };
}

function tooLarge(size: number, cap: number): InputError {
  return new InputError(`document too large (${size} bytes, the limit is ${cap})`);
}

/** UTF-8 length of `s`, stopping early once it is known to exceed `cap`. */
function utf8Length(s: string, cap: number): number {
  if (s.length > cap) return s.length;
  if (s.length * 3 <= cap) return s.length; // cannot exceed the cap whatever the characters
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff) {
      n += 4;
      i++;
    } else n += 3;
    if (n > cap) return n;
  }
  return n;
}

function decodeBytes(bytes: Uint8Array, warnings: string[]): string {
  // PowerShell 5 redirection (`git diff > x.patch`) writes UTF-16 with a byte-order mark.
  if (bytes.length >= 2 && ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff))) {
    const label = bytes[0] === 0xff ? 'utf-16le' : 'utf-16be';
    try {
      const text = new TextDecoder(label, { fatal: true }).decode(bytes);
      warnings.push(`decoded as ${label.toUpperCase()} (byte-order mark)`);
      return text;
    } catch {
      // not valid UTF-16 after all: fall through to the byte-oriented decodings
    }
  }
  sniffNul(bytes);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    warnings.push('document is not valid UTF-8; decoded as latin1');
    return latin1(bytes);
  }
}

/** Exact ISO-8859-1 (TextDecoder's 'latin1' label is really windows-1252). */
function latin1(bytes: Uint8Array): string {
  // Node's 'latin1' is exact ISO-8859-1 and decodes in one native pass (a 2.4 MB mail took 160 ms
  // through fromCharCode); elsewhere, in chunks that stay under the argument limit.
  if (typeof Buffer !== 'undefined') return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('latin1');
  const parts: string[] = [];
  const CHUNK = 0x8000;
  for (let i = 0; i < bytes.length; i += CHUNK) {
    parts.push(String.fromCharCode(...bytes.subarray(i, i + CHUNK)));
  }
  return parts.join('');
}

function sniffNul(bytes: Uint8Array): void {
  const end = Math.min(bytes.length, SNIFF_CHARS);
  for (let i = 0; i < end; i++) {
    if (bytes[i] === 0) throw new InputError('binary data (NUL bytes in the first 8 KB), not a patch');
  }
}

function sniffBinary(text: string): void {
  const end = Math.min(text.length, SNIFF_CHARS);
  let control = 0;
  for (let i = 0; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c === 0) throw new InputError('binary data (NUL bytes in the first 8 KB), not a patch');
    // Tab, LF, VT, FF, CR and ESC (colour codes) occur in text; other C0/C1 controls do not.
    const isControl = (c < 0x20 && !(c >= 0x09 && c <= 0x0d) && c !== 0x1b) || (c >= 0x7f && c <= 0x9f) || c === 0xfffd;
    if (isControl) control++;
  }
  if (end > 0 && control / end > MAX_CONTROL_SHARE) {
    throw new InputError('binary data (mostly non-text characters), not a patch');
  }
}
