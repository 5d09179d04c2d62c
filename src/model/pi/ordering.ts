/**
 * How each step of the posted-interrupt programs orders memory on x86, for the TSO model
 * (../tso.ts). Every step and condition of semantics.ts has an entry; a test checks it.
 *
 * The kinds, with the fact each encodes:
 * - `plain`: ordinary loads and stores (and register or VMCS work). Stores go through the
 *   CPU's store buffer; loads read the CPU's own newest buffered store, else memory.
 * - `locked`: a LOCK-prefixed read-modify-write or XCHG (set_bit, clear_bit, test_and_*_bit,
 *   cmpxchg, xchg, spin_lock). SDM Vol. 3A §9.2.2: "Reads or writes cannot be reordered with
 *   I/O instructions, locked instructions, or serializing instructions"; a full barrier.
 * - `fence`: smp_mb() (a locked add to the stack on x86-64), and the calls that contain one:
 *   srcu_read_lock()/srcu_read_unlock() (an smp_mb() in __srcu_read_lock/__srcu_read_unlock),
 *   set_current_state() (smp_store_mb, an XCHG), rcuwait_wake_up() (an smp_mb() first).
 * - `compiler`: barrier() only on x86, because TSO already gives that order: smp_wmb(),
 *   smp_rmb(), smp_mb__after_atomic() (the atomic before it is locked), and the documentation
 *   helpers smp_mb__after_srcu_read_{lock,unlock}(). smp_store_release()/smp_load_acquire()
 *   and READ_ONCE()/WRITE_ONCE() are a plain store or load plus a compiler barrier.
 * - `serializing`: VM-entry and the context switch. VM-entry loads CR0/CR3/CR4 and MSRs from
 *   the VMCS (SDM Vol. 3C ch. 27), as MOV to CR and WRMSR do, and both of those are
 *   serializing (SDM Vol. 3A §9.3); the SDM does not list VMX transitions among serializing
 *   instructions in so many words, so treating VM-entry as draining the store buffer is an
 *   assumption of this model (see README). A context switch takes the runqueue lock and runs
 *   smp_mb__after_spinlock() (kernel __schedule()).
 * - `ipi`: sending an IPI. With x2APIC the ICR write is a WRMSR that is not serializing, and
 *   Linux puts weak_wrmsr_fence() (MFENCE; LFENCE) before it; with xAPIC the ICR is uncached
 *   MMIO, ordered after earlier stores (SDM Vol. 3A §9.2.2 on I/O and UC accesses).
 * - `none`: model bookkeeping, or a call resolved to another program.
 */
import { BARRIERS } from '../barriers';

export type X86Order = 'plain' | 'locked' | 'fence' | 'compiler' | 'serializing' | 'ipi' | 'none';

/** Whether a step of this kind waits for its CPU's store buffer to drain. */
export function drains(o: X86Order): boolean {
  return o === 'locked' || o === 'fence' || o === 'serializing' || o === 'ipi';
}

export const OP_ORDER: Readonly<Record<string, X86Order>> = {
  // The barrier primitives, as ../barriers.ts says they are on x86.
  ...Object.fromEntries(Object.entries(BARRIERS).map(([op, b]) => [op, b.x86 === 'full' ? ('fence' as const) : ('compiler' as const)])),
  preempt_disable: 'compiler',
  preempt_enable: 'compiler',
  // CLI and STI are not serializing and do not order memory.
  local_irq_disable: 'plain',
  local_irq_enable: 'plain',
  // `vcpu->mode = X`, WRITE_ONCE() or smp_store_release(): one plain store.
  set_mode: 'plain',
  sync_pir_to_irr: 'none',
  pi_clear_on: 'locked',
  pi_set_on: 'locked',
  pi_set_sn: 'locked',
  pi_clear_sn: 'locked',
  // xchg() of each PIR word.
  kvm_apic_update_irr: 'locked',
  clear_got_posted_interrupt: 'none',
  // A VMWRITE of GUEST_INTR_STATUS: VMCS state, not memory another CPU reads.
  vmx_set_rvi: 'plain',
  kvm_check_and_inject_events: 'plain',
  vm_entry: 'serializing',
  handle_exit_irqoff: 'plain',
  handle_exit: 'plain',
  set_mp_state: 'plain',
  set_current_state: 'fence',
  // rcu_assign_pointer(): a release store.
  prepare_to_rcuwait: 'plain',
  finish_rcuwait: 'plain',
  // Both take the wait queue's spinlock.
  prepare_to_swait: 'locked',
  finish_swait: 'locked',
  schedule: 'serializing',
  // Under the per-CPU wakeup list's raw spinlock.
  wakeup_list_add: 'locked',
  wakeup_list_del: 'locked',
  set_pre_pcpu: 'plain',
  pid_update: 'locked',
  send_IPI_self: 'ipi',
  send_posted_intr_ipi: 'ipi',
  kvm_vcpu_wake_up: 'fence',
  smp_send_reschedule: 'ipi',
  // smp_wmb() then set_bit().
  kvm_make_request: 'locked',
  // kvm_lapic_set_vector(): set_bit() on the IRR.
  kvm_lapic_set_irr: 'locked',
  pi_test_and_set_on: 'locked',
  // Device and remote-CPU writes to the descriptor are atomic (SDM 29.6, VT-d spec 9.12).
  iommu_post: 'locked',
  ipiv_post: 'locked',
};

export const COND_ORDER: Readonly<Record<string, X86Order>> = {
  // READ_ONCE(vcpu->requests).
  kvm_request_pending: 'plain',
  kvm_lapic_enabled: 'none',
  kvm_vcpu_apicv_active: 'none',
  vmx_needs_pi_wakeup: 'none',
  vmx_can_use_vtd_pi: 'none',
  is_guest_mode: 'plain',
  pi_test_on: 'plain',
  pi_test_sn: 'plain',
  pir_nonempty: 'plain',
  pi_test_and_clear_sn: 'locked',
  pi_test_and_clear_on: 'locked',
  pi_test_and_set_on: 'locked',
  pi_test_and_set_pir: 'locked',
  // READ_ONCE(vcpu->mode).
  mode_in_guest: 'plain',
  kvm_vcpu_exit_request: 'plain',
  fastpath_reenter: 'plain',
  kvm_vcpu_running: 'plain',
  kvm_arch_vcpu_runnable: 'plain',
  kvm_vcpu_check_block: 'plain',
  preempted: 'plain',
  kvm_vcpu_is_blocking: 'plain',
  vmx_interrupt_blocked: 'none',
  nv_is_wakeup: 'plain',
  same_cpu: 'plain',
  on_seen: 'none',
  r: 'none',
  got_posted_interrupt: 'none',
  kvm_vcpu_wake_up: 'fence',
  // cmpxchg() on vcpu->mode.
  kvm_arch_vcpu_should_kick: 'locked',
};

/**
 * `kvm_check_request()`: kvm_test_request() is a plain read; when the request is pending,
 * kvm_clear_request() is clear_bit(), locked.
 */
export const CHECK_REQUEST_ORDER = { pending: 'locked', notPending: 'plain' } as const satisfies Record<string, X86Order>;
