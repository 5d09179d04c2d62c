/**
 * What each step and condition of the IPIv set-up programs does, with the fact it encodes.
 * "§n" refers to ../shared/docs/kvm-model.md, "SDM" to the Intel SDM (IPI virtualization,
 * chapter "APIC Virtualization and Virtual Interrupts"), commits to the kernel history.
 *
 * Atomicity follows the code: every plain load or store of a shared field is its own step
 * (`if (kvm_vmx->pid_table)` and `kvm_vmx->pid_table = ...` are two), and kvm->lock makes the
 * regions it guards exclusive only against other holders of kvm->lock. Under sequential
 * consistency barriers order nothing further (the posted-interrupt area says the same).
 */
import { ModelError } from '../errors';
import { Assign, Expr, FALSE, TRUE, add, and, eq, ite, le, lit, lt, ne, not, or, ref, sub } from '../ir';
import { AREA_TITLES, areaOfOp, isModelledRequest } from '../areas';
import { Alternative, CondMeaning, OpMeaning, Semantics } from '../programCompiler';
import { OPS as PI_OPS } from '../pi/semantics';
import {
  IpivWorld,
  LOCK_CAP,
  LOCK_FREE,
  OOB_NONE,
  OOB_NULL_WRITE,
  OOB_WRITE,
  ThreadVars,
  VCPU_ALLOCATED,
  VCPU_FREED,
  VCPU_ONLINE,
} from './world';

/** Where creation may fail after pre-create: `early` before the vCPU exists, `late` after its entry was written. */
export type FailPoint = 'never' | 'early' | 'late' | 'any';

export interface IpivPlatform {
  /** `enable_ipiv` and an in-kernel LAPIC: `vmx_can_use_ipiv()`. */
  readonly ipiv: boolean;
}

/** Who runs the code: KVM_CREATE_VM, a KVM_CREATE_VCPU thread, or KVM_ENABLE_CAP(KVM_CAP_MAX_VCPU_ID, arg). */
export type Runner = { readonly kind: 'vm' } | { readonly kind: 'create'; readonly thread: number } | { readonly kind: 'cap'; readonly arg: number };

export interface IpivCtx {
  readonly w: IpivWorld;
  readonly platform: IpivPlatform;
  /** `kvm->max_vcpus`. */
  readonly maxVcpus: number;
  /** Where each creating thread may fail. */
  readonly fail: readonly FailPoint[];
  readonly who: Runner;
}

export const COUNTERS = {
  tableAllocations: 'PID-pointer tables allocated for the VM',
  icrExits: 'guest ICR writes that take a VM-exit instead of posting through the table',
} as const;

const BARRIER_WHY = 'a barrier: under sequential consistency it orders nothing further';

// ------------------------------------------------------------------ helpers

const set = (id: number, v: number | Expr): Assign => ({ id, e: typeof v === 'number' ? lit(v) : v });

function atomic(rule: string, ...alternatives: Alternative[]): OpMeaning {
  return { kind: 'atomic', rule, alternatives };
}

function one(rule: string, label: string, effects: Assign[], events?: Record<string, number>): OpMeaning {
  return atomic(rule, { guard: TRUE, effects, label, ...(events ? { events } : {}) });
}

function thread(ctx: IpivCtx, what: string): ThreadVars {
  if (ctx.who.kind !== 'create') throw new ModelError(`${what} runs only in vCPU creation, not in ${ctx.who.kind === 'vm' ? 'KVM_CREATE_VM' : 'KVM_ENABLE_CAP'}`);
  return ctx.w.threads[ctx.who.thread]!;
}

function capArg(ctx: IpivCtx, what: string): number {
  if (ctx.who.kind !== 'cap') throw new ModelError(`${what} reads cap->args[0]: only KVM_ENABLE_CAP has it`);
  return ctx.who.arg;
}

/** The local `r` of whoever runs. */
function rOf(ctx: IpivCtx): number {
  switch (ctx.who.kind) {
    case 'vm':
      return ctx.w.vmR;
    case 'cap':
      return ctx.w.capR;
    case 'create':
      return ctx.w.threads[ctx.who.thread]!.r;
  }
}

