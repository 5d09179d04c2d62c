/**
 * Recognizer rules of the PV remote TLB flush area: the guest's kvm_flush_tlb_multi
 * (kvm_flush_tlb_others before 5.14) in arch/x86/kernel/kvm.c, the host's steal-time functions in
 * arch/x86/kvm/x86.c, and the statements of seed 003's proposal, in every spelling the kernel
 * has used since 858a43aae236/f38a7b75267f (v4.16).
 *
 * Texts are compact (csource.compact): `state=READ_ONCE(src->preempted)`.
 */
import { TLB_ERAS } from '../../model/tlb/profiles';
import { Token } from '../tokens';
import { RuleSet, StmtRule } from './types';

/**
 * The programs of this area (every era's): its statements and atoms are read only there, so
 * that, say, `kvm_vcpu_flush_tlb(vcpu)` in vcpu_enter_guest's KVM_REQ_TLB_FLUSH block or an
 * `err` elsewhere keep the meaning the other areas give them.
 */
const TLB_PROGRAMS: ReadonlySet<string> = new Set(TLB_ERAS.flatMap((e) => Object.keys(e.programs)));
const inTlb = (program: string): boolean => TLB_PROGRAMS.has(program);

/** A statement rule that applies in this area's programs only. */
function own(rule: StmtRule): StmtRule {
  return { re: rule.re, make: (m, program) => (inTlb(program) ? rule.make(m, program) : null) };
}

const FLUSH = '(?:FLUSH_TLB|SHOULD_FLUSH)';
const SRC = '(?:src|st)';

/** The new value of a compare-exchange on the preempted byte (compact C), as the model names it. */
const NEW_VALUE: readonly [string, string][] = [
  [`state\\|KVM_VCPU_${FLUSH}`, 'or_FLUSH_TLB'],
  ['state\\|KVM_VCPU_IPI_PENDING', 'or_IPI_PENDING'],
  ['state\\|KVM_VCPU_PREEMPTED', 'or_PREEMPTED'],
  ['state&~KVM_VCPU_IPI_PENDING', 'clear_IPI_PENDING'],
  [`\\(state&~KVM_VCPU_IPI_PENDING\\)\\|KVM_VCPU_${FLUSH}`, 'move_IPI_PENDING'],
  ['new_state', 'new_state'],
];

/**
 * `try_cmpxchg(&src->preempted, &state, new)` (refreshes `state` on failure), and the forms
 * that compare against a value that is never refreshed: seed 003's `try_cmpxchg(&..., state,
 * new)` and the classic `cmpxchg(&..., state, new) == state`.
 */
const CMPXCHG_ATOMS: readonly (readonly [RegExp, string])[] = NEW_VALUE.flatMap(([re, key]) => [
  [new RegExp(`^try_cmpxchg\\(&${SRC}->preempted,&state,${re}\\)$`), `try_cmpxchg.${key}`],
  [new RegExp(`^try_cmpxchg\\(&${SRC}->preempted,state,${re}\\)$`), `try_cmpxchg_by_value.${key}`],
  [new RegExp(`^cmpxchg\\(&${SRC}->preempted,state,${re}\\)==state$`), `try_cmpxchg_by_value.${key}`],
]);

