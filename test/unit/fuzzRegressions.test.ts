/**
 * Regression tests for what `npm run fuzz` found (test/fuzz/). Each names the input shape that
 * found the bug; the fix is in the file the test names.
 */
import * as assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { InputError } from '../../src/model/errors';
import { MAX_FUNCTION_CHARS, MAX_FUNCTION_LINES, MAX_NESTING } from '../../src/mapping/map';
import { MAX_CONDITION_NESTING } from '../../src/mapping/recognize';
import { readPatches } from '../../src/patch';
import { formatReviewText, reviewJson, reviewSarif } from '../../src/review/output';
import { MAX_HUNKS, MAX_MODELLED_PATCHES, exitStatus, reviewHunk, reviewPatchSet } from '../../src/review/review';
import { fixture, formatPatch, render } from '../fixtures/fixtures';
import { FixtureSpec } from '../fixtures/spec';

const LIMITS = { maxStates: 20_000 };

/** A patch of vcpu_enter_guest (x86-upstream.c) adding `lines` after its preempt_disable(). */
function x86Adding(lines: readonly string[]): string {
  return kernelPatch('x86-upstream.c', 'arch/x86/kvm/x86.c', [['\tpreempt_disable();\n', `\tpreempt_disable();\n${lines.map((l) => `${l}\n`).join('')}`]]);
}

function kernelPatch(source: string, path: string, edits: FixtureSpec['files'][number]['edits']): string {
  return formatPatch({
    id: 'fuzz',
    subject: 'KVM: fuzzed',
    date: 'Mon, 6 Oct 2025 10:00:00 +0000',
    author: 'Fuzz <fuzz@example.org>',
    body: 'Fuzzed.',
    files: [{ source, path, edits }],
  });
}

function kvmMainEdit(edits: FixtureSpec['files'][number]['edits']): string {
  return kernelPatch('kvm_main-upstream.c', 'virt/kvm/kvm_main.c', edits);
}

