/**
 * The seed threads (/work/shared/seeds, read in place when present, never copied here): what the
 * reader must find in real reviewer mail. Skipped when the directory is absent.
 *
 * Seed 003 quotes pseudo-code in a discussion and carries no `@@` header at all: there is nothing
 * located to review, so "no diff hunks found" is the honest answer.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { InputError } from '../../src/model/errors';
import { Hunk, PatchSet, readPatches } from '../../src/patch';
import { seedsDir } from '../fixtures/reader/build';

const dir = seedsDir();

function seed(prefix: string): { doc: string; set: () => PatchSet } | null {
  if (dir === null) return null;
  const name = fs.readdirSync(dir).find((f) => f.startsWith(prefix));
  if (name === undefined) return null;
  const doc = fs.readFileSync(path.join(dir, name), 'utf8');
  return { doc, set: () => readPatches(fs.readFileSync(path.join(dir, name))) };
}

function hunks(set: PatchSet): Hunk[] {
  return set.patches.flatMap((p) => p.files.flatMap((f) => f.hunks));
}

function lineOf(doc: string, exact: string): number {
  const i = doc.split(/\r\n|\r|\n/).indexOf(exact);
  assert.ok(i >= 0, exact);
  return i + 1;
}

/** Every located line is the document line, quoting and marker aside. */
function assertLocated(doc: string, set: PatchSet): void {
  const lines = doc.split(/\r\n|\r|\n/);
  for (const h of hunks(set)) {
    for (const l of h.lines) {
      let text = lines[l.line - 1] as string;
      for (let k = 0; k < h.quoteDepth; k++) text = text.replace(/^> ?/, '');
      assert.ok(text.endsWith(l.text), `line ${l.line}`);
    }
  }
}

