/**
 * The PMI area's programs, era by era, with the commits that changed them. The shared
 * `vcpu_run`/`vcpu_enter_guest`/`vcpu_block` programs are the posted-interrupt area's
 * (src/model/pi/profiles.ts); their request block runs this area's `process_nmi`,
 * `kvm_pmu_handle_event` and `kvm_pmu_deliver_pmi`, and `handle_exit` runs the exit handlers
 * below (see semantics.ts).
 *
 * Loops over counters (`for_each_set_bit(...)`, `kvm_for_each_pmc(...)`) are the steps
 * `for_each_pmc`, `for_each_reprogram_pmc` and `for_each_snapshot_pmc`: the rest of the program
 * after the step is the loop body, run once per counter of the scenario (model.ts unrolls it).
 */
import { AreaEra } from '../area';
import { PmiToggles } from './model';

type Source = Readonly<Record<string, string>>;

// ------------------------------------------------------------------ v5.15: before emulated instructions counted

/**
 * Two perf callbacks: counters with the interrupt bit get kvm_perf_overflow_intr(), which in NMI
 * context either asks for KVM_REQ_PMI (the NMI came from the guest) or queues the irq_work that
 * delivers the PMI directly (`kvm_is_in_guest()` is false: the vCPU may be halting).
 */
const V5_15: Source = {
  kvm_perf_overflow: 'if !test_and_set_bit.reprogram_pmi { set_global_status, kvm_make_request(KVM_REQ_PMU) }',
  kvm_perf_overflow_intr:
    'if !test_and_set_bit.reprogram_pmi { set_global_status, kvm_make_request(KVM_REQ_PMU), if !kvm_handling_nmi_from_guest { irq_work_queue } else { kvm_make_request(KVM_REQ_PMI) } }',
  kvm_pmi_trigger_fn: 'kvm_pmu_deliver_pmi',
  // `if (lapic_in_kernel(vcpu)) { if (kvm_x86_ops.pmu_ops->deliver_pmi) ...deliver_pmi(vcpu); kvm_apic_local_deliver(apic, APIC_LVTPC); }`
  kvm_pmu_deliver_pmi: 'pmu_ops_deliver_pmi, kvm_apic_local_deliver',
  kvm_apic_local_deliver: 'kvm_lapic_get_reg, if kvm_apic_hw_enabled && !reg_masked { __apic_accept_irq, return }, return',
  kvm_inject_nmi: 'atomic_inc_nmi_queued, kvm_make_request(KVM_REQ_NMI)',
  process_nmi: 'nmi_limit(2), if get_nmi_mask || nmi_injected { nmi_limit(1) }, nmi_pending_add_queued, nmi_pending_clamp, kvm_make_request(KVM_REQ_EVENT)',
  kvm_pmu_handle_event: 'for_each_reprogram_pmc, reprogram_counter',
  // reprogram_gp_counter() -> pmc_reprogram_counter()/pmc_resume_counter() clear the reprogram bit.
  reprogram_counter: 'if pmc_is_gp { reprogram_gp_counter } else { reprogram_fixed_counter }',
  kvm_vcpu_has_events: `
    if kvm_test_request.KVM_REQ_NMI || nmi_pending && nmi_allowed { retval(true), return },
    if kvm_arch_interrupt_allowed && kvm_cpu_has_interrupt { retval(true), return },
    retval(false), return`,
  // The exit handlers the scenarios reach, as vmx.c's kvm_vmx_exit_handlers[] dispatches them.
  kvm_vmx_exit_handlers: 'if exit_reason.MSR_WRITE { kvm_emulate_wrmsr }, if exit_reason.HLT { kvm_emulate_halt }, if exit_reason.NMI_WINDOW { handle_nmi_window }',
  // kvm_emulate_wrmsr() -> complete_emulated_msr() -> kvm_complete_insn_gp() skips the instruction.
  kvm_emulate_wrmsr: 'kvm_skip_emulated_instruction',
  // 5.15 spells the second call kvm_vcpu_halt(); it is kvm_emulate_halt_noskip() from 5.17.
  kvm_emulate_halt: 'kvm_skip_emulated_instruction, kvm_emulate_halt_noskip',
  kvm_emulate_halt_noskip: 'set_mp_state(HALTED)',
  kvm_skip_emulated_instruction: 'skip_emulated_instruction, if !skip_emulated_instruction_ok { return }',
};

// ------------------------------------------------------------------ v5.17: emulated instructions count, one overflow callback

