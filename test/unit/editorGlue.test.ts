/**
 * The editor glue's vscode-free parts, in plain mocha: what lenses, diagnostics, hovers and the
 * timeline show for the fixture patches (src/vscode/present.ts), the worker's job runner
 * (src/vscode/jobs.ts) and, against the built bundle when there is one, the worker client.
 */
import * as assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { readPatches } from '../../src/patch';
import { isToWebview } from '../../src/protocol';
import { PatchReview, Review, reviewPatchSet } from '../../src/review/review';
import { outlineOf, runJob } from '../../src/vscode/jobs';
import {
  diagnosticPlan,
  escapeMarkdown,
  findingTimeline,
  hoverPlan,
  hunkLensItems,
  patchSummary,
  propertyDocUrl,
  scenarioTimeline,
  shorten,
  verdictPhrase,
} from '../../src/vscode/present';
import { WorkerRunner } from '../../src/vscode/workerClient';

const REPO = path.resolve(__dirname, '../../..');
const fixture = (name: string) => readFileSync(path.join(REPO, 'test/fixtures/patches', name), 'utf8');
const reviewed = new Map<string, Review>();
function review(name: string): Review {
  let r = reviewed.get(name);
  if (!r) reviewed.set(name, (r = reviewPatchSet(readPatches(fixture(name)))));
  return r;
}
const firstPatch = (name: string): PatchReview => review(name).patches[0]!;
const lineOf = (name: string, text: string) => fixture(name).split('\n').indexOf(text) + 1;

const LIMITS = { maxStates: 2_000_000, timeoutMs: 20_000 };

