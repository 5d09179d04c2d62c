/**
 * The posted-interrupt area's programs, era by era, with the commits that changed them.
 * `src/model/profiles.ts` composes these with the other areas' eras into kernel profiles.
 */
import { AreaEra } from '../area';
import { PiToggles } from './model';

type Source = Readonly<Record<string, string>>;

function era(version: [number, number], released: string, summary: string, changes: string[], programs: Source, toggles: PiToggles): AreaEra<PiToggles> {
  return { version, released, summary, changes, programs, toggles };
}

// ------------------------------------------------------------------ v4.9 (seed 002's baseline)

const V4_9: Source = {
  vcpu_run: 'loop { if kvm_vcpu_running { vcpu_enter_guest } else { vcpu_block } }',
  // The unconditional RVI refresh ("KVM_REQ_EVENT is not set when posted interrupts are set by
  // VT-d hardware") runs before preemption and IRQs are disabled; the mode store precedes
  // local_irq_disable(); the exit check is inline.
  vcpu_enter_guest: `
    if kvm_request_pending { if kvm_check_request.KVM_REQ_TLB_FLUSH { }, if kvm_check_request.KVM_REQ_STEAL_UPDATE { record_steal_time }, if kvm_check_request.KVM_REQ_NMI { process_nmi }, if kvm_check_request.KVM_REQ_PMU { kvm_pmu_handle_event }, if kvm_check_request.KVM_REQ_PMI { kvm_pmu_deliver_pmi } },
    if kvm_lapic_enabled { if kvm_vcpu_apicv_active { hwapic_irr_update } },
    if kvm_check_request.KVM_REQ_EVENT { kvm_check_and_inject_events },
    preempt_disable,
    set_mode(IN_GUEST_MODE),
    srcu_read_unlock,
    smp_mb__after_srcu_read_unlock,
    local_irq_disable,
    if kvm_vcpu_exit_request { set_mode(OUTSIDE_GUEST_MODE), smp_wmb, local_irq_enable, preempt_enable, srcu_read_lock, return },
    vmx_vcpu_run,
    set_mode(OUTSIDE_GUEST_MODE),
    smp_wmb,
    handle_exit_irqoff,
    local_irq_enable,
    preempt_enable,
    srcu_read_lock,
    handle_exit`,
  vmx_vcpu_run: 'vm_entry',
  // hwapic_irr_update(vcpu, kvm_lapic_find_highest_irr(vcpu)): kvm_lapic_find_highest_irr()
  // syncs PIR when APICv is active, then vmx_hwapic_irr_update() sets RVI unless L2 runs.
  hwapic_irr_update: 'kvm_lapic_find_highest_irr, vmx_hwapic_irr_update',
  kvm_lapic_find_highest_irr: 'if kvm_vcpu_apicv_active { sync_pir_to_irr }',
  vmx_hwapic_irr_update: 'if !is_guest_mode { vmx_set_rvi }',
  vmx_sync_pir_to_irr: 'if !pi_test_and_clear_on { return }, kvm_apic_update_irr',
  kvm_cpu_has_interrupt: 'if kvm_vcpu_apicv_active { sync_pir_to_irr }',
  vcpu_block: `
    if !kvm_arch_vcpu_runnable {
      vmx_pre_block,
      if !r { srcu_read_unlock, kvm_vcpu_block, srcu_read_lock, vmx_post_block, if !kvm_arch_vcpu_runnable { return } }
    },
    set_mp_state(RUNNABLE)`,
  vmx_pre_block: `
    if !vmx_can_use_vtd_pi { return },
    set_pre_pcpu,
    wakeup_list_add(pre_pcpu),
    pid_update(ndst=pre_pcpu, nv=WAKEUP, abort_if_on),
    if r { wakeup_list_del(pre_pcpu), return }`,
  vmx_post_block: 'if !vmx_can_use_vtd_pi { return }, pid_update(ndst=vcpu_cpu, nv=POSTED, sn=0), wakeup_list_del(pre_pcpu)',
  kvm_vcpu_block: 'kvm_arch_vcpu_blocking, loop { prepare_to_swait, if kvm_vcpu_check_block { break }, schedule }, finish_swait, kvm_arch_vcpu_unblocking',
  kvm_arch_vcpu_blocking: '',
  kvm_arch_vcpu_unblocking: '',
  kvm_sched_out: 'vmx_vcpu_pi_put',
  kvm_sched_in: 'vmx_vcpu_pi_load',
  vmx_vcpu_pi_put: 'if !vmx_can_use_vtd_pi { return }, if preempted { pi_set_sn }',
  // One cmpxchg loop: unless NV is the wakeup vector, refresh NDST and restore NV; always clear SN.
  vmx_vcpu_pi_load: 'if !vmx_can_use_vtd_pi { return }, pid_update(ndst=cpu, nv=POSTED, sn=0, keep_wakeup)',
  vmx_deliver_interrupt: 'if kvm_vcpu_apicv_active { vmx_deliver_posted_interrupt } else { kvm_lapic_set_irr, kvm_make_request(KVM_REQ_EVENT), kvm_vcpu_kick }',
  // `r = pi_test_and_set_on(); kvm_make_request(KVM_REQ_EVENT, vcpu);
  //  if (r || !kvm_vcpu_trigger_posted_interrupt(vcpu)) kvm_vcpu_kick(vcpu);`
  vmx_deliver_posted_interrupt: `
    if pi_test_and_set_pir { return },
    pi_test_and_set_on,
    kvm_make_request(KVM_REQ_EVENT),
    if r { kvm_vcpu_kick } else { if mode_in_guest { send_posted_intr_ipi } else { kvm_vcpu_kick } }`,
  kvm_vcpu_kick: 'if !kvm_vcpu_wake_up { if kvm_arch_vcpu_should_kick { smp_send_reschedule } }',
  kvm_make_request_and_kick: 'kvm_make_request(KVM_REQ_TLB_FLUSH), kvm_vcpu_kick',
};

