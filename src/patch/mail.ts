/**
 * The mail around a patch: splitting an mbox (or `git log -p` output) into messages, and reading
 * what a reviewer wants to know about each one (subject, series position, author, date,
 * message-id). Three header shapes occur:
 * - an RFC 5322 header block at the top of the message (format-patch, mbox);
 * - `commit <sha>` / `Author:` / `Date:` followed by an indented message (`git show`, `git log -p`);
 * - a mail-archive page: the subject alone on the first line, with `From:` and `Date:` lines a
 *   few lines below it (the shape of the seed threads).
 */
import { parseMailDate } from './dates';
import { DocumentLines } from './lines';

export interface MessageRange {
  /** Document line indexes (0-based), `end` exclusive. */
  start: number;
  end: number;
  /** The range was cut out of an mbox by a `From ` envelope line. */
  envelope: boolean;
}

export interface MailInfo {
  subject: string | null;
  author: string | null;
  dateRaw: string | null;
  date: string | null;
  messageId: string | null;
  /** The message has mail or commit headers (an RFC 5322 block, a commit block or an archive-page header). */
  hasHeaders: boolean;
  /** The headers came from a `commit <sha>` block. */
  commit: boolean;
}

/** The asctime date of an mbox envelope: `From <sha-or-address> Mon Sep 17 00:00:00 2001`. */
const ENVELOPE = /^From \S+ +[A-Z][a-z]{2} [A-Z][a-z]{2} +\d{1,2} \d{1,2}:\d{2}/;
const HEADER_LINE = /^([A-Za-z][A-Za-z0-9-]*):[ \t]*(.*)$/;
/** Header names whose presence makes a block at the top of a message a mail header block. */
const MAIL_KEYS = new Set(['from', 'subject', 'date', 'message-id', 'to', 'cc', 'in-reply-to', 'references', 'return-path', 'received', 'delivered-to', 'mime-version', 'content-type', 'reply-to', 'sender']);
const COMMIT_LINE = /^commit [0-9a-f]{7,64}\b/;

/**
 * Splits the document at mbox envelope lines. Text before the first envelope is a message of its
 * own when it holds anything but blank lines. A document without envelopes is one message.
 */
export function splitMessages(doc: DocumentLines): MessageRange[] {
  const { text } = doc;
  const starts: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const line = text[i] as string;
    if (line.charCodeAt(0) === 70 /* F */ && line.startsWith('From ') && isEnvelope(text, i)) starts.push(i);
  }
  const out: MessageRange[] = [];
  const first = starts[0] ?? text.length;
  if (first > 0 && hasContent(text, 0, first)) out.push({ start: 0, end: first, envelope: false });
  for (let k = 0; k < starts.length; k++) {
    out.push({ start: starts[k] as number, end: starts[k + 1] ?? text.length, envelope: true });
  }
  if (out.length === 0) out.push({ start: 0, end: text.length, envelope: false });
  return out;
}

function isEnvelope(text: readonly string[], i: number): boolean {
  const line = text[i] as string;
  if (ENVELOPE.test(line)) return true;
  // Some archives write a bare `From address` envelope; accept it when a header block follows.
  const next = HEADER_LINE.exec(text[i + 1] ?? '');
  return next !== null && MAIL_KEYS.has((next[1] as string).toLowerCase());
}

function hasContent(text: readonly string[], from: number, to: number): boolean {
  for (let i = from; i < to; i++) if ((text[i] as string).trim() !== '') return true;
  return false;
}

/**
 * Splits a message without mail headers at `commit <sha>` lines followed by `Author:` or `Merge:`
 * (git log -p, git show of several commits). Returns the message itself when there are none.
 */
export function splitCommits(doc: DocumentLines, range: MessageRange): MessageRange[] {
  const starts: number[] = [];
  for (let i = range.start; i < range.end; i++) {
    const line = doc.text[i] as string;
    if (line.charCodeAt(0) === 99 /* c */ && COMMIT_LINE.test(line)) {
      const next = doc.text[i + 1] ?? '';
      if (next.startsWith('Author:') || next.startsWith('Merge:')) starts.push(i);
    }
  }
  if (starts.length === 0) return [range];
  const out: MessageRange[] = [];
  const first = starts[0] as number;
  if (first > range.start && hasContent(doc.text, range.start, first)) out.push({ start: range.start, end: first, envelope: false });
  for (let k = 0; k < starts.length; k++) {
    out.push({ start: starts[k] as number, end: starts[k + 1] ?? range.end, envelope: false });
  }
  return out;
}

