/**
 * Named, bounded IPIv set-up scenarios: a few userspace threads, each exhaustive in well under a
 * second. Every scenario names the seed thread it answers and the property it decides.
 */
import { Scenario } from '../area';
import { IpivConfig } from './model';

const IPIV_SINCE = {
  version: [5, 19] as const,
  why: 'IPI virtualization was merged in 5.19; before it no PID table exists, and every guest ICR write exits',
};

const base: Omit<IpivConfig, 'creates'> = { ids: 3, maxVcpus: 2, caps: [], platform: { ipiv: true } };

function scenario(id: string, title: string, description: string, cfg: Partial<IpivConfig> & Pick<IpivConfig, 'creates'>): Scenario<IpivConfig> {
  return { id, area: 'ipiv', title, seeds: ['004'], focus: ['pid-table'], description, config: { ...base, ...cfg }, since: IPIV_SINCE };
}

export const IPIV_SCENARIOS: readonly Scenario<IpivConfig>[] = [
  scenario(
    'ipiv-two-creates',
    'Two KVM_CREATE_VCPU calls race, and a guest IPIs through the table',
    'Two threads create vCPUs 0 and 2 at once; once vCPU 0 runs, its guest writes the ICR to any id. Decides whether both pre-creates can see no table and allocate one each (pre-create or allocation outside kvm->lock), and what the CPU finds for each destination while vCPU 2 is being created.',
    { creates: [{ id: 0 }, { id: 2 }], icrFrom: 0 },
  ),
  scenario(
    'ipiv-cap-resize',
    'KVM_CAP_MAX_VCPU_ID set twice around a creation that fails after pre-create',
    'One thread sets KVM_CAP_MAX_VCPU_ID to 1 and then to 2; one thread creates vCPU 0 and may fail after pre-create (created_vcpus drops back); another creates vCPU 1. Decides whether the table can be sized for one id and then receive, or be indexed by, a larger one: a capability that can change after the table exists (any time, or while no vCPU exists) against write-once.',
    { creates: [{ id: 0, fail: 'early' }, { id: 1 }], caps: [1, 2] },
  ),
  scenario(
    'ipiv-create-fails-late',
    'A creation that fails after its entry was written, and a guest IPI to it',
    'A thread creates vCPU 1 and fails at the last step (no file descriptor), after vmx_vcpu_create() wrote its entry; another thread creates vCPU 0, whose guest then IPIs any id. Decides whether the table can keep a valid entry naming a freed descriptor.',
    { creates: [{ id: 1, fail: 'late' }, { id: 0 }], icrFrom: 1 },
  ),
  scenario(
    'ipiv-duplicate-id',
    'Two KVM_CREATE_VCPU calls with the same id',
    'Two threads create vCPU 1 at once; the loser gets -EEXIST only after vmx_vcpu_create() has written the entry. Decides whether the winner\'s entry survives the loser\'s write and teardown.',
    { creates: [{ id: 1 }, { id: 1 }] },
  ),
];