const ATOMS: readonly (readonly [RegExp, string | boolean])[] = [
  ...CMPXCHG_ATOMS,
  // Guest and seed 003.
  [/^state&KVM_VCPU_PREEMPTED$/, 'state_preempted'],
  [/^state&KVM_VCPU_IPI_PENDING$/, 'state_ipi_pending'],
  [/^new_state&KVM_VCPU_IPI_PENDING$/, 'new_state_ipi_pending'],
  [new RegExp(`^new_state&KVM_VCPU_${FLUSH}$`), 'new_state_flush_tlb'],
  // The per-CPU mask was allocated (the fallback to native_flush_tlb_* is not modelled).
  [/^flushmask$/, true],
  // Host: steal time.
  [/^st_preempted&KVM_VCPU_FLUSH_TLB$/, 'st_preempted_flush_tlb'],
  [/^st_preempted&KVM_VCPU_IPI_PENDING$/, 'st_preempted_ipi_pending'],
  [/^xchg\(&st->preempted,0\)&KVM_VCPU_FLUSH_TLB$/, 'st_xchg_flush_tlb'],
  [/^xchg\(&vcpu->arch\.st\.steal\.preempted,0\)&KVM_VCPU_FLUSH_TLB$/, 'host_st_xchg_flush_tlb'],
  [/^vcpu->arch\.st\.(?:steal\.)?preempted$/, 'host_st_preempted'],
  [/^vcpu->arch\.at_instruction_boundary$/, 'at_instruction_boundary'],
  [/^copy_to_user_nofault\(&st->preempted,&preempted,sizeof\(preempted\)\)$/, 'copy_to_user_nofault.preempted'],
  [/^kvm_read_guest_cached\(vcpu->kvm,&vcpu->arch\.st\.stime,&vcpu->arch\.st\.steal,sizeof\(struct kvm_steal_time\)\)$/, 'kvm_read_guest_cached.steal'],
  // Scenario facts: the guest enabled steal time and advertises PV TLB flush; no Xen; no faults;
  // the steal-time cache is valid; the vCPU thread belongs to the VM's process.
  [/^vcpu->arch\.st\.msr_val&KVM_MSR_ENABLED$/, true],
  [/^guest_pv_has\(vcpu,KVM_FEATURE_PV_TLB_FLUSH\)$/, true],
  [/^kvm_xen_msr_enabled\(vcpu->kvm\)$/, false],
  [/^vcpu->arch\.guest_state_protected$/, false],
  [/^kvm_map_gfn\(vcpu,vcpu->arch\.st\.msr_val>>PAGE_SHIFT,&map,&vcpu->arch\.st\.cache,(?:true|false)\)$/, false],
  [/^user_access_begin\(st,sizeof\(\*st\)\)$/, true],
  [/^err$/, false],
  [/^(?:WARN_ON_ONCE\()?current->mm!=vcpu->kvm->mm\)?$/, false],
  [/^slots->generation!=ghc->generation$/, false],
  [/^gpa!=ghc->gpa$/, false],
  [/^kvm_is_error_hva\(ghc->hva\)$/, false],
  [/^ghc->memslot$/, true],
  [/^kvm_gfn_to_hva_cache_init\(vcpu->kvm,ghc,(?:gpa|gfn),sizeof\(\*st\)\)$/, false],
  // The steal-time version's low bit ("first time write, random junk"): no effect on the byte.
  [/^(?:version|st->version|vcpu->arch\.st\.steal\.version)&1$/, false],
];

/** Atoms of this area, by compact text; seed 003's compare-exchanges included. */
export function tlbAtom(text: string): string | boolean | undefined {
  return ATOMS.find(([re]) => re.test(text))?.[1];
}

const SCOPED_ATOMS: readonly (readonly [RegExp, string | boolean, (program: string) => boolean])[] = ATOMS.map(([re, v]) => [re, v, inTlb]);

const STEAL_BOOKKEEPING = 'the steal-time counter and its version: no effect on the preempted byte or on TLBs';

