/**
 * Fuzz cases: fast-check arbitraries for (a) mutations of the seed documents, (b) documents
 * generated from diff-like lines, and (c) random edits of the kernel renditions rendered as
 * patches (inputs the mapping takes seriously). A case is a plain value; `materialize` turns it
 * into the bytes or string handed to the reader, and `describe` into one short line.
 *
 * Every case is drawn from its own seed (`caseSeed(seed, index)`), so case k of a run can be
 * rebuilt alone: `npm run fuzz -- --seed S --only k`.
 */
import fc from 'fast-check';
import { structuredPatch } from 'diff';
import { caseSeed } from './caseSeed';
import { SeedDocument, kernelSources, seedDocuments } from './corpus';

// ------------------------------------------------------------------------------ the values

export type Mutation =
  | { readonly k: 'flip'; readonly at: number; readonly mask: number; readonly count: number }
  | { readonly k: 'truncate'; readonly at: number }
  | { readonly k: 'quote'; readonly from: number; readonly len: number; readonly prefix: string }
  | { readonly k: 'crlf'; readonly mode: 'all' | 'some' | 'lone-cr' | 'mixed'; readonly pick: number }
  | { readonly k: 'hugeLine'; readonly at: number; readonly length: number; readonly fill: string }
  | { readonly k: 'nul'; readonly at: number; readonly count: number }
  | { readonly k: 'badUtf8'; readonly at: number; readonly seq: number }
  | { readonly k: 'junk'; readonly at: number; readonly bytes: readonly number[] }
  | { readonly k: 'deleteLines'; readonly from: number; readonly len: number }
  | { readonly k: 'dupLines'; readonly from: number; readonly len: number; readonly times: number }
  | { readonly k: 'moveLines'; readonly from: number; readonly len: number; readonly to: number }
  | { readonly k: 'hunkHeader'; readonly which: number; readonly form: number; readonly n: number }
  | { readonly k: 'mailHeader'; readonly which: number; readonly value: string }
  | { readonly k: 'splice'; readonly other: number; readonly from: number; readonly len: number; readonly at: number }
  | { readonly k: 'text'; readonly at: number; readonly text: string }
  | { readonly k: 'ansi'; readonly pick: number }
  | { readonly k: 'repeat'; readonly times: number }
  | { readonly k: 'nest'; readonly at: number; readonly marker: string; readonly unit: string; readonly depth: number; readonly lines: boolean };

export type Case =
  | { readonly k: 'mutant'; readonly base: number; readonly ops: readonly Mutation[]; readonly bytes: boolean; readonly utf16: boolean; readonly profile?: string | undefined }
  | { readonly k: 'lines'; readonly lines: readonly string[]; readonly bytes: boolean; readonly profile?: string | undefined }
  | { readonly k: 'kernel'; readonly source: number; readonly window: number; readonly span: number; readonly edits: readonly KernelEdit[]; readonly format: number; readonly profile?: string | undefined }
  | { readonly k: 'huge'; readonly size: number; readonly bytes: boolean };

export type KernelEdit =
  | { readonly k: 'del' | 'dup'; readonly at: number; readonly len: number }
  | { readonly k: 'move'; readonly at: number; readonly len: number; readonly to: number }
  | { readonly k: 'insert'; readonly at: number; readonly stmt: number };

// ------------------------------------------------------------------------------ arbitraries