/** The kvm->lock owner value of whoever runs. */
function lockOwner(ctx: IpivCtx): number {
  switch (ctx.who.kind) {
    case 'vm':
      throw new ModelError('KVM_CREATE_VM takes no kvm->lock in the model (nothing else runs before the VM exists)');
    case 'cap':
      return LOCK_CAP;
    case 'create':
      return ctx.who.thread + 1;
  }
}

function lockArg(args: readonly string[], op: string): void {
  if (args[0] !== 'kvm_lock') throw new ModelError(`${op} needs the lock it takes: kvm_lock`);
}

/** `WRITE_ONCE(pid_table[id], value)`: through `kvm_vmx->pid_table` as it is now. */
function tableWrite(ctx: IpivCtx, th: ThreadVars, value: number, what: string, rule: string): OpMeaning {
  const w = ctx.w;
  const p = ref(w.pidTable);
  const firstOob = (kind: number) => set(w.oob, ite(eq(ref(w.oob), OOB_NONE), kind, ref(w.oob)));
  const alts: Alternative[] = [{ guard: eq(p, 0), effects: [firstOob(OOB_NULL_WRITE)], label: `${what}: kvm_vmx->pid_table is NULL, the store goes through a NULL table` }];
  for (const t of w.tables) {
    const fits = lt(lit(th.id), ref(t.size));
    alts.push(
      { guard: and(eq(p, t.index), fits), effects: [set(t.entries[th.id]!, value)], label: `${what}: table${t.index}[${th.id}] = ${value ? `&${th.name}.pi_desc | VALID` : '0'}` },
      { guard: and(eq(p, t.index), not(fits)), effects: [firstOob(OOB_WRITE)], label: `${what}: index ${th.id} is beyond table${t.index}'s entries` },
    );
  }
  return atomic(rule, ...alts);
}

// ------------------------------------------------------------------ the step catalogue

export interface StepDoc {
  readonly summary: string;
  readonly rule: string;
}

type OpImpl = (ctx: IpivCtx, args: readonly string[]) => OpMeaning;
interface OpEntry extends StepDoc {
  readonly impl: OpImpl;
  /** `impl` is a no-op whatever the context and arguments (`Semantics.inert`). */
  readonly inert?: true;
}

const MAX_IDS_VALUE: Readonly<Record<string, (ctx: IpivCtx) => number>> = {
  KVM_MAX_VCPU_IDS: (ctx) => ctx.w.shape.ids,
  arg: (ctx) => capArg(ctx, 'set_max_vcpu_ids(arg)'),
};

