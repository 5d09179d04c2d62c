/**
 * Golden counterexamples: classic cases pinned step by step, so that any change to the model
 * that alters them is noticed and reviewed.
 */
import * as assert from 'node:assert/strict';
import { property, run } from './helpers';

describe('golden counterexamples', () => {
  it('4.9, device post racing VM-entry: the notification is acknowledged in the host before IRQs are disabled', () => {
    const p = property(run('entry-vs-device-post', '4.9'), 'pi-delivery');
    assert.equal(p.status, 'violated');
    const steps = p.trace!.steps.map((s) => [s.actor, s.step]);
    assert.deepEqual(steps, [
      ['guest0', 'guest executes an I/O instruction: VM-exit (IO_INSTRUCTION), handled in the slow path'],
      ['vCPU0 thread', 'vcpu->mode = OUTSIDE_GUEST_MODE'],
      ['vCPU0 thread', 'handle_exit_irqoff(): not an external interrupt'],
      ['vCPU0 thread', 'local_irq_enable()'],
      ['vCPU0 thread', 'preempt_enable()'],
      ['vCPU0 thread', 'exit handled'],
      ['vCPU0 thread', 'kvm_vcpu_running: true'],
      ['vCPU0 thread', 'kvm_request_pending: false'],
      ['vCPU0 thread', 'pi_test_and_clear_on(): was clear'],
      ['vCPU0 thread', '!is_guest_mode: true'],
      ['vCPU0 thread', 'vmx_set_rvi(max_irr): RVI covers the highest vIRR vector'],
      ['vCPU0 thread', 'kvm_check_request(KVM_REQ_EVENT): not pending'],
      ['vCPU0 thread', 'preempt_disable()'],
      ['vCPU0 thread', 'vcpu->mode = IN_GUEST_MODE'],
      ['sender0 (VT-d post to vCPU0, vector 0)', 'IOMMU posts vector 0: PIR[0]=1, ON=1, notification NV to NDST'],
      ['hardware', 'pCPU0 in host, IRQs on: POSTED_INTR_VECTOR handler: acknowledge only, PIR untouched'],
      ['vCPU0 thread', 'local_irq_disable()'],
      ['vCPU0 thread', 'kvm_vcpu_exit_request: false'],
      ['vCPU0 thread', 'VM-entry (VMLAUNCH/VMRESUME)'],
    ]);
    const last = p.trace!.states.at(-1)!;
    assert.equal(last['vCPU0.non_root'], 1);
    assert.equal(last['PID0.PIR[0]'], 1);
    assert.equal(last['PID0.ON'], 1);
    assert.equal(last['pCPU0.IRR.POSTED_INTR_VECTOR'], 0);
    // Each step says which rule it encodes.
    for (const s of p.trace!.steps) assert.ok(s.origin?.rule, `no rule cited for "${s.step}"`);
  });
});
