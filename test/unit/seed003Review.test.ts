/**
 * Seed 003 through the real pipeline: fixture patches (kernel-style renditions, test/fixtures/
 * specs/tlb.ts) -> reader -> mapping -> exploration -> findings. Verdicts come from exploring;
 * the tests pin what the model concludes and check each shortest counterexample's steps.
 */
import * as assert from 'node:assert/strict';
import { readPatches } from '../../src/patch';
import { CounterexampleStep } from '../../src/review/simulationReport';
import { Finding, Review, reviewPatchSet } from '../../src/review/review';
import { FORMATS, fixture, mbox, render } from '../fixtures/fixtures';
import { TLB_FIXTURES } from '../fixtures/specs/tlb';

const TLB_SCENARIOS = ['flush-vs-preemption', 'flush-vs-emulation', 'two-flushes', 'two-targets'];

function review(text: string, opts: { profile?: string; scenarios?: readonly string[] } = {}): Review {
  return reviewPatchSet(readPatches(text), opts);
}

function kinds(r: Review, patch = 0): string[] {
  return [...new Set(r.patches[patch]!.findings.map((f) => `${f.verdict}:${f.property}`))].sort();
}

function find(r: Review, verdict: string, property: string, patch = 0): Finding {
  const f = r.patches[patch]!.findings.find((x) => x.verdict === verdict && x.property === property);
  assert.ok(f, `no ${verdict} ${property} in ${JSON.stringify(r.patches[patch]!.findings.map((x) => `${x.verdict}:${x.property}`))}`);
  return f;
}

const ops = (steps: readonly CounterexampleStep[]) => steps.map((s) => `${s.program ?? s.lane}:${s.op ?? s.step}`);

function inOrder(got: readonly string[], expected: readonly string[]): void {
  let at = -1;
  for (const e of expected) {
    const k = got.indexOf(e, at + 1);
    assert.ok(k > at, `"${e}" not found after step ${at + 1} in:\n${got.map((o, n) => `${n + 1} ${o}`).join('\n')}`);
    at = k;
  }
}

/** What the model concludes for each fixture (the profile comes from the mail's date). */
const EXPECTED: Record<string, string[]> = {
  // 8c6de56a42e0 alone: the read-then-write-back of record_steal_time still loses FLUSH_TLB.
  '4.16-steal-time-once': ['still-violated:tlb-flush', 'still-violated:tlb-flush-wait'],
  // b043138246a4 alone: fixed for one preemption; a second sched-out still overwrites the flag,
  // and CVE-2022-39189 (a vCPU preempted mid-instruction) is untouched.
  '4.16-steal-time-map-guest-page': ['fixed:tlb-flush', 'still-violated:tlb-flush', 'still-violated:tlb-flush-wait'],
  'upstream-tlb-multi-comment': [],
  'upstream-steal-read-then-write': ['introduced:tlb-flush', 'still-violated:tlb-flush-wait'],
  'upstream-set-preempted-again': ['introduced:tlb-flush', 'still-violated:tlb-flush-wait'],
  'upstream-preempted-mid-instruction': ['introduced:tlb-flush', 'still-violated:tlb-flush-wait'],
  'upstream-pv-tlb-ipi-pending': ['introduced:tlb-flush', 'still-violated:tlb-flush-wait'],
  // The initiator's spin on a preempted vCPU is new waiting; dropping running vCPUs from the mask
  // waits on nobody in the emulation scenario.
  'upstream-pv-tlb-ipi-pending-rewrite': ['fixed:tlb-flush-wait', 'introduced:tlb-flush', 'still-violated:tlb-flush-wait'],
  // With `&state` nobody spins, and nobody is waited on: tlb-flush-wait holds by dropping them all.
  'upstream-pv-tlb-ipi-pending-rewrite-ref': ['fixed:tlb-flush-wait', 'introduced:tlb-flush'],
};

/** Fixtures reviewed in every input format (the others: the patch format only, for time). */
const ALL_FORMATS = new Set(['upstream-steal-read-then-write', '4.16-steal-time-once']);