export const OPS: Readonly<Record<string, OpEntry>> = {
  mutex_lock: {
    summary: 'mutex_lock(&kvm->lock)',
    rule: 'kernel: kvm->lock is a mutex; mutex_lock() waits until nobody holds it, so the regions it guards exclude each other (and only each other)',
    impl: (ctx, args) => {
      lockArg(args, 'mutex_lock');
      const me = lockOwner(ctx);
      return atomic(OPS['mutex_lock']!.rule, { guard: eq(ref(ctx.w.lock), LOCK_FREE), effects: [set(ctx.w.lock, me)], label: 'mutex_lock(&kvm->lock)' });
    },
  },
  mutex_unlock: {
    summary: 'mutex_unlock(&kvm->lock)',
    rule: 'kernel: mutex_unlock() lets the next kvm->lock holder in',
    impl: (ctx, args) => {
      lockArg(args, 'mutex_unlock');
      return one(OPS['mutex_unlock']!.rule, 'mutex_unlock(&kvm->lock)', [set(ctx.w.lock, LOCK_FREE)]);
    },
  },
  created_vcpus_inc: {
    summary: 'kvm->created_vcpus++',
    rule: 'kernel kvm_vm_ioctl_create_vcpu: created_vcpus counts vCPUs created or being created, under kvm->lock',
    impl: (ctx) => one(OPS['created_vcpus_inc']!.rule, 'kvm->created_vcpus++', [set(ctx.w.created, add(ref(ctx.w.created), 1))]),
  },
  created_vcpus_dec: {
    summary: 'kvm->created_vcpus-- (a failed creation)',
    rule: 'kernel kvm_vm_ioctl_create_vcpu, vcpu_decrement: a creation that fails after the increment drops created_vcpus back, under kvm->lock',
    impl: (ctx) => one(OPS['created_vcpus_dec']!.rule, 'kvm->created_vcpus--', [set(ctx.w.created, sub(ref(ctx.w.created), 1))]),
  },
  set_r: {
    summary: 'r = 0, or an error code',
    rule: 'kernel: the function\'s result, which its caller tests with `if (r)`',
    impl: (ctx, args) => {
      const v = args[0];
      if (v !== '0' && v !== 'error') throw new ModelError('set_r needs 0 or error');
      return one(OPS['set_r']!.rule, v === '0' ? 'r = 0' : 'r = -errno', [set(rOf(ctx), v === '0' ? 0 : 1)]);
    },
  },
  set_max_vcpu_ids: {
    summary: 'kvm->arch.max_vcpu_ids = KVM_MAX_VCPU_IDS, or cap->args[0]',
    rule: '35875316384b: max_vcpu_ids is zero until userspace sets it or the first pre-create locks in KVM_MAX_VCPU_IDS (v7/v8: initialised at VM creation, set by the capability)',
    impl: (ctx, args) => {
      const which = args[0] ?? '';
      const value = MAX_IDS_VALUE[which];
      if (!value) throw new ModelError('set_max_vcpu_ids needs KVM_MAX_VCPU_IDS or arg');
      const v = value(ctx);
      return one(OPS['set_max_vcpu_ids']!.rule, `kvm->arch.max_vcpu_ids = ${which === 'arg' ? `cap->args[0] (${v})` : `KVM_MAX_VCPU_IDS (${v})`}`, [set(ctx.w.maxIds, v)]);
    },
  },
  kmem_cache_zalloc: {
    summary: 'allocate the vCPU structure (with its posted-interrupt descriptor); may fail',
    rule: 'kernel kvm_vm_ioctl_create_vcpu: the vCPU structure, whose vcpu_vmx holds the posted-interrupt descriptor, is allocated after pre-create; scenario: it may fail with -ENOMEM (the early failure after pre-create)',
    impl: (ctx) => {
      const th = thread(ctx, 'kmem_cache_zalloc');
      const alts: Alternative[] = [{ guard: TRUE, effects: [set(th.vcpu, VCPU_ALLOCATED), set(th.nomem, 0)], label: 'vcpu = kmem_cache_zalloc(kvm_vcpu_cache)' }];
      const f = ctx.fail[th.index];
      if (f === 'early' || f === 'any') alts.push({ guard: TRUE, effects: [set(th.nomem, 1)], label: 'kmem_cache_zalloc(kvm_vcpu_cache) fails: -ENOMEM' });
      return atomic(OPS['kmem_cache_zalloc']!.rule, ...alts);
    },
  },
  create_vcpu_fd: {
    summary: 'r = create_vcpu_fd(vcpu); may fail',
    rule: 'kernel kvm_vm_ioctl_create_vcpu: the vCPU fd is installed after kvm_arch_vcpu_create(); on failure the vCPU is destroyed and freed (unlock_vcpu_destroy); scenario: it may fail (the late failure, after the entry was written)',
    impl: (ctx) => {
      const th = thread(ctx, 'create_vcpu_fd');
      const alts: Alternative[] = [{ guard: TRUE, effects: [set(th.r, 0)], label: 'r = create_vcpu_fd(vcpu): the fd is installed' }];
      const f = ctx.fail[th.index];
      if (f === 'late' || f === 'any') alts.push({ guard: TRUE, effects: [set(th.r, 1)], label: 'create_vcpu_fd(vcpu) fails (no file descriptor left)' });
      return atomic(OPS['create_vcpu_fd']!.rule, ...alts);
    },
  },
  vcpu_online: {
    summary: 'atomic_inc(&kvm->online_vcpus): the vCPU is visible',
    rule: 'kernel kvm_vm_ioctl_create_vcpu: from atomic_inc(&kvm->online_vcpus) kvm_get_vcpu_by_id() finds the vCPU, and userspace can run it (its guest can write the ICR)',
    impl: (ctx) => one(OPS['vcpu_online']!.rule, 'atomic_inc(&kvm->online_vcpus): the vCPU is online', [set(thread(ctx, 'vcpu_online').vcpu, VCPU_ONLINE)]),
  },
  kmem_cache_free: {
    summary: 'kmem_cache_free(kvm_vcpu_cache, vcpu): the structure, and its descriptor, are freed',
    rule: 'kernel kvm_vm_ioctl_create_vcpu, vcpu_free: the failed vCPU is freed; a PID-table entry still holding its descriptor\'s address now points into freed memory (fixed in 2026 by b41f2ca6c060 "KVM: VMX: Fix stale PID-pointer table entry left after vCPU free")',
    impl: (ctx) => one(OPS['kmem_cache_free']!.rule, 'kmem_cache_free(kvm_vcpu_cache, vcpu)', [set(thread(ctx, 'kmem_cache_free').vcpu, VCPU_FREED)]),
  },
  alloc_pid_table_pages: {
    summary: 'pages = alloc_pages(...order of max_vcpu_ids entries...)',
    rule: 'd588bb9be1da vmx_alloc_ipiv_pid_table (v7: vmx_alloc_pid_table): the table is sized from max_vcpu_ids as it reads at allocation (§1 "The table is sized from max_vcpu_ids when it is allocated")',
    impl: (ctx) => {
      const th = thread(ctx, 'alloc_pid_table_pages');
      const w = ctx.w;
      const n = ref(w.allocations);
      return atomic(OPS['alloc_pid_table_pages']!.rule, {
        guard: lt(n, 2),
        effects: [
          ...w.tables.map((t) => set(t.size, ite(eq(n, t.index - 1), ref(w.maxIds), ref(t.size)))),
          set(th.newTable, add(n, 1)),
          set(w.allocations, add(n, 1)),
        ],
        label: 'pages = alloc_pages(order of kvm->arch.max_vcpu_ids entries): a new table',
        events: { tableAllocations: 1 },
      });
    },
  },
  publish_pid_table: {
    summary: 'kvm_vmx->pid_table = page_address(pages)',
    rule: 'd588bb9be1da: the new table is published in kvm_vmx->pid_table, replacing whatever was there',
    impl: (ctx) => one(OPS['publish_pid_table']!.rule, 'kvm_vmx->pid_table = page_address(pages)', [set(ctx.w.pidTable, ref(thread(ctx, 'publish_pid_table').newTable))]),
  },
  pid_last_index_store: {
    summary: 'v7: kvm_vmx->pid_last_index = max_vcpu_id - 1',
    rule: 'v7 8/8 (never merged): the last index is cached at allocation, from a second read of max_vcpu_id',
    impl: (ctx) => one(OPS['pid_last_index_store']!.rule, 'kvm_vmx->pid_last_index = kvm->arch.max_vcpu_id - 1', [set(ctx.w.lastIndexCache, ctx.w.lastIndexOf(ref(ctx.w.maxIds)))]),
  },
  write_pid_table_entry: {
    summary: 'WRITE_ONCE(pid_table[vcpu_id], __pa(&pi_desc) | PID_TABLE_ENTRY_VALID)',
    rule: 'd588bb9be1da vmx_vcpu_create: each vCPU writes its descriptor\'s address, valid bit set, at its vcpu_id in the table kvm_vmx->pid_table points at (§2 "vCPU create writes PID_table[vcpu_id]")',
    impl: (ctx) => {
      const th = thread(ctx, 'write_pid_table_entry');
      return tableWrite(ctx, th, th.index + 1, `WRITE_ONCE(pid_table[${th.id}], &${th.name}.pi_desc | VALID)`, OPS['write_pid_table_entry']!.rule);
    },
  },
  clear_pid_table_entry: {
    summary: 'WRITE_ONCE(pid_table[vcpu_id], 0)',
    rule: 'b41f2ca6c060 (2026, after 6.17): vCPU free clears the vCPU\'s entry so that nothing points at its freed descriptor',
    impl: (ctx) => {
      const th = thread(ctx, 'clear_pid_table_entry');
      return tableWrite(ctx, th, 0, `WRITE_ONCE(pid_table[${th.id}], 0)`, OPS['clear_pid_table_entry']!.rule);
    },
  },
  vmcs_write64: {
    summary: 'vmcs_write64(PID_POINTER_TABLE, __pa(kvm_vmx->pid_table))',
    rule: 'd588bb9be1da init_vmcs (run by kvm_vcpu_reset at creation): the VMCS gets the table\'s address as kvm_vmx->pid_table reads then',
    impl: (ctx, args) => {
      if (args[0] !== 'PID_POINTER_TABLE') throw new ModelError('vmcs_write64: only PID_POINTER_TABLE is modelled');
      const th = thread(ctx, 'vmcs_write64');
      return one(OPS['vmcs_write64']!.rule, 'vmcs_write64(PID_POINTER_TABLE, __pa(kvm_vmx->pid_table))', [set(th.vmcsTable, add(ref(ctx.w.pidTable), 1))]);
    },
  },
  vmcs_write16: {
    summary: 'vmcs_write16(LAST_PID_POINTER_INDEX, max_vcpu_ids - 1) (v7: the cached pid_last_index)',
    rule: 'd588bb9be1da init_vmcs: LAST_PID_POINTER_INDEX = kvm->arch.max_vcpu_ids - 1, read when the vCPU is created (a u16: 0 - 1 is 65535); v7 wrote its cached pid_last_index',
    impl: (ctx, args) => {
      const th = thread(ctx, 'vmcs_write16');
      if (args[0] !== 'LAST_PID_POINTER_INDEX') throw new ModelError('vmcs_write16: only LAST_PID_POINTER_INDEX is modelled');
      const w = ctx.w;
      if (args[1] === 'max_vcpu_ids') return one(OPS['vmcs_write16']!.rule, 'vmcs_write16(LAST_PID_POINTER_INDEX, kvm->arch.max_vcpu_ids - 1)', [set(th.vmcsLast, w.lastIndexOf(ref(w.maxIds)))]);
      if (args[1] === 'pid_last_index') return one(OPS['vmcs_write16']!.rule, 'vmcs_write16(LAST_PID_POINTER_INDEX, kvm_vmx->pid_last_index)', [set(th.vmcsLast, ref(w.lastIndexCache))]);
      throw new ModelError('vmcs_write16(LAST_PID_POINTER_INDEX, ...) needs max_vcpu_ids or pid_last_index');
    },
  },
  kvm_vcpu_reset: {
    summary: 'kvm_vcpu_reset(vcpu, false): runs init_vmcs',
    rule: 'kernel: kvm_vcpu_reset() -> vmx_vcpu_reset() -> __vmx_vcpu_reset() -> init_vmcs() since Sean Christopherson\'s RESET/INIT series (5.15, "KVM: VMX: Move init_vmcs() invocation to vmx_vcpu_reset()"), i.e. after vmx_vcpu_create()',
    impl: () => ({ kind: 'call', program: 'init_vmcs' }),
  },
  smp_wmb: { summary: 'write barrier', rule: BARRIER_WHY, impl: () => ({ kind: 'noop', why: BARRIER_WHY }), inert: true },
  smp_mb: { summary: 'full barrier', rule: BARRIER_WHY, impl: () => ({ kind: 'noop', why: BARRIER_WHY }), inert: true },
  smp_rmb: { summary: 'read barrier', rule: BARRIER_WHY, impl: () => ({ kind: 'noop', why: BARRIER_WHY }), inert: true },
};