export function readMailInfo(doc: DocumentLines, range: MessageRange): MailInfo {
  const { text } = doc;
  let i = range.start;
  if (range.envelope) i++;
  const info: MailInfo = { subject: null, author: null, dateRaw: null, date: null, messageId: null, hasHeaders: range.envelope, commit: false };

  let first = i;
  while (first < range.end && (text[first] as string).trim() === '') first++;
  if (COMMIT_LINE.test(text[first] ?? '')) return readCommitInfo(doc, { ...range, start: first }, info);

  const block = readHeaderBlock(text, i, range.end, range.envelope);
  if (block) {
    info.hasHeaders = true;
    assignHeaders(info, block);
  } else {
    readArchiveHeaders(text, i, range.end, info);
  }
  if (info.dateRaw !== null) info.date = parseMailDate(info.dateRaw);
  return info;
}

/** An RFC 5322 header block starting at `i`, unfolded; null when the message does not start with one. */
function readHeaderBlock(text: readonly string[], i: number, end: number, envelope: boolean): Map<string, string> | null {
  const first = HEADER_LINE.exec(text[i] ?? '');
  if (!first) return null;
  const headers = new Map<string, string>();
  let key: string | null = null;
  let mailLike = false;
  for (; i < end; i++) {
    const line = text[i] as string;
    if (line === '') break;
    if ((line.startsWith(' ') || line.startsWith('\t')) && key !== null) {
      headers.set(key, `${headers.get(key) ?? ''} ${line.trim()}`);
      continue;
    }
    const m = HEADER_LINE.exec(line);
    if (!m) break;
    key = (m[1] as string).toLowerCase();
    if (MAIL_KEYS.has(key)) mailLike = true;
    if (!headers.has(key)) headers.set(key, (m[2] as string).trim());
  }
  return mailLike || envelope ? headers : null;
}

function assignHeaders(info: MailInfo, headers: ReadonlyMap<string, string>): void {
  const subject = headers.get('subject');
  if (subject !== undefined) info.subject = decodeEncodedWords(subject);
  const from = headers.get('from');
  if (from !== undefined) info.author = decodeEncodedWords(from);
  const date = headers.get('date');
  if (date !== undefined) info.dateRaw = date;
  const id = headers.get('message-id');
  if (id !== undefined) info.messageId = id.replace(/^<|>$/g, '').trim() || null;
}

/** `commit <sha>`, `Author:`, `Date:`, a blank line, then the message indented by four spaces. */
function readCommitInfo(doc: DocumentLines, range: MessageRange, info: MailInfo): MailInfo {
  info.hasHeaders = true;
  info.commit = true;
  let i = range.start + 1;
  for (; i < range.end; i++) {
    const line = doc.text[i] as string;
    if (line.trim() === '') break;
    const m = HEADER_LINE.exec(line);
    if (!m) break;
    const key = (m[1] as string).toLowerCase();
    if (key === 'author') info.author = (m[2] as string).trim();
    else if (key === 'date' || key === 'authordate') info.dateRaw ??= (m[2] as string).trim();
  }
  for (; i < range.end; i++) {
    const line = doc.text[i] as string;
    if (line.trim() === '') continue;
    if (line.startsWith('    ')) info.subject = line.trim();
    break;
  }
  if (info.dateRaw !== null) info.date = parseMailDate(info.dateRaw);
  return info;
}

/** How far below the subject line an archive page puts its From:/Date: lines. */
const ARCHIVE_HEADER_REACH = 8;

/**
 * A mail-archive page: the first non-blank line is the subject when it looks like one
 * (`Re:`, `[PATCH ...]`) or when `From:`/`Date:` lines follow within a few lines.
 */
