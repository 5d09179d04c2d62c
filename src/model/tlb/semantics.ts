/**
 * What each primitive step and condition of the PV TLB flush programs does, with the fact it
 * encodes. "§2" is ../shared/docs/kvm-model.md §2 "PV TLB flush"; commit ids are where the
 * kernel code changed.
 *
 * Memory model: sequential consistency. Every step is one atomic transition at the granularity
 * the code has: a locked RMW (xchg, cmpxchg) is one step; a read and a later write of the same
 * byte are two steps, and another CPU may run in between (the CVE-2019-3016 window).
 *
 * The posted-interrupt programs the vCPU thread shares (vcpu_run, vcpu_enter_guest) are read
 * here too: VM-entry, the exit path, the request checks, and preemption (which needs host IRQs
 * and preemption enabled) matter; every other posted-interrupt step has no effect on the
 * steal-time byte or on TLBs and is a no-op, saying so.
 */
import { AREA_TITLES, areaOfOp, isModelledRequest } from '../areas';
import { ModelError } from '../errors';
import { Assign, Expr, FALSE, TRUE, and, eq, ite, lit, ne, not, ref } from '../ir';
import { CONDS as PI_CONDS, OPS as PI_OPS } from '../pi/semantics';
import { Alternative, CondMeaning, OpMeaning, Semantics } from '../programCompiler';
import {
  EXIT_EMULATION,
  EXIT_EXTINT,
  EXIT_NONE,
  KVM_VCPU_FLUSH_TLB,
  KVM_VCPU_IPI_PENDING,
  KVM_VCPU_PREEMPTED,
  TLB_FRESH,
  TRANSLATION_FRESH,
  TRANSLATION_NONE,
  TRANSLATION_STALE,
  TlbWorld,
} from './world';

export interface TlbCtx {
  readonly w: TlbWorld;
  /** Who runs the code: the flush initiator (guest), a target's guest IPI handler, its vCPU thread, or its scheduler hooks. */
  readonly runner: 'initiator' | 'guest' | 'thread' | 'sched';
  /** The vCPU whose steal-time byte `src`/`st` names: the code's own vCPU, or the initiator's `cpu`. */
  readonly target: Expr;
  /** The vCPU the code runs as; undefined for the initiator, which is not a target. */
  readonly self: number | undefined;
  /** The `state` and `st_preempted` locals of the running code. */
  readonly locals: { readonly state: number; readonly stPreempted: number };
}

export const COUNTERS = {
  flushIpis: 'TLB-flush IPIs sent by the initiator (one per target vCPU)',
  hostFlushes: 'TLB flushes the host does on the guest\'s behalf before VM-entry',
  cmpxchgFailures: 'compare-exchanges on a steal-time byte that failed (unbounded: a retry loop that can spin forever)',
} as const;

const STEAL_UPDATE = 'KVM_REQ_STEAL_UPDATE';

// ------------------------------------------------------------------ helpers

function self(ctx: TlbCtx, op: string): number {
  if (ctx.self === undefined) throw new ModelError(`${op} runs on a target vCPU, not in the flush initiator`);
  return ctx.self;
}

function me(ctx: TlbCtx, op: string) {
  return ctx.w.target[self(ctx, op)]!;
}

function atomic(rule: string, ...alternatives: Alternative[]): OpMeaning {
  return { kind: 'atomic', rule, alternatives };
}

function one(rule: string, label: string, effects: Assign[], events?: Record<string, number>): OpMeaning {
  return atomic(rule, { guard: TRUE, effects, label, ...(events ? { events } : {}) });
}

function pure(rule: string, expr: Expr): CondMeaning {
  return { kind: 'pure', rule, expr };
}

const set = (id: number, v: number | Expr): Assign => ({ id, e: typeof v === 'number' ? lit(v) : v });

function byteIds(ctx: TlbCtx): number[] {
  return ctx.w.target.map((t) => t.byte);
}

/** `src->preempted` / `st->preempted` of the code's target. */
function byte(ctx: TlbCtx): Expr {
  return ctx.w.byteOf(ctx.target);
}

function writeByte(ctx: TlbCtx, e: Expr | number): Assign[] {
  return ctx.w.setAt(byteIds(ctx), ctx.target, e);
}

function targetName(ctx: TlbCtx): string {
  return ctx.target.k === 'const' ? `st${ctx.target.v}.preempted` : 'per_cpu(steal_time, cpu).preempted';
}

/** The new values seed 003's compare-exchanges write, as functions of the expected value. */
export const NEW_VALUES: Readonly<Record<string, { readonly text: string; readonly f?: (v: number) => number }>> = {
  or_FLUSH_TLB: { text: 'state | KVM_VCPU_FLUSH_TLB', f: (v) => v | KVM_VCPU_FLUSH_TLB },
  or_IPI_PENDING: { text: 'state | KVM_VCPU_IPI_PENDING', f: (v) => v | KVM_VCPU_IPI_PENDING },
  or_PREEMPTED: { text: 'state | KVM_VCPU_PREEMPTED', f: (v) => v | KVM_VCPU_PREEMPTED },
  clear_IPI_PENDING: { text: 'state & ~KVM_VCPU_IPI_PENDING', f: (v) => v & ~KVM_VCPU_IPI_PENDING },
  move_IPI_PENDING: { text: '(state & ~KVM_VCPU_IPI_PENDING) | KVM_VCPU_FLUSH_TLB', f: (v) => (v & ~KVM_VCPU_IPI_PENDING) | KVM_VCPU_FLUSH_TLB },
  mark_preempted: {
    text: 'KVM_VCPU_PREEMPTED | (state & IPI_PENDING ? (state & ~IPI_PENDING) | FLUSH_TLB : state)',
    f: (v) => (v & KVM_VCPU_IPI_PENDING ? (v & ~KVM_VCPU_IPI_PENDING) | KVM_VCPU_FLUSH_TLB : v) | KVM_VCPU_PREEMPTED,
  },
  new_state: { text: 'new_state' },
};