// ------------------------------------------------------------------ conditions

type CondImpl = (ctx: IpivCtx) => CondMeaning;
interface CondEntry extends StepDoc {
  readonly impl: CondImpl;
}

function pure(rule: string, expr: Expr): CondMeaning {
  return { kind: 'pure', rule, expr };
}

export const CONDS: Readonly<Record<string, CondEntry>> = {
  created_vcpus_at_max: {
    summary: 'kvm->created_vcpus >= kvm->max_vcpus',
    rule: 'kernel kvm_vm_ioctl_create_vcpu: refuses more vCPUs than kvm->max_vcpus (read under kvm->lock)',
    impl: (ctx) => pure(CONDS['created_vcpus_at_max']!.rule, le(lit(ctx.maxVcpus), ref(ctx.w.created))),
  },
  created_vcpus: {
    summary: 'kvm->created_vcpus != 0',
    rule: 'v8 8/9 (the rule "allowed while no vCPU exists"): KVM_CAP_MAX_VCPU_ID reads created_vcpus under kvm->lock',
    impl: (ctx) => pure(CONDS['created_vcpus']!.rule, ne(ref(ctx.w.created), 0)),
  },
  r: { summary: 'the local result r is an error', rule: 'kernel: `if (r)` after a call that returns an errno', impl: (ctx) => pure(CONDS['r']!.rule, eq(ref(rOf(ctx)), 1)) },
  nomem: {
    summary: '!vcpu: the vCPU structure allocation failed',
    rule: 'kernel kvm_vm_ioctl_create_vcpu: `if (!vcpu)` after kmem_cache_zalloc()',
    impl: (ctx) => pure(CONDS['nomem']!.rule, eq(ref(thread(ctx, '!vcpu').nomem), 1)),
  },
  max_vcpu_ids_set: {
    summary: 'kvm->arch.max_vcpu_ids != 0',
    rule: '35875316384b: zero means "not chosen yet"; pre-create and the capability read it under kvm->lock',
    impl: (ctx) => pure(CONDS['max_vcpu_ids_set']!.rule, ne(ref(ctx.w.maxIds), 0)),
  },
  id_ge_max_vcpu_ids: {
    summary: 'id >= kvm->arch.max_vcpu_ids',
    rule: '35875316384b kvm_arch_vcpu_precreate (v7/v8: kvm_arch_vcpu_create): an id at or above the limit is refused with -EINVAL',
    impl: (ctx) => pure(CONDS['id_ge_max_vcpu_ids']!.rule, le(ref(ctx.w.maxIds), lit(thread(ctx, 'id >= max_vcpu_ids').id))),
  },
  max_vcpu_ids_is_arg: {
    summary: 'kvm->arch.max_vcpu_ids == cap->args[0]',
    rule: '35875316384b: writing the value already set succeeds',
    impl: (ctx) => pure(CONDS['max_vcpu_ids_is_arg']!.rule, eq(ref(ctx.w.maxIds), capArg(ctx, 'max_vcpu_ids == cap->args[0]'))),
  },
  cap_arg_too_big: {
    summary: 'cap->args[0] > KVM_MAX_VCPU_IDS',
    rule: 'kernel: a limit above KVM_MAX_VCPU_IDS is refused (the scenario\'s values are known, so this is decided when the model is built)',
    impl: (ctx) => pure(CONDS['cap_arg_too_big']!.rule, capArg(ctx, 'cap->args[0] > KVM_MAX_VCPU_IDS') > ctx.w.shape.ids ? TRUE : FALSE),
  },
  bsp_vcpu_id_above_arg: {
    summary: 'kvm->arch.bsp_vcpu_id > cap->args[0]',
    rule: 'd29bf2ca1404 (6.11) refuses a limit that excludes the BSP; scenario: the BSP is vCPU 0 (no KVM_SET_BOOT_CPU_ID), so never',
    impl: () => pure(CONDS['bsp_vcpu_id_above_arg']!.rule, FALSE),
  },
  irqchip_in_kernel: { summary: 'irqchip_in_kernel(kvm)', rule: 'scenarios: the LAPIC is in the kernel', impl: () => pure(CONDS['irqchip_in_kernel']!.rule, TRUE) },
  enable_ipiv: {
    summary: 'enable_ipiv',
    rule: 'scenario: the CPU has IPI virtualization and kvm_intel.enable_ipiv is set',
    impl: (ctx) => pure(CONDS['enable_ipiv']!.rule, ctx.platform.ipiv ? TRUE : FALSE),
  },
  vmx_can_use_ipiv: {
    summary: 'vmx_can_use_ipiv(): in-kernel LAPIC and enable_ipiv',
    rule: 'd588bb9be1da: vmx_can_use_ipiv() = lapic_in_kernel() && enable_ipiv (v7: irqchip_in_kernel() && enable_ipiv)',
    impl: (ctx) => pure(CONDS['vmx_can_use_ipiv']!.rule, ctx.platform.ipiv ? TRUE : FALSE),
  },
  kvm_vcpu_apicv_active: { summary: 'APICv active', rule: 'scenarios: APICv is active (IPIv needs it)', impl: () => pure(CONDS['kvm_vcpu_apicv_active']!.rule, TRUE) },
  pid_table_allocated: {
    summary: 'kvm_vmx->pid_table != NULL',
    rule: 'd588bb9be1da vmx_alloc_ipiv_pid_table (v7 too): "if (kvm_vmx->pid_table) return 0;" makes the allocation idempotent, one plain read',
    impl: (ctx) => pure(CONDS['pid_table_allocated']!.rule, ne(ref(ctx.w.pidTable), 0)),
  },
  kvm_get_vcpu_by_id: {
    summary: 'kvm_get_vcpu_by_id(kvm, id): an online vCPU has this id',
    rule: 'kernel kvm_vm_ioctl_create_vcpu: under kvm->lock, a second vCPU with an id already online gets -EEXIST and is destroyed',
    impl: (ctx) => {
      const th = thread(ctx, 'kvm_get_vcpu_by_id');
      const same = ctx.w.threads.filter((o) => o.index !== th.index && o.id === th.id);
      return pure(CONDS['kvm_get_vcpu_by_id']!.rule, or(...same.map((o) => eq(ref(o.vcpu), VCPU_ONLINE))));
    },
  },
};

