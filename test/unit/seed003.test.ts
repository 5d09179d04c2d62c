/**
 * Seed 003: "Re: [PATCH v4 2/4] KVM: X86: Add paravirt remote TLB flush" (Peter Zijlstra,
 * Nov 2017). Today's protocol and its history (the CVE-2019-3016 and CVE-2022-39189 fixes), and
 * the IPI_PENDING proposal of the thread in each form it was written, as program overrides of a
 * profile. The fixtures that put the same changes through the review pipeline are in
 * seed003Review.test.ts.
 */
import * as assert from 'node:assert/strict';
import { compile } from '../../src/model/compile';
import { explore, findState } from '../../src/model/explore';
import { formatProgram } from '../../src/model/program';
import { profileByVersion } from '../../src/model/profiles';
import { scenarioById } from '../../src/model/scenarios';
import { buildModel } from '../../src/model/simulate';
import { traceTo } from '../../src/model/trace';
import { opsOf, programs, property, run, verdicts } from './helpers';

const TLB_SCENARIOS = ['flush-vs-preemption', 'flush-vs-emulation', 'two-flushes', 'two-targets'];

/** `expected` appears in `ops` in this order (other steps may come between). */
function inOrder(ops: readonly string[], expected: readonly string[]): void {
  let at = -1;
  for (const e of expected) {
    const k = ops.indexOf(e, at + 1);
    assert.ok(k > at, `"${e}" not found after step ${at + 1} in:\n${ops.map((o, n) => `${n + 1} ${o}`).join('\n')}`);
    at = k;
  }
}

const last = (r: ReturnType<typeof run>, p: string) => property(r, p).trace!.states.at(-1)!;

// ------------------------------------------------------------------ seed 003's proposal, as programs

const enterToday = formatProgram(profileByVersion('upstream').programs['vcpu_enter_guest']!);
/** vcpu_enter_guest with the proposal's VM-exit hook right after the exit. */
const ENTER_HOOKED = enterToday.replace('smp_wmb, handle_exit_irqoff', 'smp_wmb, kvm_steal_time_vmexit, handle_exit_irqoff');
const WAIT = 'send_tlb_ipi, for_each_cpu(flushmask), loop { if !cpumask_next.flushmask { break }, wait_ipi_pending_clear }';
/** The initiator as first sketched: SHOULD_FLUSH a preempted vCPU, else IPI_PENDING, with `&state`. */
const INITIATOR = `cpumask_copy, for_each_cpu(flushmask), loop { if !cpumask_next.flushmask { break }, read_preempted,
  loop { if state_preempted { if try_cmpxchg.or_FLUSH_TLB { __cpumask_clear_cpu, break } }, if try_cmpxchg.or_IPI_PENDING { break } } }, ${WAIT}`;
/** The rewrite: new_state, `state` or `&state`, and the mask test on `maskTest`. */
const rewrite = (old: 'try_cmpxchg' | 'try_cmpxchg_by_value', maskTest: string) =>
  `cpumask_copy, for_each_cpu(flushmask), loop { if !cpumask_next.flushmask { break }, read_preempted,
  loop { if state_preempted { new_state(or_FLUSH_TLB) } else { new_state(or_IPI_PENDING) }, if ${old}.new_state { break } },
  if ${maskTest} { __cpumask_clear_cpu } }, ${WAIT}`;
const HANDLER = 'read_preempted, if !state_ipi_pending { return }, local_flush_tlb, loop { if try_cmpxchg.clear_IPI_PENDING { break } }';
const handlerCorrected = (old: string) => `read_preempted, if !state_ipi_pending { return }, local_flush_tlb, loop { if !state_ipi_pending { return }, if ${old}.clear_IPI_PENDING { break } }`;
const vmexit = (old: string, extra = '') => `read_preempted, loop { if !state_ipi_pending { break }, if ${old}.move_IPI_PENDING { ${extra} break } }`;

/** The proposal as the mail sketches it (the VM-exit half with `state`, as written). */
const PROPOSAL = { kvm_flush_tlb_multi: INITIATOR, kvm_flush_tlb_ipi: HANDLER, kvm_steal_time_vmexit: vmexit('try_cmpxchg_by_value'), vcpu_enter_guest: ENTER_HOOKED };