function newValue(ctx: TlbCtx, key: string, state: Expr): Expr {
  const nv = NEW_VALUES[key];
  if (!nv) throw new ModelError(`unknown new value "${key}" (one of ${Object.keys(NEW_VALUES).join(', ')})`);
  if (!nv.f) {
    if (ctx.runner !== 'initiator') throw new ModelError('new_state is a local of the flush initiator');
    return ref(ctx.w.initiator.newState);
  }
  return TlbWorld.mapByte(state, nv.f);
}

/**
 * `try_cmpxchg(&src->preempted, &state, new)`: one locked CMPXCHG. On success the byte becomes
 * `new`; on failure `state` is refreshed with the byte's current value (the kernel macro writes
 * the old value back through its second argument). `byValue` is the variant seed 003 writes as
 * `try_cmpxchg(&src->preempted, state, new)`, read as `cmpxchg(&src->preempted, state, new) ==
 * state`: the expected value is never refreshed, so a failed attempt fails again until the byte
 * comes back to it.
 */
function cmpxchg(ctx: TlbCtx, key: string, byValue: boolean): CondMeaning {
  const state = ctx.locals.state;
  const cur = byte(ctx);
  const equal = eq(cur, ref(state));
  const next = newValue(ctx, key, ref(state));
  const text = `try_cmpxchg(&${targetName(ctx)}, ${byValue ? 'state' : '&state'}, ${NEW_VALUES[key]!.text})`;
  const spin = ctx.runner === 'initiator' ? ctx.w.target.map((t) => t.spinning) : [];
  return {
    kind: 'rmw',
    rule: byValue
      ? 'seed 003 (Peter Zijlstra\'s rewrite): `state` passed where try_cmpxchg() needs `&state`, read as cmpxchg() against a value that is never refreshed; the literal C would not compile today and in 2017 dereferenced `state` as a pointer'
      : 'kernel try_cmpxchg(): one locked CMPXCHG (a full barrier on x86); on failure it stores the value it found through its `old` pointer',
    whenTrue: {
      guard: equal,
      effects: [...writeByte(ctx, next), ...(byValue ? ctx.w.setAt(spin, ctx.target, 0) : [])],
      label: `${text}: byte was state, now ${NEW_VALUES[key]!.text}`,
    },
    whenFalse: {
      guard: not(equal),
      effects: byValue ? ctx.w.setAt(spin, ctx.target, 1) : [set(state, cur)],
      label: byValue ? `${text}: byte changed since state was read; fails, state unchanged` : `${text}: byte changed since state was read; fails, state = byte`,
      events: { cmpxchgFailures: 1 },
    },
  };
}

/** Alternatives over every subset of the mask, so that the IPI counter is exact. */
function perMask(ctx: TlbCtx, label: (who: string) => string, effectsFor: (t: number) => Assign[]): Alternative[] {
  const mask = ctx.w.initiator.flushmask;
  const alts: Alternative[] = [];
  for (let bits = 0; bits < 1 << mask.length; bits++) {
    const inMask = mask.map((_, t) => (bits >> t) & 1);
    const guard = and(...mask.map((id, t) => eq(ref(id), inMask[t]!)));
    const effects = mask.flatMap((_, t) => (inMask[t] ? effectsFor(t) : []));
    const who = mask.map((_, t) => (inMask[t] ? `vCPU${t}` : '')).filter((x) => x);
    const n = who.length;
    alts.push({ guard, effects, label: label(n ? who.join(', ') : 'nobody'), ...(n ? { events: { flushIpis: n } } : {}) });
  }
  return alts;
}

// ------------------------------------------------------------------ the step catalogue

export interface StepDoc {
  readonly summary: string;
  readonly rule: string;
}

type OpImpl = (ctx: TlbCtx, args: readonly string[], program: string) => OpMeaning;
interface OpEntry extends StepDoc {
  readonly impl: OpImpl;
}

const PI_STEP = 'a posted-interrupt step: no effect on the steal-time byte or on TLBs';