const QUOTES = ['> ', '>> ', '>', '> > ', '>>> ', '>  ', ' > ', '>\t'];
const FILLS = ['+', '-', ' ', 'a', '>', '@', '\t', '{', '(', '\u00e9', '\u{1F600}', '=?', '\\'];
/** Invalid or awkward UTF-8: lone continuation, overlong, surrogate, truncated sequences, 0xFF. */
export const BAD_UTF8: readonly (readonly number[])[] = [
  [0x80],
  [0xc3, 0x28],
  [0xc0, 0xaf],
  [0xed, 0xa0, 0x80],
  [0xf4, 0x90, 0x80, 0x80],
  [0xe2, 0x82],
  [0xff, 0xfe],
  [0xfe, 0xff],
  [0xef, 0xbb, 0xbf],
  [0xf0, 0x9f, 0x98],
];
/** Odd but valid text: BOM, line and paragraph separators, bidi controls, combining marks, C1, NEL. */
const ODD_TEXT = ['\ufeff', '\u2028', '\u2029', '\u202e', '\u0301\u0301\u0301', '\u0085', '\u009b', '\x0b', '\x0c', '\r', '\x1b[31m', '\x1b]8;;x\x07', '\ud800', '\udfff', '\u0000'];
const MAIL_VALUES = [
  '',
  'Mon, 99 Foo 99999 99:99:99 +9999',
  '2024-13-45T25:61:00Z',
  'Tue, 31 Feb 2023 10:00:00 +0000',
  '=?UTF-8?B?!!!?=',
  '=?x-unknown-charset?Q?abc?=',
  '=?UTF-8?Q?=C3?=',
  '[PATCH 0/0] x',
  '[PATCH 99999/3] x',
  '[PATCH 3/99999] x',
  'Re: '.repeat(500) + 'x',
  '['.repeat(2000),
  'Thu, 1 Jan 1970 00:00:00 +0000',
  'Sat, 1 Jan 2200 00:00:00 +0000',
  'Fri, 13 Dec 1901 20:45:52 -1200',
  '<' + 'a'.repeat(5000) + '>',
];
const HUNK_FORMS = 12;
/** What deep nesting is made of: blocks, braceless control heads, parentheses, operators. */
const NEST_UNITS = ['{', '} ', 'if (a) ', 'if (kvm_vcpu_exit_request(vcpu)) {', 'else ', 'else if (r) ', 'do ', 'for (;;) ', 'while (x) ', '(', '!', '!(', '[', 'scoped_guard(mutex, &l) ', 'switch (x) {', 'case A: ', '/*', '"', "'", '\\', '&&', '- ', '+ '];

const pos = fc.nat({ max: 1 << 30 });

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ k: fc.constant('flip' as const), at: pos, mask: fc.integer({ min: 1, max: 255 }), count: fc.integer({ min: 1, max: 40 }) }),
  fc.record({ k: fc.constant('truncate' as const), at: pos }),
  fc.record({ k: fc.constant('quote' as const), from: pos, len: fc.integer({ min: 1, max: 400 }), prefix: fc.array(fc.constantFrom(...QUOTES), { minLength: 1, maxLength: 6 }).map((q) => q.join('')) }),
  fc.record({ k: fc.constant('crlf' as const), mode: fc.constantFrom('all' as const, 'some' as const, 'lone-cr' as const, 'mixed' as const), pick: fc.nat() }),
  fc.record({
    k: fc.constant('hugeLine' as const),
    at: pos,
    length: fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 1000, max: 100_000 }) }, { weight: 1, arbitrary: fc.integer({ min: 100_000, max: 3_000_000 }) }),
    fill: fc.array(fc.constantFrom(...FILLS), { minLength: 1, maxLength: 3 }).map((f) => f.join('')),
  }),
  fc.record({ k: fc.constant('nul' as const), at: pos, count: fc.integer({ min: 1, max: 64 }) }),
  fc.record({ k: fc.constant('badUtf8' as const), at: pos, seq: fc.nat({ max: BAD_UTF8.length - 1 }) }),
  fc.record({ k: fc.constant('junk' as const), at: pos, bytes: fc.array(fc.nat({ max: 255 }), { minLength: 1, maxLength: 2048 }) }),
  fc.record({ k: fc.constant('deleteLines' as const), from: pos, len: fc.integer({ min: 1, max: 30 }) }),
  fc.record({ k: fc.constant('dupLines' as const), from: pos, len: fc.integer({ min: 1, max: 30 }), times: fc.oneof(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 5, max: 3000 })) }),
  fc.record({ k: fc.constant('moveLines' as const), from: pos, len: fc.integer({ min: 1, max: 30 }), to: pos }),
  fc.record({ k: fc.constant('hunkHeader' as const), which: fc.nat(), form: fc.nat({ max: HUNK_FORMS - 1 }), n: fc.oneof(fc.nat({ max: 10 }), fc.constantFrom(999_999_999, 2_147_483_647, 65_535, 1_000_000)) }),
  fc.record({ k: fc.constant('mailHeader' as const), which: fc.nat(), value: fc.oneof(fc.constantFrom(...MAIL_VALUES), fc.string({ maxLength: 80 })) }),
  fc.record({ k: fc.constant('splice' as const), other: fc.nat(), from: pos, len: fc.integer({ min: 1, max: 80 }), at: pos }),
  fc.record({
    k: fc.constant('text' as const),
    at: pos,
    text: fc.oneof(fc.constantFrom(...ODD_TEXT), fc.string({ unit: 'binary', maxLength: 40 }), fc.string({ unit: 'grapheme', maxLength: 40 })),
  }),
  fc.record({ k: fc.constant('ansi' as const), pick: fc.nat() }),
  fc.record({ k: fc.constant('repeat' as const), times: fc.integer({ min: 2, max: 40 }) }),
  fc.record({
    k: fc.constant('nest' as const),
    at: pos,
    marker: fc.constantFrom('+', '-', ' ', '> +', ''),
    unit: fc.constantFrom(...NEST_UNITS),
    depth: fc.oneof(fc.integer({ min: 1, max: 200 }), fc.integer({ min: 200, max: 50_000 })),
    lines: fc.boolean(),
  }),
);

