/**
 * The PV remote TLB flush programs, era by era, with the commits that changed them
 * (research notes /tmp/research/models-eras.md §B). `src/model/profiles.ts` composes these with
 * the other areas' eras into kernel profiles.
 *
 * Each program is what the recognizer reads from the kernel's function (test/fixtures/kernel/
 * has our renditions): steps for the statements that touch the steal-time byte, the TLB or the
 * mask; conditions the scenarios fix are decided (steal time enabled, the guest has
 * KVM_FEATURE_PV_TLB_FLUSH, no Xen, no faults); statistics, tracing and the steal counter itself
 * are not steps.
 */
import { AreaEra } from '../area';
import { TlbToggles } from './model';

type Source = Readonly<Record<string, string>>;

function era(version: [number, number], released: string, summary: string, changes: string[], programs: Source, toggles: TlbToggles): AreaEra<TlbToggles> {
  return { version, released, summary, changes, programs, toggles };
}

/** The guest's loop over the mask, unchanged since 858a43aae236 (kvm.c). */
const GUEST_LOOP = `
    cpumask_copy,
    for_each_cpu(flushmask),
    loop {
      if !cpumask_next.flushmask { break },
      read_preempted,
      if state_preempted { if try_cmpxchg.or_FLUSH_TLB { __cpumask_clear_cpu } }
    }`;

/** smp_call_function_many(flushmask, flush_tlb_func, info, wait=1), as the native flush calls it. */
const NATIVE_FLUSH = 'send_call_function_ipi, csd_lock_wait';

// ------------------------------------------------------------------ v4.16 (the 2017 protocol)

const V4_16: Source = {
  kvm_flush_tlb_others: `${GUEST_LOOP}, native_flush_tlb_others`,
  native_flush_tlb_others: NATIVE_FLUSH,
  // Copy the guest struct, xchg the copy, write the copy back (three times, with the version and
  // steal updates): a FLUSH_TLB the guest sets between the copy and a write-back is lost.
  record_steal_time: `
    if kvm_read_guest_cached.steal { return },
    if host_st_xchg_flush_tlb { kvm_vcpu_flush_tlb_guest },
    kvm_write_guest_cached.steal,
    smp_wmb,
    kvm_write_guest_cached.steal,
    smp_wmb,
    kvm_write_guest_cached.steal`,
  // Not idempotent: a second sched-out before record_steal_time overwrites FLUSH_TLB.
  kvm_steal_time_set_preempted: 'host_st_preempted_set, kvm_write_guest_offset_cached.preempted',
  // `if (vcpu->preempted) vcpu->arch.preempted_in_kernel = ...;` then the steal-time mark, on every put.
  kvm_arch_vcpu_put: 'if preempted { }, kvm_steal_time_set_preempted',
  kvm_arch_vcpu_load: 'kvm_make_request(KVM_REQ_STEAL_UPDATE)',
  // Seed 003's proposal adds these; no kernel has them, so they are empty hooks that nothing runs.
  kvm_flush_tlb_ipi: '',
  kvm_steal_time_vmexit: '',
  // The model's exit handler: an exit whose handler emulates an instruction translates a
  // guest-virtual address and accesses it later (a dotted name: no kernel function).
  'tlb.handle_exit': 'if exit_emulates_instruction { emulator_translate_gva, emulator_access_gva }',
};

// ------------------------------------------------------------------ v5.6 (CVE-2019-3016 fixes)

const V5_6: Source = {
  ...V4_16,
  // The version and steal updates between the two smp_wmb() are not steps.
  record_steal_time: 'if st_xchg_flush_tlb { kvm_vcpu_flush_tlb_guest }, host_st_preempted_clear, smp_wmb, smp_wmb',
  kvm_steal_time_set_preempted: 'if host_st_preempted { return }, st_preempted_set_both',
};

// ------------------------------------------------------------------ v5.14 (kvm_flush_tlb_multi)

const V5_14: Source = {
  ...V5_6,
  kvm_flush_tlb_multi: `${GUEST_LOOP}, native_flush_tlb_multi`,
  native_flush_tlb_multi: NATIVE_FLUSH,
  record_steal_time: 'st_preempted_xchg, if st_preempted_flush_tlb { kvm_vcpu_flush_tlb_guest }, host_st_preempted_clear, smp_wmb, smp_wmb',
};
delete (V5_14 as Record<string, string>)['kvm_flush_tlb_others'];
delete (V5_14 as Record<string, string>)['native_flush_tlb_others'];

