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
  pmi: [],
  tlb: [],
  ipiv: [],
};

export function isModelledRequest(name: string): boolean {
  return Object.values(AREA_REQUESTS).some((r) => r.includes(name));
}