describe('patch reader: seed threads', function () {
  before(function () {
    if (dir === null) this.skip();
  });

  it('000: a quoted RFC with reviewer prose between and inside hunks', () => {
    const s = seed('000_')!;
    const set = s.set();
    const p = set.patches[0]!;
    assert.equal(p.format, 'mail-reply');
    assert.equal(p.title, 'KVM: x86/vmx: Suppress posted interrupt notification when CPU is in host');
    assert.equal(p.author, 'Sean Christopherson');
    assert.equal(p.dateRaw, 'Mon Sep 26 2022 - 13:11:20 EST');
    assert.equal(p.date, '2022-09-26T18:11:20.000Z');
    assert.deepEqual(p.files.map((f) => [path.basename(f.file), f.hunks.length]), [
      ['lapic.c', 1],
      ['posted_intr.c', 4],
      ['vmx.c', 1],
    ]);
    const all = hunks(set);
    assert.ok(all.every((h) => h.quoteDepth === 1));
    assert.deepEqual(all.map((h) => h.truncated), [true, false, true, false, false, true]);
    assert.deepEqual(all.map((h) => h.section.replace(/\(.*/, '')), [
      'static inline int __apic_test_and_clear_vector',
      'void vmx_vcpu_pi_load',
      'void vmx_vcpu_pi_load',
      'static void pi_enable_wakeup_handler',
      'static bool vmx_needs_pi_wakeup',
      'static int vmx_deliver_posted_interrupt',
    ]);
    const lapic = all[0]!;
    assert.equal(lapic.headerLine, 84);
    assert.deepEqual(lapic.lines.filter((l) => l.kind === '+').map((l) => [l.text, l.line]), [
      ['EXPORT_SYMBOL_GPL(apic_hw_disabled);', 88],
      ['EXPORT_SYMBOL_GPL(apic_sw_disabled);', 90],
    ]);
    // The hunk goes on after "These exports will hopefully go away." with the quoted context.
    assert.equal(lapic.lines.at(-1)!.text, '{');
    const put = all[4]!;
    assert.equal(put.lines.filter((l) => l.kind === '-').length, 11);
    assert.equal(put.repairs.filter((r) => r.startsWith('reviewer text')).length, 2);
    const sn = all[2]!.lines.find((l) => l.text.includes('new.sn = 1'))!;
    assert.deepEqual([sn.kind, sn.line], ['+', lineOf(s.doc, '> + new.sn = 1;')]);
    assert.equal(all[5]!.lines.at(-1)!.line, lineOf(s.doc, '> + if (pi_test_sn(&vmx->pi_desc))') + 1);
    assertLocated(s.doc, set);
  });

  it('001: two unquoted diffs of a series in an archive page; the second one cut short', () => {
    const s = seed('001_')!;
    const set = s.set();
    const p = set.patches[0]!;
    assert.deepEqual(p.series, { n: 1, total: 2 });
    assert.deepEqual(p.files.map((f) => [path.basename(f.file), f.hunks.length]), [
      ['x86.c', 2],
      ['lapic.c', 1],
    ]);
    const [a, b, c] = hunks(set);
    assert.equal(a!.section, 'int kvm_skip_emulated_instruction(struct kvm_vcpu *vcpu)');
    assert.deepEqual([a!.truncated, b!.truncated, c!.truncated], [false, false, true]);
    assert.equal(a!.lines.map((l) => l.kind).join(''), '   ++   ');
    assert.ok(a!.lines[3]!.text.includes('kvm_pmu_trigger_event'));
    assert.equal(c!.lines.filter((l) => l.kind === '+')[1]!.line, lineOf(s.doc, '+\t\t\tkvm_lapic_set_reg(apic, lvt_type, reg | APIC_LVT_MASKED);'));
    assert.equal(c!.quoteDepth, 0);
    assertLocated(s.doc, set);
  });

  it('002: one quoted hunk in vcpu_enter_guest, cut short by the reply', () => {
    const s = seed('002_')!;
    const set = s.set();
    const p = set.patches[0]!;
    assert.deepEqual(p.series, { n: 6, total: 6 });
    assert.equal(p.date, '2017-02-07T20:07:47.000Z');
    assert.equal(p.files.length, 1);
    assert.equal(p.files[0]!.file, 'arch/x86/kvm/x86.c');
    const [h] = hunks(set);
    assert.equal(hunks(set).length, 1);
    assert.match(h!.section, /vcpu_enter_guest/);
    assert.equal(h!.truncated, true);
    assert.equal(h!.oldStart, 6767);
    const minus = h!.lines.filter((l) => l.kind === '-' && l.text.trim() === 'local_irq_disable();');
    assert.deepEqual(minus.map((l) => l.line), [87]);
    assert.equal(h!.lines.at(-1)!.line, 94);
    assertLocated(s.doc, set);
  });

  it('003: pseudo-code in a discussion, no diff hunk: InputError', () => {
    const s = seed('003_')!;
    assert.throws(s.set, (e: unknown) => e instanceof InputError && e.message === 'no diff hunks found');
  });

  it('004: hunks quoted three deep, and a fragment whose @@ was cut away', () => {
    const s = seed('004_')!;
    const set = s.set();
    const all = hunks(set);
    assert.equal(all.length, 2);
    assert.ok(all.every((h) => h.quoteDepth === 3 && h.truncated && h.file === ''));
    assert.deepEqual(all.map((h) => h.section.replace(/\(.*/, '')), ['static void vmx_refresh_apicv_exec_ctrl', 'static int vmx_create_vcpu']);
    assert.equal(all[0]!.lines.filter((l) => l.text.includes('TERTIARY_EXEC_IPI_VIRT')).length, 2);
    // The second hunk goes on after the depth-2 comment "Please wrap comments at 80 chars".
    assert.ok(all[1]!.lines.some((l) => l.text.includes('mutex_unlock(&vcpu->kvm->lock);')));
    assert.equal(set.warnings.length, 1, 'the headerless fragment is reported, not glued on');
    assertLocated(s.doc, set);
  });
});
