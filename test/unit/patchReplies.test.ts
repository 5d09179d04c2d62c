/** The patch reader on patches quoted in mail replies, and on damaged input. */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { Hunk, PatchSet, readPatches } from '../../src/patch';
import { SAMPLE, fixturePath, renderGitDiff } from '../fixtures/reader/build';

function hunks(set: PatchSet): Hunk[] {
  return set.patches.flatMap((p) => p.files.flatMap((f) => f.hunks));
}

function kindsAndTexts(set: PatchSet): string[][] {
  return hunks(set).map((h) => h.lines.map((l) => l.kind + l.text));
}

const T = '\t';

describe('patch reader: mail replies', () => {
  it('reads a quoted reply: metadata, eaten spaces, prose inside a hunk, a truncated hunk', () => {
    const doc = fs.readFileSync(fixturePath('reply.txt'), 'utf8');
    const set = readPatches(doc);
    assert.deepEqual(set.warnings, []);
    const p = set.patches[0]!;
    assert.equal(p.format, 'mail-reply');
    assert.equal(p.subject, 'Re: [PATCH v2 2/3] KVM: VMX: leave SN alone in vmx_vcpu_pi_put()');
    assert.equal(p.title, 'KVM: VMX: leave SN alone in vmx_vcpu_pi_put()');
    assert.deepEqual(p.series, { n: 2, total: 3 });
    assert.equal(p.author, 'Sam Maintainer');
    assert.equal(p.dateRaw, 'Wed Oct 05 2022 - 11:20:00 EST');
    assert.equal(p.date, '2022-10-05T16:20:00.000Z');
    assert.equal(p.files.length, 1);
    assert.equal(p.files[0]!.file, 'arch/x86/kvm/vmx/posted_intr.c');
    assert.equal(p.files[0]!.headerLine, 15);

    const [a, b] = p.files[0]!.hunks;
    assert.equal(a!.headerLine, 19);
    assert.equal(a!.quoteDepth, 1);
    assert.equal(a!.truncated, false);
    assert.equal(a!.lines.map((l) => l.kind).join(''), '   --++  ');
    assert.deepEqual(a!.lines.map((l) => l.line), [20, 21, 22, 23, 24, 28, 29, 30, 31]);
    assert.deepEqual(a!.lines[0], { kind: ' ', text: 'if (!vmx_needs_pi_wakeup(vcpu))', line: 20, oldLine: 120, newLine: 120 });
    assert.deepEqual(a!.lines[2], { kind: ' ', text: '', line: 22, oldLine: 122, newLine: 122 });
    assert.deepEqual(a!.lines[5], { kind: '+', text: ' if (kvm_vcpu_is_blocking(vcpu))', line: 28, newLine: 123 });
    assert.deepEqual(a!.repairs, ['quoting depth 1 removed', '5 context lines had lost their leading space', 'reviewer text at lines 25-27 skipped']);
    assert.deepEqual([a!.startLine, a!.endLine], [19, 31]);

    assert.equal(b!.truncated, true);
    assert.equal(b!.header, '@@ -150,4 +150,5 @@ void pi_wakeup_handler(void)');
    assert.equal(b!.section, 'void pi_wakeup_handler(void)');
    assert.deepEqual([b!.oldLines, b!.newLines, b!.endLine], [4, 5, 38]);
    assert.ok(b!.repairs.includes('hunk counts recomputed: header said -150,10 +150,12, found 4 old / 5 new lines'));
  });

  it('reads `>>` and `> >` quoting at depth 2, across reviewer text at depths 1 and 0', () => {
    const doc = [
      'On Mon, Sam Maintainer wrote:',
      '> On Sun, Jane Reviewer wrote:',
      '>> diff --git a/arch/x86/kvm/lapic.c b/arch/x86/kvm/lapic.c',
      '>> --- a/arch/x86/kvm/lapic.c',
      '>> +++ b/arch/x86/kvm/lapic.c',
      '>> @@ -300,6 +300,7 @@ bool __kvm_apic_update_irr(u32 *pir, void *regs, int *max_irr)',
      `>>  ${T}u32 i, vec;`,
      '>>',
      `>> -${T}*max_irr = -1;`,
      `>> +${T}*max_irr = -1;`,
      `>> +${T}irr_updated = false;`,
      '> Why is irr_updated reset here?',
      'Because the loop below only ever sets it.',
      `>>  ${T}for (i = vec = 0; i <= 7; i++, vec += 32) {`,
      `> >  ${T}${T}pir_val = READ_ONCE(pir[i]);`,
      `> > ${T}}`,
      '',
    ].join('\n');
    const set = readPatches(doc);
    const [h] = hunks(set);
    assert.equal(h!.quoteDepth, 2);
    assert.equal(h!.file, 'arch/x86/kvm/lapic.c');
    assert.equal(h!.truncated, false);
    assert.deepEqual(h!.lines.map((l) => [l.kind, l.line]), [
      [' ', 7], [' ', 8], ['-', 9], ['+', 10], ['+', 11], [' ', 14], [' ', 15], [' ', 16],
    ]);
    assert.equal(h!.lines[7]!.text, `${T}}`);
    assert.deepEqual(h!.repairs, ['quoting depth 2 removed', '2 context lines had lost their leading space', 'reviewer text at lines 12-13 skipped']);
    assert.equal(set.patches[0]!.format, 'mail-reply');
  });

  it('gives the same hunks with CRLF, mixed and lone-CR line ends, and says CRLF', () => {
    const lf = fs.readFileSync(fixturePath('reply.txt'), 'utf8');
    const base = readPatches(lf);
    // Every third line CRLF (mixed), all CRLF, all lone CR (an LF after a lone CR would make a CRLF).
    const variants = [(i: number) => (i % 3 === 0 ? '\r\n' : '\n'), () => '\r\n', () => '\r'];
    for (const eol of variants) {
      const doc = lf.split('\n').map((l, i) => l + eol(i)).join('');
      const set = readPatches(doc);
      assert.deepEqual(kindsAndTexts(set), kindsAndTexts(base));
      assert.deepEqual(hunks(set).map((h) => h.lines.map((l) => l.line)), hunks(base).map((h) => h.lines.map((l) => l.line)));
      assert.ok(hunks(set).every((h) => h.repairs.includes('CRLF')));
      assert.equal(set.patches[0]!.author, 'Sam Maintainer');
    }
  });

  it('reads a diff whose tabs were turned into spaces', () => {
    const clean = renderGitDiff(SAMPLE).map((l) => l.text);
    const expanded = clean.map((l) => l.replace(/\t/g, '        '));
    const a = readPatches(clean.join('\n'));
    const b = readPatches(expanded.join('\n'));
    assert.deepEqual(hunks(b).map((h) => h.lines.map((l) => l.kind)), hunks(a).map((h) => h.lines.map((l) => l.kind)));
    assert.deepEqual(hunks(b).map((h) => h.lines.map((l) => l.text.trim())), hunks(a).map((h) => h.lines.map((l) => l.text.trim())));
  });

  it('takes empty lines inside an unquoted hunk as empty context lines whose space was trimmed', () => {
    const clean = renderGitDiff(SAMPLE).map((l) => l.text);
    const trimmed = clean.map((l) => (l === ' ' ? '' : l));
    const set = readPatches(trimmed.join('\n'));
    assert.deepEqual(kindsAndTexts(set), kindsAndTexts(readPatches(clean.join('\n'))));
    assert.ok(hunks(set).every((h) => !h.truncated));
    assert.deepEqual(hunks(set)[0]!.repairs, ['1 context line had lost its leading space']);
  });

  it('ends an unquoted hunk at prose, even after an empty line, and marks it truncated', () => {
    const doc = [
      '--- a/arch/x86/kvm/lapic.c',
      '+++ b/arch/x86/kvm/lapic.c',
      '@@ -2000,6 +2000,7 @@ int kvm_apic_local_deliver(struct kvm_lapic *apic, int lvt_type)',
      ` ${T}${T}vector = reg & APIC_VECTOR_MASK;`,
      `+${T}${T}if (lvt_type == APIC_LVTPC)`,
      ` ${T}${T}mode = reg & APIC_MODE_MASK;`,
      '',
      'The rest of the hunk is left out on purpose.',
      `+${T}${T}this_is_not_read();`,
      '',
    ].join('\n');
    const [h] = hunks(readPatches(doc));
    assert.equal(h!.truncated, true);
    assert.deepEqual([h!.oldLines, h!.newLines, h!.endLine], [2, 3, 6]);
  });

  it('does not glue a resumed run that does not fit onto a truncated quoted hunk, and warns', () => {
    const doc = [
      '> @@ -10,8 +10,9 @@ static int vmx_alloc_pid_table(struct kvm_vmx *kvm_vmx)',
      '> struct page *pages;',
      '> + int order;',
      '',
      'Cut here.',
      '',
      '> + if (!pages)',
      '> + return -ENOMEM;',
      '> + kvm_vmx->pid_table = page_address(pages);',
      '> + kvm_vmx->pid_last_index = 0;',
      '> + kvm_vmx->pid_order = order;',
      '> + return 0;',
      '> + }',
      '> + }',
      '> + }',
      '',
    ].join('\n');
    const set = readPatches(doc);
    const [h] = hunks(set);
    assert.equal(h!.lines.length, 2);
    assert.equal(h!.truncated, true);
    assert.deepEqual([h!.file, h!.oldFile, h!.newFile], ['', '', ''], 'no file header arrived');
    assert.equal(set.warnings.length, 1);
    assert.match(set.warnings[0]!, /^lines 7-15: quoted diff lines .* were not read$/);
  });

  it('goes on across an elision mark the reviewer left inside the quote, and says so', () => {
    const doc = [
      '> --- a/arch/x86/kvm/vmx/vmx.c',
      '> +++ b/arch/x86/kvm/vmx/vmx.c',
      '> @@ -7000,12 +7000,12 @@ static fastpath_t vmx_vcpu_run(struct kvm_vcpu *vcpu)',
      '> kvm_load_guest_xsave_state(vcpu);',
      '> [...]',
      '> - vmx_sync_pir_to_irr(vcpu);',
      '> + kvm_x86_ops.sync_pir_to_irr(vcpu);',
      '',
    ].join('\n');
    const [h] = hunks(readPatches(doc));
    assert.deepEqual(h!.lines.map((l) => [l.kind, l.line]), [[' ', 4], ['-', 6], ['+', 7]]);
    assert.equal(h!.truncated, true);
    assert.ok(h!.repairs.includes('reviewer cut lines at line 5: oldLine/newLine after it do not count them'));
  });

  it('ends a quoted hunk at a more deeply quoted line', () => {
    const doc = ['> @@ -1,3 +1,3 @@', '> a();', '> > b();', '> - c();', '> + d();', ''].join('\n');
    const [h] = hunks(readPatches(doc));
    assert.deepEqual(h!.lines.map((l) => l.kind + l.text), [' a();']);
    assert.equal(h!.truncated, true);
  });

  it('starts a new file for a hunk quoted at another depth than the file header', () => {
    const doc = ['> --- a/x.c', '> +++ b/x.c', '> @@ -1 +1 @@', '> -a', '> +b', '>> @@ -9 +9 @@', '>> -c', '>> +d', ''].join('\n');
    const files = readPatches(doc).patches[0]!.files;
    assert.deepEqual(files.map((f) => [f.file, f.hunks.length]), [['x.c', 1], ['', 1]]);
  });
});