export const OPS: Readonly<Record<string, OpEntry>> = {
  // ---------------------------------------------------------------- the vCPU thread (shared programs)
  preempt_disable: {
    summary: 'preemption off',
    rule: 'kernel: the scheduler cannot switch out a task between preempt_disable() and preempt_enable()',
    impl: (ctx) => one(OPS['preempt_disable']!.rule, 'preempt_disable()', [set(me(ctx, 'preempt_disable').preemptDisabled, 1)]),
  },
  preempt_enable: {
    summary: 'preemption on',
    rule: 'kernel: preempt_enable() is a preemption point',
    impl: (ctx) => one(OPS['preempt_enable']!.rule, 'preempt_enable()', [set(me(ctx, 'preempt_enable').preemptDisabled, 0)]),
  },
  local_irq_disable: {
    summary: 'host IRQs off: the task cannot be preempted',
    rule: 'kernel: with IRQs off no reschedule interrupt is taken, so the task is not preempted',
    impl: (ctx) => one(OPS['local_irq_disable']!.rule, 'local_irq_disable()', [set(me(ctx, 'local_irq_disable').irqsDisabled, 1)]),
  },
  local_irq_enable: {
    summary: 'host IRQs on',
    rule: '§2 vcpu_enter_guest step 8: IRQs are enabled after the exit, and a pending reschedule can preempt the task',
    impl: (ctx) => one(OPS['local_irq_enable']!.rule, 'local_irq_enable()', [set(me(ctx, 'local_irq_enable').irqsDisabled, 0)]),
  },
  vm_entry: {
    summary: 'VM-entry: the vCPU runs guest code, with the TLB it has, until a VM-exit',
    rule: 'SDM: VM-entry with VPID does not flush the guest\'s TLB; only an explicit flush (INVVPID/INVEPT) makes it fresh',
    impl: (ctx) => {
      const v = me(ctx, 'vm_entry');
      return one(OPS['vm_entry']!.rule, 'VM-entry (VMLAUNCH/VMRESUME): guest code runs', [set(v.nonroot, 1), set(v.exitReason, EXIT_NONE)]);
    },
  },
  handle_exit_irqoff: {
    summary: 'vendor exit handling with IRQs off; marks an instruction boundary after an external-interrupt exit',
    rule: '6cd88243c7e0 (5.19): handle_external_interrupt_irqoff (VMX) and svm_handle_exit_irqoff (SVM_EXIT_INTR) set vcpu->arch.at_instruction_boundary; no other exit does. Older kernels have no such field and never read it',
    impl: (ctx) => {
      const v = me(ctx, 'handle_exit_irqoff');
      return atomic(
        OPS['handle_exit_irqoff']!.rule,
        { guard: eq(ref(v.exitReason), EXIT_EXTINT), effects: [set(v.atBoundary, 1)], label: 'handle_exit_irqoff(): external interrupt, at_instruction_boundary = true' },
        { guard: ne(ref(v.exitReason), EXIT_EXTINT), effects: [], label: 'handle_exit_irqoff(): not an external interrupt' },
      );
    },
  },
  handle_exit: {
    summary: 'the exit handler: an emulated instruction translates a guest-virtual address, then accesses it',
    rule: '6cd88243c7e0: a vCPU switched out while KVM emulates an instruction may hold a translation it has not yet used (CVE-2022-39189, reported by Jann Horn)',
    impl: () => ({ kind: 'call', program: 'tlb.handle_exit' }),
  },
  clear_at_instruction_boundary: {
    summary: 'vcpu->arch.at_instruction_boundary = false',
    rule: '6cd88243c7e0 (5.19): vcpu_run clears it before every vcpu_enter_guest; "any code after this point can start executing an instruction"',
    impl: (ctx) => one(OPS['clear_at_instruction_boundary']!.rule, 'vcpu->arch.at_instruction_boundary = false', [set(me(ctx, 'clear_at_instruction_boundary').atBoundary, 0)]),
  },
  emulator_translate_gva: {
    summary: 'the emulator walks the guest page tables for a guest-virtual address',
    rule: 'kernel x86_emulate_instruction: a software walk of the guest page tables, so it sees the page-table change if it came first; the result is then held until the access',
    impl: (ctx) => one(OPS['emulator_translate_gva']!.rule, 'emulator translates a guest-virtual address (page walk)', [set(me(ctx, 'emulator_translate_gva').translation, TRANSLATION_FRESH)]),
  },
  emulator_access_gva: {
    summary: 'the emulator accesses guest memory through the translation it holds',
    rule: '6cd88243c7e0: "a virtual address has already been translated but has not yet been accessed ... is equivalent to using a stale TLB entry"',
    impl: (ctx) => {
      const v = me(ctx, 'emulator_access_gva');
      const stale = and(eq(ref(v.translation), TRANSLATION_STALE), eq(ref(v.considered), 1));
      return atomic(
        OPS['emulator_access_gva']!.rule,
        { guard: stale, effects: [set(v.usedStale, 1), set(v.translation, TRANSLATION_NONE)], label: 'emulator accesses guest memory through a translation made before the page-table change' },
        { guard: not(stale), effects: [set(v.translation, TRANSLATION_NONE)], label: 'emulator accesses guest memory' },
      );
    },
  },
  kvm_make_request: {
    summary: 'kvm_make_request(REQ, vcpu)',
    rule: 'kernel kvm_arch_vcpu_load(): kvm_make_request(KVM_REQ_STEAL_UPDATE, vcpu) on every load, so record_steal_time() runs before the next entry',
    impl: (ctx, args) => {
      const name = args[0] ?? '';
      if (name !== STEAL_UPDATE) {
        if (!isModelledRequest(name)) throw new ModelError(`no model area follows ${name}`);
        return { kind: 'noop', why: `${name} belongs to another model area` };
      }
      return one(OPS['kvm_make_request']!.rule, `kvm_make_request(${STEAL_UPDATE})`, [set(me(ctx, 'kvm_make_request').reqStealUpdate, 1)]);
    },
  },

  // ---------------------------------------------------------------- host: steal time (x86.c)
  kvm_vcpu_flush_tlb_guest: {
    summary: 'flush the guest\'s TLB on its behalf (kvm_vcpu_flush_tlb, later kvm_vcpu_flush_tlb_guest)',
    rule: 'f38a7b75267f: record_steal_time() flushes for a vCPU whose byte had FLUSH_TLB, "on the guest\'s behalf"; the flush (INVVPID/INVEPT) happens here, before the next VM-entry',
    impl: (ctx) => one(OPS['kvm_vcpu_flush_tlb_guest']!.rule, 'kvm_vcpu_flush_tlb_guest(): guest TLB flushed', [set(me(ctx, 'kvm_vcpu_flush_tlb_guest').tlb, TLB_FRESH)], { hostFlushes: 1 }),
  },
  'kvm_write_guest_cached.steal': {
    summary: '≤5.5: write the host\'s copy of struct kvm_steal_time back to the guest (the preempted byte included)',
    rule: 'f38a7b75267f record_steal_time(), as in the pre-image of b043138246a4: kvm_write_guest_cached() of the whole struct is a plain store of the copy, preempted byte included (CVE-2019-3016)',
    impl: (ctx) => {
      const v = me(ctx, 'kvm_write_guest_cached');
      return one(OPS['kvm_write_guest_cached.steal']!.rule, 'kvm_write_guest_cached(&vcpu->arch.st.steal): guest byte = host copy', [set(v.byte, ref(v.hostCopy))]);
    },
  },
  'kvm_write_guest_offset_cached.preempted': {
    summary: '≤5.5: write the host\'s copy of the preempted byte to the guest',
    rule: 'kernel ≤5.5 kvm_steal_time_set_preempted(): a plain one-byte store of vcpu->arch.st.steal.preempted',
    impl: (ctx) => {
      const v = me(ctx, 'kvm_write_guest_offset_cached');
      return one(OPS['kvm_write_guest_offset_cached.preempted']!.rule, 'kvm_write_guest_offset_cached(preempted): guest byte = host copy', [set(v.byte, ref(v.hostCopy))]);
    },
  },
  host_st_preempted_set: {
    summary: 'vcpu->arch.st.preempted = KVM_VCPU_PREEMPTED (≤5.5: vcpu->arch.st.steal.preempted)',
    rule: 'kernel kvm_steal_time_set_preempted(): the host remembers that it marked the vCPU preempted (a6bd811f1209 made it its own field)',
    impl: (ctx) => one(OPS['host_st_preempted_set']!.rule, 'vcpu->arch.st.preempted = KVM_VCPU_PREEMPTED', [set(me(ctx, 'host_st_preempted_set').hostCopy, KVM_VCPU_PREEMPTED)]),
  },
  host_st_preempted_clear: {
    summary: 'vcpu->arch.st.preempted = 0',
    rule: 'a6bd811f1209 (5.6): record_steal_time() clears the host\'s copy once it has cleared the guest byte',
    impl: (ctx) => one(OPS['host_st_preempted_clear']!.rule, 'vcpu->arch.st.preempted = 0', [set(me(ctx, 'host_st_preempted_clear').hostCopy, 0)]),
  },
  st_preempted_set_both: {
    summary: '5.6–5.15: st->preempted = vcpu->arch.st.preempted = KVM_VCPU_PREEMPTED',
    rule: 'b043138246a4/a6bd811f1209 (5.6): a plain byte store to the mapped guest page; it does not OR in FLUSH_TLB',
    impl: (ctx) => {
      const v = me(ctx, 'st_preempted_set_both');
      return one(OPS['st_preempted_set_both']!.rule, 'st->preempted = vcpu->arch.st.preempted = KVM_VCPU_PREEMPTED', [set(v.byte, KVM_VCPU_PREEMPTED), set(v.hostCopy, KVM_VCPU_PREEMPTED)]);
    },
  },
  st_preempted_clear: {
    summary: 'st->preempted = 0 (a plain store)',
    rule: 'kernel: `st->preempted = 0` / `unsafe_put_user(0, &st->preempted, out)` is a plain one-byte store, not an RMW',
    impl: (ctx) => one(OPS['st_preempted_clear']!.rule, 'st->preempted = 0 (plain store)', [set(me(ctx, 'st_preempted_clear').byte, 0)]),
  },
  st_preempted_xchg: {
    summary: 'st_preempted = xchg(&st->preempted, 0) (one locked XCHG)',
    rule: 'b043138246a4 (5.6) and af3511ff7fa2 (5.14): one atomic xchg reads and clears the guest byte, so a FLUSH_TLB set before it is seen and one set after it stays; 7e2175ebd695 (5.16) spells it as an asm xchgb with an exception-table entry',
    impl: (ctx) => {
      const v = me(ctx, 'st_preempted_xchg');
      return one(OPS['st_preempted_xchg']!.rule, 'st_preempted = xchg(&st->preempted, 0)', [set(ctx.locals.stPreempted, ref(v.byte)), set(v.byte, 0)]);
    },
  },
  st_preempted_read: {
    summary: 'st_preempted = st->preempted (a plain read)',
    rule: 'kernel: a plain load of the guest byte; a later store of 0 is a separate step',
    impl: (ctx) => one(OPS['st_preempted_read']!.rule, 'st_preempted = st->preempted (plain read)', [set(ctx.locals.stPreempted, ref(me(ctx, 'st_preempted_read').byte))]),
  },

  // ---------------------------------------------------------------- guest: kvm_flush_tlb_multi (kvm.c)
  cpumask_copy: {
    summary: 'flushmask = the CPUs to flush (every target vCPU)',
    rule: '858a43aae236: cpumask_copy(flushmask, cpumask); the model\'s mask holds the target vCPUs (the initiator flushes itself natively and is never preempted while it runs)',
    impl: (ctx) => one(OPS['cpumask_copy']!.rule, 'cpumask_copy(flushmask, cpumask)', ctx.w.initiator.flushmask.map((id) => set(id, 1))),
  },
  for_each_cpu: {
    summary: 'start of for_each_cpu(cpu, mask): cpu = -1',
    rule: 'include/linux/cpumask.h: for_each_cpu(cpu, mask) is `for ((cpu) = -1; (cpu) = cpumask_next((cpu), (mask)), (cpu) < nr_cpu_ids;)`',
    impl: (ctx, args) => {
      if (args[0] !== 'flushmask') throw new ModelError('for_each_cpu: the model iterates flushmask only');
      return one(OPS['for_each_cpu']!.rule, 'for_each_cpu(cpu, flushmask): cpu = -1', [set(ctx.w.initiator.cpu, ctx.w.cpuStart)]);
    },
  },
  read_preempted: {
    summary: 'state = READ_ONCE(src->preempted)',
    rule: '858a43aae236: a plain read of the target\'s steal-time byte; the target may change it right after',
    impl: (ctx) => one(OPS['read_preempted']!.rule, `state = READ_ONCE(${targetName(ctx)})`, [set(ctx.locals.state, byte(ctx))]),
  },
  new_state: {
    summary: 'new_state = f(state) (seed 003\'s rewrite)',
    rule: 'seed 003: `new_state = state | KVM_VCPU_SHOULD_FLUSH` or `state | KVM_VCPU_IPI_PENDING`, a local computation',
    impl: (ctx, args) => {
      const key = args[0] ?? '';
      if (ctx.runner !== 'initiator') throw new ModelError('new_state is a local of the flush initiator');
      if (key === 'new_state' || !NEW_VALUES[key]) throw new ModelError(`new_state needs one of ${Object.keys(NEW_VALUES).filter((k) => k !== 'new_state').join(', ')}`);
      return one(OPS['new_state']!.rule, `new_state = ${NEW_VALUES[key]!.text}`, [set(ctx.w.initiator.newState, newValue(ctx, key, ref(ctx.locals.state)))]);
    },
  },
  __cpumask_clear_cpu: {
    summary: 'drop cpu from flushmask: no IPI, no wait; the initiator counts it as flushed',
    rule: '858a43aae236: a vCPU whose byte now carries FLUSH_TLB is dropped from the mask; the host flushes before it runs again',
    impl: (ctx) => {
      const i = ctx.w.initiator;
      const cpu = ref(i.cpu);
      return one(OPS['__cpumask_clear_cpu']!.rule, '__cpumask_clear_cpu(cpu, flushmask): no IPI for it', [
        ...ctx.w.setAt(i.flushmask, cpu, 0),
        ...ctx.w.setAt(
          ctx.w.target.map((t) => t.considered),
          cpu,
          1,
        ),
      ]);
    },
  },
  send_call_function_ipi: {
    summary: 'smp_call_function_many(): queue a csd and send CALL_FUNCTION_VECTOR to every CPU left in flushmask',
    rule: 'kernel native_flush_tlb_others/multi -> smp_call_function_many(): each target runs flush_tlb_func from its IPI handler and then releases its csd',
    impl: (ctx) =>
      atomic(
        OPS['send_call_function_ipi']!.rule,
        ...perMask(
          ctx,
          (who) => `smp_call_function_many(flushmask): CALL_FUNCTION IPI to ${who}`,
          (t) => [set(ctx.w.target[t]!.ipiCallFunction, 1), set(ctx.w.target[t]!.csd, 1)],
        ),
      ),
  },
  csd_lock_wait: {
    summary: 'wait until every csd sent is released (wait=1)',
    rule: 'kernel smp_call_function_many() with wait: csd_lock_wait() spins on each target\'s csd until its handler has run; the initiator then counts those vCPUs as flushed',
    impl: (ctx) => {
      const w = ctx.w;
      return atomic(OPS['csd_lock_wait']!.rule, {
        guard: not(w.anyCsd()),
        effects: w.target.map((t, k) => set(t.considered, ite(eq(ref(w.initiator.flushmask[k]!), 1), 1, ref(t.considered)))),
        label: 'csd_lock_wait(): every target ran flush_tlb_func; waiting done',
      });
    },
  },
  send_tlb_ipi: {
    summary: 'apic->send_IPI_mask(flushmask, CALL_TLB_VECTOR): seed 003\'s dedicated TLB IPI',
    rule: 'seed 003: "switch (back) to a dedicated TLB invalidate IPI"; the vector reaches the guest when it next runs',
    impl: (ctx) =>
      atomic(
        OPS['send_tlb_ipi']!.rule,
        ...perMask(
          ctx,
          (who) => `apic->send_IPI_mask(flushmask, CALL_TLB_VECTOR) to ${who}`,
          (t) => [set(ctx.w.target[t]!.ipiTlb, 1)],
        ),
      ),
  },
  wait_ipi_pending_clear: {
    summary: 'smp_cond_load_acquire(&src->preempted, !(VAL & KVM_VCPU_IPI_PENDING))',
    rule: 'seed 003: the initiator spins until the target\'s handler or its VM-exit clears IPI_PENDING, then counts it as flushed',
    impl: (ctx) => {
      const i = ctx.w.initiator;
      return atomic(OPS['wait_ipi_pending_clear']!.rule, {
        guard: not(TlbWorld.hasBit(byte(ctx), KVM_VCPU_IPI_PENDING)),
        effects: ctx.w.setAt(
          ctx.w.target.map((t) => t.considered),
          ref(i.cpu),
          1,
        ),
        label: 'smp_cond_load_acquire(&src->preempted, !(VAL & IPI_PENDING)): cleared; waiting done',
      });
    },
  },
  local_flush_tlb: {
    summary: 'the guest flushes its own TLB',
    rule: 'SDM: a guest MOV CR3/INVPCID flushes this vCPU\'s TLB',
    impl: (ctx) => one(OPS['local_flush_tlb']!.rule, 'local_flush_tlb()', [set(me(ctx, 'local_flush_tlb').tlb, TLB_FRESH)]),
  },
};