const V5_17: Source = {
  ...V5_15,
  kvm_perf_overflow: '__kvm_perf_overflow',
  __kvm_perf_overflow:
    'if test_and_set_bit.reprogram_pmi { return }, set_global_status, kvm_make_request(KVM_REQ_PMU), if !pmc_intr { return }, if in_pmi && !kvm_handling_nmi_from_guest { irq_work_queue } else { kvm_make_request(KVM_REQ_PMI) }',
  kvm_skip_emulated_instruction: 'skip_emulated_instruction, if !skip_emulated_instruction_ok { return }, kvm_pmu_trigger_event',
  // `continue` in the loop body ends that counter's pass: a return from the unrolled body.
  kvm_pmu_trigger_event: 'for_each_pmc, if !pmc_is_enabled || !pmc_speculative_in_use { return }, if eventsel_match_perf_hw_id && cpl_is_matched { kvm_pmu_incr_counter }',
  // `prev_count = pmc->counter; pmc->counter = (pmc->counter + 1) & pmc_bitmask(pmc);
  //  reprogram_counter(pmu, pmc->idx); if (pmc->counter < prev_count) __kvm_perf_overflow(pmc, false);`
  kvm_pmu_incr_counter: 'pmc_snapshot_prev_count, pmc_counter_incr, reprogram_counter, if pmc_counter_below_prev_count { __kvm_perf_overflow }',
};
delete (V5_17 as Record<string, string>)['kvm_perf_overflow_intr'];

// ------------------------------------------------------------------ v6.2: emulated overflow detected in the KVM_REQ_PMU handler

const PEBS_BRANCH = 'skip_pmi(false), if pmc_pebs { if !in_pmi { skip_pmi(true) } else { skip_pmi_buffer_ovf } } else { set_global_status }';

const V6_2: Source = {
  ...V5_17,
  __kvm_perf_overflow: `${PEBS_BRANCH}, if !pmc_intr || skip_pmi { return }, if in_pmi && !kvm_handling_nmi_from_guest { irq_work_queue } else { kvm_make_request(KVM_REQ_PMI) }`,
  kvm_perf_overflow: 'if test_and_set_bit.reprogram_pmi { return }, __kvm_perf_overflow, kvm_make_request(KVM_REQ_PMU)',
  kvm_pmu_incr_counter: 'pmc_snapshot_prev_counter, pmc_counter_incr, kvm_pmu_request_counter_reprogram',
  reprogram_counter: `
    pmc_pause_counter,
    if !pmc_speculative_in_use || !pmc_is_enabled { goto reprogram_complete },
    if !pmc_event_is_allowed { goto reprogram_complete },
    if pmc_counter_below_prev_counter { __kvm_perf_overflow },
    label reprogram_complete, clear_reprogram_pmi, pmc_clear_prev_counter`,
};

// ------------------------------------------------------------------ v6.5: the code seed 001 was written against

const V6_5: Source = {
  ...V6_2,
  process_nmi: `
    if get_nmi_mask || nmi_injected { nmi_limit(1) } else { nmi_limit(2) },
    if is_vnmi_pending { nmi_limit_dec },
    nmi_pending_add_queued, nmi_pending_clamp,
    if nmi_pending && set_vnmi_pending { nmi_pending_dec },
    if nmi_pending { kvm_make_request(KVM_REQ_EVENT) }`,
};

// ------------------------------------------------------------------ v6.6: both PMI fixes

const V6_6: Source = {
  ...V6_5,
  __kvm_perf_overflow: `${PEBS_BRANCH}, if pmc_intr && !skip_pmi { kvm_make_request(KVM_REQ_PMI) }`,
  kvm_vcpu_has_events: `
    if kvm_test_request.KVM_REQ_NMI || nmi_pending && nmi_allowed { retval(true), return },
    if kvm_test_request.KVM_REQ_PMI { retval(true), return },
    if kvm_arch_interrupt_allowed && kvm_cpu_has_interrupt { retval(true), return },
    retval(false), return`,
  kvm_apic_local_deliver: 'kvm_lapic_get_reg, if kvm_apic_hw_enabled && !reg_masked { __apic_accept_irq, if apic_accepted && lvt_is_lvtpc { lvtpc_set_masked }, return }, return',
};
delete (V6_6 as Record<string, string>)['kvm_pmi_trigger_fn'];

// ------------------------------------------------------------------ v6.9: mask only for Intel-compatible guests; emulated_counter

const V6_9: Source = {
  ...V6_6,
  kvm_apic_local_deliver:
    'kvm_lapic_get_reg, if kvm_apic_hw_enabled && !reg_masked { __apic_accept_irq, if apic_accepted && lvt_is_lvtpc && guest_cpuid_is_intel_compatible { lvtpc_set_masked }, return }, return',
  kvm_pmu_incr_counter: 'pmc_emulated_counter_incr, kvm_pmu_request_counter_reprogram',
  reprogram_counter: 'pmc_pause_counter(emulated), if !pmc_event_is_allowed { return }, if emulate_overflow { __kvm_perf_overflow }',
  kvm_pmu_handle_event: 'reprogram_pmi_snapshot, reprogram_pmi_clear_snapshot, for_each_snapshot_pmc, reprogram_counter, if reprogram_counter_failed { set_reprogram_pmi }',
  kvm_pmu_trigger_event: 'for_each_pmc, if !eventsel_match_perf_hw_id || !pmc_event_is_allowed || !cpl_is_matched { return }, kvm_pmu_incr_counter',
};