/** Profiles a case may ask for: none (the mail's date), real ones, and malformed ones. */
const profileOption: fc.Arbitrary<string | undefined> = fc.oneof(
  { weight: 8, arbitrary: fc.constant(undefined) },
  { weight: 2, arbitrary: fc.constantFrom('4.9', '4.16', '5.15', '5.19', '6.5', '6.17', 'upstream', '4.10', '99.0') },
  { weight: 1, arbitrary: fc.constantFrom('1.0', 'x', '', '5', '5.19.1.2', ' 5.19') },
);

/** Lines a diff, a mail or a reply is made of; the statements come from the kernel renditions. */
function lineVocabulary(statements: readonly string[]): fc.Arbitrary<string> {
  const stmt = fc.constantFrom(...statements);
  const header = fc
    .tuple(fc.oneof(fc.nat({ max: 3000 }), fc.constant(999_999_999)), fc.option(fc.nat({ max: 80 })), fc.oneof(fc.nat({ max: 3000 }), fc.constant(0)), fc.option(fc.nat({ max: 80 })), fc.constantFrom('', ' vcpu_enter_guest', ' static void vmx_vcpu_pi_put(struct kvm_vcpu *vcpu)', ' record_steal_time'))
    .map(([a, b, c, d, s]) => `@@ -${a}${b === null ? '' : `,${b}`} +${c}${d === null ? '' : `,${d}`} @@${s}`);
  const file = fc.constantFrom('arch/x86/kvm/x86.c', 'arch/x86/kvm/vmx/vmx.c', 'arch/x86/kvm/vmx/posted_intr.c', 'arch/x86/kvm/lapic.c', 'virt/kvm/kvm_main.c', 'dev/null', '');
  return fc.oneof(
    { weight: 6, arbitrary: fc.tuple(fc.constantFrom('+', '-', ' ', '', '> ', '> +', '> -', '>', '+\t', '-\t'), stmt).map(([m, s]) => m + s) },
    { weight: 2, arbitrary: header },
    { weight: 1, arbitrary: file.map((f) => `diff --git a/${f} b/${f}`) },
    { weight: 1, arbitrary: fc.tuple(fc.constantFrom('--- ', '+++ ', '--- a/', '+++ b/'), file).map(([p, f]) => p + f) },
    {
      weight: 2,
      arbitrary: fc.constantFrom(
        'From 0123456789abcdef0123456789abcdef01234567 Mon Sep 17 00:00:00 2001',
        'From: A <a@b>',
        'Subject: [PATCH 2/3] KVM: x86: x',
        'Date: Mon, 26 Sep 2022 13:11:20 -0400',
        'Message-ID: <x@y>',
        '-- ',
        '2.51.0',
        '---',
        'index 1f2e3d4c5b6a..6a5b4c3d2e1f 100644',
        'GIT binary patch',
        'literal 12',
        'zcmV',
        'Binary files a/x and b/x differ',
        '\\ No newline at end of file',
        'commit 0123456789abcdef0123456789abcdef01234567',
        'Author: A <a@b>',
        '    KVM: x86: a subject',
        '[...]',
        '<snip>',
        'new file mode 100644',
        'deleted file mode 100644',
        'rename from a',
        'rename to b',
        'On Mon, A wrote:',
      ),
    },
    { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 60 }) },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 30 }) },
  );
}