// ------------------------------------------------------------------ conditions

type CondImpl = (ctx: TlbCtx) => CondMeaning;
interface CondEntry extends StepDoc {
  readonly impl: CondImpl;
}

export const CONDS: Readonly<Record<string, CondEntry>> = {
  // ---------------------------------------------------------------- the vCPU thread (shared programs)
  kvm_request_pending: {
    summary: 'kvm_request_pending(): some request is set',
    rule: 'kernel vcpu_enter_guest: the request block runs only when a request is pending; only KVM_REQ_STEAL_UPDATE is raised in these scenarios',
    impl: (ctx) => pure(CONDS['kvm_request_pending']!.rule, eq(ref(me(ctx, 'kvm_request_pending').reqStealUpdate), 1)),
  },
  kvm_vcpu_exit_request: {
    summary: 'kvm_vcpu_exit_request(): a request is pending (the entry is cancelled)',
    rule: '§2 vcpu_enter_guest step 5: a request raised after the request block (here: by kvm_arch_vcpu_load on a sched-in) cancels the entry',
    impl: (ctx) => pure(CONDS['kvm_vcpu_exit_request']!.rule, eq(ref(me(ctx, 'kvm_vcpu_exit_request').reqStealUpdate), 1)),
  },
  kvm_lapic_enabled: { summary: 'in-kernel LAPIC', rule: 'scenarios run with an in-kernel, enabled LAPIC', impl: () => pure(CONDS['kvm_lapic_enabled']!.rule, TRUE) },
  kvm_vcpu_apicv_active: { summary: 'APICv active', rule: 'scenario fact; no effect on steal time', impl: () => pure(CONDS['kvm_vcpu_apicv_active']!.rule, TRUE) },
  is_guest_mode: { summary: 'L2 runs', rule: 'the PV TLB scenarios run no nested guest', impl: () => pure(CONDS['is_guest_mode']!.rule, FALSE) },
  fastpath_reenter: { summary: 'fastpath re-entry', rule: 'the PV TLB scenarios take no fastpath exits', impl: () => pure(CONDS['fastpath_reenter']!.rule, FALSE) },
  kvm_vcpu_running: { summary: 'mp_state is RUNNABLE', rule: 'the target vCPUs never halt in these scenarios', impl: () => pure(CONDS['kvm_vcpu_running']!.rule, TRUE) },
  preempted: {
    summary: 'vcpu->preempted',
    rule: 'kernel kvm_sched_out(): vcpu->preempted = true when the task is switched out still runnable; kvm_sched_in() clears it',
    impl: (ctx) => pure(CONDS['preempted']!.rule, eq(ref(me(ctx, 'preempted').preempted), 1)),
  },
  exit_emulates_instruction: {
    summary: 'the exit is handled by emulating an instruction',
    rule: 'scenario: an EPT misconfiguration (MMIO) or string I/O exit goes through x86_emulate_instruction',
    impl: (ctx) => pure(CONDS['exit_emulates_instruction']!.rule, eq(ref(me(ctx, 'exit_emulates_instruction').exitReason), EXIT_EMULATION)),
  },
  at_instruction_boundary: {
    summary: 'vcpu->arch.at_instruction_boundary',
    rule: '6cd88243c7e0 (5.19): kvm_steal_time_set_preempted() marks the vCPU preempted only at an instruction boundary',
    impl: (ctx) => pure(CONDS['at_instruction_boundary']!.rule, eq(ref(me(ctx, 'at_instruction_boundary').atBoundary), 1)),
  },

  // ---------------------------------------------------------------- host: steal time (x86.c)
  'kvm_read_guest_cached.steal': {
    summary: '≤5.5: copy the guest\'s struct kvm_steal_time into vcpu->arch.st.steal (non-zero on a fault)',
    rule: 'f38a7b75267f record_steal_time(): kvm_read_guest_cached() is a plain read of the guest struct; the xchg that follows works on the host copy (CVE-2019-3016). Faults are not modelled',
    impl: (ctx) => {
      const v = me(ctx, 'kvm_read_guest_cached');
      return {
        kind: 'rmw',
        rule: CONDS['kvm_read_guest_cached.steal']!.rule,
        whenTrue: { guard: FALSE, effects: [], label: 'kvm_read_guest_cached(): fault' },
        whenFalse: { guard: TRUE, effects: [set(v.hostCopy, ref(v.byte))], label: 'kvm_read_guest_cached(&vcpu->arch.st.steal): host copy = guest byte' },
      };
    },
  },
  host_st_xchg_flush_tlb: {
    summary: '≤5.5: xchg(&vcpu->arch.st.steal.preempted, 0) & KVM_VCPU_FLUSH_TLB, on the host copy',
    rule: 'f38a7b75267f: the xchg is atomic but works on the host\'s copy, so it does not stop the guest from setting FLUSH_TLB in its own byte meanwhile',
    impl: (ctx) => {
      const v = me(ctx, 'host_st_xchg_flush_tlb');
      const flush = TlbWorld.hasBit(ref(v.hostCopy), KVM_VCPU_FLUSH_TLB);
      return {
        kind: 'rmw',
        rule: CONDS['host_st_xchg_flush_tlb']!.rule,
        whenTrue: { guard: flush, effects: [set(v.hostCopy, 0)], label: 'xchg(&vcpu->arch.st.steal.preempted, 0): copy had FLUSH_TLB' },
        whenFalse: { guard: not(flush), effects: [set(v.hostCopy, 0)], label: 'xchg(&vcpu->arch.st.steal.preempted, 0): copy had no FLUSH_TLB' },
      };
    },
  },
  st_xchg_flush_tlb: {
    summary: '5.6–5.13: xchg(&st->preempted, 0) & KVM_VCPU_FLUSH_TLB, on the guest byte',
    rule: 'b043138246a4 (5.6, CVE-2019-3016): one locked XCHG on the mapped guest page',
    impl: (ctx) => {
      const v = me(ctx, 'st_xchg_flush_tlb');
      const flush = TlbWorld.hasBit(ref(v.byte), KVM_VCPU_FLUSH_TLB);
      return {
        kind: 'rmw',
        rule: CONDS['st_xchg_flush_tlb']!.rule,
        whenTrue: { guard: flush, effects: [set(v.byte, 0)], label: 'xchg(&st->preempted, 0): had FLUSH_TLB' },
        whenFalse: { guard: not(flush), effects: [set(v.byte, 0)], label: 'xchg(&st->preempted, 0): no FLUSH_TLB' },
      };
    },
  },
  st_preempted_flush_tlb: {
    summary: 'st_preempted & KVM_VCPU_FLUSH_TLB',
    rule: 'af3511ff7fa2 (5.14): the value the xchg returned decides the flush',
    impl: (ctx) => pure(CONDS['st_preempted_flush_tlb']!.rule, TlbWorld.hasBit(ref(ctx.locals.stPreempted), KVM_VCPU_FLUSH_TLB)),
  },
  st_preempted_ipi_pending: {
    summary: 'st_preempted & KVM_VCPU_IPI_PENDING (seed 003\'s bit, as the host would have to read it)',
    rule: 'seed 003: a byte the host clears with IPI_PENDING set still owes the initiator a flush',
    impl: (ctx) => pure(CONDS['st_preempted_ipi_pending']!.rule, TlbWorld.hasBit(ref(ctx.locals.stPreempted), KVM_VCPU_IPI_PENDING)),
  },
  host_st_preempted: {
    summary: 'vcpu->arch.st.preempted (≤5.5: vcpu->arch.st.steal.preempted) is set',
    rule: '8c6de56a42e0 (5.6, CVE-2019-3016): kvm_steal_time_set_preempted() returns if the vCPU is already marked, so it cannot overwrite a FLUSH_TLB the guest set since',
    impl: (ctx) => pure(CONDS['host_st_preempted']!.rule, ne(ref(me(ctx, 'host_st_preempted').hostCopy), 0)),
  },
  'copy_to_user_nofault.preempted': {
    summary: '5.16+: copy_to_user_nofault(&st->preempted, &preempted, 1) (non-zero on a fault)',
    rule: '7e2175ebd695 (5.16): a plain one-byte store of KVM_VCPU_PREEMPTED to the guest page; it does not OR in FLUSH_TLB. Faults are not modelled',
    impl: (ctx) => {
      const v = me(ctx, 'copy_to_user_nofault');
      return {
        kind: 'rmw',
        rule: CONDS['copy_to_user_nofault.preempted']!.rule,
        whenTrue: { guard: FALSE, effects: [], label: 'copy_to_user_nofault(): fault' },
        whenFalse: { guard: TRUE, effects: [set(v.byte, KVM_VCPU_PREEMPTED)], label: 'copy_to_user_nofault(&st->preempted, KVM_VCPU_PREEMPTED): plain store' },
      };
    },
  },

  // ---------------------------------------------------------------- guest and seed 003
  'cpumask_next.flushmask': {
    summary: 'cpu = cpumask_next(cpu, flushmask), cpu < nr_cpu_ids',
    rule: 'include/linux/cpumask.h: for_each_cpu advances to the next CPU set in the mask, reading the mask as it is now',
    impl: (ctx) => {
      const w = ctx.w;
      const i = w.initiator;
      const cpu = ref(i.cpu);
      const firstFrom = (k: number): Expr => (k >= w.targets ? lit(w.cpuEnd) : ite(eq(ref(i.flushmask[k]!), 1), k, firstFrom(k + 1)));
      let next: Expr = firstFrom(0);
      for (let c = w.targets - 1; c >= 0; c--) next = ite(eq(cpu, c), firstFrom(c + 1), next);
      return {
        kind: 'rmw',
        rule: CONDS['cpumask_next.flushmask']!.rule,
        whenTrue: { guard: ne(next, w.cpuEnd), effects: [set(i.cpu, next)], label: 'cpumask_next(cpu, flushmask): next CPU' },
        whenFalse: { guard: eq(next, w.cpuEnd), effects: [set(i.cpu, w.cpuEnd)], label: 'cpumask_next(cpu, flushmask): no more CPUs' },
      };
    },
  },
  state_preempted: {
    summary: 'state & KVM_VCPU_PREEMPTED',
    rule: '858a43aae236: the initiator decides on the value it read, which may be stale by now',
    impl: (ctx) => pure(CONDS['state_preempted']!.rule, TlbWorld.hasBit(ref(ctx.locals.state), KVM_VCPU_PREEMPTED)),
  },
  state_ipi_pending: {
    summary: 'state & KVM_VCPU_IPI_PENDING',
    rule: 'seed 003: the handler and the VM-exit path act only when IPI_PENDING is set in the value they read',
    impl: (ctx) => pure(CONDS['state_ipi_pending']!.rule, TlbWorld.hasBit(ref(ctx.locals.state), KVM_VCPU_IPI_PENDING)),
  },
  new_state_ipi_pending: {
    summary: 'new_state & KVM_VCPU_IPI_PENDING',
    rule: 'seed 003 (the rewrite): the mask test after the loop',
    impl: (ctx) => pure(CONDS['new_state_ipi_pending']!.rule, TlbWorld.hasBit(ref(ctx.w.initiator.newState), KVM_VCPU_IPI_PENDING)),
  },
  new_state_flush_tlb: {
    summary: 'new_state & KVM_VCPU_SHOULD_FLUSH',
    rule: 'seed 003 (the rewrite, as its first version means it): drop the vCPU from the mask when the host will flush it',
    impl: (ctx) => pure(CONDS['new_state_flush_tlb']!.rule, TlbWorld.hasBit(ref(ctx.w.initiator.newState), KVM_VCPU_FLUSH_TLB)),
  },
};

