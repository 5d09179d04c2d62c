/**
 * Laws of the patch reader, checked with fast-check on generated kernel-style patches (fixed
 * seeds, so a run is deterministic):
 * 1. quoting, eaten context spaces, CRLF and reviewer prose do not change what is read;
 * 2. every located line points at a document line that ends with the line's text;
 * 3. random bytes, random diff-like lines and random truncations end in a result or an InputError.
 */
import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import { InputError } from '../../src/model/errors';
import { Hunk, PatchSet, readPatches } from '../../src/patch';
import { Damage, NO_DAMAGE, SpecFile, SpecHunk, SpecLine, damage, renderGitDiff } from '../fixtures/reader/build';

const RUNS = { seed: 42, numRuns: 200 } as const;

/** Code text that a reader can still tell from a marker once its leading space is gone. */
const codeText: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('', '}', '{', '\treturn 0;', '\tpi_set_sn(pi_desc);', '\t\tlocal_irq_disable();', '#include <linux/kvm_host.h>', '\tsmp_mb__after_atomic();'),
  fc.tuple(fc.constantFrom('', '\t', '\t\t', '\t\t\t'), fc.stringMatching(/^[a-z_][a-z0-9_(){};=*&!<>,.]{0,40}$/)).map(([i, s]) => i + s),
);

const specLine: fc.Arbitrary<SpecLine> = fc.record({ kind: fc.constantFrom<SpecLine['kind']>('+', '-', ' ', ' '), text: codeText });

const specHunk: fc.Arbitrary<SpecHunk> = fc.record({
  oldStart: fc.integer({ min: 1, max: 5000 }),
  newStart: fc.integer({ min: 1, max: 5000 }),
  section: fc.constantFrom('', 'static void vmx_vcpu_pi_put(struct kvm_vcpu *vcpu)', 'int kvm_apic_local_deliver(struct kvm_lapic *apic, int lvt_type)'),
  lines: fc.array(specLine, { minLength: 1, maxLength: 12 }),
});

