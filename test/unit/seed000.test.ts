/**
 * Seed 000: "[RFC v2] KVM: x86/vmx: Suppress posted interrupt notification when CPU is in host"
 * and Sean Christopherson's reply. The baseline is the 5.19 profile (the code the RFC was
 * written against). Each alternative of the thread is a set of program overrides.
 */
import * as assert from 'node:assert/strict';
import { compile } from '../../src/model/compile';
import { explore, findState } from '../../src/model/explore';
import { formatProgram } from '../../src/model/program';
import { profileByVersion } from '../../src/model/profiles';
import { scenarioById } from '../../src/model/scenarios';
import { buildModel } from '../../src/model/simulate';
import { programs, property, run, verdicts } from './helpers';

const BASE = '5.19';
const baseEnter = formatProgram(profileByVersion(BASE).programs['vcpu_enter_guest']!);

/** Toggles SN where vcpu->mode changes: `onEnter` after IN_GUEST_MODE, pi_set_sn after OUTSIDE_GUEST_MODE. */
function modeToggle(onEnter: string): string {
  const out = baseEnter
    .replace('set_mode(IN_GUEST_MODE),', `set_mode(IN_GUEST_MODE), ${onEnter},`)
    .replace(/set_mode\(OUTSIDE_GUEST_MODE\), smp_wmb,/g, 'set_mode(OUTSIDE_GUEST_MODE), smp_wmb, pi_set_sn,');
  assert.notEqual(out, baseEnter);
  return out;
}
/** The tail of today's vmx_sync_pir_to_irr: RVI, or KVM_REQ_EVENT when nested or APICv is off. */
const RVI_TAIL = 'if !is_guest_mode && kvm_vcpu_apicv_active { vmx_set_rvi } else { if got_posted_interrupt { kvm_make_request(KVM_REQ_EVENT) } }';
const CLEAR_AND_RECOMPUTE = 'pi_clear_sn, smp_mb__after_atomic, if !pi_test_on && pir_nonempty { pi_set_on }';

/** Chao Gao's RFC v2, as its diff describes it. */
const RFC_V2 = {
  // SN cleared just before VM-entry (then a PIR check and a self-IPI taken in the guest), set
  // right after VM-exit.
  vmx_vcpu_run: 'if kvm_lapic_enabled { pi_clear_sn, smp_mb__after_atomic, if pir_nonempty { pi_set_on, send_IPI_self(POSTED) } }, vm_entry, if kvm_lapic_enabled { pi_set_sn }',
  vmx_vcpu_pi_load: 'if !nv_is_wakeup && same_cpu { return }, if nv_is_wakeup { wakeup_list_del(vcpu_cpu) }, pid_update(ndst=cpu, sn=1, nv=POSTED)',
  pi_enable_wakeup_handler: 'wakeup_list_add, pid_update(nv=WAKEUP, sn=0), if pir_nonempty { pi_set_on, send_IPI_self(WAKEUP) }',
  vmx_vcpu_pi_put: 'if !vmx_needs_pi_wakeup { return }, if !preempted && kvm_vcpu_is_blocking && !vmx_interrupt_blocked { pi_enable_wakeup_handler }',
  vmx_deliver_posted_interrupt: 'if !kvm_vcpu_apicv_active { return }, if pi_test_and_set_pir { return }, if pi_test_sn { return }, if pi_test_and_set_on { return }, kvm_vcpu_trigger_posted_interrupt',
  vmx_sync_pir_to_irr: `if pi_test_on || pi_test_sn { pi_clear_on, smp_mb__after_atomic, kvm_apic_update_irr }, ${RVI_TAIL}`,
};

const BLOCKING = ['block-vs-device-post', 'block-vs-ipiv-post', 'preempt-while-blocking', 'migrate-while-blocked'];

function wakeup(scenario: string, overrides: Record<string, string>): string {
  return verdicts(run(scenario, BASE, overrides))['vcpu-wakeup']!;
}