describe('fuzz regressions', () => {
  it('a hunk nesting blocks 25,000 deep is not modelled instead of overflowing the stack (mapping/map.ts readSide)', () => {
    // Found by a 75,208-byte line of "+{ " in upstream-sync-before-mode.
    const r = reviewPatchSet(readPatches(x86Adding(['{ '.repeat(25_000)])), LIMITS);
    const hunk = r.patches[0]!.hunks[0]!;
    assert.equal(hunk.status, 'not-modelled');
    assert.match(hunk.reason!, new RegExp(`nested more than ${MAX_NESTING} blocks deep`));
    // Braceless control heads in a row recurse the same way.
    const ifs = reviewPatchSet(readPatches(x86Adding(['\t' + 'if (r) '.repeat(20_000) + 'local_irq_disable();'])), LIMITS);
    assert.match(ifs.patches[0]!.hunks[0]!.reason!, /nested more than/);
  });

  it(`a condition nested more than ${MAX_CONDITION_NESTING} deep is not read, instead of overflowing the stack (mapping/recognize.ts readCondition)`, function () {
    // Found by a line of 46,407 "!" in 6.7-lvtpc-amd-no-mask (fuzz seed 23, case 68300).
    this.timeout(60_000);
    const ifNot = (n: number, open = '!') => `\tif (${open.repeat(n)}kvm_request_pending(vcpu)${open === '(' ? ')'.repeat(n) : ''})\n\t\tlocal_irq_disable();`;
    for (const open of ['!', '(']) {
      const deep = reviewPatchSet(readPatches(x86Adding([ifNot(50_000, open)])), LIMITS).patches[0]!.hunks[0]!;
      assert.equal(deep.status, 'not-modelled');
      assert.match(deep.reason!, new RegExp(`: a condition nested more than ${MAX_CONDITION_NESTING} deep, which no kernel condition is; not read$`));
      assert.ok(deep.reason!.length < 2_000);
      // At the bound, the condition is read.
      const atBound = reviewPatchSet(readPatches(x86Adding([ifNot(MAX_CONDITION_NESTING, open)])), LIMITS).patches[0]!.hunks[0]!;
      assert.doesNotMatch(atBound.reason ?? '', /nested more than/);
      assert.notEqual(atBound.status, 'not-modelled', atBound.reason ?? '');
    }
  });

  it('a hunk that duplicates a label is not modelled, with the reason, instead of failing the review (review/review.ts applicable)', () => {
    // Found by random edits of kvm_main-upstream.c: "label ... twice in kvm_vm_ioctl_create_vcpu" ended the review.
    const text = kvmMainEdit([['arch_vcpu_destroy:\n', 'unlock_vcpu_destroy:\narch_vcpu_destroy:\n']]);
    const r = reviewPatchSet(readPatches(text), LIMITS);
    const hunk = r.patches[0]!.hunks[0]!;
    assert.equal(hunk.status, 'not-modelled');
    assert.match(hunk.reason!, /label unlock_vcpu_destroy twice in kvm_vm_ioctl_create_vcpu/);
  });

  it('a hunk that removes a label a goto still needs is not modelled (review/review.ts applicable)', () => {
    const text = kvmMainEdit([['vcpu_decrement:\n', '']]);
    const hunk = reviewPatchSet(readPatches(text), LIMITS).patches[0]!.hunks[0]!;
    assert.equal(hunk.status, 'not-modelled');
    assert.match(hunk.reason!, /goto vcpu_decrement: no such label/);
  });

  it('a hunk whose statements contradict the programs is not modelled instead of failing the review (review/review.ts mapOne)', () => {
    // Found by random edits: `new.sn = 1;` outside a descriptor loop threw "it edits a descriptor update, but ... has none".
    const r = reviewPatchSet(readPatches(x86Adding(['\tnew.sn = 1;'])), LIMITS);
    const hunk = r.patches[0]!.hunks[0]!;
    assert.equal(hunk.status, 'not-modelled');
    assert.match(hunk.reason!, /it edits a descriptor update, but vcpu_enter_guest has none/);
  });

  it('programs that drive the model out of its ranges give an inconclusive finding that says why (review/review.ts unexplorable)', () => {
    // Found by random edits of kvm_main-upstream.c: a second `kvm->created_vcpus--` on the error
    // path takes the counter below zero, and the explorer's range check ended the whole review.
    const text = kvmMainEdit([['\tkvm->created_vcpus--;\n', '\tkvm->created_vcpus--;\n\tkvm->created_vcpus--;\n']]);
    const r = reviewPatchSet(readPatches(text), LIMITS);
    const f = r.patches[0]!.findings.find((x) => x.verdict === 'inconclusive');
    assert.ok(f, JSON.stringify(r.summary));
    assert.match(f.message, /the baseline's exploration was complete \(\d+ states( after partial-order reduction)?\), the patched one's could not run: transition "kvm->created_vcpus--" writes -1 to kvm\.created_vcpus, outside 0\.\.2$/);
    assert.equal(exitStatus(r), 3);
  });

  it(`a document with more than ${MAX_MODELLED_PATCHES} modelled patches is refused at once (review/review.ts)`, () => {
    // Found by a git-show file repeated 39,000 times: every patch was explored and kept, until the heap ran out.
    const one = render(fixture('upstream-irq-after-sync'), 'format-patch');
    const text = Array.from({ length: MAX_MODELLED_PATCHES + 1 }, () => one).join('\n');
    let explored = 0;
    assert.throws(
      () => reviewPatchSet(readPatches(text), { ...LIMITS, observe: () => explored++ }),
      (e: unknown) => e instanceof InputError && /^129 patches of this document change functions the model covers; a review takes at most 128/.test(e.message),
    );
    assert.equal(explored, 0, 'refused before exploring anything');
  });

  it(`a document of more than ${MAX_HUNKS} hunks is refused at once, one at the cap is reviewed (review/review.ts)`, function () {
    // Found by 27,535 hunks in 4 MB (fuzz seed 23, case 35805): mapped and rendered one by one,
    // they held `check` for 1.27 s to say that none is modelled.
    this.timeout(60_000);
    const doc = (n: number) =>
      ['--- a/drivers/misc/fuzz.c', '+++ b/drivers/misc/fuzz.c', ...Array.from({ length: n }, (_, k) => `@@ -${10 * k + 1},1 +${10 * k + 1},1 @@\n-\tfoo(${k});\n+\tbar(${k});`)].join('\n') + '\n';
    const over = readPatches(doc(MAX_HUNKS + 1));
    assert.throws(
      () => reviewPatchSet(over, LIMITS),
      (e: unknown) => e instanceof InputError && e.message === `${MAX_HUNKS + 1} hunks in this document; a review takes at most ${MAX_HUNKS}: review the series in parts`,
    );
    assert.throws(() => reviewHunk(over, 0, LIMITS), InputError);
    const at = reviewPatchSet(readPatches(doc(MAX_HUNKS)), LIMITS);
    assert.equal(at.patches[0]!.hunks.length, MAX_HUNKS);
    assert.equal(at.summary.notModelled, MAX_HUNKS);
  });

  it('what a hunk does not model is quoted in short, however long the statements (mapping/map.ts quoted)', () => {
    // Found by a 100 KB line followed by 50,000 changed lines: each quoted the whole statement,
    // and the reason grew to 400 MB from a 4 MB document.
    const text = x86Adding(['\tfoo(' + 'a'.repeat(100_000) + ');', ...Array.from({ length: 1_500 }, (_, k) => `\tbar${k}();`)]);
    const r = reviewPatchSet(readPatches(text), LIMITS);
    const reason = r.patches[0]!.hunks[0]!.reason!;
    assert.ok(reason.length < 2_000, `${reason.length} characters: ${reason.slice(0, 200)}…`);
    assert.match(reason, /^changed statements outside the model: `foo\(a+…` \(line \d+\), `bar0\(\)` \(line \d+\), .* and 1491 more$/);
    for (const out of [JSON.stringify(reviewJson(r)), JSON.stringify(reviewSarif([{ file: 'x', review: r }], 'v')), formatReviewText([{ file: 'x', review: r }])]) {
      assert.ok(out.length < text.length, `${out.length} bytes of output for ${text.length} of input`);
    }
  });

  it('a hunk of 100,000 changed lines, or of megabyte lines, in one function is not read (mapping/map.ts MAX_FUNCTION_LINES, MAX_FUNCTION_CHARS), and one at the cap is', function () {
    // Each changed line looked up its statement by scanning (quadratic: minutes); then, linear,
    // a 2.7 MB hunk still held the review for 3 s, past any deadline, since mapping one hunk is
    // not interruptible. No modelled kernel function is longer than a few hundred lines.
    this.timeout(60_000);
    const hunk = (n: number) =>
      [
        '--- a/arch/x86/kvm/x86.c',
        '+++ b/arch/x86/kvm/x86.c',
        `@@ -10,3 +10,${n + 3} @@ static int vcpu_enter_guest(struct kvm_vcpu *vcpu)`,
        ' \tint r;',
        ...Array.from({ length: n }, (_, k) => `+\tbar${k % 97}(x);`),
        ' \tfastpath_t exit_fastpath;',
        ' \tu64 run_flags = 0;',
        '',
      ].join('\n');
    const over = reviewPatchSet(readPatches(hunk(100_000)), LIMITS).patches[0]!.hunks[0]!;
    assert.equal(over.status, 'not-modelled');
    assert.match(over.reason!, /100003 lines of one function in a hunk, more than any modelled kernel function has \(at most 2000 are read\); not read/);
    const at = reviewPatchSet(readPatches(hunk(MAX_FUNCTION_LINES - 3)), LIMITS).patches[0]!.hunks[0]!;
    assert.equal(at.status, 'not-modelled');
    assert.match(at.reason!, /^changed statements outside the model: `bar0\(x\)`/, 'read statement by statement');
    // A few lines of megabytes each: the lexer took 1.7 s over one 2.6 MB line.
    const wide = x86Adding(['\tfoo(' + ' -'.repeat(MAX_FUNCTION_CHARS) + ');']);
    const w = reviewPatchSet(readPatches(wide), LIMITS).patches[0]!.hunks[0]!;
    assert.equal(w.status, 'not-modelled');
    assert.match(w.reason!, /\d+ characters of one function in a hunk, more than any modelled kernel function has \(at most 200000 are read\); not read/);
    // The same bound outside the model: the code is not lexed to tell comments from code.
    const outside = ['--- a/arch/x86/kvm/x86.c', '+++ b/arch/x86/kvm/x86.c', '@@ -10,2 +10,3 @@ static void kvm_unrelated(struct kvm_vcpu *vcpu)', ' \tint r;', `+\tfoo(${'+=?'.repeat(MAX_FUNCTION_CHARS)});`, ' \tr = 0;', ''].join('\n');
    const o = reviewPatchSet(readPatches(outside), LIMITS).patches[0]!.hunks[0]!;
    assert.equal(o.status, 'not-modelled');
    assert.match(o.reason!, /kvm_unrelated\(\).* is not in the model/);
  });
  it('a descriptor update rebuilt from the programs is placed on a changed line, never on line 0 (mapping/map.ts describeChanges)', () => {
    // Found by fuzzing: an added line of '+' signs merged with the context into one statement, so the
    // rebuilt pid_update lost its ndst field and, having no line of its own, was reported at 0.
    const text = [
      '--- a/arch/x86/kvm/vmx/posted_intr.c',
      '+++ b/arch/x86/kvm/vmx/posted_intr.c',
      '@@ -35,8 +35,8 @@ void vmx_vcpu_pi_load(struct kvm_vcpu *vcpu, int cpu)',
      ' ',
      `+${'+'.repeat(400)}`,
      ' \t\t/* Point the descriptor at this pCPU and notify again. */',
      ' \t\tnew.ndst = des',
      ' \tif (pi_desc->nv != POSTED_INTR_WAKEUP_VECTOR && vcpu->cpu == cpu) {',
      '-\t\tif (pi_test_and_clear_sn(pi_desc))',
      '-\t\t\tgoto after_clear_sn;',
      ' \t\treturn;',
      ' \t}',
      '',
    ].join('\n');
    const h = reviewPatchSet(readPatches(text), { ...LIMITS, profile: 'upstream', scenarios: ['entry-vs-kvm-post'] }).patches[0]!.hunks[0]!;
    const rebuilt = h.changes.find((c) => /^pid_update\(.*\) changed to pid_update\(/.test(c.summary));
    assert.ok(rebuilt, JSON.stringify(h.changes));
    for (const c of h.changes) assert.ok(c.line >= h.startLine && c.line <= h.endLine, `${c.summary} at line ${c.line}, outside ${h.startLine}..${h.endLine}`);
  });
  it('a line of 300,000 blanks and one letter is read in linear time (mapping/functions.ts functionHeader; a hard bound, not a benchmark)', function () {
    // Found by fuzzing: functionHeader trimmed each line with an unanchored \s+$, quadratic in a
    // run of blanks that does not reach the end; a 1.4 MB line took 27 minutes.
    this.timeout(120_000);
    const text = [
      '--- a/arch/x86/kvm/vmx/vmx.c',
      '+++ b/arch/x86/kvm/vmx/vmx.c',
      '@@ -2,3 +2,4 @@ static void vmx_sync_pir_to_irr(struct kvm_vcpu *vcpu)',
      ' \tint max_irr;',
      `+${'\t '.repeat(150_000)}x`,
      ' \tbool got;',
      ' ',
      '',
    ].join('\n');
    const t0 = performance.now();
    const r = reviewPatchSet(readPatches(text), { ...LIMITS, scenarios: ['entry-vs-kvm-post'] });
    const ms = performance.now() - t0;
    assert.equal(r.patches[0]!.hunks[0]!.function, 'vmx_sync_pir_to_irr');
    // Quadratic, this took over a minute; linear, milliseconds even on a loaded machine.
    assert.ok(ms < 10_000, `${ms.toFixed(0)} ms`);
  });
});