/** `try_cmpxchg.<new>` and `try_cmpxchg_by_value.<new>`. */
function cmpxchgCond(ctx: TlbCtx, name: string): CondMeaning | undefined {
  const m = /^try_cmpxchg(_by_value)?\.(\w+)$/.exec(name);
  if (!m) return undefined;
  return cmpxchg(ctx, m[2]!, !!m[1]);
}

function requestCond(ctx: TlbCtx, kind: 'check' | 'test', name: string): CondMeaning {
  if (name !== STEAL_UPDATE) {
    if (!isModelledRequest(name)) throw new ModelError(`no model area follows ${name}`);
    return pure(`${name} belongs to another model area and is never raised in the PV TLB scenarios`, FALSE);
  }
  const id = me(ctx, 'kvm_check_request').reqStealUpdate;
  if (kind === 'test') return pure(`kernel kvm_test_request(): reads ${name} without clearing it`, eq(ref(id), 1));
  return {
    kind: 'rmw',
    rule: `kernel kvm_check_request(): test-and-clear of ${name}; vcpu_enter_guest then calls record_steal_time()`,
    whenTrue: { guard: eq(ref(id), 1), effects: [set(id, 0)], label: `kvm_check_request(${name}): pending, handled` },
    whenFalse: { guard: eq(ref(id), 0), effects: [], label: `kvm_check_request(${name}): not pending` },
  };
}