describe('editor glue (vscode-free)', () => {
  describe('words', () => {
    it('phrases verdicts the way the lenses show them', () => {
      assert.equal(verdictPhrase({ verdict: 'introduced', property: 'pi-delivery' }), 'introduces pi-delivery');
      assert.equal(verdictPhrase({ verdict: 'fixed', property: 'vcpu-wakeup' }), 'fixes vcpu-wakeup');
      assert.equal(verdictPhrase({ verdict: 'still-violated', property: 'pi-delivery' }), 'leaves pi-delivery violated');
      assert.equal(verdictPhrase({ verdict: 'inconclusive', property: 'pi-delivery' }), 'inconclusive: pi-delivery');
    });

    it('shortens on one line with an ellipsis', () => {
      assert.equal(shorten('a  b\nc', 10), 'a b c');
      assert.equal(shorten('x'.repeat(60), 10), `${'x'.repeat(9)}…`);
    });

    it('links a property to its README anchor', () => {
      assert.equal(propertyDocUrl('pi-delivery'), 'https://github.com/kvm-race-lens/kvm-race-lens#pi-delivery');
    });

    it('escapes markdown without turning spaces into &nbsp;', () => {
      const hostile = '<img src=x onerror=alert(1)> [link](command:x) **b** `c` &amp; a_b';
      const out = escapeMarkdown(hostile);
      assert.ok(!/[^\\][<>[\]()*`&_]/.test(` ${out}`.replace(/\\./g, '')), out);
      assert.equal(out.replace(/\\(.)/g, '$1'), hostile);
      assert.ok(out.includes(' '));
    });
  });

  describe('lenses', () => {
    it('puts the finding on the hunk that causes it', () => {
      const p = firstPatch('upstream-irq-after-sync.patch');
      assert.deepEqual(
        hunkLensItems(p, 0).map((i) => [i.title, i.finding]),
        [['introduces pi-delivery', 0]],
      );
      assert.deepEqual(
        hunkLensItems(p, 1).map((i) => i.title),
        ['no finding of its own (see hunk 0)'],
      );
      assert.equal(patchSummary(p), '1 introduced');
    });

    it('says "no behavioural change" and "no verdict changes"', () => {
      assert.deepEqual(
        hunkLensItems(firstPatch('upstream-comment-only.patch'), 0).map((i) => i.title),
        ['no behavioural change'],
      );
      assert.equal(patchSummary(firstPatch('upstream-comment-only.patch')), 'no behavioural change');
      const skip = firstPatch('5.19-preempted-skip.patch');
      assert.match(hunkLensItems(skip, 0)[0]!.title, /^no verdict changes \(\d+ scenarios\)$/);
      assert.equal(patchSummary(skip), 'no verdict changes');
    });

    it('shortens the reason of a hunk the model does not cover', () => {
      const text = ['--- a/arch/x86/kvm/lapic.c', '+++ b/arch/x86/kvm/lapic.c', '@@ -10,3 +10,3 @@ static void apic_unrelated_helper(struct kvm_lapic *apic)', ' \tint a;', '-\tint b = 1;', '+\tint b = 2;', ' \tint c;', ''].join('\n');
      const p = reviewPatchSet(readPatches(text)).patches[0]!;
      const [item] = hunkLensItems(p, 0);
      assert.ok(item);
      assert.match(item.title, /^not modelled: /);
      assert.ok(item.title.length <= 'not modelled: '.length + 48, item.title);
      assert.ok(item.tooltip.length >= item.title.length);
    });
  });

  describe('diagnostics', () => {
    it('places the finding on the removed line, coded by property, with the racing sender related', () => {
      const name = 'upstream-irq-after-sync.patch';
      const p = firstPatch(name);
      const plan = diagnosticPlan(p.findings[0]!, p);
      assert.equal(plan.line, lineOf(name, '-\tlocal_irq_disable();'));
      assert.equal(plan.severity, 'error');
      assert.equal(plan.code, 'pi-delivery');
      assert.equal(plan.target, 'https://github.com/kvm-race-lens/kvm-race-lens#pi-delivery');
      const first = plan.related[0]!;
      assert.match(first.message, /: sender0 /, 'the sender, nearest to the patched step, comes first');
      assert.equal(first.line, lineOf(name, '+\tlocal_irq_disable();'));
      assert.ok(plan.related.every((r) => r.line >= 1));
    });

    it('gives a fix Information severity', () => {
      const fix = review('series-irq-after-sync-and-revert.mbox').patches[1]!;
      const plan = diagnosticPlan(fix.findings[0]!, fix);
      assert.equal(plan.severity, 'information');
      assert.match(plan.message, /^fixes pi-delivery/);
    });
  });

  describe('hover', () => {
    it('names the program step and the model rule of a changed line', () => {
      const name = 'upstream-irq-after-sync.patch';
      const p = firstPatch(name);
      const plan = hoverPlan(lineOf(name, '+\tlocal_irq_disable();'), [{ label: 'review', profile: '6.17', patch: p }]);
      assert.ok(plan);
      assert.equal(plan.changes[0]?.program, 'vcpu_enter_guest');
      assert.equal(plan.steps[0]?.op, 'local_irq_disable');
      assert.ok(plan.docs.some((d) => d.name === 'local_irq_disable' && d.rule.length > 10));
      assert.equal(hoverPlan(2, [{ label: 'review', profile: '6.17', patch: p }]), undefined);
    });
  });

  describe('timeline models', () => {
    it('puts baseline and patched side by side and passes the protocol guard', () => {
      const p = firstPatch('upstream-irq-after-sync.patch');
      const model = findingTimeline(p.findings[0]!, '6.17', 'file:///x.patch', { index: 0, startLine: 17, endLine: 29 });
      assert.ok(isToWebview({ type: 'show', model }));
      assert.deepEqual(
        model.runs.map((r) => [r.side, r.verdict, r.trace ? 'trace' : 'none']),
        [
          ['baseline', 'holds', 'none'],
          ['patched', 'violated', 'trace'],
        ],
      );
      assert.ok(model.runs[1]!.trace!.steps.some((s) => s.line !== undefined));
    });

    it('shows a plain simulation as one run', () => {
      // Seed 002's nested case: under 4.9, L2 running strands L1's posted interrupt.
      const result = runJob({ kind: 'simulate', scenario: 'l2-running', profile: '4.9', limits: LIMITS });
      assert.equal(result.kind, 'simulate');
      if (result.kind !== 'simulate') return;
      const model = scenarioTimeline(result.run, 'pi-delivery');
      assert.ok(model && isToWebview({ type: 'show', model }));
      assert.deepEqual(
        model.runs.map((r) => [r.side, r.verdict]),
        [['baseline', 'violated']],
      );
    });
  });

  describe('worker jobs', () => {
    it('outlines patches and hunks in document order', () => {
      const outline = outlineOf(readPatches(fixture('series-irq-after-sync-and-revert.mbox')));
      assert.equal(outline.patches.length, 2);
      assert.deepEqual(
        outline.patches.flatMap((p) => p.hunks.map((h) => h.index)),
        [0, 1, 2, 3],
      );
      assert.ok(outline.patches[0]!.startLine < outline.patches[1]!.startLine);
    });

    it('turns the core\'s errors into data', () => {
      assert.deepEqual(runJob({ kind: 'review', text: 'prose only\n', profile: null, limits: LIMITS }), { kind: 'error', error: { type: 'input', message: 'no diff hunks found' } });
      const bad = runJob({ kind: 'simulate', scenario: 'nope', profile: 'upstream', limits: LIMITS });
      assert.equal(bad.kind === 'error' && bad.error.type, 'model');
      const badProfile = runJob({ kind: 'review', text: fixture('upstream-comment-only.patch'), profile: '1.0', limits: LIMITS });
      assert.equal(badProfile.kind === 'error' && badProfile.error.type, 'model');
    });

    const bundle = path.join(REPO, 'dist/worker.js');
    (existsSync(bundle) ? it : it.skip)('runs a job in a worker thread and cancels by terminating it (dist/worker.js)', async () => {
      const runner = new WorkerRunner(bundle);
      const done = await runner.run({ kind: 'review', text: fixture('upstream-irq-after-sync.patch'), profile: null, limits: LIMITS });
      assert.equal(done.status, 'done');
      assert.equal(done.status === 'done' && done.value.kind === 'review' && done.value.review.summary.introduced, 1);
      const listeners: (() => void)[] = [];
      const token = { isCancellationRequested: false, onCancellationRequested: (l: () => void) => (listeners.push(l), { dispose: () => undefined }) };
      const long = runner.run({ kind: 'simulate', scenario: 'scale-2-2-2', profile: 'upstream', limits: { maxStates: 50_000_000, timeoutMs: 60_000 } }, token);
      await new Promise((r) => setTimeout(r, 500));
      listeners.forEach((l) => l());
      const cancelled = await long;
      assert.equal(cancelled.status, 'cancelled');
      assert.equal(runner.running, 0);
      assert.equal(runner.stopping, 1, 'the job ended at the cancel, before its thread exited');
      assert.ok(cancelled.status === 'cancelled' && (await cancelled.exited) >= 0);
      assert.equal(runner.stopping, 0, 'the thread has exited');
    });

    (existsSync(bundle) ? it : it.skip)('keeps a thread that finished for the next job, and never one that was cancelled', async () => {
      const runner = new WorkerRunner(bundle, { maxConcurrent: 1 });
      const text = fixture('upstream-irq-after-sync.patch');
      const first = await runner.run({ kind: 'review', text, profile: null, limits: LIMITS });
      assert.equal(runner.waiting, 1);
      const second = await runner.run({ kind: 'review', text, profile: null, limits: LIMITS });
      assert.equal(runner.waiting, 1, 'the second job ran on the waiting thread');
      assert.ok(first.status === 'done' && second.status === 'done');
      assert.deepEqual(second.value, first.value, 'a warm thread answers as a fresh one does');
      const bad = await runner.run({ kind: 'review', text: 'prose only\n', profile: null, limits: LIMITS });
      assert.equal(bad.status, 'failed');
      assert.equal(runner.waiting, 1, 'bad input is data: the thread is kept');
      const listeners: (() => void)[] = [];
      const token = { isCancellationRequested: false, onCancellationRequested: (l: () => void) => (listeners.push(l), { dispose: () => undefined }) };
      const long = runner.run({ kind: 'simulate', scenario: 'scale-2-2-2', profile: 'upstream', limits: { maxStates: 50_000_000, timeoutMs: 60_000 } }, token);
      await new Promise((r) => setTimeout(r, 300));
      listeners.forEach((l) => l());
      assert.equal((await long).status, 'cancelled');
      assert.equal(runner.waiting, 0, 'a cancelled thread is gone');
      runner.dispose();
    });

    (existsSync(bundle) ? it : it.skip)('queues jobs beyond its thread limit, counting a cancelled thread until it has exited; cancelAll drops the queue and stops the threads', async () => {
      const runner = new WorkerRunner(bundle, { maxConcurrent: 1 });
      const long = runner.run({ kind: 'simulate', scenario: 'scale-2-2-2', profile: 'upstream', limits: { maxStates: 50_000_000, timeoutMs: 60_000 } });
      const waiting = runner.run({ kind: 'outline', text: fixture('upstream-comment-only.patch') });
      assert.equal(runner.running, 1);
      assert.equal(runner.queued, 1);
      await new Promise((r) => setTimeout(r, 300));
      runner.cancelAll();
      assert.deepEqual(
        (await Promise.all([long, waiting])).map((o) => o.status),
        ['cancelled', 'cancelled'],
      );
      assert.equal(runner.running + runner.queued, 0);
      assert.equal(runner.stopping, 1);
      const next = runner.run({ kind: 'outline', text: fixture('upstream-comment-only.patch') });
      assert.equal(runner.queued, 1, 'a new job waits while the cancelled thread frees its memory');
      const after = await next;
      assert.equal(after.status, 'done', 'the runner still works after a cancel');
      assert.equal(runner.stopping, 0);
    });
  });
});
