/**
 * The IPIv set-up programs, era by era, with the commits that changed them. Each program holds
 * the statements of the kernel function that the model follows, in the kernel's order; the
 * others (allocations assumed to succeed, statistics, debugfs) are left out and listed as inert
 * or unmodelled by src/mapping/rules/ipiv.ts.
 *
 * The never-merged v7 posting (March 2022) is not an era: it is the 5.17 kernel plus the v7
 * code, given as program overrides in test/unit/seed004.test.ts.
 */
import { AreaEra } from '../area';
import { IpivToggles } from './model';

type Source = Readonly<Record<string, string>>;

/** The error and teardown tail of kvm_vm_ioctl_create_vcpu, from the vcpu_array step on. */
function createTail(labels: string): string {
  return `
    mutex_lock(kvm_lock),
    if kvm_get_vcpu_by_id { set_r(error), goto unlock_vcpu_destroy },
    if r { goto unlock_vcpu_destroy },
    create_vcpu_fd,
    if r { goto kvm_put_xa_release },
    smp_wmb,
    vcpu_online,
    mutex_unlock(kvm_lock),
    return,
    ${labels}`;
}

const TEARDOWN_5_17 = `
    label kvm_put_xa_release,
    label unlock_vcpu_destroy,
    mutex_unlock(kvm_lock),
    label arch_vcpu_destroy,
    kvm_arch_vcpu_destroy,
    label vcpu_free_run_page,
    label vcpu_free,
    kmem_cache_free,
    label vcpu_decrement,
    mutex_lock(kvm_lock),
    created_vcpus_dec,
    mutex_unlock(kvm_lock)`;

// 6.13 renamed the fd error label (xa_insert() instead of xa_reserve()/xa_store()) and a 2025
// change frees the dirty ring after kvm_arch_vcpu_destroy(): both labels mark the same points.
const TEARDOWN_6_11 = `
    label kvm_put_xa_release,
    label kvm_put_xa_erase,
    label unlock_vcpu_destroy,
    mutex_unlock(kvm_lock),
    label arch_vcpu_destroy,
    kvm_arch_vcpu_destroy,
    label vcpu_free_dirty_ring,
    label vcpu_free_run_page,
    label vcpu_free,
    kmem_cache_free,
    label vcpu_decrement,
    mutex_lock(kvm_lock),
    created_vcpus_dec,
    mutex_unlock(kvm_lock)`;

/** The steps between the first unlock and the vcpu_array step: allocate, then arch create. */
const ALLOCATE_AND_CREATE = `
    kmem_cache_zalloc,
    if nomem { set_r(error), goto vcpu_decrement },
    kvm_arch_vcpu_create,
    if r { goto vcpu_free_run_page },`;

// ------------------------------------------------------------------ 5.17 (before IPIv; v7's base)

const V5_17: Source = {
  // No max_vcpu_ids field yet.
  kvm_arch_init_vm: '',
  // Pre-create runs after kvm->lock is dropped (since it was added in 5.6).
  kvm_vm_ioctl_create_vcpu: `
    mutex_lock(kvm_lock),
    if created_vcpus_at_max { mutex_unlock(kvm_lock), set_r(error), return },
    created_vcpus_inc,
    mutex_unlock(kvm_lock),
    kvm_arch_vcpu_precreate,
    if r { goto vcpu_decrement },
    ${ALLOCATE_AND_CREATE}
    ${createTail(TEARDOWN_5_17)}`,
  // Only the unstable-TSC warning.
  kvm_arch_vcpu_precreate: 'set_r(0)',
  kvm_arch_vcpu_create: 'vmx_vcpu_create, if r { goto free_guest_fpu }, kvm_vcpu_reset, set_r(0), return, label free_guest_fpu',
  kvm_arch_vcpu_destroy: 'vmx_vcpu_free',
  vmx_vcpu_create: 'set_r(error), set_r(0), return, label free_vmcs, label free_pml, label free_vpid',
  vmx_vcpu_free: '',
  init_vmcs: '',
  // No such case: the default case refuses it with -EINVAL.
  'kvm_vm_ioctl_enable_cap.KVM_CAP_MAX_VCPU_ID': '',
};

// ------------------------------------------------------------------ 5.19 (IPIv merged)