// ------------------------------------------------------------------ v5.16 (gfn_to_hva_cache + user access)

const V5_16: Source = {
  ...V5_14,
  // `dirty:` is where a failed user access jumps to (the access faults are not modelled).
  record_steal_time: 'st_preempted_xchg, host_st_preempted_clear, if st_preempted_flush_tlb { kvm_vcpu_flush_tlb_guest }, smp_wmb, label dirty',
  kvm_steal_time_set_preempted: 'if host_st_preempted { return }, if !copy_to_user_nofault.preempted { host_st_preempted_set }',
};

// ------------------------------------------------------------------ v5.19 (today)

const V5_19: Source = {
  ...V5_16,
  kvm_steal_time_set_preempted: 'if !at_instruction_boundary { return }, if host_st_preempted { return }, if !copy_to_user_nofault.preempted { host_st_preempted_set }',
  kvm_arch_vcpu_put: 'if preempted { kvm_steal_time_set_preempted }',
};

export const TLB_ERAS: readonly AreaEra<TlbToggles>[] = [
  era(
    [4, 16],
    '2018-04-01',
    'PV TLB flush merged (the 2017 protocol): the guest skips preempted vCPUs, the host flushes for them from a copy of the steal-time struct',
    [
      '858a43aae236 (guest): kvm_flush_tlb_others reads each target\'s preempted byte and cmpxchg\'s FLUSH_TLB into a preempted one instead of sending it an IPI',
      'f38a7b75267f (host): record_steal_time xchg\'s the copy\'s preempted byte and flushes if it had FLUSH_TLB, then writes the copy back; kvm_steal_time_set_preempted stores PREEMPTED on every put',
    ],
    V4_16,
    { initiator: 'kvm_flush_tlb_others' },
  ),
  era(
    [5, 6],
    '2020-03-29',
    'CVE-2019-3016 fixes: the host xchg\'s the guest byte itself and marks a vCPU preempted once',
    [
      '8c6de56a42e0: kvm_steal_time_set_preempted returns if the vCPU is already marked, so a second put cannot overwrite FLUSH_TLB',
      'b043138246a4: record_steal_time maps the guest page and xchg\'s st->preempted there (no more copy and write-back)',
      'a6bd811f1209: the host remembers the mark in vcpu->arch.st.preempted',
    ],
    V5_6,
    { initiator: 'kvm_flush_tlb_others' },
  ),
  era(
    [5, 14],
    '2021-08-29',
    'kvm_flush_tlb_others becomes kvm_flush_tlb_multi; record_steal_time reads the byte once',
    [
      '4ce94eabac16: the guest entry point is kvm_flush_tlb_multi, calling native_flush_tlb_multi',
      'af3511ff7fa2: `st_preempted = xchg(&st->preempted, 0)` is read once for the trace and the flush',
      '66570e966dd9 (5.10) and 1eff0ada88b4 (5.13): the flush only for guests with KVM_FEATURE_PV_TLB_FLUSH, otherwise a plain clear (the scenarios\' guests have the feature)',
    ],
    V5_14,
    { initiator: 'kvm_flush_tlb_multi' },
  ),
  era(
    [5, 16],
    '2022-01-09',
    'steal time through a gfn_to_hva_cache and user accesses',
    ['7e2175ebd695: the xchg is an asm xchgb with an exception-table entry; the preempted mark is copy_to_user_nofault() of one byte; vcpu->arch.st.preempted is cleared before the flush'],
    V5_16,
    { initiator: 'kvm_flush_tlb_multi' },
  ),
  era(
    [5, 19],
    '2022-07-31',
    'today\'s PV TLB flush host side: a vCPU is marked preempted only at an instruction boundary, and only when it was really preempted',
    [
      '6cd88243c7e0 (CVE-2022-39189): kvm_steal_time_set_preempted returns unless vcpu->arch.at_instruction_boundary, which an external-interrupt exit sets and vcpu_run clears before every entry',
      '54aa83c90198: kvm_arch_vcpu_put marks steal time only when vcpu->preempted (not on a return to userspace)',
    ],
    V5_19,
    { initiator: 'kvm_flush_tlb_multi' },
  ),
];
