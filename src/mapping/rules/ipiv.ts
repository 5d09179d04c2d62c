/**
 * The IPIv PID-table set-up (seed 004): vCPU creation in kvm_main.c, KVM_CAP_MAX_VCPU_ID and
 * the x86 pre-create/create hooks in x86.c, the table in vmx.c. Every spelling the kernel has
 * used since the feature was posted (v7, March 2022) maps to the same step:
 * `kvm_x86_ops->x(` / `kvm_x86_ops.x(` / `static_call(kvm_x86_x)(` / `kvm_x86_call(x)(`,
 * `max_vcpu_id` (v7) / `max_vcpu_ids`, `&vmx->pi_desc` / `&vmx->vt.pi_desc`, `GFP_KERNEL` /
 * `GFP_KERNEL_ACCOUNT`, `u32 id` / `unsigned long id`; `guard(mutex)(&kvm->lock)` and
 * `scoped_guard(mutex, &kvm->lock)` are read as the `mutex_lock`/`mutex_unlock` pair they stand
 * for (recognize.ts).
 *
 * These rules apply only inside the area's own programs (`owns`), so that `if (r)` or
 * `return -EINVAL;` keep whatever meaning another area gives them in its code.
 */
import { Token } from '../tokens';
import { RuleSet, StmtRule } from './types';

/** The programs of the IPIv area, by kernel function name (see src/model/ipiv/profiles.ts). */
export const IPIV_PROGRAMS: ReadonlySet<string> = new Set([
  'kvm_vm_ioctl_create_vcpu',
  'kvm_arch_vcpu_precreate',
  'kvm_arch_vcpu_create',
  'kvm_arch_vcpu_destroy',
  'kvm_arch_init_vm',
  'kvm_vm_ioctl_enable_cap.KVM_CAP_MAX_VCPU_ID',
  'vmx_vcpu_precreate',
  'vmx_alloc_ipiv_pid_table',
  'vmx_vcpu_create',
  'vmx_vcpu_free',
  'init_vmcs',
]);

/** A `kvm_x86_ops` hook call in every spelling; group 1..4 is the hook's name. */
const HOOK = String.raw`(?:kvm_x86_ops(?:->|\.)(\w+)|static_call(?:_cond)?\(kvm_x86_(\w+)\)|kvm_x86_call\((\w+)\)|KVM_X86_CALL\((\w+)\))`;

/** The vendor function each hook runs on VMX, as a program of the model. */
const HOOK_PROGRAM: Readonly<Record<string, string>> = {
  vcpu_precreate: 'vmx_vcpu_precreate',
  alloc_ipiv_pid_table: 'vmx_alloc_ipiv_pid_table',
  vcpu_create: 'vmx_vcpu_create',
  vcpu_free: 'vmx_vcpu_free',
};

/** Calls of the area's functions whose result, if any, lands in the local `r`. */
const CALLS: readonly [RegExp, string][] = [
  [/^kvm_arch_vcpu_precreate\(kvm,id\)$/, 'kvm_arch_vcpu_precreate'],
  [/^kvm_arch_vcpu_create\(vcpu\)$/, 'kvm_arch_vcpu_create'],
  [/^kvm_arch_vcpu_destroy\(vcpu\)$/, 'kvm_arch_vcpu_destroy'],
  [/^vmx_vcpu_precreate\(kvm\)$/, 'vmx_vcpu_precreate'],
  [/^vmx_alloc_ipiv_pid_table\((?:vcpu->)?kvm\)$/, 'vmx_alloc_ipiv_pid_table'],
  // v7's allocator, called from vCPU creation (it exists as a program only in model-level tests).
  [/^vmx_alloc_pid_table\(kvm_vmx\)$/, 'vmx_alloc_pid_table'],
  [/^kvm_vcpu_reset\(vcpu,false\)$/, 'kvm_vcpu_reset'],
  [/^create_vcpu_fd\(vcpu\)$/, 'create_vcpu_fd'],
];