describe('seed 000: where to toggle SN, and the questions around it', () => {
  it('the baseline holds every property in every posted-interrupt scenario', () => {
    for (const s of ['entry-vs-kvm-post', 'entry-vs-device-post', 'ipiv-post-in-host', 'block-vs-kvm-post', ...BLOCKING, 'fastpath-reentry']) {
      assert.deepEqual(verdicts(run(s, BASE)), { 'pi-delivery': 'holds', 'vcpu-wakeup': 'holds', 'request-before-entry': 'holds' }, s);
    }
  });

  describe('SN toggled at the world switch (the RFC)', () => {
    it('delivers and wakes with IPIv or an assigned device', () => {
      for (const s of ['entry-vs-device-post', 'entry-vs-ipiv-post', 'fastpath-reentry', ...BLOCKING]) {
        const v = verdicts(run(s, BASE, RFC_V2));
        assert.equal(v['pi-delivery'], 'holds', s);
        assert.equal(v['vcpu-wakeup'], 'holds', s);
      }
    });

    it('suppresses the notification of a post that arrives while KVM handles an exit (the PIN count)', () => {
      assert.equal(run('ipiv-post-in-host', BASE).counters?.['notificationsInHost'], 1);
      assert.equal(run('ipiv-post-in-host', BASE, RFC_V2).counters?.['notificationsInHost'], 0);
    });

    it('costs PIR scans on every entry, the fastpath re-entry included (the 1.58%)', () => {
      for (const s of ['entry-vs-ipiv-post', 'fastpath-reentry']) {
        const before = run(s, BASE).counters?.['pirScansOnEntry'] ?? 0;
        const after = run(s, BASE, RFC_V2).counters?.['pirScansOnEntry'] ?? 0;
        assert.ok(after > before, `${s}: ${before} -> ${after}`);
      }
    });

    it('honouring SN in software posting hangs a blocked vCPU when nothing clears SN (APICv without IPIv or VT-d)', () => {
      // Sean asked "Why?". With neither IPIv nor an assigned device, vmx_vcpu_pi_put returns
      // early, so the SN set after the HLT exit stays set while the vCPU sleeps; the post then
      // returns on pi_test_sn() before kvm_vcpu_wake_up().
      const r = run('block-vs-kvm-post', BASE, RFC_V2);
      assert.equal(verdicts(r)['vcpu-wakeup'], 'violated');
      const steps = property(r, 'vcpu-wakeup').trace!.steps;
      assert.equal(steps.at(-1)!.step, 'pi_test_sn: true');
      assert.equal(steps.some((s) => s.step.includes('kvm_vcpu_wake_up')), false);
      // Without the SN test in posting, the same design wakes the vCPU.
      const { vmx_deliver_posted_interrupt: _omit, ...withoutSnTest } = RFC_V2;
      assert.equal(wakeup('block-vs-kvm-post', withoutSnTest), 'holds');
    });
  });

  describe('SN toggled at the mode transitions (Sean\'s suggestion)', () => {
    it('relying on the existing ON-only sync_pir_to_irr strands a post made while SN was set', () => {
      const r = run('entry-vs-device-post', BASE, { vcpu_enter_guest: modeToggle('pi_clear_sn') });
      assert.equal(verdicts(r)['pi-delivery'], 'violated');
      const trace = property(r, 'pi-delivery').trace!;
      const post = trace.steps.find((s) => s.lane === 'IOMMU')!;
      assert.match(post.step, /no notification/);
      const clear = trace.steps.findIndex((s) => s.step.startsWith('pi_clear_sn'));
      assert.ok(clear > trace.steps.indexOf(post), 'SN is cleared after the silent post');
      assert.equal(trace.states.at(-1)!['PID0.ON'], 0, 'nothing set ON, so the ON-only sync did not look at PIR');
    });

    it('recomputing ON when clearing SN fixes delivery, and stops host notifications', () => {
      const enter = modeToggle(CLEAR_AND_RECOMPUTE);
      for (const s of ['entry-vs-device-post', 'entry-vs-ipiv-post', 'fastpath-reentry']) assert.equal(verdicts(run(s, BASE, { vcpu_enter_guest: enter }))['pi-delivery'], 'holds', s);
      assert.equal(run('ipiv-post-in-host', BASE, { vcpu_enter_guest: enter }).counters?.['notificationsInHost'], 0);
    });

    it('but a blocked vCPU keeps SN set and is never told, unless the blocking hooks clear it', () => {
      const enter = modeToggle(CLEAR_AND_RECOMPUTE);
      assert.equal(wakeup('block-vs-device-post', { vcpu_enter_guest: enter }), 'violated');
      const hooks = { vcpu_enter_guest: enter, kvm_arch_vcpu_blocking: CLEAR_AND_RECOMPUTE, kvm_arch_vcpu_unblocking: 'pi_set_sn' };
      for (const s of BLOCKING) assert.equal(wakeup(s, hooks), 'holds', s);
    });
  });

  describe('SN in the blocking hooks', () => {
    it('"any IRQ that isn\'t detected by kvm_vcpu_check_block() is guaranteed to set PID.ON=1" needs the PIR check', () => {
      // A post made while SN=1, before kvm_arch_vcpu_blocking() cleared it, left PIR set and ON
      // clear; kvm_vcpu_check_block() only looks at ON (vmx_sync_pir_to_irr), so it sleeps.
      const noRecompute = { vcpu_enter_guest: modeToggle('pi_clear_sn'), kvm_arch_vcpu_blocking: 'pi_clear_sn', kvm_arch_vcpu_unblocking: 'pi_set_sn' };
      const r = run('block-vs-device-post', BASE, noRecompute);
      assert.equal(verdicts(r)['vcpu-wakeup'], 'violated');
      const last = property(r, 'vcpu-wakeup').trace!.states.at(-1)!;
      assert.equal(last['PID0.PIR[0]'], 1);
      assert.equal(last['PID0.ON'], 0);
    });
  });

  describe('skipping pi_enable_wakeup_handler() for a preempted vCPU', () => {
    const skip = { vmx_vcpu_pi_put: RFC_V2.vmx_vcpu_pi_put };

    it('does not hang: a preempted task is still runnable and blocks again through a non-preempted put', () => {
      for (const s of [...BLOCKING, 'preempt-while-blocking-kvm-post']) assert.equal(wakeup(s, skip), 'holds', s);
      // Upstream adopted this in 6.17 (6737557442e5), with SN set instead.
      assert.equal(wakeup('preempt-while-blocking', {}), 'holds');
      assert.match(formatProgram(profileByVersion('6.17').programs['vmx_vcpu_pi_put']!), /!preempted && kvm_vcpu_is_blocking/);
    });

    it('the feared situation is really explored: preempted between prepare_to_rcuwait() and schedule() with a post pending', () => {
      const model = buildModel(scenarioById('preempt-while-blocking'), profileByVersion(BASE), programs(skip));
      const ex = explore(compile(model));
      const id = (n: string) => model.vars.findIndex((v) => v.name === n);
      const [pre, blk, task, pir, run_] = ['vCPU0.preempted', 'vCPU0.blocking', 'vCPU0.task_state', 'PID0.PIR[0]', 'vCPU0.on_rq'].map(id);
      const at = findState(ex, (v) => v[pre!] === 1 && v[blk!] === 1 && v[task!] === 1 && v[pir!] === 1 && v[run_!] === 1);
      assert.ok(at >= 0, 'no state with a preempted, blocking, TASK_INTERRUPTIBLE vCPU and a posted vector');
    });

    it('does hang if nothing rescans PIR when the vCPU finally blocks (ON-only wakeup check, SN left set)', () => {
      const onlyOn = { ...RFC_V2, pi_enable_wakeup_handler: 'wakeup_list_add, pid_update(nv=WAKEUP, sn=0, capture_on), if on_seen { send_IPI_self(WAKEUP) }' };
      assert.equal(wakeup('preempt-while-blocking', onlyOn), 'violated');
    });
  });

  describe('checking ON versus scanning PIR', () => {
    it('with SN set in the host, an ON-only check in the wakeup handler hangs and a PIR scan does not', () => {
      const onlyOn = { ...RFC_V2, pi_enable_wakeup_handler: 'wakeup_list_add, pid_update(nv=WAKEUP, sn=0, capture_on), if on_seen { send_IPI_self(WAKEUP) }' };
      for (const s of ['block-vs-device-post', 'block-vs-ipiv-post']) {
        assert.equal(wakeup(s, onlyOn), 'violated', s);
        assert.equal(wakeup(s, RFC_V2), 'holds', s);
      }
    });

    it('with SN clear in the host (the baseline), ON is enough: scanning PIR on entry only adds cost', () => {
      const scan = { vmx_sync_pir_to_irr: `if pir_nonempty { pi_clear_on, smp_mb__after_atomic, kvm_apic_update_irr }, ${RVI_TAIL}` };
      for (const s of ['entry-vs-device-post', 'entry-vs-kvm-post']) {
        assert.equal(verdicts(run(s, BASE, scan))['pi-delivery'], 'holds', s);
        assert.ok((run(s, BASE, scan).counters?.['pirScansOnEntry'] ?? 0) > (run(s, BASE).counters?.['pirScansOnEntry'] ?? 0), s);
      }
    });
  });

  describe('honouring SN in software posting, on its own', () => {
    it('changes no verdict in the baseline design ("should be unnecessary")', () => {
      const honour = { vmx_deliver_posted_interrupt: RFC_V2.vmx_deliver_posted_interrupt };
      for (const s of ['entry-vs-kvm-post', 'block-vs-kvm-post', 'preempt-while-blocking-kvm-post']) {
        assert.deepEqual(verdicts(run(s, BASE, honour)), verdicts(run(s, BASE)), s);
      }
    });
  });
});
