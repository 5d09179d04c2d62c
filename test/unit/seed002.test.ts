/**
 * Seed 002: "kvm: x86: do not use KVM_REQ_EVENT for APICv interrupt injection".
 *
 * The order of three steps of vcpu_enter_guest is permuted:
 *   D  local_irq_disable()
 *   M  vcpu->mode = IN_GUEST_MODE (then srcu_read_unlock(), whose smp_mb() orders it)
 *   S  sync_pir_to_irr() (test ON, clear ON, move PIR to vIRR, set RVI)
 * followed in every case by the kvm_vcpu_exit_request() check and VM-entry.
 *
 * The message names two races when the KVM_REQ_EVENT safety net is gone:
 *   race 1: the notification IPI arrives between M and D. The sender saw IN_GUEST_MODE and
 *           sent POSTED_INTR_VECTOR; with host IRQs still on, the host handler only acknowledges
 *           it, so PIR and ON stay set. If S already ran, nothing moves them before entry.
 *   race 2: the post lands between S and M. The sender sees OUTSIDE_GUEST_MODE and only wakes
 *           (or, in 4.11, kicks) the vCPU, which does nothing to a running vCPU; the vCPU then
 *           publishes IN_GUEST_MODE and enters with ON set and no IPI pending.
 * Both were masked by KVM_REQ_EVENT: the sender raised it before triggering, so the exit check
 * after M cancelled the entry and the next pass synced PIR.
 *
 * A device (VT-d) post raises no request, so the safety net never covered it (Radim's remark).
 * But a device always sends the notification, whatever vcpu->mode says, so race 2 does not
 * exist for it: only race 1 does, and only an S after D closes it.
 */
import * as assert from 'node:assert/strict';
import { formatProgram, parseProgram } from '../../src/model/program';
import { profileByVersion } from '../../src/model/profiles';
import { opsOf, property, run, verdicts } from './helpers';

const STEP = {
  D: 'local_irq_disable',
  M: 'set_mode(IN_GUEST_MODE), srcu_read_unlock, smp_mb__after_srcu_read_unlock',
  S: 'if kvm_lapic_enabled { sync_pir_to_irr }',
} as const;
type Letter = keyof typeof STEP;

function enterGuest(order: string): string {
  const middle = [...order].map((c) => STEP[c as Letter]).join(', ');
  return `if kvm_request_pending { if kvm_check_request.KVM_REQ_TLB_FLUSH { } }, if kvm_check_request.KVM_REQ_EVENT { kvm_check_and_inject_events }, preempt_disable, ${middle},
    if kvm_vcpu_exit_request { set_mode(OUTSIDE_GUEST_MODE), smp_wmb, local_irq_enable, preempt_enable, srcu_read_lock, return },
    vmx_vcpu_run, set_mode(OUTSIDE_GUEST_MODE), smp_wmb, handle_exit_irqoff, local_irq_enable, preempt_enable, handle_exit`;
}

/** 4.9's posting: `r = pi_test_and_set_on(); kvm_make_request(KVM_REQ_EVENT); if (r || !trigger) kick`. */
const SAFETY_NET = formatProgram(profileByVersion('4.9').programs['vmx_deliver_posted_interrupt']!);

const ORDERS = ['DMS', 'DSM', 'MDS', 'MSD', 'SMD', 'SDM'];

function piDelivery(scenario: string, order: string, net: boolean): string {
  const overrides: Record<string, string> = { vcpu_enter_guest: enterGuest(order) };
  if (net) overrides['vmx_deliver_posted_interrupt'] = SAFETY_NET;
  return verdicts(run(scenario, '4.11', overrides))['pi-delivery']!;
}