function readArchiveHeaders(text: readonly string[], i: number, end: number, info: MailInfo): void {
  while (i < end && (text[i] as string).trim() === '') i++;
  if (i >= end) return;
  const candidate = (text[i] as string).trim();
  const stop = Math.min(end, i + 1 + ARCHIVE_HEADER_REACH);
  let found = false;
  for (let k = i; k < stop; k++) {
    const line = text[k] as string;
    if (line.startsWith('>') || line.startsWith('diff ') || line.startsWith('@@')) break;
    const m = /^(From|Date|Subject|Message-ID):\s*(.*)$/i.exec(line);
    if (!m) continue;
    const key = (m[1] as string).toLowerCase();
    const value = (m[2] as string).trim();
    found = true;
    if (key === 'from') info.author ??= decodeEncodedWords(value);
    else if (key === 'date') info.dateRaw ??= value;
    else if (key === 'subject') info.subject ??= decodeEncodedWords(value);
    else info.messageId ??= value.replace(/^<|>$/g, '').trim() || null;
  }
  const looksLikeSubject = /^(re|fwd?|aw|sv)\s*:/i.test(candidate) || /^\[(patch|rfc)\b/i.test(candidate);
  const isHeaderOrDiff = /^(From|Date|Subject|Message-ID):/i.test(candidate) || /^(diff |--- |\+\+\+ |@@|Index:|commit |>)/.test(candidate);
  if (!isHeaderOrDiff && (looksLikeSubject || found)) info.subject ??= candidate;
  if (found || info.subject !== null) info.hasHeaders = true;
}

/** RFC 2047 encoded words (`=?UTF-8?q?Radim_Kr=C4=8Dm=C3=A1=C5=99?=`), as git send-email writes names. */
export function decodeEncodedWords(value: string): string {
  if (!value.includes('=?')) return value;
  return value
    .replace(/(\?=)\s+(=\?)/g, '$1$2') // whitespace between adjacent encoded words is not content
    .replace(/=\?([^?\s]+)\?([qQbB])\?([^?\s]*)\?=/g, (whole, charset: string, enc: string, data: string) => {
      try {
        const bytes = enc.toLowerCase() === 'b' ? base64Bytes(data) : qBytes(data);
        return new TextDecoder(charset.replace(/\*.*$/, '').toLowerCase()).decode(bytes);
      } catch {
        return whole;
      }
    });
}

function qBytes(data: string): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < data.length; i++) {
    const c = data[i] as string;
    if (c === '_') out.push(0x20);
    else if (c === '=' && /^[0-9A-Fa-f]{2}$/.test(data.slice(i + 1, i + 3))) {
      out.push(parseInt(data.slice(i + 1, i + 3), 16));
      i += 2;
    } else out.push(c.charCodeAt(0) & 0xff);
  }
  return Uint8Array.from(out);
}

function base64Bytes(data: string): Uint8Array {
  const bin = atob(data);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

export interface SubjectParts {
  title: string | null;
  series: { n: number; total: number } | null;
}

/**
 * `Re: [PATCH v2 03/10] KVM: x86: ...` -> series {n: 3, total: 10}, title `KVM: x86: ...`.
 * The series comes from the first bracketed prefix holding `n/m`.
 */
export function parseSubject(subject: string | null): SubjectParts {
  if (subject === null) return { title: null, series: null };
  let rest = subject.trim();
  let series: { n: number; total: number } | null = null;
  for (;;) {
    const reply = /^(re|fwd?|aw|sv)\s*(\[\d+\])?\s*:\s*/i.exec(rest);
    if (reply) {
      rest = rest.slice(reply[0].length);
      continue;
    }
    const bracket = /^\[([^\]]*)\]\s*/.exec(rest);
    if (bracket) {
      const nm = /(?:^|[\s,])0*(\d{1,5})\/0*(\d{1,5})(?=$|[\s,])/.exec(bracket[1] as string);
      if (nm && series === null) {
        const n = +(nm[1] as string);
        const total = +(nm[2] as string);
        if (total > 0 && n <= total) series = { n, total };
      }
      rest = rest.slice(bracket[0].length);
      continue;
    }
    break;
  }
  return { title: rest.trim() === '' ? null : rest.trim(), series };
}