export const TLB_RULES: RuleSet = {
  area: 'tlb',
  statements: [
    // Steps of this area that shared programs call: vcpu_enter_guest (seed 003's VM-exit hook),
    // kvm_arch_vcpu_put, vcpu_run (6cd88243c7e0).
    { re: /^(kvm_steal_time_set_preempted|kvm_steal_time_vmexit)\(vcpu\)$/, make: (m) => m[1]! },
    { re: /^vcpu->arch\.at_instruction_boundary=false$/, make: () => 'clear_at_instruction_boundary' },
    ...([
      // ---------------------------------------------------------------- guest (kvm.c)
      { re: /^cpumask_copy\(flushmask,cpumask\)$/, make: () => 'cpumask_copy' },
      { re: new RegExp(`^state=READ_ONCE\\(${SRC}->preempted\\)$`), make: () => 'read_preempted' },
      { re: /^__?cpumask_clear_cpu\(cpu,flushmask\)$/, make: () => '__cpumask_clear_cpu' },
      { re: /^native_flush_tlb_(others|multi)\(flushmask,info\)$/, make: (m) => `native_flush_tlb_${m[1]}` },
      { re: new RegExp(`^new_state=state\\|KVM_VCPU_${FLUSH}$`), make: () => ['new_state', ['or_FLUSH_TLB']] },
      { re: /^new_state=state\|KVM_VCPU_IPI_PENDING$/, make: () => ['new_state', ['or_IPI_PENDING']] },
      { re: /^(?:apic->send_IPI_mask|__apic_send_IPI_mask)\(flushmask,\w*TLB\w*VECTOR\)$/, make: () => 'send_tlb_ipi' },
      { re: /^smp_cond_load_acquire\(&src->preempted,!\(VAL&KVM_VCPU_IPI_PENDING\)\)$/, make: () => 'wait_ipi_pending_clear' },
      { re: /^(?:local_flush_tlb|flush_tlb_local|__flush_tlb_all|__flush_tlb)\(\)$/, make: () => 'local_flush_tlb' },
      // ---------------------------------------------------------------- host (x86.c)
      { re: /^kvm_write_guest_cached\(vcpu->kvm,&vcpu->arch\.st\.stime,&vcpu->arch\.st\.steal,sizeof\(struct kvm_steal_time\)\)$/, make: () => 'kvm_write_guest_cached.steal' },
      {
        re: /^kvm_write_guest_offset_cached\(vcpu->kvm,&vcpu->arch\.st\.stime,&vcpu->arch\.st\.steal\.preempted,offsetof\(struct kvm_steal_time,preempted\),sizeof\(vcpu->arch\.st\.steal\.preempted\)\)$/,
        make: () => 'kvm_write_guest_offset_cached.preempted',
      },
      { re: /^st->preempted=vcpu->arch\.st\.(?:steal\.)?preempted=KVM_VCPU_PREEMPTED$/, make: () => 'st_preempted_set_both' },
      { re: /^vcpu->arch\.st\.(?:steal\.)?preempted=(?:KVM_VCPU_PREEMPTED|1)$/, make: () => 'host_st_preempted_set' },
      { re: /^vcpu->arch\.st\.(?:steal\.)?preempted=0$/, make: () => 'host_st_preempted_clear' },
      { re: /^(?:st->preempted=0|WRITE_ONCE\(st->preempted,0\)|unsafe_put_user\(0,&st->preempted,out\))$/, make: () => 'st_preempted_clear' },
      { re: /^(?:u8 )?st_preempted=xchg\(&st->preempted,0\)$/, make: () => 'st_preempted_xchg' },
      // 7e2175ebd695: `asm volatile("1: xchgb %0, %2\n" ... : "+q"/"+r" (st_preempted), ..., "+m"/"m" (st->preempted))`.
      { re: /^asm volatile\("1: xchgb %0, %2\\n".*\(st_preempted\).*\(st->preempted\)\)$/, make: () => 'st_preempted_xchg' },
      {
        re: /^(?:unsafe_get_user\(st_preempted,&st->preempted,out\)|(?:u8 )?st_preempted=(?:READ_ONCE\(st->preempted\)|st->preempted))$/,
        make: () => 'st_preempted_read',
      },
      { re: /^kvm_vcpu_flush_tlb(?:_guest)?\(vcpu(?:,(?:true|false))?\)$/, make: () => 'kvm_vcpu_flush_tlb_guest' },
      { re: /^kvm_make_request\(KVM_REQ_STEAL_UPDATE,vcpu\)$/, make: () => ['kvm_make_request', ['KVM_REQ_STEAL_UPDATE']] },
    ] satisfies StmtRule[]).map(own),
  ],
  atoms: SCOPED_ATOMS,
  inert: [
    [/^(?:(?:static|inline|__always_inline|noinline|__visible|noinstr) )*(?:void|int|bool|u8|u32|u64|long|unsigned long|fastpath_t) \w+\([^()]*\)$/, 'a function header'],
    [/^src=(?:&per_cpu\(steal_time,cpu\)|this_cpu_ptr\(&steal_time\))$/, 'the address of a vCPU\'s steal-time area'],
    [/^flushmask=this_cpu_cpumask_var_ptr\(__pv_(?:tlb|cpu)_mask\)$/, 'the address of this CPU\'s mask'],
    [/^guard\(preempt\)\(\)$/, 'the initiator keeps its CPU (it is not preempted in the model)'],
    [/^struct kvm_steal_time __user\*st(?:=.*)?$/, 'a declaration'],
    [/^st=(?:\(struct kvm_steal_time __user\*\)(?:ghc|vcpu->arch\.st\.cache)->hva|\(struct kvm_steal_time __user\*\)vcpu->arch\.st\.cache\.hva|map\.hva\+offset_in_page\(.*\))$/, 'the address of the guest\'s steal-time area'],
    [/^slots=kvm_memslots\(vcpu->kvm\)$/, 'memslot lookup for the cache check'],
    [/^BUILD_BUG_ON\(/, 'an assertion'],
    [/^(?:mark_page_dirty_in_slot|kvm_unmap_gfn)\(/, 'dirty tracking and unmapping: no effect on the byte\'s value'],
    [/^user_access_end\(\)$/, 'the end of a user-access section'],
    [/^pagefault_(?:disable|enable)\(\)$/, 'page faults off around the guest write in a context switch'],
    [/^(?:idx=srcu_read_lock\(&vcpu->kvm->srcu\)|srcu_read_unlock\(&vcpu->kvm->srcu,idx\))$/, 'SRCU around the memslot lookup: a barrier under sequential consistency'],
    [/^(?:vcpu->arch\.st\.steal\.version|st->version|version)\+=1$/, STEAL_BOOKKEEPING],
    [/^unsafe_(?:get|put)_user\((?:version|steal),&st->(?:version|steal),out\)$/, STEAL_BOOKKEEPING],
    [/^(?:vcpu->arch\.st\.steal\.steal|st->steal|steal)\+=current->sched_info\.run_delay-vcpu->arch\.st\.last_steal$/, STEAL_BOOKKEEPING],
    [/^vcpu->arch\.st\.last_steal=current->sched_info\.run_delay$/, STEAL_BOOKKEEPING],
    [/^vcpu->arch\.preempted_in_kernel=/, 'read only by directed yield (PLE), not by the flush'],
    [/^(?:kvm_x86_ops(?:->|\.)vcpu_put|static_call\(kvm_x86_vcpu_put\)|kvm_x86_call\(vcpu_put\))\(vcpu\)$/, 'the vendor put: VMCS and posted-interrupt state, no steal-time effect'],
    [/^vcpu->arch\.last_host_tsc=rdtsc\(\)$/, 'TSC bookkeeping'],
    [/^set_debugreg\(0,6\)$/, 'debug registers'],
  ],
  iterators: [{ re: /^for_each_cpu\(cpu,(flushmask)\)$/, init: (m) => ['for_each_cpu', [m[1]!]], next: (m) => `cpumask_next.${m[1]}` }],
  loops: (_body, cond, _program, line, recognized) => {
    // `do { ... } while (!try_cmpxchg(...))`: retry until the compare-exchange succeeds.
    const negated = cond.startsWith('!');
    const atom = tlbAtom(negated ? cond.slice(1) : cond);
    if (typeof atom !== 'string' || !/^try_cmpxchg/.test(atom)) return undefined;
    const exit: Token[] = [
      { t: 'if', cond: negated ? { k: 'atom', name: atom } : { k: 'not', c: { k: 'atom', name: atom } }, line },
      { t: 'open' },
      { t: 'break', line },
      { t: 'close' },
    ];
    const closed = recognized.at(-1)?.t === 'close';
    return [{ t: 'loop', line }, ...(closed ? recognized.slice(0, -1) : recognized), ...exit, ...(closed ? [recognized.at(-1)!] : [])];
  },
};