// ------------------------------------------------------------------ v4.11 (after seed 002)

const V4_11: Source = {
  ...V4_9,
  vcpu_enter_guest: `
    if kvm_request_pending { if kvm_check_request.KVM_REQ_TLB_FLUSH { }, if kvm_check_request.KVM_REQ_STEAL_UPDATE { record_steal_time }, if kvm_check_request.KVM_REQ_NMI { process_nmi }, if kvm_check_request.KVM_REQ_PMU { kvm_pmu_handle_event }, if kvm_check_request.KVM_REQ_PMI { kvm_pmu_deliver_pmi } },
    if kvm_check_request.KVM_REQ_EVENT { kvm_check_and_inject_events },
    preempt_disable,
    local_irq_disable,
    set_mode(IN_GUEST_MODE),
    srcu_read_unlock,
    smp_mb__after_srcu_read_unlock,
    if kvm_lapic_enabled { sync_pir_to_irr },
    if kvm_vcpu_exit_request { set_mode(OUTSIDE_GUEST_MODE), smp_wmb, local_irq_enable, preempt_enable, srcu_read_lock, return },
    vmx_vcpu_run,
    set_mode(OUTSIDE_GUEST_MODE),
    smp_wmb,
    handle_exit_irqoff,
    local_irq_enable,
    preempt_enable,
    srcu_read_lock,
    handle_exit`,
  // `vmx_hwapic_irr_update(vcpu, max_irr)`: RVI unless L2 runs.
  vmx_sync_pir_to_irr: 'if pi_test_on { pi_clear_on, smp_mb__after_atomic, kvm_apic_update_irr }, vmx_hwapic_irr_update',
  vmx_hwapic_irr_update: 'if !is_guest_mode { vmx_set_rvi }',
  vmx_deliver_posted_interrupt: `
    if pi_test_and_set_pir { return },
    if pi_test_and_set_on { return },
    if mode_in_guest { send_posted_intr_ipi } else { kvm_vcpu_kick }`,
};

// ------------------------------------------------------------------ v5.17 (Sean's PI rework)