describe('seed 003 through the review pipeline', () => {
  const reviews = new Map<string, Review>();
  const reviewed = (id: string): Review => {
    let r = reviews.get(id);
    if (!r) {
      // The proposals change vcpu_enter_guest; the first is reviewed against every scenario
      // (posted interrupts included), the other two against the PV TLB ones.
      const only = id.startsWith('upstream-pv-tlb-ipi-pending-') ? { scenarios: TLB_SCENARIOS } : {};
      r = review(render(fixture(id), 'format-patch'), only);
      reviews.set(id, r);
    }
    return r;
  };

  for (const f of TLB_FIXTURES.filter((x) => !x.seriesOnly)) {
    it(`${f.id}: ${EXPECTED[f.id]!.join(', ') || 'no property changes'}`, () => {
      const r = reviewed(f.id);
      assert.deepEqual(kinds(r), [...EXPECTED[f.id]!].sort());
      assert.equal(r.profile, f.id.startsWith('4.16') ? '4.16' : '6.17');
      assert.equal(r.profileFrom, 'date');
      if (ALL_FORMATS.has(f.id)) {
        // Formats without a Date: header get the profile the mail's date chose.
        for (const fmt of FORMATS.filter((x) => x !== 'format-patch')) assert.deepEqual(kinds(review(render(f, fmt), { profile: r.profile })), kinds(r), fmt);
      }
    });
  }

  it('maps every hunk: the guest loop, the host steal-time functions, the new handler and VM-exit hook', () => {
    for (const f of TLB_FIXTURES.filter((x) => !x.seriesOnly)) {
      const hunks = reviewed(f.id).patches[0]!.hunks;
      const why = `${f.id}: ${JSON.stringify(hunks.map((h) => [h.function, h.status, h.reason]))}`;
      if (f.id === 'upstream-tlb-multi-comment') assert.deepEqual(hunks.map((h) => h.status), ['no-behavioural-change'], why);
      else assert.ok(hunks.every((h) => h.status === 'modelled' || (h.status === 'no-behavioural-change' && /a declaration/.test(h.reason ?? ''))), why);
    }
    const p = reviewed('upstream-pv-tlb-ipi-pending').patches[0]!;
    assert.deepEqual(
      p.hunks.map((h) => h.function),
      ['kvm_flush_tlb_multi', 'kvm_steal_time_vmexit', 'vcpu_enter_guest'],
    );
    assert.ok(p.hunks[2]!.changes.some((c) => c.summary === 'kvm_steal_time_vmexit added before handle_exit_irqoff'));
  });

  it('4.16: the lost write-back, shortest counterexample, before b043138246a4', () => {
    const f = find(reviewed('4.16-steal-time-map-guest-page'), 'fixed', 'tlb-flush');
    assert.ok(['two-flushes', 'two-targets'].includes(f.scenario), f.scenario);
    inOrder(ops(f.counterexample), [
      'record_steal_time:kvm_read_guest_cached.steal',
      'kvm_flush_tlb_others:try_cmpxchg.or_FLUSH_TLB',
      'kvm_flush_tlb_others:__cpumask_clear_cpu',
      'record_steal_time:kvm_write_guest_cached.steal',
      'vmx_vcpu_run:vm_entry',
    ]);
    assert.equal(f.sides.patched.verdict, 'holds');
  });

  it('the CVE-2019-3016 series: the idempotence check, then the guest-page xchg, fix the lost flag in every preemption scenario', () => {
    const r = review(mbox([fixture('4.16-steal-time-once'), fixture('4.16-steal-time-map-guest-page-after-once')]));
    assert.equal(r.patches.length, 2);
    assert.deepEqual(kinds(r, 0), ['still-violated:tlb-flush', 'still-violated:tlb-flush-wait']);
    const fixed = find(r, 'fixed', 'tlb-flush', 1);
    assert.deepEqual([fixed.scenario, ...fixed.alsoIn].sort(), ['flush-vs-preemption', 'two-flushes', 'two-targets']);
    // What stays: CVE-2022-39189, fixed only in 5.19.
    const left = find(r, 'still-violated', 'tlb-flush', 1);
    assert.deepEqual([left.scenario, ...left.alsoIn], ['flush-vs-emulation']);
    inOrder(ops(left.counterexample), ['tlb.handle_exit:emulator_translate_gva', 'initiator:pte_change', 'scheduler:preempt', 'kvm_flush_tlb_others:__cpumask_clear_cpu', 'tlb.handle_exit:emulator_access_gva']);
  });

  it('a read then a write in place of the host\'s xchg loses a FLUSH_TLB set in between', () => {
    const text = render(fixture('upstream-steal-read-then-write'), 'format-patch');
    const f = find(review(text), 'introduced', 'tlb-flush');
    inOrder(ops(f.counterexample), [
      'record_steal_time:st_preempted_read',
      'kvm_flush_tlb_multi:try_cmpxchg.or_FLUSH_TLB',
      'kvm_flush_tlb_multi:__cpumask_clear_cpu',
      'record_steal_time:st_preempted_clear',
      'vmx_vcpu_run:vm_entry',
    ]);
    // The finding points at the patch's lines, and the trace steps read from the patch carry them.
    const lines = text.split('\n');
    assert.ok(f.lines.some((l) => lines[l - 1]!.includes('unsafe_get_user(st_preempted')), JSON.stringify(f.lines));
    const read = f.counterexample.find((s) => s.op === 'st_preempted_read')!;
    assert.match(lines[read.line! - 1]!, /^\+\s*unsafe_get_user\(st_preempted, &st->preempted, out\);/);
  });

  it('dropping the idempotence check lets a second sched-out overwrite FLUSH_TLB again', () => {
    const f = find(reviewed('upstream-set-preempted-again'), 'introduced', 'tlb-flush');
    assert.equal(f.scenario, 'flush-vs-preemption');
    const got = ops(f.counterexample);
    inOrder(got, ['kvm_flush_tlb_multi:__cpumask_clear_cpu', 'scheduler:sched_in', 'scheduler:preempt', 'kvm_steal_time_set_preempted:copy_to_user_nofault.preempted', 'record_steal_time:st_preempted_xchg', 'vmx_vcpu_run:vm_entry']);
    assert.equal(got.filter((o) => o === 'kvm_steal_time_set_preempted:copy_to_user_nofault.preempted').length, 2);
  });

  it('reporting a preemption outside an instruction boundary brings CVE-2022-39189 back', () => {
    const f = find(reviewed('upstream-preempted-mid-instruction'), 'introduced', 'tlb-flush');
    assert.equal(f.scenario, 'flush-vs-emulation');
    inOrder(ops(f.counterexample), ['tlb.handle_exit:emulator_translate_gva', 'initiator:pte_change', 'kvm_steal_time_set_preempted:copy_to_user_nofault.preempted', 'kvm_flush_tlb_multi:__cpumask_clear_cpu', 'tlb.handle_exit:emulator_access_gva']);
    assert.match(f.explanation ?? '', /translation made before the page-table change/);
  });

  it('the proposal as sketched: the VM-exit releases the initiator and the next entry does not flush; posted interrupts are unaffected', () => {
    const r = reviewed('upstream-pv-tlb-ipi-pending');
    const f = find(r, 'introduced', 'tlb-flush');
    inOrder(ops(f.counterexample), [
      'kvm_flush_tlb_multi:try_cmpxchg.or_IPI_PENDING',
      'kvm_flush_tlb_multi:send_tlb_ipi',
      'kvm_steal_time_vmexit:try_cmpxchg_by_value.move_IPI_PENDING',
      'kvm_flush_tlb_multi:wait_ipi_pending_clear',
      'vmx_vcpu_run:vm_entry',
    ]);
    // The trace runs the patch's new lines: the VM-exit hook's compare-exchange is located there.
    const hook = f.counterexample.find((s) => s.op === 'try_cmpxchg_by_value.move_IPI_PENDING')!;
    assert.ok(hook.line !== undefined);
    const wait = find(r, 'still-violated', 'tlb-flush-wait');
    assert.match(wait.explanation ?? '', /waits for IPI_PENDING to clear|csd/);
    // The posted-interrupt scenarios ran (vcpu_enter_guest changed) and none changed verdict.
    const pi = r.patches[0]!.scenarios.filter((s) => !TLB_SCENARIOS.includes(s.scenario));
    assert.ok(pi.length > 0);
    for (const s of pi) assert.deepEqual(s.patched, s.baseline, s.scenario);
  });

  it('the rewrite with `state`: the initiator spins on a preempted vCPU and a failing compare can repeat for ever', () => {
    const r = reviewed('upstream-pv-tlb-ipi-pending-rewrite');
    const spin = find(r, 'still-violated', 'tlb-flush-wait');
    assert.match(spin.explanation ?? '', /spins in a cmpxchg loop/);
    assert.ok(spin.counterexample.some((s) => /try_cmpxchg\(.*, state, new_state\): byte changed since state was read; fails, state unchanged/.test(s.step)));
    assert.equal(r.patches[0]!.counters.patched['cmpxchgFailures'], null);
    assert.equal(typeof r.patches[0]!.counters.baseline['cmpxchgFailures'], 'number');
    // With `&state` the counter is bounded again.
    assert.equal(typeof reviewed('upstream-pv-tlb-ipi-pending-rewrite-ref').patches[0]!.counters.patched['cmpxchgFailures'], 'number');
  });

  it('the rewrite\'s mask test drops the vCPUs it flagged IPI_PENDING: they get no IPI and keep running stale', () => {
    const f = find(reviewed('upstream-pv-tlb-ipi-pending-rewrite-ref'), 'introduced', 'tlb-flush');
    const got = ops(f.counterexample);
    inOrder(got, ['kvm_flush_tlb_multi:new_state', 'kvm_flush_tlb_multi:try_cmpxchg.new_state', 'kvm_flush_tlb_multi:if new_state_ipi_pending', 'kvm_flush_tlb_multi:__cpumask_clear_cpu']);
    assert.ok(!got.includes('kvm_flush_tlb_multi:send_tlb_ipi'), 'the violation needs no IPI at all');
    assert.equal(f.states?.at(-1)?.['st0.preempted'], 'IPI_PENDING');
  });

  it('a posted-interrupt patch to vcpu_enter_guest does not report today\'s tlb-flush-wait as its own', () => {
    const r = review(render(fixture('upstream-irq-after-sync'), 'format-patch'));
    assert.ok(r.patches[0]!.scenarios.some((s) => s.scenario === 'flush-vs-preemption'), 'the PV TLB scenarios run vcpu_enter_guest too');
    assert.ok(!r.patches[0]!.findings.some((f) => f.property.startsWith('tlb-')));
    assert.ok(r.patches[0]!.notes.some((n) => /^tlb-flush-wait is violated before and after the patch/.test(n)));
  });
});
