/** The patch reader on clean input: format-patch, mbox series, git show/diff, unified, binary. */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { Hunk, PatchSet, readPatches } from '../../src/patch';
import { SAMPLE, fixturePath, formatPatchMessage, renderGitDiff } from '../fixtures/reader/build';

function fixture(name: string): string {
  return fs.readFileSync(fixturePath(name), 'utf8');
}

/** 1-based document line of the nth line equal to `exact` (lines split as an editor splits them). */
function lineOf(doc: string, exact: string, nth = 1): number {
  const lines = doc.split(/\r\n|\r|\n/);
  let seen = 0;
  for (let i = 0; i < lines.length; i++) {
    if (lines[i] === exact && ++seen === nth) return i + 1;
  }
  throw new Error(`no line ${JSON.stringify(exact)}`);
}

function hunks(set: PatchSet): Hunk[] {
  return set.patches.flatMap((p) => p.files.flatMap((f) => f.hunks));
}

describe('patch reader: formats', () => {
  it('reads a format-patch message: metadata, files, hunks, sections, kinds and located lines', () => {
    const doc = formatPatchMessage(1, 1);
    const set = readPatches(doc);
    assert.deepEqual(set.warnings, []);
    assert.equal(set.patches.length, 1);
    const p = set.patches[0]!;
    assert.equal(p.format, 'format-patch');
    assert.equal(p.subject, '[PATCH v2 1/1] KVM: VMX: move the PID.SN update to the put path');
    assert.equal(p.title, 'KVM: VMX: move the PID.SN update to the put path');
    assert.deepEqual(p.series, { n: 1, total: 1 });
    assert.equal(p.author, 'Jane Reviewer <jane@example.org>');
    assert.equal(p.dateRaw, 'Tue, 4 Oct 2022 09:15:00 +0200');
    assert.equal(p.date, '2022-10-04T07:15:00.000Z');
    assert.equal(p.messageId, '20221004071500.1-jane@example.org');
    assert.equal(p.startLine, 1);
    assert.equal(p.endLine, lineOf(doc, '2.39.2'));
    assert.deepEqual(p.files.map((f) => [f.file, f.hunks.length, f.binary]), [
      ['arch/x86/kvm/vmx/posted_intr.c', 2, false],
      ['arch/x86/kvm/x86.c', 1, false],
    ]);
    const [h0, h1, h2] = hunks(set);
    assert.deepEqual(hunks(set).map((h) => h.index), [0, 1, 2]);
    assert.equal(h0!.section, 'static void pi_update_ndst(struct pi_desc *pi_desc, int cpu)');
    assert.equal(h1!.section, 'void vmx_vcpu_pi_put(struct kvm_vcpu *vcpu)');
    assert.equal(h2!.section, 'static int vcpu_enter_guest(struct kvm_vcpu *vcpu)');
    assert.equal(h0!.headerLine, lineOf(doc, '@@ -40,7 +40,8 @@ static void pi_update_ndst(struct pi_desc *pi_desc, int cpu)'));
    assert.equal(h0!.header, '@@ -40,7 +40,8 @@ static void pi_update_ndst(struct pi_desc *pi_desc, int cpu)');
    assert.deepEqual([h0!.oldStart, h0!.oldLines, h0!.newStart, h0!.newLines], [40, 7, 40, 8]);
    assert.equal(h0!.lines.map((l) => l.kind).join(''), '    -++  ');
    assert.deepEqual(h0!.repairs, []);
    assert.equal(h0!.truncated, false);
    assert.equal(h0!.quoteDepth, 0);
    const removed = h0!.lines[4]!;
    assert.deepEqual(removed, { kind: '-', text: '\t\tnew.ndst = cpu;', line: lineOf(doc, '-\t\tnew.ndst = cpu;'), oldLine: 44 });
    assert.deepEqual(h0!.lines[6], { kind: '+', text: '\t\tnew.sn = 0;', line: lineOf(doc, '+\t\tnew.sn = 0;'), newLine: 45 });
    assert.deepEqual(h0!.lines[8], { kind: ' ', text: '}', line: h0!.headerLine + 9, oldLine: 46, newLine: 47 });
    assert.equal(h0!.endLine, h0!.headerLine + 9);
    // The signature is not a removed line of the last hunk.
    assert.equal(h2!.lines.length, SAMPLE[1]!.hunks[0]!.lines.length);
    assert.equal(h2!.endLine, lineOf(doc, '-- ') - 1);
  });

  it('reads an mbox series in series order, keeping the cover letter and document-order hunk indexes', () => {
    const doc = fixture('series.mbox');
    const set = readPatches(doc);
    assert.deepEqual(set.patches.map((p) => p.series), [
      { n: 0, total: 3 },
      { n: 1, total: 3 },
      { n: 2, total: 3 },
      { n: 3, total: 3 },
    ]);
    assert.ok(set.patches.every((p) => p.format === 'mbox'));
    const [cover, p1, p2, p3] = set.patches;
    assert.equal(cover!.files.length, 0);
    assert.equal(cover!.title, 'KVM: x86: tidy the posted-interrupt wake-up path');
    assert.equal(p1!.messageId, 'p1@example.org');
    assert.equal(p1!.date, '2022-10-04T07:11:00.000Z');
    // 2/3 comes first in the file, so its hunk is index 0.
    assert.equal(p2!.files[0]!.hunks[0]!.index, 0);
    assert.equal(p1!.files[0]!.hunks[0]!.index, 1);
    assert.equal(p3!.files[0]!.hunks[0]!.index, 2);
    assert.ok(p2!.startLine < p1!.startLine && p1!.startLine < p3!.startLine);
    const h2 = p2!.files[0]!.hunks[0]!;
    assert.equal(h2.lines.length, 9);
    assert.equal(h2.lines.at(-1)!.text, '', 'the trailing context line is an empty line');
    assert.equal(h2.lines.at(-1)!.line, lineOf(doc, '-- ', 2) - 1);
    assert.equal(p3!.files[0]!.file, 'arch/x86/kvm/x86.c');
  });

  it('reads git show output with several commits, subject from the indented message', () => {
    const doc = fixture('git-show.txt');
    const set = readPatches(doc);
    assert.equal(set.patches.length, 2);
    const [a, b] = set.patches;
    assert.equal(a!.format, 'git-diff');
    assert.equal(a!.subject, 'KVM: x86: disable IRQs before IN_GUEST_MODE');
    assert.equal(a!.author, 'Jane Reviewer <jane@example.org>');
    assert.equal(a!.date, '2022-10-04T07:15:00.000Z');
    assert.equal(b!.date, '2022-10-05T15:20:00.000Z');
    assert.equal(b!.startLine, lineOf(doc, 'commit 9a8b7c6d5e4f30211f2e3d4c5b6a798877665544'));
    assert.deepEqual(set.patches.map((p) => p.files.map((f) => f.file)), [['arch/x86/kvm/x86.c'], ['arch/x86/kvm/vmx/posted_intr.c']]);
    const last = b!.files[0]!.hunks[0]!;
    assert.equal(last.lines.map((l) => l.kind).join(''), ' + ');
    assert.equal(last.lines[1]!.line, lineOf(doc, '+\t\t/* SN is clear for a blocked vCPU. */'));
  });

  it('reads plain git diff output', () => {
    const doc = renderGitDiff(SAMPLE).map((l) => l.text).join('\n') + '\n';
    const set = readPatches(doc);
    const p = set.patches[0]!;
    assert.equal(p.format, 'git-diff');
    assert.equal(p.subject, null);
    assert.equal(p.author, null);
    assert.equal(p.files[0]!.headerLine, 1);
    assert.equal(hunks(set).length, 3);
  });

  it('reads a plain unified diff with timestamps, a new file and a deleted file', () => {
    const doc = fixture('unified.diff');
    const set = readPatches(doc);
    const p = set.patches[0]!;
    assert.equal(p.format, 'unified');
    assert.deepEqual(p.files.map((f) => [f.file, f.oldFile, f.newFile, f.headerLine]), [
      ['arch/x86/kvm/lapic.c', 'arch/x86/kvm/lapic.c', 'arch/x86/kvm/lapic.c', 1],
      ['arch/x86/kvm/pi_trace.h', null, 'arch/x86/kvm/pi_trace.h', lineOf(doc, '--- /dev/null')],
      ['arch/x86/kvm/old_pi.c', 'arch/x86/kvm/old_pi.c', null, lineOf(doc, '--- a/arch/x86/kvm/old_pi.c')],
    ]);
    const [lapic, created, deleted] = hunks(set);
    assert.equal(lapic!.file, 'arch/x86/kvm/lapic.c');
    assert.equal(lapic!.section, 'static int apic_find_highest_irr(struct kvm_lapic *apic)');
    assert.deepEqual(created!.lines.map((l) => [l.kind, l.newLine, l.oldLine]), [
      ['+', 1, undefined],
      ['+', 2, undefined],
      ['+', 3, undefined],
    ]);
    assert.equal(created!.oldFile, null);
    assert.equal(created!.section, '');
    assert.equal(deleted!.file, 'arch/x86/kvm/old_pi.c', 'a deleted file is named by its old path');
    assert.deepEqual(deleted!.lines.map((l) => l.oldLine), [1, 2]);
  });

  it('keeps binary files as entries without hunks and reads the diff after a GIT binary patch', () => {
    const doc = fixture('binary.patch');
    const set = readPatches(doc);
    const files = set.patches[0]!.files;
    assert.deepEqual(files.map((f) => [f.file, f.binary, f.hunks.length, f.headerLine]), [
      ['tools/testing/selftests/kvm/x86/pi.bin', true, 0, 1],
      ['Documentation/virt/kvm/pi.png', true, 0, lineOf(doc, 'diff --git a/Documentation/virt/kvm/pi.png b/Documentation/virt/kvm/pi.png')],
      ['arch/x86/kvm/x86.c', false, 1, lineOf(doc, 'diff --git a/arch/x86/kvm/x86.c b/arch/x86/kvm/x86.c')],
    ]);
    assert.equal(hunks(set)[0]!.index, 0);
  });

  it('reads a lone GNU "Binary files ... differ" line as a binary file', () => {
    const doc = ['Binary files a/fw.bin and b/fw.bin differ', '--- a/x.c', '+++ b/x.c', '@@ -1 +1 @@', '-a', '+b', ''].join('\n');
    const files = readPatches(doc).patches[0]!.files;
    assert.deepEqual(files.map((f) => [f.file, f.binary]), [['fw.bin', true], ['x.c', false]]);
  });

  it('defaults missing hunk counts to 1 and leaves out "\\ No newline at end of file"', () => {
    const doc = ['--- a/virt/kvm/Kconfig', '+++ b/virt/kvm/Kconfig', '@@ -5 +5 @@', '-\tdef_bool n', '\\ No newline at end of file', '+\tdef_bool y', '\\ No newline at end of file', ''].join('\n');
    const h = hunks(readPatches(doc))[0]!;
    assert.deepEqual([h.oldLines, h.newLines, h.truncated], [1, 1, false]);
    assert.deepEqual(h.lines.map((l) => [l.kind, l.line]), [['-', 4], ['+', 6]]);
    assert.equal(h.endLine, 7);
    assert.equal(h.header, '@@ -5,1 +5,1 @@');
  });

  it('names renamed files from the rename headers and keeps a hunk-less rename', () => {
    const doc = [
      'diff --git a/arch/x86/kvm/pi.c b/arch/x86/kvm/vmx/pi.c',
      'similarity index 100%',
      'rename from arch/x86/kvm/pi.c',
      'rename to arch/x86/kvm/vmx/pi.c',
      'diff --git a/arch/x86/kvm/vmx/vmx.c b/arch/x86/kvm/vmx/vmx.c',
      '--- a/arch/x86/kvm/vmx/vmx.c',
      '+++ b/arch/x86/kvm/vmx/vmx.c',
      '@@ -1,2 +1,2 @@',
      ' #include "x86.h"',
      '-#include "pi.h"',
      '+#include "vmx/pi.h"',
      '',
    ].join('\n');
    const files = readPatches(doc).patches[0]!.files;
    assert.deepEqual(files.map((f) => [f.oldFile, f.newFile, f.hunks.length]), [
      ['arch/x86/kvm/pi.c', 'arch/x86/kvm/vmx/pi.c', 0],
      ['arch/x86/kvm/vmx/vmx.c', 'arch/x86/kvm/vmx/vmx.c', 1],
    ]);
  });

  it('repairs a header whose counts are too small from the lines that follow it', () => {
    const doc = ['--- a/x.c', '+++ b/x.c', '@@ -10,2 +10,2 @@ void f(void)', ' a();', '-b();', '+c();', ' d();', ''].join('\n');
    const h = hunks(readPatches(doc))[0]!;
    assert.deepEqual([h.oldLines, h.newLines, h.truncated], [3, 3, false]);
    assert.deepEqual(h.repairs, ['hunk counts recomputed: header said -10,2 +10,2, found 3 old / 3 new lines']);
    assert.equal(h.header, '@@ -10,3 +10,3 @@ void f(void)');
  });

  it('decodes UTF-16 with a byte-order mark, latin1 fallback and colour codes, with warnings', () => {
    const doc = formatPatchMessage(1, 1);
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(doc, 'utf16le')]);
    const a = readPatches(utf16);
    assert.equal(hunks(a).length, 3);
    assert.match(a.warnings.join('\n'), /UTF-16LE/);

    const latin = Buffer.from(doc.replace('Jane Reviewer <jane', 'Jos\u00e9 Reviewer <jane'), 'latin1');
    const b = readPatches(latin);
    assert.equal(b.patches[0]!.author, 'Jos\u00e9 Reviewer <jane@example.org>');
    assert.match(b.warnings.join('\n'), /latin1/);

    const coloured = doc.replace(/^([+-])(\t.*)$/gm, '\x1b[32m$1$2\x1b[m').replace(/^@@/gm, '\x1b[36m@@');
    const c = readPatches(coloured);
    assert.equal(hunks(c).length, 3);
    assert.equal(hunks(c)[0]!.lines[5]!.text, '\t\tnew.ndst = cpu_physical_id(cpu);');
    assert.match(c.warnings.join('\n'), /ANSI/);
  });

  it('accepts a string and the same bytes alike', () => {
    const doc = fixture('series.mbox');
    assert.deepEqual(readPatches(Buffer.from(doc)), readPatches(doc));
  });
});