const V5_17: Source = {
  ...V4_11,
  vcpu_enter_guest: `
    if kvm_request_pending { if kvm_check_request.KVM_REQ_TLB_FLUSH { }, if kvm_check_request.KVM_REQ_STEAL_UPDATE { record_steal_time }, if kvm_check_request.KVM_REQ_NMI { process_nmi }, if kvm_check_request.KVM_REQ_PMU { kvm_pmu_handle_event }, if kvm_check_request.KVM_REQ_PMI { kvm_pmu_deliver_pmi } },
    if kvm_check_request.KVM_REQ_EVENT { kvm_check_and_inject_events },
    preempt_disable,
    local_irq_disable,
    set_mode(IN_GUEST_MODE),
    srcu_read_unlock,
    smp_mb__after_srcu_read_unlock,
    if kvm_lapic_enabled { sync_pir_to_irr },
    if kvm_vcpu_exit_request { set_mode(OUTSIDE_GUEST_MODE), smp_wmb, local_irq_enable, preempt_enable, srcu_read_lock, return },
    loop { vmx_vcpu_run, if !fastpath_reenter { break }, if kvm_lapic_enabled { sync_pir_to_irr }, if kvm_vcpu_exit_request { break } },
    set_mode(OUTSIDE_GUEST_MODE),
    smp_wmb,
    handle_exit_irqoff,
    local_irq_enable,
    preempt_enable,
    srcu_read_lock,
    handle_exit`,
  vmx_sync_pir_to_irr:
    'if pi_test_on { pi_clear_on, smp_mb__after_atomic, kvm_apic_update_irr } else { clear_got_posted_interrupt }, if !is_guest_mode && kvm_vcpu_apicv_active { vmx_set_rvi } else { if got_posted_interrupt { kvm_make_request(KVM_REQ_EVENT) } }',
  kvm_cpu_has_interrupt: 'sync_pir_to_irr',
  vcpu_block: `
    if !kvm_arch_vcpu_runnable { srcu_read_unlock, kvm_vcpu_halt, srcu_read_lock, if !kvm_arch_vcpu_runnable { return } },
    set_mp_state(RUNNABLE)`,
  kvm_vcpu_halt: 'kvm_vcpu_block',
  kvm_vcpu_block: 'kvm_arch_vcpu_blocking, prepare_to_rcuwait, loop { set_current_state, if kvm_vcpu_check_block { break }, schedule }, finish_rcuwait, kvm_arch_vcpu_unblocking',
  vmx_vcpu_pi_put: 'if !vmx_can_use_vtd_pi { return }, if kvm_vcpu_is_blocking && !vmx_interrupt_blocked { pi_enable_wakeup_handler }, if preempted { pi_set_sn }',
  pi_enable_wakeup_handler: 'wakeup_list_add, pid_update(nv=WAKEUP, capture_on), if on_seen { send_IPI_self(WAKEUP) }',
  vmx_vcpu_pi_load: `
    if !nv_is_wakeup && same_cpu { if pi_test_and_clear_sn { goto after_clear_sn }, return },
    if nv_is_wakeup { wakeup_list_del(vcpu_cpu) },
    pid_update(ndst=cpu, nv=POSTED, sn=0),
    label after_clear_sn,
    smp_mb__after_atomic,
    if pir_nonempty { pi_set_on }`,
  vmx_deliver_posted_interrupt: 'if !kvm_vcpu_apicv_active { return }, if pi_test_and_set_pir { return }, if pi_test_and_set_on { return }, kvm_vcpu_trigger_posted_interrupt',
  kvm_vcpu_trigger_posted_interrupt: 'if mode_in_guest { send_posted_intr_ipi } else { kvm_vcpu_wake_up }',
};
delete (V4_11 as Record<string, string>)['hwapic_irr_update'];
delete (V4_11 as Record<string, string>)['kvm_lapic_find_highest_irr'];
delete (V5_17 as Record<string, string>)['vmx_pre_block'];
delete (V5_17 as Record<string, string>)['vmx_post_block'];
delete (V5_17 as Record<string, string>)['vmx_hwapic_irr_update'];

// ------------------------------------------------------------------ v5.19 (seed 000's baseline)

const V5_19: Source = {
  ...V5_17,
  // 6cd88243c7e0: `vcpu->arch.at_instruction_boundary = false;` before every entry attempt (a
  // step of the PV TLB model; no effect on posted-interrupt state).
  vcpu_run: 'loop { clear_at_instruction_boundary, if kvm_vcpu_running { vcpu_enter_guest } else { vcpu_block } }',
  kvm_vcpu_block:
    'preempt_disable, kvm_arch_vcpu_blocking, prepare_to_rcuwait, preempt_enable, loop { set_current_state, if kvm_vcpu_check_block { break }, schedule }, preempt_disable, finish_rcuwait, kvm_arch_vcpu_unblocking, preempt_enable',
  vmx_vcpu_pi_put: 'if !vmx_needs_pi_wakeup { return }, if kvm_vcpu_is_blocking && !vmx_interrupt_blocked { pi_enable_wakeup_handler }, if preempted { pi_set_sn }',
};

// ------------------------------------------------------------------ v6.7 (the request block's PMI/NMI order)

const V6_7: Source = {
  ...V5_19,
  // fad505b2cb83 (v6.7): NMI requests are serviced after PMI requests, so that an NMI a PMI
  // just queued is injected on this entry rather than cancelling it.
  vcpu_enter_guest: V5_19['vcpu_enter_guest']!.replace(
    'if kvm_check_request.KVM_REQ_NMI { process_nmi }, if kvm_check_request.KVM_REQ_PMU { kvm_pmu_handle_event }, if kvm_check_request.KVM_REQ_PMI { kvm_pmu_deliver_pmi }',
    'if kvm_check_request.KVM_REQ_PMU { kvm_pmu_handle_event }, if kvm_check_request.KVM_REQ_PMI { kvm_pmu_deliver_pmi }, if kvm_check_request.KVM_REQ_NMI { process_nmi }',
  ),
};

