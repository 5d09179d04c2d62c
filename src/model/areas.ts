/**
 * The model areas and what each follows. Programs are shared (one `vcpu_enter_guest` for all),
 * and each area's semantics interprets the steps it follows; a request another area follows is
 * never raised in this area's scenarios.
 */

export type Area = 'pi' | 'pmi' | 'tlb' | 'ipiv';

export const AREA_TITLES: Readonly<Record<Area, string>> = {
  pi: 'posted interrupts',
  pmi: 'PMI delivery',
  tlb: 'PV remote TLB flush',
  ipiv: 'IPIv PID-table set-up',
};

/** Requests, per area, whose `kvm_check_request()` the model follows. */
export const AREA_REQUESTS: Readonly<Record<Area, readonly string[]>> = {
  pi: ['KVM_REQ_EVENT', 'KVM_REQ_TLB_FLUSH'],
  pmi: ['KVM_REQ_PMU', 'KVM_REQ_PMI', 'KVM_REQ_NMI'],
  tlb: ['KVM_REQ_STEAL_UPDATE'],
  ipiv: [],
};

export function isModelledRequest(name: string): boolean {
  return Object.values(AREA_REQUESTS).some((r) => r.includes(name));
}

/**
 * Steps, per area, that appear in programs other areas also run (the request handlers of
 * vcpu_enter_guest, the steal-time hooks of vcpu_put/load). Another area treats them as steps
 * with no effect on its state, and says so.
 */
export const AREA_OPS: Readonly<Record<Area, readonly string[]>> = {
  pi: [],
  pmi: ['kvm_pmu_handle_event', 'kvm_pmu_deliver_pmi', 'process_nmi'],
  tlb: ['record_steal_time', 'kvm_steal_time_set_preempted', 'clear_at_instruction_boundary', 'kvm_steal_time_vmexit'],
  ipiv: [],
};

const AREA_OF_OP = new Map((Object.keys(AREA_OPS) as Area[]).flatMap((a) => AREA_OPS[a].map((op) => [op, a] as const)));

/** The area whose step `op` is, or undefined. */
export function areaOfOp(op: string): Area | undefined {
  return AREA_OF_OP.get(op);
}