export const PMI_ERAS: readonly AreaEra<PmiToggles>[] = [
  {
    version: [5, 15],
    released: '2021-10-31',
    summary: 'PMIs before KVM counted emulated instructions: kvm_perf_overflow_intr() delivers through KVM_REQ_PMI or, from the host, an irq_work',
    changes: ['kvm_perf_overflow_intr(): `if (!kvm_is_in_guest()) irq_work_queue(...) else kvm_make_request(KVM_REQ_PMI, ...)`; kvm_pmi_trigger_fn() calls kvm_pmu_deliver_pmi() outside the request loop'],
    programs: V5_15,
    toggles: {},
  },
  {
    version: [5, 17],
    released: '2022-03-20',
    summary: 'emulated instructions count (9cd803d496e7) and overflow synchronously into KVM_REQ_PMI; one overflow callback (40ccb96d5483)',
    changes: [
      '9cd803d496e7 "KVM: x86: Update vPMCs when retiring instructions": kvm_skip_emulated_instruction() and the emulator call kvm_pmu_trigger_event(); kvm_pmu_incr_counter() overflows into __kvm_perf_overflow(pmc, false)',
      '40ccb96d5483 "KVM: x86/pmu: Add pmc->intr to refactor kvm_perf_overflow{_intr}()": __kvm_perf_overflow(pmc, in_pmi); the irq_work path only for in_pmi && !kvm_handling_nmi_from_guest()',
    ],
    programs: V5_17,
    toggles: {},
  },
  {
    version: [6, 2],
    released: '2023-02-19',
    summary: 'an emulated overflow is detected later, by reprogram_counter() in the KVM_REQ_PMU handler (de0f619564f4)',
    changes: [
      'de0f619564f4 "KVM: x86/pmu: Defer counter emulated overflow via pmc->prev_counter" and 68fb4757e867 (reprogram_counter() deferred to kvm_pmu_handle_event()); kvm_perf_overflow() does the reprogram_pmi test-and-set',
      'PEBS: __kvm_perf_overflow() skips the PMI of an emulated PEBS overflow (skip_pmi; v6.1, probable)',
    ],
    programs: V6_2,
    toggles: {},
  },
  {
    version: [6, 5],
    released: '2023-08-27',
    summary: 'the code seed 001 was written against: irq_work and KVM_REQ_PMI both deliver PMIs, LVTPC never masked by KVM',
    changes: ['v6.4 process_nmi(): `limit` from NMI blocking, vNMI adjustments, KVM_REQ_EVENT only when an NMI is pending'],
    programs: V6_5,
    toggles: {},
  },
  {
    version: [6, 6],
    released: '2023-10-30',
    summary: 'seed 001\'s fixes: one PMI per VM-exit through KVM_REQ_PMI only (73554b29bd70), LVTPC masked on delivery for every guest (a16eb25b09c0)',
    changes: [
      '73554b29bd70 "KVM: x86/pmu: Synthesize at most one PMI per VM-exit": irq_work and kvm_pmi_trigger_fn() removed; kvm_vcpu_has_events() checks KVM_REQ_PMI',
      'a16eb25b09c0 "KVM: x86: Mask LVTPC when handling a PMI": kvm_apic_local_deliver() sets APIC_LVT_MASKED in LVTPC after a successful accept',
    ],
    programs: V6_6,
    toggles: {},
  },
  {
    version: [6, 9],
    released: '2024-05-12',
    summary: 'LVTPC masked only for Intel-compatible guests (49ff3b4aec51); emulated events tracked in pmc->emulated_counter',
    changes: [
      '49ff3b4aec51 "KVM: x86/pmu: Do not mask LVTPC when handling a PMI on AMD platforms" (v6.9-rc5, Cc stable): `&& guest_cpuid_is_intel_compatible(apic->vcpu)`',
      'fd89499a5151 "KVM: x86/pmu: Track emulated counter events instead of previous counter" (v6.8): the overflow test moves to pmc_pause_counter()',
      'v6.9: kvm_pmu_handle_event() snapshots and clears reprogram_pmi before reprogramming; kvm_pmu_trigger_event() takes an event selector (f19063b1ca05) and visits only enabled counters (d2b321ea9380)',
    ],
    programs: V6_9,
    toggles: {},
  },
];