/** The step a call expression runs, or undefined. */
function callStep(expr: string): string | undefined {
  for (const [re, step] of CALLS) if (re.test(expr)) return step;
  const m = new RegExp(`^${HOOK}\\((?:kvm|vcpu)\\)$`).exec(expr);
  const hook = m ? (m[1] ?? m[2] ?? m[3] ?? m[4]) : undefined;
  return hook ? HOOK_PROGRAM[hook] : undefined;
}

/** The local result: `r`, `err` or `ret`, whichever name the function uses. */
const RESULT = String.raw`(?:r|err|ret)`;

/** The table, however a kernel reached it. */
const TABLE = String.raw`(?:to_kvm_vmx\(vcpu->kvm\)->pid_table|kvm_vmx->pid_table|pid_table)`;
/** The vCPU's own descriptor (`&vmx->vt.pi_desc` since the TDX split of 6.16). */
const OWN_PID = String.raw`__pa\(&(?:vmx|to_vmx\(vcpu\))->(?:vt\.)?pi_desc\)\|PID_TABLE_ENTRY_VALID`;
/** `kvm->arch.max_vcpu_ids`, and v7's `max_vcpu_id`, from wherever the code reaches it. */
const MAX_IDS = String.raw`(?:kvm->|vcpu->kvm->|kvm_vmx->kvm\.)arch\.max_vcpu_ids?`;

const STATEMENTS: readonly StmtRule[] = [
  { re: /^mutex_(lock|unlock)\(&(?:vcpu->)?kvm->lock\)$/, make: (m) => [`mutex_${m[1]}`, ['kvm_lock']] },
  { re: /^(?:kvm->created_vcpus\+\+|\+\+kvm->created_vcpus)$/, make: () => 'created_vcpus_inc' },
  { re: /^(?:kvm->created_vcpus--|--kvm->created_vcpus)$/, make: () => 'created_vcpus_dec' },
  // `r = f(...)`, `err = f(...)` and plain `f(...)` for the area's calls and hooks.
  {
    re: new RegExp(`^(?:${RESULT}=)?(.+)$`),
    make: (m) => callStep(m[1]!) ?? null,
  },
  { re: new RegExp(`^${RESULT}=-E[A-Z0-9]+$`), make: () => ['set_r', ['error']] },
  { re: new RegExp(`^${RESULT}=0$`), make: () => ['set_r', ['0']] },
  { re: new RegExp(`^${MAX_IDS}=KVM_MAX_VCPU_IDS$`), make: () => ['set_max_vcpu_ids', ['KVM_MAX_VCPU_IDS']] },
  { re: new RegExp(`^${MAX_IDS}=cap->args\\[0\\]$`), make: () => ['set_max_vcpu_ids', ['arg']] },
  { re: /^vcpu=kmem_cache_zalloc\(kvm_vcpu_cache,GFP_KERNEL(?:_ACCOUNT)?\)$/, make: () => 'kmem_cache_zalloc' },
  { re: /^kmem_cache_free\(kvm_vcpu_cache,vcpu\)$/, make: () => 'kmem_cache_free' },
  { re: /^atomic_inc\(&kvm->online_vcpus\)$/, make: () => 'vcpu_online' },
  {
    re: new RegExp(`^pages=alloc_pages\\(GFP_KERNEL(?:_ACCOUNT)?\\|__GFP_ZERO,(?:vmx_get_pid_table_order\\((?:kvm|kvm_vmx)\\)|get_order\\(${MAX_IDS}\\*sizeof\\((?:u64|\\*kvm_vmx->pid_table)\\)\\))\\)$`),
    make: () => 'alloc_pid_table_pages',
  },
  { re: /^kvm_vmx->pid_table=\(void\*\)page_address\(pages\)$/, make: () => 'publish_pid_table' },
  { re: new RegExp(`^kvm_vmx->pid_last_index=${MAX_IDS}-1$`), make: () => 'pid_last_index_store' },
  { re: new RegExp(`^(?:WRITE_ONCE\\(${TABLE}\\[vcpu->vcpu_id\\],${OWN_PID}\\)|${TABLE}\\[vcpu->vcpu_id\\]=${OWN_PID})$`), make: () => 'write_pid_table_entry' },
  { re: new RegExp(`^(?:WRITE_ONCE\\(${TABLE}\\[vcpu->vcpu_id\\],0\\)|${TABLE}\\[vcpu->vcpu_id\\]=0)$`), make: () => 'clear_pid_table_entry' },
  { re: /^vmcs_write64\(PID_POINTER_TABLE,__pa\(kvm_vmx->pid_table\)\)$/, make: () => ['vmcs_write64', ['PID_POINTER_TABLE']] },
  { re: new RegExp(`^vmcs_write16\\(LAST_PID_POINTER_INDEX,${MAX_IDS}-1\\)$`), make: () => ['vmcs_write16', ['LAST_PID_POINTER_INDEX', 'max_vcpu_ids']] },
  { re: /^vmcs_write16\(LAST_PID_POINTER_INDEX,kvm_vmx->pid_last_index\)$/, make: () => ['vmcs_write16', ['LAST_PID_POINTER_INDEX', 'pid_last_index']] },
];