const V5_19: Source = {
  ...V5_17,
  // 1d5e740d518e: pre-create under kvm->lock, before created_vcpus is bumped; its failure
  // needs no decrement.
  kvm_vm_ioctl_create_vcpu: `
    mutex_lock(kvm_lock),
    if created_vcpus_at_max { mutex_unlock(kvm_lock), set_r(error), return },
    kvm_arch_vcpu_precreate,
    if r { mutex_unlock(kvm_lock), return },
    created_vcpus_inc,
    mutex_unlock(kvm_lock),
    ${ALLOCATE_AND_CREATE}
    ${createTail(TEARDOWN_5_17)}`,
  // 35875316384b: lock in max_vcpu_ids, refuse ids at or above it; d588bb9be1da: the vendor hook.
  kvm_arch_vcpu_precreate: 'if !max_vcpu_ids_set { set_max_vcpu_ids(KVM_MAX_VCPU_IDS) }, if id_ge_max_vcpu_ids { set_r(error), return }, vmx_vcpu_precreate',
  vmx_vcpu_precreate: 'vmx_alloc_ipiv_pid_table',
  vmx_alloc_ipiv_pid_table:
    'if !irqchip_in_kernel || !enable_ipiv { set_r(0), return }, if pid_table_allocated { set_r(0), return }, alloc_pid_table_pages, publish_pid_table, set_r(0)',
  vmx_vcpu_create: 'set_r(error), if vmx_can_use_ipiv { write_pid_table_entry }, set_r(0), return, label free_vmcs, label free_pml, label free_vpid',
  init_vmcs: 'if vmx_can_use_ipiv { vmcs_write64(PID_POINTER_TABLE), vmcs_write16(LAST_PID_POINTER_INDEX, max_vcpu_ids) }',
  // 35875316384b: write-once, under kvm->lock.
  'kvm_vm_ioctl_enable_cap.KVM_CAP_MAX_VCPU_ID':
    'set_r(error), if cap_arg_too_big { return }, mutex_lock(kvm_lock), if max_vcpu_ids_is_arg { set_r(0) } else { if !max_vcpu_ids_set { set_max_vcpu_ids(arg), set_r(0) } }, mutex_unlock(kvm_lock)',
};

// ------------------------------------------------------------------ 6.11 (today's shape)

const V6_11: Source = {
  ...V5_19,
  kvm_vm_ioctl_create_vcpu: `
    mutex_lock(kvm_lock),
    if created_vcpus_at_max { mutex_unlock(kvm_lock), set_r(error), return },
    kvm_arch_vcpu_precreate,
    if r { mutex_unlock(kvm_lock), return },
    created_vcpus_inc,
    mutex_unlock(kvm_lock),
    ${ALLOCATE_AND_CREATE}
    ${createTail(TEARDOWN_6_11).replace('if r { goto kvm_put_xa_release }', 'if r { goto kvm_put_xa_erase }')}`,
  // d29bf2ca1404: a limit below the BSP's id is refused first.
  'kvm_vm_ioctl_enable_cap.KVM_CAP_MAX_VCPU_ID':
    'set_r(error), if cap_arg_too_big { return }, mutex_lock(kvm_lock), if bsp_vcpu_id_above_arg { } else { if max_vcpu_ids_is_arg { set_r(0) } else { if !max_vcpu_ids_set { set_max_vcpu_ids(arg), set_r(0) } } }, mutex_unlock(kvm_lock)',
};

export const IPIV_ERAS: readonly AreaEra<IpivToggles>[] = [
  {
    version: [5, 17],
    released: '2022-03-20',
    summary: 'before IPI virtualization (the kernel the v7 posting of seed 004 was written against): kvm_arch_vcpu_precreate() outside kvm->lock, no max_vcpu_ids, no PID table',
    changes: [
      'kvm_arch_vcpu_precreate() called after kvm->lock is dropped, failure through vcpu_decrement ("KVM: Add kvm_arch_vcpu_precreate() to handle pre-allocation issues", v5.6)',
      'init_vmcs() runs from vmx_vcpu_reset(), after vmx_vcpu_create() ("KVM: VMX: Move init_vmcs() invocation to vmx_vcpu_reset()", v5.15)',
    ],
    programs: V5_17,
    toggles: {},
  },
  {
    version: [5, 19],
    released: '2022-07-31',
    summary: 'IPI virtualization merged: pre-create under kvm->lock locks in max_vcpu_ids and allocates the PID table once; KVM_CAP_MAX_VCPU_ID is write-once',
    changes: [
      '1d5e740d518e "KVM: Move kvm_arch_vcpu_precreate() under kvm->lock"',
      '35875316384b "KVM: x86: Allow userspace to set maximum VCPU id for VM": write-once KVM_CAP_MAX_VCPU_ID, locked in by pre-create',
      'd588bb9be1da "KVM: VMX: enable IPI virtualization": vmx_alloc_ipiv_pid_table() from .vcpu_precreate, the entry written by vmx_vcpu_create(), LAST_PID_POINTER_INDEX = max_vcpu_ids - 1 in init_vmcs()',
    ],
    programs: V5_19,
    toggles: {},
  },
  {
    version: [6, 11],
    released: '2024-09-15',
    summary: 'today\'s IPIv set-up: kvm_x86_call() spelling, KVM_CAP_MAX_VCPU_ID refuses a limit below the BSP',
    changes: [
      'd29bf2ca1404 "KVM: x86: Prevent excluding the BSP on setting max_vcpu_ids"',
      '8b8e57e5096e "KVM: Reject overly excessive IDs in KVM_CREATE_VCPU" (id is an unsigned long)',
      'kvm_x86_call(vcpu_precreate) replaces static_call(kvm_x86_vcpu_precreate) (v6.11)',
      'later labels of the creation error path (kvm_put_xa_erase, 6.13; vcpu_free_dirty_ring) are points of the same program',
      'not in any profile yet: b41f2ca6c060 "KVM: VMX: Fix stale PID-pointer table entry left after vCPU free" and the vCPU-id checks at the top of creation (2026)',
    ],
    programs: V6_11,
    toggles: {},
  },
];