describe('seed 002: order of local_irq_disable, IN_GUEST_MODE and sync_pir_to_irr', () => {
  it('the 4.11 profile is the seed\'s patched order (D M S) and 4.9 has the safety net', () => {
    const enter = formatProgram(profileByVersion('4.11').programs['vcpu_enter_guest']!);
    assert.match(enter, /local_irq_disable, set_mode\(IN_GUEST_MODE\).*sync_pir_to_irr/);
    assert.match(SAFETY_NET, /kvm_make_request\(KVM_REQ_EVENT\)/);
    assert.ok(parseProgram(SAFETY_NET).length > 0);
  });

  describe('KVM software posting, without the KVM_REQ_EVENT safety net', () => {
    const expected: Record<string, string> = {
      // S comes after D and M: a post before M is seen by S (ON set), a post after M finds
      // IN_GUEST_MODE and its IPI waits, IRQs off, until non-root mode processes it.
      DMS: 'holds',
      // An IPI between M and D is acknowledged in the host (race 1), but S still runs after D
      // and picks up ON; so only S's position matters for race 1.
      MDS: 'holds',
      // race 2: post between S and M sees OUTSIDE_GUEST_MODE.
      DSM: 'violated',
      // race 1: IPI between M and D, after S, is acknowledged in the host.
      MSD: 'violated',
      // 4.9's order: both races.
      SMD: 'violated',
      // race 2 again, with IRQs already off.
      SDM: 'violated',
    };
    for (const order of ORDERS) {
      it(`${order}: pi-delivery ${expected[order]}`, () => {
        assert.equal(piDelivery('entry-vs-kvm-post', order, false), expected[order]);
      });
    }

    it('MSD fails through race 1: after S, the notification is handled in the host before D', () => {
      const p = property(run('entry-vs-kvm-post', '4.11', { vcpu_enter_guest: enterGuest('MSD') }), 'pi-delivery');
      const ops = opsOf(p);
      const m = ops.lastIndexOf('vcpu_enter_guest:set_mode');
      const s = ops.lastIndexOf('vmx_sync_pir_to_irr:if pi_test_on');
      const irq = ops.lastIndexOf('hardware:host_irq');
      const d = ops.lastIndexOf('vcpu_enter_guest:local_irq_disable');
      assert.ok(m >= 0 && s > m && irq > s && d > irq, ops.join('\n'));
      assert.match(p.trace!.steps.find((x) => x.origin?.op === 'host_irq')!.step, /acknowledge only/);
    });

    it('DSM fails through race 2: the sender finds OUTSIDE_GUEST_MODE between S and M', () => {
      const p = property(run('entry-vs-kvm-post', '4.11', { vcpu_enter_guest: enterGuest('DSM') }), 'pi-delivery');
      const steps = p.trace!.steps;
      const s = steps.findIndex((x) => x.origin?.program === 'vmx_sync_pir_to_irr' && steps.indexOf(x) > 0);
      const saw = steps.findIndex((x) => x.step === 'mode_in_guest: false');
      const m = steps.findIndex((x, k) => k > saw && x.origin?.op === 'set_mode');
      assert.ok(s >= 0 && saw > s && m > saw, steps.map((x) => x.step).join('\n'));
      // Nothing is pending on the pCPU when the guest runs: no IPI was ever sent.
      assert.equal(steps.some((x) => x.origin?.op === 'send_posted_intr_ipi'), false);
    });
  });

  describe('KVM software posting, with the safety net', () => {
    for (const order of ORDERS) {
      it(`${order}: pi-delivery holds, because KVM_REQ_EVENT cancels the racing entry`, () => {
        assert.equal(piDelivery('entry-vs-kvm-post', order, true), 'holds');
      });
    }

    it('the masking is the exit check seeing KVM_REQ_EVENT: without that check the net no longer helps', () => {
      const noCheck = enterGuest('SMD').replace(/if kvm_vcpu_exit_request \{[^}]*\},/, '');
      assert.doesNotMatch(noCheck, /kvm_vcpu_exit_request/);
      const r = run('entry-vs-kvm-post', '4.11', { vcpu_enter_guest: noCheck, vmx_deliver_posted_interrupt: SAFETY_NET });
      assert.equal(verdicts(r)['pi-delivery'], 'violated');
      // ...and the vCPU enters with the net's own request pending, raised before it decided to enter.
      assert.equal(verdicts(r)['request-before-entry'], 'violated');
    });
  });

  describe('VT-d device posting (the net never covered it)', () => {
    // Violated exactly when S runs before D: a notification that arrives while IRQs are still on
    // is acknowledged in the host after S has looked. With D before S, it waits for non-root mode
    // or is seen by S.
    const expected: Record<string, string> = { DMS: 'holds', MDS: 'holds', DSM: 'holds', MSD: 'violated', SMD: 'violated', SDM: 'violated' };
    for (const order of ORDERS) {
      for (const net of [false, true]) {
        it(`${order}${net ? ' with the net' : ''}: pi-delivery ${expected[order]}`, () => {
          assert.equal(piDelivery('entry-vs-device-post', order, net), expected[order]);
        });
      }
    }
  });

  it('the whole patch: 4.9 strands a device post that 4.11 delivers', () => {
    assert.equal(verdicts(run('entry-vs-device-post', '4.9'))['pi-delivery'], 'violated');
    assert.equal(verdicts(run('entry-vs-device-post', '4.11'))['pi-delivery'], 'holds');
    assert.equal(verdicts(run('entry-vs-kvm-post', '4.11'))['pi-delivery'], 'holds');
  });

  it('4.9\'s net has a hole: a post between the RVI refresh and the KVM_REQ_EVENT check loses its request', () => {
    // 4.9 refreshes RVI (syncing PIR) before its KVM_REQ_EVENT block. A post that lands in
    // between has its request consumed by that block, whose injection does nothing for APICv;
    // its IPI, sent once the mode is IN_GUEST_MODE, is then taken in the host because 4.9 stores
    // the mode before disabling IRQs. The message's "masked by KVM_REQ_EVENT" holds only for
    // posts after that block.
    const p = property(run('entry-vs-kvm-post', '4.9'), 'pi-delivery');
    assert.equal(p.status, 'violated');
    const steps = p.trace!.steps;
    const rvi = steps.findIndex((x) => x.origin?.op === 'vmx_set_rvi');
    const raised = steps.findIndex((x) => x.step === 'kvm_make_request(KVM_REQ_EVENT)');
    const consumed = steps.findIndex((x) => x.step.startsWith('kvm_check_request(KVM_REQ_EVENT): pending'));
    const ipi = steps.findIndex((x) => x.origin?.op === 'send_posted_intr_ipi');
    const acked = steps.findIndex((x, k) => k > ipi && x.origin?.op === 'host_irq');
    assert.ok(rvi >= 0 && raised > rvi && consumed > raised && ipi > consumed && acked > ipi, steps.map((x) => x.step).join('\n'));
  });

  it('Radim\'s nested case: L2 running strands L1\'s posted interrupt until sync raises KVM_REQ_EVENT', () => {
    const old = run('l2-running', '4.11');
    assert.equal(verdicts(old)['pi-delivery'], 'violated');
    const last = property(old, 'pi-delivery').trace!.states.at(-1)!;
    assert.equal(last['vCPU0.L2'], 1);
    assert.equal(last['vCPU0.vIRR[0]'], 1);
    // Today's sync raises KVM_REQ_EVENT when nested, and the request block exits to L1.
    assert.equal(verdicts(run('l2-running', 'upstream'))['pi-delivery'], 'holds');
  });
});