const INERT: readonly (readonly [RegExp, string])[] = [
  [/^(?:BUILD_BUG_ON|WARN_ON_ONCE|BUG_ON)\(/, 'an assertion'],
  [/^pr_warn(?:_once|_ratelimited)?\(/, 'a warning'],
  [/^page=alloc_page\(GFP_KERNEL(?:_ACCOUNT)?\|__GFP_ZERO\)$/, 'the kvm_run page: the scenarios let the vCPU structure allocation fail instead (its `if (!page)` reads as false)'],
  [/^vcpu->run=page_address\(page\)$/, 'the kvm_run page of the new vCPU, which nothing else sees yet'],
  [/^kvm_vcpu_init\(vcpu,kvm,id\)$/, 'initialises the new vCPU structure, which nothing else sees yet'],
  [/^vcpu->vcpu_idx=atomic_read\(&kvm->online_vcpus\)$/, 'the vCPU index, under kvm->lock'],
  [new RegExp(`^${RESULT}=xa_(?:reserve|insert)\\(&kvm->(?:planes\\[0\\]->)?vcpu_array,`), 'the vcpu_array slot: the model lets creation fail at create_vcpu_fd() instead, and `r` stays 0'],
  [/^xa_(?:release|erase)\(&kvm->(?:planes\[0\]->)?vcpu_array,vcpu->vcpu_idx\)$/, 'releases the vcpu_array slot of a vCPU that never became visible'],
  [/^kvm_(?:get_kvm|put_kvm_no_destroy)\(kvm\)$/, 'a VM reference count'],
  [/^mutex_(?:lock|unlock)\(&vcpu->mutex\)$/, 'vcpu->mutex keeps vCPU ioctls off the half-created vCPU; the model has no vCPU-ioctl actor'],
  [/^kvm_arch_vcpu_postcreate\(vcpu\)$/, 'x86 post-create (kvmclock, MSRs): nothing the PID table depends on'],
  [/^kvm_create_vcpu_debugfs\(vcpu\)$/, 'debugfs'],
  [/^kvm_dirty_ring_free\(&vcpu->(?:__)?dirty_ring\)$/, 'the dirty ring, never allocated in the scenarios'],
  [new RegExp(`^${RESULT}=kvm_dirty_ring_alloc\\(`), 'the dirty ring, not enabled in the scenarios (`if (kvm->dirty_ring_size)` reads as false)'],
  [/^free_page\(\(unsigned long\)vcpu->run\)$/, 'frees the kvm_run page, which holds no descriptor'],
];

const ATOMS: readonly (readonly [RegExp, string | boolean])[] = [
  [/^(?:id>=KVM_MAX_VCPU_IDS|id>=KVM_MAX_VCPU_ID)$/, false],
  [/^(?:kvm->created_vcpus>=kvm->max_vcpus|kvm->created_vcpus==kvm->max_vcpus|kvm->created_vcpus==KVM_MAX_VCPUS)$/, 'created_vcpus_at_max'],
  [new RegExp(`^(?:${RESULT}|${RESULT}<0|${RESULT}!=0)$`), 'r'],
  // `if (!vcpu)`: the condition reads the pointer, `!` is the parser's.
  [/^vcpu$/, '!nomem'],
  [/^pages?$/, true],
  [/^kvm->dirty_ring_size$/, false],
  [/^KVM_BUG_ON\(/, false],
  [/^kvm_check_tsc_unstable\(\)$/, false],
  [/^kvm_get_vcpu_by_id\(kvm,id\)$/, 'kvm_get_vcpu_by_id'],
  [new RegExp(`^${MAX_IDS}$`), 'max_vcpu_ids_set'],
  [new RegExp(`^(?:id|vcpu->vcpu_id)>=${MAX_IDS}$`), 'id_ge_max_vcpu_ids'],
  [/^cap->args\[0\]>KVM_MAX_VCPU_IDS$/, 'cap_arg_too_big'],
  [/^cap->args\[0\]<=KVM_MAX_VCPU_IDS$/, '!cap_arg_too_big'],
  [new RegExp(`^${MAX_IDS}==cap->args\\[0\\]$`), 'max_vcpu_ids_is_arg'],
  [/^kvm->created_vcpus$/, 'created_vcpus'],
  [/^kvm->arch\.bsp_vcpu_id>cap->args\[0\]$/, 'bsp_vcpu_id_above_arg'],
  [/^irqchip_in_kernel\(kvm\)$/, 'irqchip_in_kernel'],
  [/^enable_ipiv$/, 'enable_ipiv'],
  [/^vmx_can_use_ipiv\((?:vcpu|vcpu->kvm|&vmx->vcpu|vmx->vcpu\.kvm)\)$/, 'vmx_can_use_ipiv'],
  [/^kvm_vmx->pid_table$/, 'pid_table_allocated'],
  [/^kvm_x86_ops\.alloc_ipiv_pid_table$/, true],
];

/** `return <value>;` in the area's programs. */
function returns(value: string, _program: string, line: number): Token[] | undefined {
  const op = (name: string, args: string[] = []): Token => ({ t: 'op', op: name, args, line });
  if (/^-E[A-Z0-9]+$/.test(value)) return [op('set_r', ['error'])];
  if (value === '0') return [op('set_r', ['0'])];
  const call = callStep(value);
  return call ? [op(call)] : undefined;
}

export const IPIV_RULES: RuleSet = {
  area: 'ipiv',
  owns: (program) => IPIV_PROGRAMS.has(program),
  calls: new Set([...CALLS.map(([, step]) => step).filter((s) => s !== 'kvm_vcpu_reset' && s !== 'create_vcpu_fd'), ...Object.values(HOOK_PROGRAM)]),
  statements: STATEMENTS,
  atoms: ATOMS,
  inert: INERT,
  returns,
  // Before 5.18's "conform to kvm_x86_ops names" renames, and in the v7 posting.
  aliases: { vmx_create_vcpu: 'vmx_vcpu_create', vmx_free_vcpu: 'vmx_vcpu_free' },
  // Only this case of kvm_vm_ioctl_enable_cap() touches these.
  cases: { kvm_vm_ioctl_enable_cap: [[/\b(?:max_vcpu_ids?|KVM_MAX_VCPU_IDS|bsp_vcpu_id)\b/, 'KVM_CAP_MAX_VCPU_ID']] },
};