const specFiles: fc.Arbitrary<SpecFile[]> = fc
  .array(fc.array(specHunk, { minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 3 })
  .map((files) => files.map((hunks, i) => ({ path: ['arch/x86/kvm/x86.c', 'arch/x86/kvm/lapic.c', 'arch/x86/kvm/vmx/posted_intr.c'][i] as string, hunks })));

const PROSE = ['Looks good to me.', 'Why is this needed?', '', 'This races with the notification IPI.', 'Nit: comment style.'];

const damageArb: fc.Arbitrary<Damage> = fc.record({
  depth: fc.integer({ min: 0, max: 3 }),
  spaceAfterQuote: fc.array(fc.boolean(), { minLength: 1, maxLength: 5 }),
  eatSpaces: fc.boolean(),
  crlf: fc.array(fc.boolean(), { minLength: 1, maxLength: 5 }),
  prose: fc.array(
    fc.record({ at: fc.nat({ max: 80 }), lines: fc.array(fc.constantFrom(...PROSE), { minLength: 1, maxLength: 3 }), depth: fc.nat({ max: 2 }) }),
    { maxLength: 4 },
  ),
});

function hunksOf(set: PatchSet): Hunk[] {
  return set.patches.flatMap((p) => p.files.flatMap((f) => f.hunks));
}

/** What must survive damage: per hunk, its file, section, starts and lines. */
function essence(set: PatchSet): unknown {
  return hunksOf(set).map((h) => ({
    file: h.file,
    section: h.section,
    oldStart: h.oldStart,
    newStart: h.newStart,
    truncated: h.truncated,
    lines: h.lines.map((l) => l.kind + l.text),
  }));
}

function expected(files: readonly SpecFile[]): unknown {
  return files.flatMap((f) =>
    f.hunks.map((h) => ({
      file: f.path,
      section: h.section,
      oldStart: h.oldStart,
      newStart: h.newStart,
      truncated: false,
      lines: h.lines.map((l) => l.kind + l.text),
    })),
  );
}

/** Law 2: the document line, without that hunk's quoting and its CR, ends with the text. */
function assertLocated(doc: string, set: PatchSet): void {
  const lines = doc.split(/\r\n|\r|\n/);
  for (const h of hunksOf(set)) {
    assert.ok(h.headerLine >= 1 && h.headerLine <= h.endLine && h.endLine <= lines.length);
    let header = lines[h.headerLine - 1] as string;
    for (let k = 0; k < h.quoteDepth; k++) header = header.replace(/^> ?/, '');
    assert.ok(header.startsWith('@@ -'), `line ${h.headerLine} is the hunk header`);
    for (const l of h.lines) {
      assert.ok(l.line > h.headerLine && l.line <= h.endLine);
      let text = lines[l.line - 1] as string;
      for (let k = 0; k < h.quoteDepth; k++) text = text.replace(/^> ?/, '');
      assert.ok(text.endsWith(l.text), `line ${l.line} ${JSON.stringify(text)} ends with ${JSON.stringify(l.text)}`);
    }
  }
}

function readOrInputError(doc: string | Uint8Array): PatchSet | null {
  try {
    return readPatches(doc);
  } catch (e) {
    if (e instanceof InputError) {
      assert.ok(!e.message.includes('\n'), 'one-line reason');
      return null;
    }
    throw e;
  }
}

describe('patch reader: properties', () => {
  it('1. quoting, eaten spaces, CRLF and prose do not change what is read', () => {
    fc.assert(
      fc.property(specFiles, damageArb, (files, d) => {
        const rendered = renderGitDiff(files);
        const clean = readPatches(damage(rendered, NO_DAMAGE));
        assert.deepEqual(essence(clean), expected(files));
        const doc = damage(rendered, d);
        const set = readPatches(doc);
        assert.deepEqual(essence(set), expected(files));
        assert.deepEqual(set.warnings, []);
        for (const h of hunksOf(set)) {
          assert.equal(h.quoteDepth, d.depth);
          assert.equal(h.repairs.includes(`quoting depth ${d.depth} removed`), d.depth > 0);
        }
      }),
      RUNS,
    );
  });

  it('2. every located line points at its text in the document', () => {
    fc.assert(
      fc.property(specFiles, damageArb, (files, d) => {
        const doc = damage(renderGitDiff(files), d);
        assertLocated(doc, readPatches(doc));
      }),
      RUNS,
    );
  });

  it('3a. random bytes end in a result or an InputError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 4000 }), (bytes) => {
        const set = readOrInputError(bytes);
        if (set) assertLocated(Buffer.from(bytes).toString('latin1'), set);
      }),
      RUNS,
    );
  });

  it('3b. random diff-like lines end in a result or an InputError, and the pre-pass never feeds parsePatch what it rejects', () => {
    const vocabulary = [
      '@@ -1,3 +1,3 @@', '@@ -5 +5 @@ fn', '> @@ -2,2 +2,2 @@', '>> @@ -1 +0,0 @@', '+x', '-y', ' z', '', '>', '> > +a', '> b', '>-c',
      'diff --git a/x.c b/x.c', '--- a/x.c', '+++ b/x.c', '> --- a/y.c', '> +++ b/y.c', '-- ', '--', '2.39.2', '--- ', '+++ ',
      'From 1111111111111111111111111111111111111111 Mon Sep 17 00:00:00 2001', 'Subject: [PATCH 1/2] x', 'From: A <a@b>',
      'GIT binary patch', 'literal 3', 'Binary files a/x and b/x differ', 'rename from x', '\\ No newline at end of file',
      'commit 1234567890abcdef1234567890abcdef12345678', 'Author: A', 'Re: [PATCH] y', '\r', 'prose',
    ];
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...vocabulary), { maxLength: 60 }), fc.constantFrom('\n', '\r\n'), (lines, eol) => {
        const doc = lines.join(eol);
        const set = readOrInputError(doc);
        if (!set) return;
        assertLocated(doc, set);
        assert.ok(!set.warnings.some((w) => w.includes('could not be')), set.warnings.join('; '));
        assert.ok(hunksOf(set).every((h, i, all) => h.index === i || all.some((o) => o.index === i)));
      }),
      { seed: 42, numRuns: 1000 },
    );
  });

  it('3c. a patch cut anywhere reads as a prefix of itself, or an InputError', () => {
    fc.assert(
      fc.property(specFiles, damageArb, fc.double({ min: 0, max: 1, noNaN: true }), (files, d, cut) => {
        const full = damage(renderGitDiff(files), d);
        const doc = full.slice(0, Math.floor(full.length * cut));
        const set = readOrInputError(doc);
        if (!set) return;
        assertLocated(doc, set);
        const want = expected(files) as Array<{ lines: string[] }>;
        const got = essence(set) as Array<{ lines: string[]; truncated: boolean }>;
        assert.ok(got.length <= want.length);
        got.forEach((h, k) => {
          const w = (want[k] as { lines: string[] }).lines;
          const last = k === got.length - 1;
          if (!last) {
            assert.deepEqual(h.lines, w);
            return;
          }
          // Everything but the last line arrived whole; the last may have been cut mid-line,
          // or be a quote prefix without its text (read as an empty context line).
          assert.deepEqual(h.lines.slice(0, -1), w.slice(0, h.lines.length - 1));
          const tail = h.lines.at(-1);
          const orig = w[h.lines.length - 1];
          if (tail !== undefined && orig !== undefined) assert.ok(orig.startsWith(tail) || tail === ' ', `${JSON.stringify(tail)} vs ${JSON.stringify(orig)}`);
          if (h.lines.length < w.length) assert.ok(h.truncated);
        });
      }),
      RUNS,
    );
  });
});