/**
 * The host changes the model shows the proposal also needs: the VM-exit transfer raises a flush
 * before the next entry, record_steal_time flushes for IPI_PENDING too, and the sched-out mark
 * ORs PREEMPTED in with a compare-exchange instead of storing it.
 */
const HOST_FIXES = {
  kvm_steal_time_vmexit: vmexit('try_cmpxchg', 'kvm_make_request(KVM_REQ_STEAL_UPDATE),'),
  record_steal_time: 'st_preempted_xchg, host_st_preempted_clear, if st_preempted_flush_tlb || st_preempted_ipi_pending { kvm_vcpu_flush_tlb_guest }, smp_wmb, label dirty',
  kvm_steal_time_set_preempted:
    'if !at_instruction_boundary { return }, if host_st_preempted { return }, read_preempted, loop { if try_cmpxchg.or_PREEMPTED { break } }, host_st_preempted_set',
};

describe('seed 003: PV remote TLB flush', () => {
  describe('today\'s protocol', () => {
    it('never loses a flush, in every PV TLB scenario', () => {
      for (const s of TLB_SCENARIOS) assert.equal(verdicts(run(s, 'upstream'))['tlb-flush'], 'holds', s);
    });

    it('skips a preempted vCPU and lets its host flush it (the optimization is really exercised)', () => {
      const r = run('flush-vs-preemption', 'upstream');
      assert.equal(r.counters?.['hostFlushes'], 1);
      const model = buildModel(scenarioById('flush-vs-preemption'), profileByVersion('upstream'));
      const ex = explore(compile(model));
      const id = (n: string) => model.vars.findIndex((v) => v.name === n);
      const [counted, mask, byte] = ['initiator.counts_flushed[vCPU0]', 'initiator.flushmask[vCPU0]', 'st0.preempted'].map(id);
      // Counted as flushed while out of the mask, and the byte says PREEMPTED|FLUSH_TLB (3).
      assert.ok(findState(ex, (v) => v[counted!] === 1 && v[mask!] === 0 && v[byte!] === 3) >= 0);
    });

    it('waits on a vCPU that is preempted after the initiator read its byte (the thread\'s "sub-optimal")', () => {
      const r = run('flush-vs-preemption', 'upstream');
      const p = property(r, 'tlb-flush-wait');
      assert.equal(p.status, 'violated');
      inOrder(opsOf(p), ['kvm_flush_tlb_multi:read_preempted', 'kvm_flush_tlb_multi:if state_preempted', 'native_flush_tlb_multi:send_call_function_ipi', 'hardware:vm_exit_extint', 'scheduler:preempt']);
      const s = p.trace!.states.at(-1)!;
      assert.equal(s['initiator.csd[vCPU0].locked'], 1);
      assert.equal(s['vCPU0.on_cpu'], 0);
      assert.equal(s['st0.preempted'], '0', 'the byte still says running: nothing could have skipped it');
    });
  });

  describe('the eras', () => {
    it('profiles: kvm_flush_tlb_others until 5.13, kvm_flush_tlb_multi from 5.14; vcpu_run clears at_instruction_boundary from 5.19', () => {
      assert.ok(profileByVersion('4.16').programs['kvm_flush_tlb_others'] && !profileByVersion('4.16').programs['kvm_flush_tlb_multi']);
      assert.ok(profileByVersion('5.14').programs['kvm_flush_tlb_multi'] && !profileByVersion('5.14').programs['kvm_flush_tlb_others']);
      assert.doesNotMatch(formatProgram(profileByVersion('5.16').programs['vcpu_run']!), /at_instruction_boundary/);
      assert.match(formatProgram(profileByVersion('5.19').programs['vcpu_run']!), /clear_at_instruction_boundary/);
      assert.ok(!profileByVersion('4.15').areas.includes('tlb'), 'no PV TLB flush before 4.16');
    });

    it('4.16 (CVE-2019-3016): the host writes back a copy read before the guest set FLUSH_TLB', () => {
      const r = run('flush-vs-preemption', '4.16');
      const p = property(r, 'tlb-flush');
      assert.equal(p.status, 'violated');
      const ops = opsOf(p);
      inOrder(ops, [
        'kvm_steal_time_set_preempted:kvm_write_guest_offset_cached.preempted',
        'record_steal_time:kvm_read_guest_cached.steal',
        'kvm_flush_tlb_others:try_cmpxchg.or_FLUSH_TLB',
        'kvm_flush_tlb_others:__cpumask_clear_cpu',
        'record_steal_time:host_st_xchg_flush_tlb',
        'record_steal_time:kvm_write_guest_cached.steal',
        'vmx_vcpu_run:vm_entry',
      ]);
      assert.ok(!ops.includes('record_steal_time:kvm_vcpu_flush_tlb_guest'));
      assert.equal(last(r, 'tlb-flush')['st0.preempted'], '0', 'FLUSH_TLB was overwritten by the write-back');
    });

    it('4.16 (CVE-2019-3016): a second sched-out before record_steal_time overwrites FLUSH_TLB (5.6 without 8c6de56a42e0)', () => {
      const r = run('flush-vs-preemption', '5.6', { kvm_steal_time_set_preempted: 'st_preempted_set_both' });
      const p = property(r, 'tlb-flush');
      assert.equal(p.status, 'violated');
      inOrder(opsOf(p), [
        'kvm_steal_time_set_preempted:st_preempted_set_both',
        'kvm_flush_tlb_others:try_cmpxchg.or_FLUSH_TLB',
        'kvm_flush_tlb_others:__cpumask_clear_cpu',
        'scheduler:sched_in',
        'scheduler:preempt',
        'kvm_steal_time_set_preempted:st_preempted_set_both',
        'record_steal_time:st_xchg_flush_tlb',
        'vmx_vcpu_run:vm_entry',
      ]);
      const steps = p.trace!.steps;
      assert.equal(steps.find((s) => s.origin?.op === 'st_xchg_flush_tlb')!.step, 'xchg(&st->preempted, 0): no FLUSH_TLB');
      // With the idempotence check (the 5.6 profile as it is), the same scenario holds.
      assert.equal(verdicts(run('flush-vs-preemption', '5.6'))['tlb-flush'], 'holds');
    });

    it('5.6 to 5.18 (CVE-2022-39189): a vCPU preempted in the middle of an emulated instruction is skipped while its host holds a translation', () => {
      for (const v of ['5.6', '5.14', '5.16']) assert.equal(verdicts(run('flush-vs-emulation', v))['tlb-flush'], 'violated', v);
      const p = property(run('flush-vs-emulation', '5.16'), 'tlb-flush');
      inOrder(opsOf(p), [
        'tlb.handle_exit:emulator_translate_gva',
        'initiator:pte_change',
        'scheduler:preempt',
        'kvm_steal_time_set_preempted:copy_to_user_nofault.preempted',
        'kvm_flush_tlb_multi:try_cmpxchg.or_FLUSH_TLB',
        'kvm_flush_tlb_multi:__cpumask_clear_cpu',
        'scheduler:sched_in',
        'tlb.handle_exit:emulator_access_gva',
      ]);
      assert.equal(p.trace!.states.at(-1)!['vCPU0.used_stale_translation'], 1);
      // 6cd88243c7e0: not at an instruction boundary, not reported preempted; the initiator IPIs.
      const today = run('flush-vs-emulation', '5.19');
      assert.equal(verdicts(today)['tlb-flush'], 'holds');
      assert.equal(today.counters?.['hostFlushes'], 0);
    });
  });

  describe('the IPI_PENDING proposal, as sketched', () => {
    it('loses the flush: the VM-exit moves IPI_PENDING to SHOULD_FLUSH, releasing the initiator, but nothing flushes on the next entry', () => {
      const r = run('flush-vs-preemption', 'upstream', PROPOSAL);
      const p = property(r, 'tlb-flush');
      assert.equal(p.status, 'violated');
      const ops = opsOf(p);
      inOrder(ops, [
        'kvm_flush_tlb_multi:try_cmpxchg.or_IPI_PENDING',
        'kvm_flush_tlb_multi:send_tlb_ipi',
        'hardware:vm_exit_extint',
        'kvm_steal_time_vmexit:try_cmpxchg_by_value.move_IPI_PENDING',
        'kvm_flush_tlb_multi:wait_ipi_pending_clear',
        'vmx_vcpu_run:vm_entry',
      ]);
      // record_steal_time runs only after a sched-in (KVM_REQ_STEAL_UPDATE): here there is none.
      assert.ok(!ops.includes('vcpu_enter_guest:kvm_check_request.KVM_REQ_STEAL_UPDATE') || !ops.includes('record_steal_time:st_preempted_xchg'));
      assert.equal(last(r, 'tlb-flush')['st0.preempted'], 'FLUSH_TLB', 'SHOULD_FLUSH is left in the byte, unread');
    });

    it('still waits on a preempted vCPU: one that was already in the host when the initiator set IPI_PENDING', () => {
      const p = property(run('flush-vs-preemption', 'upstream', PROPOSAL), 'tlb-flush-wait');
      assert.equal(p.status, 'violated');
      const ops = opsOf(p);
      inOrder(ops, ['hardware:vm_exit_extint', 'kvm_steal_time_vmexit:read_preempted', 'kvm_flush_tlb_multi:try_cmpxchg.or_IPI_PENDING', 'scheduler:preempt']);
      assert.ok(ops.indexOf('kvm_steal_time_vmexit:read_preempted') < ops.indexOf('kvm_flush_tlb_multi:try_cmpxchg.or_IPI_PENDING'), 'the VM-exit looked before IPI_PENDING was set');
      assert.equal(p.trace!.states.at(-1)!['st0.preempted'], 'IPI_PENDING');
    });

    it('today\'s sched-out mark is a plain store: it wipes IPI_PENDING and releases the initiator with no flush', () => {
      const { kvm_steal_time_set_preempted: _plain, ...fixes } = HOST_FIXES;
      const p = property(run('flush-vs-preemption', 'upstream', { ...PROPOSAL, ...fixes }), 'tlb-flush');
      assert.equal(p.status, 'violated');
      inOrder(opsOf(p), [
        'kvm_flush_tlb_multi:try_cmpxchg.or_IPI_PENDING',
        'scheduler:preempt',
        'kvm_steal_time_set_preempted:copy_to_user_nofault.preempted',
        'kvm_flush_tlb_multi:wait_ipi_pending_clear',
        'vmx_vcpu_run:vm_entry',
      ]);
    });

    it('with those host changes it keeps one flush, but two flushes in a row lose the second (the handler\'s cmpxchg finds the next IPI_PENDING)', () => {
      const fixed = { ...PROPOSAL, ...HOST_FIXES };
      for (const s of ['flush-vs-preemption', 'flush-vs-emulation', 'two-targets']) assert.equal(verdicts(run(s, 'upstream', fixed))['tlb-flush'], 'holds', s);
      const p = property(run('two-flushes', 'upstream', fixed), 'tlb-flush');
      assert.equal(p.status, 'violated');
      const ops = opsOf(p);
      inOrder(ops, [
        'kvm_flush_tlb_ipi:read_preempted',
        'kvm_flush_tlb_ipi:local_flush_tlb',
        'hardware:vm_exit_extint',
        'kvm_steal_time_vmexit:try_cmpxchg.move_IPI_PENDING',
        'initiator:pte_change',
        'kvm_flush_tlb_multi:try_cmpxchg.or_IPI_PENDING',
        'vmx_vcpu_run:vm_entry',
        'kvm_flush_tlb_ipi:try_cmpxchg.clear_IPI_PENDING',
        'kvm_flush_tlb_multi:wait_ipi_pending_clear',
      ]);
      // The handler's flush came before the second page-table change.
      assert.ok(ops.indexOf('kvm_flush_tlb_ipi:local_flush_tlb') < ops.lastIndexOf('initiator:pte_change'));
      // And tlb-flush-wait still fails, for a vCPU preempted between its exits.
      assert.equal(verdicts(run('flush-vs-preemption', 'upstream', fixed))['tlb-flush-wait'], 'violated');
    });

    it('moving IPI_PENDING at every sched-out, at an instruction boundary or not, stops the waiting but skips a vCPU in the middle of an instruction', () => {
      const everySchedOut = {
        ...PROPOSAL,
        ...HOST_FIXES,
        kvm_steal_time_set_preempted: 'if host_st_preempted { return }, read_preempted, loop { if try_cmpxchg.mark_preempted { break } }, host_st_preempted_set',
      };
      assert.equal(verdicts(run('two-targets', 'upstream', everySchedOut))['tlb-flush-wait'], 'holds');
      const p = property(run('flush-vs-emulation', 'upstream', everySchedOut), 'tlb-flush');
      assert.equal(p.status, 'violated');
      inOrder(opsOf(p), ['tlb.handle_exit:emulator_translate_gva', 'scheduler:preempt', 'kvm_steal_time_set_preempted:try_cmpxchg.mark_preempted', 'tlb.handle_exit:emulator_access_gva']);
    });

    it('on the 2017 code (4.16) the sketch loses the flush the same way', () => {
      const on416 = {
        kvm_flush_tlb_others: INITIATOR,
        kvm_flush_tlb_ipi: HANDLER,
        kvm_steal_time_vmexit: vmexit('try_cmpxchg_by_value'),
        vcpu_enter_guest: formatProgram(profileByVersion('4.16').programs['vcpu_enter_guest']!).replace('smp_wmb, handle_exit_irqoff', 'smp_wmb, kvm_steal_time_vmexit, handle_exit_irqoff'),
      };
      assert.notEqual(on416.vcpu_enter_guest, formatProgram(profileByVersion('4.16').programs['vcpu_enter_guest']!));
      const p = property(run('two-targets', '4.16', on416), 'tlb-flush');
      assert.equal(p.status, 'violated');
      inOrder(opsOf(p), ['kvm_steal_time_vmexit:try_cmpxchg_by_value.move_IPI_PENDING', 'kvm_flush_tlb_others:wait_ipi_pending_clear', 'vmx_vcpu_run:vm_entry']);
    });
  });

  describe('the rewrite: `state` where try_cmpxchg() takes `&state`, and the mask test', () => {
    it('the mask test on IPI_PENDING drops every running vCPU from the mask: no IPI, no wait', () => {
      const r = run('two-targets', 'upstream', { ...PROPOSAL, kvm_flush_tlb_multi: rewrite('try_cmpxchg', 'new_state_ipi_pending') });
      const p = property(r, 'tlb-flush');
      assert.equal(p.status, 'violated');
      inOrder(opsOf(p), ['kvm_flush_tlb_multi:new_state', 'kvm_flush_tlb_multi:try_cmpxchg.new_state', 'kvm_flush_tlb_multi:if new_state_ipi_pending', 'kvm_flush_tlb_multi:__cpumask_clear_cpu']);
      assert.equal(verdicts(r)['tlb-flush-wait'], 'holds', 'nothing is waited on at all');
      // Testing SHOULD_FLUSH instead, as the first sketch meant, keeps running vCPUs in the mask.
      const meant = run('two-targets', 'upstream', { ...PROPOSAL, ...HOST_FIXES, kvm_flush_tlb_multi: rewrite('try_cmpxchg', 'new_state_flush_tlb') });
      assert.equal(verdicts(meant)['tlb-flush'], 'holds');
    });

    it('the initiator\'s loop with `state` never refreshes it: it spins on a vCPU that was preempted after the read', () => {
      const r = run('flush-vs-preemption', 'upstream', { ...PROPOSAL, ...HOST_FIXES, kvm_flush_tlb_multi: rewrite('try_cmpxchg_by_value', 'new_state_flush_tlb') });
      const p = property(r, 'tlb-flush-wait');
      assert.equal(p.status, 'violated');
      const steps = p.trace!.steps;
      inOrder(opsOf(p), ['kvm_flush_tlb_multi:read_preempted', 'scheduler:preempt', 'kvm_flush_tlb_multi:try_cmpxchg_by_value.new_state']);
      const preempt = steps.findIndex((x) => x.origin?.op === 'preempt');
      assert.ok(steps.some((x, k) => k > preempt && /fails, state unchanged/.test(x.step)), 'a failed attempt after the preemption');
      assert.equal(p.trace!.states.at(-1)!['initiator.spins_on[vCPU0]'], 1);
      // A retry loop that can fail forever: the failure counter is unbounded; with `&state` it is not.
      assert.equal(r.counters?.['cmpxchgFailures'], null);
      const ref = run('flush-vs-preemption', 'upstream', { ...PROPOSAL, ...HOST_FIXES, kvm_flush_tlb_multi: rewrite('try_cmpxchg', 'new_state_flush_tlb') });
      assert.equal(typeof ref.counters?.['cmpxchgFailures'], 'number');
      assert.equal(property(ref, 'tlb-flush-wait').trace!.states.at(-1)!['initiator.spins_on[vCPU0]'], 0);
    });

    it('the handler\'s loop with `state` spins for ever once a VM-exit took IPI_PENDING, interrupts off (a livelock, traced)', () => {
      const byValue = { ...PROPOSAL, ...HOST_FIXES, kvm_flush_tlb_ipi: handlerCorrected('try_cmpxchg_by_value') };
      assert.equal(run('flush-vs-preemption', 'upstream', byValue).counters?.['cmpxchgFailures'], null);
      assert.equal(typeof run('flush-vs-preemption', 'upstream', { ...byValue, kvm_flush_tlb_ipi: handlerCorrected('try_cmpxchg') }).counters?.['cmpxchgFailures'], 'number');
      // The state it spins in: the handler holds IPI_PENDING in `state`, the byte no longer has
      // it, and the one flush is over, so nothing will put it back.
      const model = buildModel(scenarioById('flush-vs-preemption'), profileByVersion('upstream'), programs(byValue));
      const ex = explore(compile(model));
      const id = (n: string) => model.vars.findIndex((v) => v.name === n);
      const [local, byte, pc, inGuest] = [id('guest0.state'), id('st0.preempted'), id('guest0.pc'), id('vCPU0.non_root')];
      const guest = model.actors.find((a) => a.name === 'guest0')!;
      const fail = model.transitions.find((t) => t.actor === guest.id && /fails, state unchanged/.test(t.label))!;
      const stuck = findState(ex, (v) => v[local!] === 4 && v[byte!] === 0 && v[pc!] === fail.from && v[inGuest!] === 1);
      assert.ok(stuck >= 0, 'no spinning handler state');
      const trace = traceTo(ex, stuck);
      inOrder(
        trace.steps.map((s) => `${s.origin?.program ?? s.lane}:${s.origin?.op ?? s.step}`),
        ['kvm_flush_tlb_ipi:read_preempted', 'kvm_flush_tlb_ipi:local_flush_tlb', 'kvm_steal_time_vmexit:try_cmpxchg.move_IPI_PENDING', 'record_steal_time:st_preempted_xchg'],
      );
      // From there the handler goes round: the compare fails and leaves the state as it was.
      const c = ex.compiled;
      // The successor of `from` through transition `tid`, if it is enabled there.
      const fire = (tid: number, from: Uint32Array): Uint32Array | undefined => {
        const d = new Uint32Array(from.length);
        let got: Uint32Array | undefined;
        c.expand(from, d, (t) => {
          if (t === tid) got = d.slice();
        });
        return got;
      };
      const s = ex.store.arena.slice(stuck * ex.store.words, (stuck + 1) * ex.store.words);
      const cond = model.transitions.find((t) => t.actor === guest.id && t.to === fail.from && t.label === '!state_ipi_pending: false')!;
      const d = fire(fail.id, s);
      assert.ok(d, 'the compare-exchange can be attempted');
      const e = fire(cond.id, d);
      assert.ok(e);
      const packed = (x: Uint32Array) => Array.from(x).join();
      assert.equal(packed(e), packed(s), 'one failed attempt brings the handler back to the same state');
    });
  });
});
