/**
 * Recognizer rules of the PMI area (pmu.c, lapic.c, x86.c): every statement and condition of
 * src/model/pmi/profiles.ts's programs, in the spellings the kernel has used since the feature
 * appeared:
 * - kvm_x86_ops hooks: `kvm_x86_ops->x(` (to 5.7), `kvm_x86_ops.x(` (5.8–5.11),
 *   `static_call(kvm_x86_x)(` / `static_call_cond(...)` (5.12–6.10), `KVM_X86_CALL(x)(` (6.11
 *   transient), `kvm_x86_call(x)(` (6.11+); PMU ops: `kvm_x86_ops.pmu_ops->x(` (to 5.18),
 *   `kvm_pmu_ops.x(` (5.19 transient), `static_call(_cond)(kvm_x86_pmu_x)(` (5.19–6.10),
 *   `kvm_pmu_call(x)(` (6.11+);
 * - the PMU: `vcpu_to_pmu(vcpu)` / `pmc_to_pmu(pmc)` / `pmu`, `pmc->vcpu` / `vcpu`;
 * - the emulated-instruction hook: `kvm_pmu_trigger_event(vcpu, PERF_COUNT_HW_INSTRUCTIONS)`
 *   (5.17–6.8), `kvm_pmu_trigger_event(vcpu, kvm_pmu_eventsel.INSTRUCTIONS_RETIRED)` (6.9–6.17),
 *   `kvm_pmu_instruction_retired(vcpu)` (6.18+);
 * - the request handlers' old names `kvm_handle_pmu_event()` / `kvm_deliver_pmi()` (3.x).
 */
import { Token } from '../tokens';
import { RuleSet, StmtRule } from './types';

const op = (name: string, args: string[] = [], line?: number): Token => ({ t: 'op', op: name, args, ...(line !== undefined ? { line } : {}) });

/** A kvm_x86_ops hook called with `(args)`, in every spelling; `name` is the hook. */
function x86Call(name: string, args = 'vcpu'): string {
  return String.raw`(?:kvm_x86_ops(?:->|\.)${name}\(${args}\)|static_call(?:_cond)?\(kvm_x86_${name}\)\(${args}\)|(?:kvm_x86_call|KVM_X86_CALL)\(${name}\)\(${args}\)|KVM_X86_CALL\(${name},${args}\))`;
}

/** A PMU op called with `(args)`, in every spelling. */
function pmuCall(name: string, args = 'vcpu'): string {
  return String.raw`(?:kvm_x86_ops\.pmu_ops->${name}\(${args}\)|kvm_pmu_ops\.${name}\(${args}\)|static_call(?:_cond)?\(kvm_x86_pmu_${name}\)\(${args}\)|kvm_pmu_call\(${name}\)\(${args}\))`;
}

const PMU = String.raw`(?:pmu|pmc_to_pmu\(pmc\)|vcpu_to_pmu\(vcpu\)|vcpu->arch\.pmu)`;
const RE = (s: string) => new RegExp(`^${s}$`);