const PI_STEP_WHY = 'a posted-interrupt step: no effect on the PID table, max_vcpu_ids or vCPU creation';

export const ipivSemantics: Semantics<IpivCtx> = {
  op(ctx, name, args, program) {
    const entry = OPS[name];
    if (entry) return entry.impl(ctx, args);
    const other = areaOfOp(name);
    if (other && other !== 'ipiv') return { kind: 'noop', why: `a step of the ${AREA_TITLES[other]} model: no effect on PID-table state` };
    if (name in PI_OPS) return { kind: 'noop', why: PI_STEP_WHY };
    throw new ModelError(`unknown step ${name} in ${program}`);
  },
  cond(ctx, name) {
    const req = /^kvm_(check|test)_request\.(KVM_REQ_\w+)$/.exec(name);
    if (req) {
      if (!isModelledRequest(req[2]!)) throw new ModelError(`no model area follows ${req[2]}`);
      return pure(`${req[2]} belongs to another model area and is never raised in the IPIv set-up scenarios`, FALSE);
    }
    const entry = CONDS[name];
    if (!entry) throw new ModelError(`unknown condition ${name}`);
    return entry.impl(ctx);
  },
  // As `op`: a no-op entry, or a posted-interrupt step this model has no entry for.
  inert: (name) => (OPS[name] ? OPS[name].inert === true : name in PI_OPS),
  opaque(name) {
    const other = areaOfOp(name);
    return other && other !== 'ipiv' ? `a step of the ${AREA_TITLES[other]} model: no effect on PID-table state` : undefined;
  },
};