/** Programs of the shared vCPU loop that the PV TLB scenarios never enter. */
const OPAQUE: Readonly<Record<string, string>> = {
  vcpu_block: 'HLT and blocking are not part of the PV TLB scenarios: the target vCPUs never halt',
};

export const tlbSemantics: Semantics<TlbCtx> = {
  op(ctx, name, args, program) {
    const entry = OPS[name];
    if (entry) return entry.impl(ctx, args, program);
    const other = areaOfOp(name);
    if (other && other !== 'tlb') return { kind: 'noop', why: `a step of the ${AREA_TITLES[other]} model: no effect on the steal-time byte or on TLBs` };
    if (PI_OPS[name]) return { kind: 'noop', why: PI_STEP };
    throw new ModelError(`unknown step ${name} in ${program}`);
  },
  cond(ctx, name) {
    const req = /^kvm_(check|test)_request\.(KVM_REQ_\w+)$/.exec(name);
    if (req) return requestCond(ctx, req[1] as 'check' | 'test', req[2]!);
    const x = cmpxchgCond(ctx, name);
    if (x) return x;
    const entry = CONDS[name];
    if (entry) return entry.impl(ctx);
    if (PI_CONDS[name]) throw new ModelError(`condition ${name} is a posted-interrupt condition the PV TLB model does not read`);
    throw new ModelError(`unknown condition ${name}`);
  },
  // As `op`: a posted-interrupt step this model has no entry for.
  inert: (name) => !OPS[name] && PI_OPS[name] !== undefined,
  opaque(name) {
    const other = areaOfOp(name);
    if (other && other !== 'tlb') return `a step of the ${AREA_TITLES[other]} model: no effect on the steal-time byte or on TLBs`;
    return OPAQUE[name];
  },
};