const STATEMENTS: readonly StmtRule[] = [
  // x86.c: kvm_skip_emulated_instruction() and the emulated-instruction hook.
  { re: RE(String.raw`(?:r=)?${x86Call('skip_emulated_instruction')}`), make: () => 'skip_emulated_instruction' },
  { re: /^kvm_pmu_trigger_event\(vcpu,(?:PERF_COUNT_HW_INSTRUCTIONS|kvm_pmu_eventsel\.INSTRUCTIONS_RETIRED)\)$|^kvm_pmu_instruction_retired\(vcpu\)$/, make: () => 'kvm_pmu_trigger_event' },
  { re: /^kvm_pmu_trigger_event\(vcpu,(?:PERF_COUNT_HW_BRANCH_INSTRUCTIONS|kvm_pmu_eventsel\.BRANCH_INSTRUCTIONS_RETIRED)\)$|^kvm_pmu_branch_retired\(vcpu\)$/, make: () => 'kvm_pmu_trigger_event_branches' },
  { re: /^(?:int )?ret=kvm_skip_emulated_instruction\(vcpu\)$|^kvm_skip_emulated_instruction\(vcpu\)$/, make: () => 'kvm_skip_emulated_instruction' },
  // The request handlers, old spellings (the current ones are in recognize.ts).
  { re: /^kvm_handle_pmu_event\(vcpu\)$/, make: () => 'kvm_pmu_handle_event' },
  { re: /^kvm_deliver_pmi\(vcpu\)$/, make: () => 'kvm_pmu_deliver_pmi' },
  // Requests this area follows, raised for the vCPU or for the counter's vCPU.
  { re: /^kvm_make_request\((KVM_REQ_PMU|KVM_REQ_PMI|KVM_REQ_NMI|KVM_REQ_EVENT),(?:vcpu|pmc->vcpu)\)$/, make: (m) => ['kvm_make_request', [m[1]!]] },
  // x86.c: NMIs.
  { re: /^atomic_inc\(&vcpu->arch\.nmi_queued\)$/, make: () => 'atomic_inc_nmi_queued' },
  { re: /^unsigned(?: int)? limit=([12])$/, make: (m) => ['nmi_limit', [m[1]!]] },
  { re: /^limit=([12])$/, make: (m) => ['nmi_limit', [m[1]!]] },
  { re: /^limit--$/, make: () => 'nmi_limit_dec' },
  { re: /^vcpu->arch\.nmi_pending\+=atomic_xchg\(&vcpu->arch\.nmi_queued,0\)$/, make: () => 'nmi_pending_add_queued' },
  { re: /^vcpu->arch\.nmi_pending=min\(vcpu->arch\.nmi_pending,limit\)$/, make: () => 'nmi_pending_clamp' },
  { re: /^vcpu->arch\.nmi_pending--$/, make: () => 'nmi_pending_dec' },
  // pmu.c: overflow.
  { re: RE(String.raw`__set_bit\(pmc->idx,(?:\(unsigned long\*\))?&${PMU}->global_status\)`), make: () => 'set_global_status' },
  { re: RE(String.raw`irq_work_queue\(&${PMU}->irq_work\)`), make: () => 'irq_work_queue' },
  { re: /^(?:bool )?skip_pmi=(true|false)$/, make: (m) => ['skip_pmi', [m[1]!]] },
  { re: /^skip_pmi=__test_and_set_bit\(GLOBAL_STATUS_BUFFER_OVF_BIT,/, make: () => 'skip_pmi_buffer_ovf' },
  { re: /^__kvm_perf_overflow\(pmc,(?:true|false)\)$/, make: () => '__kvm_perf_overflow' },
  { re: /^kvm_apic_local_deliver\(vcpu->arch\.apic,APIC_LVTPC\)$/, make: () => 'kvm_apic_local_deliver' },
  { re: RE(pmuCall('deliver_pmi')), make: () => 'pmu_ops_deliver_pmi' },
  // pmu.c: counting emulated events.
  { re: /^for_each_set_bit\(i,(?:pmu->all_valid_pmc_idx|bitmap),X86_PMC_IDX_MAX\)$|^kvm_for_each_pmc\(pmu,pmc,i,(?:bitmap|pmu->all_valid_pmc_idx|event_pmcs)\)$/, make: () => 'for_each_pmc' },
  { re: /^for_each_set_bit\(bit,pmu->reprogram_pmi,X86_PMC_IDX_MAX\)$/, make: () => 'for_each_reprogram_pmc' },
  { re: /^for_each_set_bit\(bit,bitmap,X86_PMC_IDX_MAX\)$/, make: (_m, program) => (program === 'kvm_pmu_handle_event' ? 'for_each_snapshot_pmc' : null) },
  { re: /^kvm_pmu_incr_counter\(pmc\)$/, make: () => 'kvm_pmu_incr_counter' },
  { re: /^prev_count=pmc->counter$/, make: () => 'pmc_snapshot_prev_count' },
  { re: /^pmc->prev_counter=pmc->counter(?:&pmc_bitmask\(pmc\))?$/, make: () => 'pmc_snapshot_prev_counter' },
  { re: /^pmc->counter=\(pmc->counter\+1\)&pmc_bitmask\(pmc\)$/, make: () => 'pmc_counter_incr' },
  { re: /^pmc->emulated_counter(?:\+\+|\+=1)$/, make: () => 'pmc_emulated_counter_incr' },
  { re: /^kvm_pmu_request_counter_reprog(?:r)?am\(pmc\)$/, make: () => 'kvm_pmu_request_counter_reprogram' },
  { re: /^reprogram_counter\((?:pmu,pmc->idx|pmu,bit|pmc)\)$/, make: () => 'reprogram_counter' },
  // pmu.c: reprogramming.
  { re: /^emulate_overflow=pmc_pause_counter\(pmc\)$/, make: () => ['pmc_pause_counter', ['emulated']] },
  { re: /^pmc_pause_counter\(pmc\)$/, make: () => 'pmc_pause_counter' },
  { re: /^clear_bit\(pmc->idx,(?:\(unsigned long\*\))?&?pmc_to_pmu\(pmc\)->reprogram_pmi\)$/, make: () => 'clear_reprogram_pmi' },
  { re: /^set_bit\(pmc->idx,pmu->reprogram_pmi\)$/, make: () => 'set_reprogram_pmi' },
  { re: /^pmc->prev_counter=0$/, make: () => 'pmc_clear_prev_counter' },
  { re: /^reprogram_gp_counter\(pmc,pmc->eventsel\)$/, make: () => 'reprogram_gp_counter' },
  { re: /^reprogram_fixed_counter\(pmc,ctrl,idx\)$/, make: () => 'reprogram_fixed_counter' },
  { re: /^bitmap_copy\(bitmap,pmu->reprogram_pmi,X86_PMC_IDX_MAX\)$/, make: () => 'reprogram_pmi_snapshot' },
  { re: /^atomic64_andnot\(\*\(s64\*\)bitmap,&pmu->__reprogram_pmi\)$/, make: () => 'reprogram_pmi_clear_snapshot' },
  // lapic.c: kvm_apic_local_deliver().
  { re: /^u32 reg=kvm_lapic_get_reg\(apic,lvt_type\)$/, make: () => 'kvm_lapic_get_reg' },
  { re: /^r=__apic_accept_irq\(apic,mode,vector,1,trig_mode,NULL\)$/, make: () => '__apic_accept_irq' },
  { re: /^kvm_lapic_set_reg\(apic,(?:APIC_LVTPC|lvt_type),reg\|APIC_LVT_MASKED\)$/, make: () => 'lvtpc_set_masked' },
];

const INERT: readonly (readonly [RegExp, string])[] = [
  [/^(?:unsigned long )?rflags=(?:kvm_x86_ops(?:->|\.)get_rflags|static_call\(kvm_x86_get_rflags\)|(?:kvm_x86_call|KVM_X86_CALL)\(get_rflags\))\(vcpu\)$/, 'reads RFLAGS for the single-step check; the scenarios do not single-step'],
  [/^r=kvm_vcpu_do_singlestep\(vcpu\)$/, 'a single-step #DB; the scenarios do not single-step'],
  [/^(?:struct kvm_pmc \*)?pmc=(?:kvm_x86_ops\.pmu_ops->pmc_idx_to_pmc|static_call\(kvm_x86_pmu_pmc_idx_to_pmc\)|kvm_pmc_idx_to_pmc|kvm_pmu_call\(pmc_idx_to_pmc\))\(pmu,(?:i|bit|pmc_idx)\)$/, 'looks the counter up by index'],
  [/^(?:vector|mode|trig_mode)=reg&APIC_(?:VECTOR_MASK|MODE_MASK|LVT_LEVEL_TRIGGER)$/, 'a field of the LVT entry: LVTPC\'s delivery mode is NMI in the model'],
  [/^DECLARE_BITMAP\(bitmap,X86_PMC_IDX_MAX\)$/, 'a declaration'],
  [/^bitmap_copy\(bitmap,pmu->all_valid_pmc_idx,X86_PMC_IDX_MAX\)$/, 'the counters the loop visits: every counter of the scenario'],
  [/^(?:pmc_release_perf_event\(pmc\)|pmc->current_config=new_config|printk_once\(|eventsel\|=ARCH_PERFMON_EVENTSEL_|new_config=|fixed_ctr_ctrl=)/, 'perf-event bookkeeping of reprogramming: no effect on overflow or PMI state'],
  [/^kvm_pmu_cleanup\(vcpu\)$/, 'releases unused perf events: no effect on overflow or PMI state'],
];

/** Operands that mean one thing anywhere. */
const ATOMS: readonly (readonly [RegExp, string | boolean])[] = [
  [/^test_and_set_bit\(pmc->idx,(?:\(unsigned long\*\))?(?:&?pmu|pmc_to_pmu\(pmc\))->reprogram_pmi\)$/, 'test_and_set_bit.reprogram_pmi'],
  [/^pmc->intr$/, 'pmc_intr'],
  [/^in_pmi$/, 'in_pmi'],
  [/^(?:kvm_is_in_guest\(\)|kvm_handling_nmi_from_guest\(pmc->vcpu\))$/, 'kvm_handling_nmi_from_guest'],
  [/^pmc->perf_event->attr\.precise_ip$/, 'pmc_pebs'],
  [/^skip_pmi$/, 'skip_pmi'],
  [/^eventsel_match_perf_hw_id\(pmc,perf_hw_id\)$/, 'eventsel_match_perf_hw_id'],
  [/^\(pmc->eventsel\^eventsel\)&AMD64_RAW_EVENT_MASK_NB$/, '!eventsel_match_perf_hw_id'],
  [/^cpl_is_matched\(pmc\)$/, 'cpl_is_matched'],
  [/^pmc_is_enabled\(pmc\)$/, 'pmc_is_enabled'],
  [/^pmc_speculative_in_use\(pmc\)$/, 'pmc_speculative_in_use'],
  [/^(?:pmc_event_is_allowed|pmc_is_event_allowed|check_pmu_event_filter|pmc_is_globally_enabled)\(pmc\)$/, 'pmc_event_is_allowed'],
  [/^pmc_is_gp\(pmc\)$/, 'pmc_is_gp'],
  [/^pmc_is_fixed\(pmc\)$/, false],
  [/^pmc->counter<prev_count$/, 'pmc_counter_below_prev_count'],
  [/^pmc->counter<pmc->prev_counter$/, 'pmc_counter_below_prev_counter'],
  [/^emulate_overflow$/, 'emulate_overflow'],
  [/^(?:unlikely\()?pmu->need_cleanup\)?$/, false],
  [/^kvm_apic_hw_enabled\(apic\)$/, 'kvm_apic_hw_enabled'],
  [/^reg&APIC_LVT_MASKED$/, 'reg_masked'],
  [/^lvt_type==APIC_LVTPC$/, 'lvt_is_lvtpc'],
  [/^guest_cpuid_is_intel_compatible\((?:apic->)?vcpu\)$/, 'guest_cpuid_is_intel_compatible'],
  [/^guest_cpuid_is_amd_or_hygon\((?:apic->)?vcpu\)$/, 'guest_cpuid_is_amd_or_hygon'],
  [/^(?:kvm_x86_ops\.pmu_ops->deliver_pmi|kvm_pmu_ops\.deliver_pmi)$/, true],
  [RE(x86Call('get_nmi_mask')), 'get_nmi_mask'],
  [/^vcpu->arch\.nmi_injected$/, 'nmi_injected'],
  [/^vcpu->arch\.nmi_pending$/, 'nmi_pending'],
  [RE(x86Call('nmi_allowed', 'vcpu,false')), 'nmi_allowed'],
  [RE(x86Call('is_vnmi_pending')), 'is_vnmi_pending'],
  [RE(x86Call('set_vnmi_pending')), 'set_vnmi_pending'],
  [/^kvm_arch_interrupt_allowed\(vcpu\)$/, 'kvm_arch_interrupt_allowed'],
  [/^kvm_cpu_has_interrupt\(vcpu\)$/, 'kvm_cpu_has_interrupt'],
  // kvm_vcpu_has_events()'s other wake events, none of which the PMI scenarios raise.
  [/^(?:kvm_guest_apic_has_interrupt\(vcpu\)|kvm_apic_has_pending_init_or_sipi\(vcpu\)|kvm_apic_has_events\(vcpu\)|kvm_x86_ops\.nested_ops->hv_timer_pending|vcpu->arch\.pv\.pv_unhalted|kvm_is_exception_pending\(vcpu\)|vcpu->arch\.exception\.pending|vcpu->arch\.smi_pending|kvm_hv_has_stimer_pending\(vcpu\)|kvm_xen_has_pending_events\(vcpu\)|kvm_x86_ops\.nested_ops->has_events|kvm_test_request\(KVM_REQ_(?:SMI|UPDATE_PROTECTED_GUEST_STATE),vcpu\))$/, false],
  [/^list_empty_careful\(&vcpu->async_pf\.done\)$/, true],
  [/^rflags&X86_EFLAGS_TF$/, false],
];

/** Operands whose meaning depends on the function (locals, the counter pointer). */
function programAtoms(text: string, program: string): string | boolean | undefined {
  if (text === 'r' && program === 'kvm_apic_local_deliver') return 'apic_accepted';
  // kvm_skip_emulated_instruction(): `if (unlikely(!r)) return 0;`
  if (text === 'r' && program === 'kvm_skip_emulated_instruction') return 'skip_emulated_instruction_ok';
  // A valid counter with a perf event, in the loops over counters.
  if ((text === 'pmc' || text === 'pmc->perf_event') && /^(?:kvm_pmu_handle_event|kvm_pmu_trigger_event|__kvm_perf_overflow|reprogram_counter)$/.test(program)) return true;
  if (program === 'kvm_pmu_trigger_event' && /^(?:kvm_pmu_has_perf_global_ctrl\(pmu\)|bitmap_and\(bitmap,pmu->all_valid_pmc_idx,\(unsigned long\*\)&pmu->global_ctrl,X86_PMC_IDX_MAX\))$/.test(text)) return true;
  return undefined;
}

function returns(value: string, program: string, line: number): Token[] | undefined {
  if (program === 'kvm_vcpu_has_events' && (value === 'true' || value === 'false')) return [op('retval', [value], line)];
  if (/^__apic_accept_irq\(apic,mode,vector,1,trig_mode,NULL\)$/.test(value)) return [op('__apic_accept_irq', [], line)];
  if (value === 'kvm_skip_emulated_instruction(vcpu)') return [op('kvm_skip_emulated_instruction', [], line)];
  // 5.15 spells kvm_emulate_halt_noskip() kvm_vcpu_halt().
  if (/^(?:kvm_emulate_halt_noskip|kvm_vcpu_halt)\(vcpu\)&&ret$/.test(value) && program === 'kvm_emulate_halt') return [op('kvm_emulate_halt_noskip', [], line)];
  if (/^__kvm_emulate_halt\(vcpu,KVM_MP_STATE_HALTED,KVM_EXIT_HLT\)$/.test(value)) return [op('set_mp_state', ['HALTED'], line)];
  return undefined;
}

function condCalls(cond: string, program: string, line: number): { steps: readonly Token[]; cond: string | boolean } | undefined {
  if (program === 'kvm_pmu_handle_event' && cond === 'reprogram_counter(pmc)') return { steps: [op('reprogram_counter', [], line)], cond: 'reprogram_counter_failed' };
  return undefined;
}

/** The loops over counters are unrolled (model.ts): a `continue` ends that counter's pass. */
const continues = (program: string): boolean => program === 'kvm_pmu_trigger_event' || program === 'kvm_pmu_handle_event';

export const PMI_RULES: RuleSet = { area: 'pmi', statements: STATEMENTS, atoms: ATOMS, inert: INERT, programAtoms, returns, condCalls, continues };