const kernelEdit = (stmts: number): fc.Arbitrary<KernelEdit> =>
  fc.oneof(
    fc.record({ k: fc.constantFrom('del' as const, 'dup' as const), at: pos, len: fc.integer({ min: 1, max: 6 }) }),
    fc.record({ k: fc.constant('move' as const), at: pos, len: fc.integer({ min: 1, max: 6 }), to: pos }),
    fc.record({ k: fc.constant('insert' as const), at: pos, stmt: fc.nat({ max: stmts - 1 }) }),
  );

export function caseArbitrary(): fc.Arbitrary<Case> {
  const docs = seedDocuments();
  const stmts = statementVocabulary();
  return fc.oneof(
    {
      weight: 60,
      arbitrary: fc.record({
        k: fc.constant('mutant' as const),
        base: fc.nat({ max: docs.length - 1 }),
        ops: fc.array(mutation, { minLength: 1, maxLength: 5 }),
        bytes: fc.boolean(),
        utf16: fc.oneof({ weight: 30, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
        profile: profileOption,
      }, { requiredKeys: ['k', 'base', 'ops', 'bytes', 'utf16'] }),
    },
    {
      weight: 15,
      arbitrary: fc.record({ k: fc.constant('lines' as const), lines: fc.array(lineVocabulary(stmts), { minLength: 1, maxLength: 120 }), bytes: fc.boolean(), profile: profileOption }, { requiredKeys: ['k', 'lines', 'bytes'] }),
    },
    {
      weight: 25,
      arbitrary: fc.record({
        k: fc.constant('kernel' as const),
        source: fc.nat({ max: kernelSources().length - 1 }),
        window: pos,
        span: fc.integer({ min: 3, max: 80 }),
        edits: fc.array(kernelEdit(stmts.length), { minLength: 1, maxLength: 6 }),
        format: fc.nat({ max: 3 }),
        profile: profileOption,
      }, { requiredKeys: ['k', 'source', 'window', 'span', 'edits', 'format'] }),
    },
  );
}

let vocabulary: string[] | undefined;

/** Every distinct statement-looking line of the kernel renditions, trimmed. */
export function statementVocabulary(): readonly string[] {
  if (vocabulary) return vocabulary;
  const set = new Set<string>();
  for (const k of kernelSources()) for (const l of k.text.split('\n')) if (l.trim()) set.add(l.trim());
  vocabulary = [...set].sort();
  return vocabulary;
}

let arbitrary: fc.Arbitrary<Case> | undefined;

export function drawCase(seed: number, index: number): Case {
  arbitrary ??= caseArbitrary();
  return fc.sample(arbitrary, { seed: caseSeed(seed, index), numRuns: 1 })[0]!;
}

// ------------------------------------------------------------------------------ materialize

export interface Input {
  /** What the reader gets: bytes (the CLI's path) or a string (the editor's). */
  readonly input: string | Uint8Array;
  readonly size: number;
  readonly profile?: string;
}

const enc = new TextEncoder();

function splitLines(b: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let start = 0;
  for (let i = b.indexOf(10); i >= 0; i = b.indexOf(10, i + 1)) {
    out.push(b.subarray(start, i));
    start = i + 1;
  }
  out.push(b.subarray(start));
  return out;
}

const joinLines = (ls: readonly Buffer[]): Buffer => {
  const parts: Buffer[] = [];
  ls.forEach((l, i) => {
    if (i) parts.push(NL);
    parts.push(l);
  });
  return Buffer.concat(parts);
};
const NL = Buffer.from('\n');

/** A buffer made of `length` bytes repeating `fill`. */
function filled(fill: string, length: number): Buffer {
  const unit = Buffer.from(fill);
  const b = Buffer.allocUnsafe(length);
  for (let i = 0; i < length; i += unit.length) unit.copy(b, i, 0, Math.min(unit.length, length - i));
  return b;
}

function insertAt(b: Buffer, at: number, piece: Buffer): Buffer {
  const p = at % (b.length + 1);
  return Buffer.concat([b.subarray(0, p), piece, b.subarray(p)]);
}

/** Inputs stay below this: the reader's own cap is tested separately, and V8 strings have a limit too. */
export const MAX_FUZZ_BYTES = 4 * 1024 * 1024;

function applyMutation(doc: Buffer, m: Mutation, docs: readonly SeedDocument[]): Buffer {
  const out = mutate(doc, m, docs);
  return out.length > MAX_FUZZ_BYTES ? out.subarray(0, MAX_FUZZ_BYTES) : out;
}

function mutate(doc: Buffer, m: Mutation, docs: readonly SeedDocument[]): Buffer {
  switch (m.k) {
    case 'flip': {
      if (!doc.length) return doc;
      const out = Buffer.from(doc);
      for (let i = 0; i < m.count; i++) {
        const p = (m.at + i * 7919 * (i + 1)) % out.length;
        out[p] = out[p]! ^ m.mask;
      }
      return out;
    }
    case 'truncate':
      return doc.subarray(0, m.at % (doc.length + 1));
    case 'quote': {
      const ls = splitLines(doc);
      const from = m.from % ls.length;
      const prefix = Buffer.from(m.prefix);
      return joinLines(ls.map((l, i) => (i >= from && i < from + m.len ? Buffer.concat([prefix, l]) : l)));
    }
    case 'crlf': {
      const ls = splitLines(doc);
      const CR = Buffer.from('\r');
      if (m.mode === 'lone-cr') return Buffer.from(doc.toString('latin1').replace(/\n/g, (_, i: number) => ((i ^ m.pick) % 3 === 0 ? '\r' : '\n')), 'latin1');
      return joinLines(
        ls.map((l, i) => {
          const on = m.mode === 'all' || (m.mode === 'some' ? ((i * 2654435761) ^ m.pick) % 5 === 0 : (i + m.pick) % 2 === 0);
          return on ? Buffer.concat([l, CR]) : l;
        }),
      );
    }
    case 'hugeLine': {
      const ls = splitLines(doc);
      const at = m.at % (ls.length + 1);
      return joinLines([...ls.slice(0, at), filled(m.fill, m.length), ...ls.slice(at)]);
    }
    case 'nul':
      return insertAt(doc, m.at, Buffer.alloc(m.count));
    case 'badUtf8':
      return insertAt(doc, m.at, Buffer.from(BAD_UTF8[m.seq]!));
    case 'junk':
      return insertAt(doc, m.at, Buffer.from(m.bytes));
    case 'deleteLines': {
      const ls = splitLines(doc);
      const from = m.from % ls.length;
      return joinLines([...ls.slice(0, from), ...ls.slice(from + m.len)]);
    }
    case 'dupLines': {
      const ls = splitLines(doc);
      const from = m.from % ls.length;
      const block = ls.slice(from, from + m.len);
      const copies: Buffer[] = [];
      const blockBytes = block.reduce((n, l) => n + l.length + 1, 0);
      for (let t = 0, grown = 0; t < m.times && grown + doc.length < MAX_FUZZ_BYTES; t++, grown += blockBytes) copies.push(...block);
      return joinLines([...ls.slice(0, from), ...copies, ...ls.slice(from)]);
    }
    case 'moveLines': {
      const ls = splitLines(doc);
      const from = m.from % ls.length;
      const block = ls.slice(from, from + m.len);
      const rest = [...ls.slice(0, from), ...ls.slice(from + m.len)];
      const to = m.to % (rest.length + 1);
      return joinLines([...rest.slice(0, to), ...block, ...rest.slice(to)]);
    }
    case 'hunkHeader': {
      const ls = splitLines(doc);
      const headers = ls.map((l, i) => (/^[> ]*@@ /.test(l.toString('latin1')) ? i : -1)).filter((i) => i >= 0);
      if (!headers.length) return doc;
      const i = headers[m.which % headers.length]!;
      const line = ls[i]!.toString('latin1');
      const q = /^[> ]*/.exec(line)![0];
      const body = line.slice(q.length);
      const n = m.n;
      const forms: (() => string | null)[] = [
        () => body.replace(/^@@ -(\d+)(,\d+)? \+(\d+)(,\d+)? @@/, `@@ -$1,${n} +$3,${n} @@`),
        () => body.replace(/^@@ -(\d+)(,\d+)? \+(\d+)(,\d+)? @@/, '@@ -$1,0 +$3,0 @@'),
        () => body.replace(/^@@ -(\d+)(,\d+)? \+(\d+)(,\d+)? @@/, '@@ -$1 +$3 @@'),
        () => null,
        () => `${body}\n${q}${body}`,
        () => body.replace(/^@@ -(\d+)/, `@@ -0`).replace(/\+(\d+)/, `+${n}`),
        () => `${body} @@ -1,1 +1,1 @@ ${'x'.repeat(n % 5000)}`,
        () => body.replace(/^@@ /, '@@@ -1,3 ').replace(/ @@/, ' @@@'),
        () => body.replace(/^@@ -(\d+),(\d+) \+(\d+),(\d+) @@/, (_, a: string, b: string, c: string, d: string) => `@@ -${a},${+b + 1} +${c},${Math.max(0, +d - 1)} @@`),
        () => body.replace(/^@@ -(\d+),(\d+)/, `@@ -$1,${n}`),
        () => body.replace(/^@@ -\d+(,\d+)? \+\d+(,\d+)? @@/, `@@ -${n},${n} +${n},${n} @@`),
        () => body.replace(/^@@/, '@@ '),
      ];
      const replaced = forms[m.form % forms.length]!();
      const out = [...ls];
      if (replaced === null) out.splice(i, 1);
      else out[i] = Buffer.from(q + replaced, 'latin1');
      // Form 4 duplicated the header; the others also copy it somewhere else once in a while.
      if (m.form === 4 || n === 3) out.splice((i * 31 + n) % out.length, 0, Buffer.from(q + body, 'latin1'));
      return joinLines(out);
    }
    case 'mailHeader': {
      const ls = splitLines(doc);
      const headers = ls.map((l, i) => (/^(Subject|Date|From|Message-ID):/i.test(l.toString('latin1')) ? i : -1)).filter((i) => i >= 0);
      if (!headers.length) return doc;
      const i = headers[m.which % headers.length]!;
      const key = /^[^:]*/.exec(ls[i]!.toString('latin1'))![0];
      const out = [...ls];
      out[i] = Buffer.from(`${key}: ${m.value}`);
      return joinLines(out);
    }
    case 'splice': {
      const other = Buffer.from(docs[m.other % docs.length]!.text);
      const ols = splitLines(other);
      const from = m.from % ols.length;
      const ls = splitLines(doc);
      const at = m.at % (ls.length + 1);
      return joinLines([...ls.slice(0, at), ...ols.slice(from, from + m.len), ...ls.slice(at)]);
    }
    case 'text':
      return insertAt(doc, m.at, Buffer.from(m.text));
    case 'ansi': {
      const ls = splitLines(doc);
      return joinLines(ls.map((l, i) => ((i + m.pick) % 3 === 0 ? Buffer.concat([Buffer.from('\x1b[32m'), l, Buffer.from('\x1b[m')]) : l)));
    }
    case 'nest': {
      // One line nesting `depth` deep, or `depth` lines nesting one level each, inside a hunk.
      const ls = splitLines(doc);
      const at = m.at % (ls.length + 1);
      const added = m.lines ? Array.from({ length: Math.min(m.depth, 20_000) }, () => Buffer.from(m.marker + '\t' + m.unit)) : [Buffer.from(m.marker + '\t' + m.unit.repeat(m.depth))];
      return joinLines([...ls.slice(0, at), ...added, ...ls.slice(at)]);
    }
    case 'repeat': {
      const parts: Buffer[] = [];
      for (let t = 0; t < m.times && t * (doc.length + 1) < MAX_FUZZ_BYTES; t++) parts.push(doc, NL);
      return Buffer.concat(parts);
    }
  }
}

const KERNEL_PATHS: readonly (readonly [RegExp, string])[] = [
  [/^x86-/, 'arch/x86/kvm/x86.c'],
  [/^vmx-/, 'arch/x86/kvm/vmx/vmx.c'],
  [/^posted_intr-/, 'arch/x86/kvm/vmx/posted_intr.c'],
  [/^lapic-/, 'arch/x86/kvm/lapic.c'],
  [/^pmu-/, 'arch/x86/kvm/pmu.c'],
  [/^kvm_main-/, 'virt/kvm/kvm_main.c'],
  [/^kvm-guest-/, 'arch/x86/kernel/kvm.c'],
];

/** The kernel version a rendition is of (`x86-5.15.c` -> `5.15`, `...-upstream.c` -> `upstream`). */
function versionOf(source: string): string {
  return /-(\d+\.\d+|upstream)\.c$/.exec(source)?.[1] ?? 'upstream';
}

function applyKernelEdits(lines: string[], lo: number, hi: number, edits: readonly KernelEdit[], stmts: readonly string[]): string[] {
  let region = lines.slice(lo, hi);
  for (const e of edits) {
    if (!region.length) break;
    const at = e.at % region.length;
    switch (e.k) {
      case 'del':
        region = [...region.slice(0, at), ...region.slice(at + e.len)];
        break;
      case 'dup':
        region = [...region.slice(0, at + e.len), ...region.slice(at, at + e.len), ...region.slice(at + e.len)];
        break;
      case 'move': {
        const block = region.slice(at, at + e.len);
        const rest = [...region.slice(0, at), ...region.slice(at + e.len)];
        const to = e.to % (rest.length + 1);
        region = [...rest.slice(0, to), ...block, ...rest.slice(to)];
        break;
      }
      case 'insert': {
        const indent = /^\s*/.exec(region[at] ?? '')![0];
        region = [...region.slice(0, at), indent + stmts[e.stmt % stmts.length]!, ...region.slice(at)];
        break;
      }
    }
  }
  return [...lines.slice(0, lo), ...region, ...lines.slice(hi)];
}

function kernelPatch(c: Extract<Case, { k: 'kernel' }>): { text: string; profile: string } {
  const src = kernelSources()[c.source % kernelSources().length]!;
  const path = KERNEL_PATHS.find(([re]) => re.test(src.name))?.[1] ?? `arch/x86/kvm/${src.name}`;
  const before = src.text.split('\n');
  const lo = c.window % before.length;
  const after = applyKernelEdits(before, lo, Math.min(before.length, lo + c.span), c.edits, statementVocabulary());
  const p = structuredPatch(`a/${path}`, `b/${path}`, before.join('\n'), after.join('\n'), '', '', { context: 3 });
  const diff: string[] = [`diff --git a/${path} b/${path}`, 'index 1f2e3d4c5b6a..6a5b4c3d2e1f 100644', `--- a/${path}`, `+++ b/${path}`];
  for (const h of p.hunks) {
    // git's section heading: the nearest line above starting with a letter, `_` or `$`.
    let section = '';
    for (let i = h.oldStart - 2; i >= 0; i--) {
      if (/^[A-Za-z_$]/.test(before[i]!) && !/^\w+:/.test(before[i]!)) {
        section = ` ${before[i]!.slice(0, 80)}`;
        break;
      }
    }
    diff.push(`@@ -${h.oldStart},${h.oldLines} +${h.newStart},${h.newLines} @@${section}`, ...h.lines);
  }
  const version = versionOf(src.name);
  let text: string;
  switch (c.format % 4) {
    case 0:
      text = ['From 0123456789abcdef0123456789abcdef01234567 Mon Sep 17 00:00:00 2001', 'From: Fuzz <fuzz@example.org>', 'Subject: [PATCH] KVM: x86: fuzzed edit', '', 'Fuzzed.', '---', ...diff, '-- ', '2.51.0', ''].join('\n');
      break;
    case 1:
      text = diff.join('\n') + '\n';
      break;
    case 2:
      text = ['Re: [PATCH] KVM: x86: fuzzed edit', '', '> Fuzzed.', ...diff.map((l) => (l.startsWith(' ') ? `> ${l.slice(1)}` : l === '' ? '>' : `> ${l}`)), '', 'Hmm.', ''].join('\n');
      break;
    default:
      text = diff.join('\r\n') + '\r\n';
  }
  return { text, profile: version };
}

export function materialize(c: Case, maxBytes = MAX_FUZZ_BYTES): Input {
  const inp = build(c);
  if (inp.size <= maxBytes) return inp;
  const cut = typeof inp.input === 'string' ? inp.input.slice(0, maxBytes) : inp.input.subarray(0, maxBytes);
  return { ...inp, input: cut, size: typeof cut === 'string' ? Buffer.byteLength(cut) : cut.length };
}

function build(c: Case): Input {
  switch (c.k) {
    case 'mutant': {
      const docs = seedDocuments();
      let b: Buffer = Buffer.from(docs[c.base % docs.length]!.text);
      for (const m of c.ops) b = applyMutation(b, m, docs);
      const profile = c.profile === undefined ? {} : { profile: c.profile };
      if (c.utf16) {
        const s = b.toString('utf8');
        const le = Buffer.from(`\ufeff${s}`, 'utf16le');
        return { input: le, size: le.length, ...profile };
      }
      // A string is what the editor hands over: it has already decoded the bytes (as UTF-8, with U+FFFD).
      return c.bytes ? { input: b, size: b.length, ...profile } : { input: b.toString('utf8'), size: b.length, ...profile };
    }
    case 'lines': {
      const text = c.lines.join('\n') + '\n';
      const profile = c.profile === undefined ? {} : { profile: c.profile };
      return c.bytes ? { input: enc.encode(text), size: Buffer.byteLength(text), ...profile } : { input: text, size: Buffer.byteLength(text), ...profile };
    }
    case 'kernel': {
      const { text, profile } = kernelPatch(c);
      return { input: text, size: Buffer.byteLength(text), profile: c.profile ?? profile };
    }
    case 'huge': {
      const b = filled('+\tlocal_irq_disable();\n', c.size);
      return c.bytes ? { input: b, size: b.length } : { input: b.toString('latin1'), size: b.length };
    }
  }
}

/** One short line saying what the case is. */
export function describe(c: Case): string {
  const clip = (s: string) => JSON.stringify(s.length > 24 ? `${s.slice(0, 24)}…` : s);
  switch (c.k) {
    case 'mutant': {
      const docs = seedDocuments();
      const ops = c.ops.map((m) => {
        switch (m.k) {
          case 'flip':
            return `flip ${m.count} bytes ^0x${m.mask.toString(16)} from ${m.at}`;
          case 'truncate':
            return `truncate at ${m.at}`;
          case 'quote':
            return `quote ${m.len} lines from ${m.from} with ${clip(m.prefix)}`;
          case 'crlf':
            return `line ends ${m.mode}`;
          case 'hugeLine':
            return `${m.length}-byte line of ${clip(m.fill)}`;
          case 'nul':
            return `${m.count} NULs at ${m.at}`;
          case 'badUtf8':
            return `bad UTF-8 ${BAD_UTF8[m.seq]!.map((x) => x.toString(16)).join(' ')}`;
          case 'junk':
            return `${m.bytes.length} junk bytes`;
          case 'deleteLines':
            return `delete ${m.len} lines at ${m.from}`;
          case 'dupLines':
            return `duplicate ${m.len} lines x${m.times}`;
          case 'moveLines':
            return `move ${m.len} lines`;
          case 'hunkHeader':
            return `hunk header form ${m.form} (${m.n})`;
          case 'mailHeader':
            return `mail header = ${clip(m.value)}`;
          case 'splice':
            return `splice ${m.len} lines of another document`;
          case 'text':
            return `insert ${clip(m.text)}`;
          case 'ansi':
            return 'ANSI colours';
          case 'repeat':
            return `repeated x${m.times}`;
          case 'nest':
            return `nest ${clip(m.marker + m.unit)} x${m.depth}${m.lines ? ' (one per line)' : ''}`;
        }
      });
      return `${docs[c.base % docs.length]!.name}${c.bytes ? '' : ' as text'}${c.utf16 ? ' as UTF-16' : ''}: ${ops.join('; ')}${c.profile !== undefined ? ` [profile ${clip(c.profile)}]` : ''}`;
    }
    case 'lines':
      return `${c.lines.length} generated diff-like lines${c.profile !== undefined ? ` [profile ${clip(c.profile)}]` : ''}`;
    case 'kernel': {
      const src = kernelSources()[c.source % kernelSources().length]!;
      return `edit of ${src.name} (${c.edits.map((e) => e.k).join(', ')}), format ${c.format % 4}${c.profile !== undefined ? ` [profile ${clip(c.profile)}]` : ''}`;
    }
    case 'huge':
      return `${c.size}-byte document`;
  }
}