// ------------------------------------------------------------------ v6.17 (today for PI)

const V6_17: Source = {
  ...V6_7,
  // The TDX series moved the posting steps into a helper in vmx/common.h.
  vmx_deliver_posted_interrupt: 'if !kvm_vcpu_apicv_active { return }, __vmx_deliver_posted_interrupt',
  __vmx_deliver_posted_interrupt: 'if pi_test_and_set_pir { return }, if pi_test_and_set_on { return }, kvm_vcpu_trigger_posted_interrupt',
  vmx_vcpu_pi_put: 'if !vmx_needs_pi_wakeup { return }, if !preempted && kvm_vcpu_is_blocking && !vmx_interrupt_blocked { pi_enable_wakeup_handler } else { pi_set_sn }',
};

export const PI_ERAS: readonly AreaEra<PiToggles>[] = [
  era(
    [4, 9],
    '2016-12-11',
    'before "kvm: x86: do not use KVM_REQ_EVENT for APICv interrupt injection": KVM_REQ_EVENT safety net, mode stored before IRQs are disabled',
    ['PI blocking through pi_pre_block/pi_post_block (bf9f6ac8d749, v4.5)', 'kvm_sched_out: preempted only when the task is TASK_RUNNING'],
    V4_9,
    { preemptedRule: 'task_running' },
  ),
  era(
    [4, 11],
    '2017-04-30',
    'after Paolo Bonzini\'s series (b95234c84004): IRQs off before IN_GUEST_MODE, sync_pir_to_irr after the barrier, no KVM_REQ_EVENT from posting',
    ['b95234c84004: local_irq_disable() before vcpu->mode = IN_GUEST_MODE; sync_pir_to_irr() after smp_mb__after_srcu_read_unlock(); posting no longer raises KVM_REQ_EVENT and returns early when ON was set'],
    V4_11,
    { preemptedRule: 'task_running' },
  ),
  era(
    [5, 17],
    '2022-03-20',
    'Sean Christopherson\'s PI rework: wakeup handler armed from vmx_vcpu_pi_put, ON recomputed on load, fastpath re-entry loop',
    [
      'd89d04ab6030 (v5.12): EXIT_FASTPATH_REENTER_GUEST loop in common x86 code',
      '3ba9f93b1236 (v5.14): kvm_sched_out counts a task still on the runqueue as preempted',
      '3a25dfa67fe4 / 7e1901f6c86c (v5.15/5.16): vmx_sync_pir_to_irr raises KVM_REQ_EVENT when nested or APICv is inactive',
      '37c4dbf337c5 (v5.16): check PIR even for vCPUs with APICv disabled',
      'v5.17: pi_pre_block/pi_post_block replaced by pi_enable_wakeup_handler from vmx_vcpu_pi_put; kvm_vcpu_trigger_posted_interrupt falls back to kvm_vcpu_wake_up',
    ],
    V5_17,
    { preemptedRule: 'on_rq' },
  ),
  era(
    [5, 19],
    '2022-07-31',
    'IPI virtualization era (seed 000 and seed 004 after the fix): vmx_needs_pi_wakeup, blocking hooks under preempt_disable',
    [
      'vmx_needs_pi_wakeup() (IPIv or VT-d) gates vmx_vcpu_pi_put',
      'kvm_vcpu_block: kvm_arch_vcpu_blocking() and prepare_to_rcuwait() under preempt_disable()',
      '6cd88243c7e0: vcpu_run clears vcpu->arch.at_instruction_boundary before each entry (read by the PV TLB model)',
    ],
    V5_19,
    { preemptedRule: 'on_rq' },
  ),
  era(
    [6, 7],
    '2024-01-07',
    'PMI requests before NMI requests in vcpu_enter_guest',
    ['fad505b2cb83 "KVM: x86: Service NMI requests after PMI requests in VM-Enter path"'],
    V6_7,
    { preemptedRule: 'on_rq' },
  ),
  era(
    [6, 17],
    '2025-09-28',
    'today\'s posted-interrupt code: a put either arms the wakeup handler (blocking, not preempted) or suppresses notifications',
    ['6737557442e5 "KVM: VMX: Suppress PI notifications whenever the vCPU is put": no wakeup handler for a preempted vCPU, SN=1 on every other put'],
    V6_17,
    { preemptedRule: 'on_rq' },
  ),
];

