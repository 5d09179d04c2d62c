/**
 * What each primitive step and condition of the posted-interrupt programs does, with the
 * fact it encodes. "§n" refers to ../shared/docs/kvm-model.md; "SDM" to the Intel SDM.
 *
 * Every step below is one atomic transition, at the granularity of the kernel code (one locked
 * RMW, one plain read or write, or one lock-held critical section). Under sequential
 * consistency barriers order nothing further and compile to nothing. Under x86-TSO
 * (../tso.ts) each step's ordering comes from ordering.ts: locked and fencing steps wait for
 * the store buffer to drain, and the vCPU's plain stores to vcpu->mode are buffered.
 */
import { ModelError } from '../errors';
import { Assign, Expr, FALSE, TRUE, and, eq, ite, lit, ne, not, or, ref } from '../ir';
import { AREA_TITLES, areaOfOp, isModelledRequest } from '../areas';
import { Alternative, CondMeaning, OpMeaning, Semantics } from '../programCompiler';
import { BARRIERS } from '../barriers';
import { CHECK_REQUEST_ORDER, COND_ORDER, OP_ORDER, X86Order, drains } from './ordering';
import {
  EXITING_GUEST_MODE,
  EXIT_EXTINT,
  EXIT_FASTPATH,
  EXIT_HLT,
  EXIT_NONE,
  HOST_VECTORS,
  HostVector,
  IN_GUEST_MODE,
  MODES,
  MP_STATES,
  NV_POSTED,
  NV_VALUES,
  NV_WAKEUP,
  OUTSIDE_GUEST_MODE,
  PHASE_SCHED_OUT,
  PiWorld,
  REQUESTS,
  RequestName,
} from './world';

/** Scenario facts that the kernel reads as configuration. */
export interface PiPlatform {
  /** APICv active for the vCPU (not inhibited). */
  readonly apicvActive: boolean;
  /** An assigned device posts through VT-d (`vmx_can_use_vtd_pi`). */
  readonly vtdPosting: boolean;
  /** IPI virtualization is enabled (`vmx_can_use_ipiv`). */
  readonly ipiv: boolean;
}

export interface PiCtx {
  readonly w: PiWorld;
  readonly platform: PiPlatform;
  /** The vCPU this code acts on. */
  readonly vcpu: number;
  /** `smp_processor_id()` for this code. */
  readonly thisCpu: Expr;
  /** The `cpu` argument of `vmx_vcpu_pi_load`. */
  readonly loadCpu: Expr;
  /** Code on the VM-entry path: PIR reads count as `pirScansOnEntry`. */
  readonly entryPath: boolean;
  /** The vector a sender posts. */
  readonly vector: number;
  /** Who runs the code: the vCPU's own thread, its scheduler hooks, or another CPU. */
  readonly runner: 'thread' | 'sched' | 'remote';
  /** Local variables of the running actor. */
  readonly locals: { readonly r: number; readonly got: number; readonly onSeen: number };
}

export const COUNTERS = {
  notificationsInHost: 'notifications that arrive while the target is in the host (seed 000 "PIN count")',
  vmExits: 'VM-exits',
  kicks: 'reschedule IPIs sent by kvm_vcpu_kick',
  pirScansOnEntry: 'PIR scans on the VM-entry path (seed 000 "1.58%")',
  cancelledEntries: 'entries cancelled by kvm_vcpu_exit_request',
} as const;
export type CounterName = keyof typeof COUNTERS;

const BARRIER_WHY = 'a barrier: under sequential consistency it orders nothing further; under x86-TSO see ordering.ts';

// ------------------------------------------------------------------ helpers

function vc(ctx: PiCtx) {
  return ctx.w.vcpu[ctx.vcpu]!;
}

function atomic(rule: string, ...alternatives: Alternative[]): OpMeaning {
  return { kind: 'atomic', rule, alternatives };
}

function one(rule: string, label: string, effects: Assign[], events?: Record<string, number>): OpMeaning {
  return atomic(rule, { guard: TRUE, effects, label, ...(events ? { events } : {}) });
}

function parseArgs(args: readonly string[]): Map<string, string> {
  const m = new Map<string, string>();
  for (const a of args) {
    const [k, v] = a.split('=');
    m.set(k!, v ?? '');
  }
  return m;
}

function hostVector(name: string | undefined, op: string): HostVector {
  const full = name === 'WAKEUP' ? 'POSTED_INTR_WAKEUP_VECTOR' : name === 'POSTED' ? 'POSTED_INTR_VECTOR' : name === 'RESCHEDULE' ? 'RESCHEDULE_VECTOR' : name;
  if (!full || !(HOST_VECTORS as readonly string[]).includes(full)) throw new ModelError(`${op} needs a vector (POSTED, WAKEUP or RESCHEDULE), got ${name ?? 'none'}`);
  return full as HostVector;
}

function cpuArg(ctx: PiCtx, name: string | undefined, op: string): Expr {
  switch (name ?? 'vcpu_cpu') {
    case 'cpu':
      return ctx.loadCpu;
    case 'this':
      return ctx.thisCpu;
    case 'vcpu_cpu':
      return ref(vc(ctx).cpu);
    case 'pre_pcpu':
      return ref(vc(ctx).prePcpu);
    default:
      throw new ModelError(`${op}: unknown pCPU "${name}" (cpu, this, vcpu_cpu or pre_pcpu)`);
  }
}

/** `kvm_vcpu_wake_up`: the wake, and whether it happened. */
export function wakeUp(w: PiWorld, vcpu: number): { woke: Expr; effects: Assign[] } {
  const v = w.vcpu[vcpu]!;
  // rcuwait_wake_up() wakes the task only while it waits in its rcuwait (kvm_vcpu_is_blocking),
  // and try_to_wake_up() acts only on a task that is not TASK_RUNNING: it sets TASK_RUNNING and
  // puts the task back on a runqueue if schedule() had taken it off (§2 "Kick and wake").
  const woke = and(eq(ref(v.blocking), 1), eq(ref(v.task), 1));
  return {
    woke,
    // Effects are sequential: the runqueue write must read the task state before it changes.
    effects: [
      { id: v.onRq, e: ite(woke, 1, ref(v.onRq)) },
      { id: v.task, e: ite(woke, 0, ref(v.task)) },
    ],
  };
}

/** Sends vector `NV` to pCPU `NDST`, both read from the descriptor at run time. */
function notifyByDescriptor(w: PiWorld, vcpu: number): Assign[] {
  const pid = w.vcpu[vcpu]!.pid;
  const out: Assign[] = [];
  for (const p of w.pcpu) {
    for (const [nv, x] of [
      [NV_POSTED, 'POSTED_INTR_VECTOR'],
      [NV_WAKEUP, 'POSTED_INTR_WAKEUP_VECTOR'],
    ] as const) {
      const id = p.irr[x];
      out.push({ id, e: ite(and(eq(ref(pid.ndst), p.index), eq(ref(pid.nv), nv)), 1, ref(id)) });
    }
  }
  return out;
}

/**
 * Posting by hardware (VT-d for a device, the CPU itself for IPIv), §1 "Hardware posting":
 * set PIR[v]; atomically with it, if ON==0 && SN==0 set ON and send NV to NDST. With SN=1 the
 * bit lands in PIR, ON stays 0 and nobody is told.
 */
export function hardwarePost(w: PiWorld, vcpu: number, vector: number, who: string): Alternative[] {
  const pid = w.vcpu[vcpu]!.pid;
  const quiet = or(eq(ref(pid.on), 1), eq(ref(pid.sn), 1));
  return [
    {
      guard: quiet,
      effects: [{ id: pid.pir[vector]!, e: lit(1) }],
      label: `${who} posts vector ${vector}: PIR[${vector}]=1; ON or SN already set, no notification`,
    },
    {
      guard: not(quiet),
      effects: [{ id: pid.pir[vector]!, e: lit(1) }, { id: pid.on, e: lit(1) }, ...notifyByDescriptor(w, vcpu)],
      label: `${who} posts vector ${vector}: PIR[${vector}]=1, ON=1, notification NV to NDST`,
    },
  ];
}

/** `kvm_make_request`: the request bit, and the ghost of a request the vCPU must see before entry. */
function makeRequest(ctx: PiCtx, req: RequestName): Assign[] {
  const v = vc(ctx);
  // Ghost for `request-before-entry`: a request raised by the vCPU itself, or raised while the
  // vCPU was in OUTSIDE_GUEST_MODE, was raised before the entry decision, so the vCPU must see it
  // before it enters. Once the vCPU has published IN_GUEST_MODE (or a kick has already turned it
  // into EXITING_GUEST_MODE), getting it out is the kicker's job.
  const beforeDecision = ctx.runner === 'thread' ? TRUE : eq(ref(v.mode), OUTSIDE_GUEST_MODE);
  return [
    { id: v.req[req], e: lit(1) },
    { id: v.unkicked[req], e: beforeDecision.k === 'const' ? beforeDecision : or(eq(ref(v.unkicked[req]), 1), beforeDecision) },
  ];
}

/** The host handler of a vector, run on pCPU `p` in root mode (§1 "A notification IRQ arriving"). */
export function hostHandler(w: PiWorld, p: number, x: HostVector): { effects: Assign[]; what: string; events?: Record<string, number> } {
  switch (x) {
    case 'POSTED_INTR_VECTOR':
      // The PI vector's host handler only acknowledges: nothing moves from PIR.
      return { effects: [], what: 'POSTED_INTR_VECTOR handler: acknowledge only, PIR untouched', events: { notificationsInHost: 1 } };
    case 'RESCHEDULE_VECTOR':
      return { effects: [], what: 'RESCHEDULE_VECTOR handler: nothing for KVM' };
    case 'POSTED_INTR_WAKEUP_VECTOR': {
      // pi_wakeup_handler walks this pCPU's wakeup list, under its lock, and wakes every
      // listed vCPU whose ON is set.
      const effects: Assign[] = [];
      for (const v of w.vcpu) {
        const listed = and(eq(ref(w.pcpu[p]!.wakeupList[v.index]!), 1), eq(ref(v.pid.on), 1));
        const wake = wakeUp(w, v.index);
        for (const a of wake.effects) effects.push({ id: a.id, e: ite(listed, a.e, ref(a.id)) });
      }
      return { effects, what: 'pi_wakeup_handler: wake every vCPU on this pCPU\'s list whose ON is set' };
    }
  }
}

// ------------------------------------------------------------------ the step catalogue

export interface StepDoc {
  /** What the step does in the model. */
  readonly summary: string;
  /** The fact it encodes. */
  readonly rule: string;
}

type OpImpl = (ctx: PiCtx, args: Map<string, string>, program: string) => OpMeaning;

interface OpEntry extends StepDoc {
  readonly impl: OpImpl;
}

const set = (id: number, v: number | Expr): Assign => ({ id, e: typeof v === 'number' ? lit(v) : v });

export const OPS: Readonly<Record<string, OpEntry>> = {
  preempt_disable: {
    summary: 'preemption off',
    rule: 'kernel: the scheduler cannot switch out a task between preempt_disable() and preempt_enable()',
    impl: (ctx) => one(OPS['preempt_disable']!.rule, 'preempt_disable()', [set(vc(ctx).preemptDisabled, 1)]),
  },
  preempt_enable: {
    summary: 'preemption on',
    rule: 'kernel: preempt_enable() is a preemption point',
    impl: (ctx) => one(OPS['preempt_enable']!.rule, 'preempt_enable()', [set(vc(ctx).preemptDisabled, 0)]),
  },
  local_irq_disable: {
    summary: 'host IRQs off on this pCPU',
    rule: '§1: with host IRQs disabled an IRQ stays pending in the LAPIC; if the pCPU then enters the guest, it is recognised in non-root mode',
    impl: (ctx) => one(OPS['local_irq_disable']!.rule, 'local_irq_disable()', [set(vc(ctx).irqsDisabled, 1)]),
  },
  local_irq_enable: {
    summary: 'host IRQs on: a pending host IRQ is taken now',
    rule: '§2 step 8: after a normal exit IRQs are enabled and a pending host IRQ is taken',
    impl: (ctx) => one(OPS['local_irq_enable']!.rule, 'local_irq_enable()', [set(vc(ctx).irqsDisabled, 0)]),
  },
  set_mode: {
    summary: 'vcpu->mode = X',
    rule: '§2 vcpu_enter_guest steps 2 and 8: the mode senders read to decide between notification IPI and wake-up',
    impl: (ctx, args) => {
      const name = [...args.keys()][0];
      const mode = (MODES as readonly string[]).indexOf(name ?? '');
      if (mode < 0) throw new ModelError(`set_mode needs one of ${MODES.join(', ')}`);
      return one(OPS['set_mode']!.rule, `vcpu->mode = ${name}`, [set(vc(ctx).mode, mode)]);
    },
  },
  // Barriers: nothing under SC; under x86-TSO what ../barriers.ts says (ordering.ts).
  ...Object.fromEntries(
    Object.entries(BARRIERS).map(([op, b]): [string, OpEntry] => [op, { summary: b.why, rule: BARRIER_WHY, impl: () => ({ kind: 'noop', why: BARRIER_WHY }) }]),
  ),
  sync_pir_to_irr: {
    summary: 'kvm_x86_ops.sync_pir_to_irr(): runs vmx_sync_pir_to_irr',
    rule: '§2 vcpu_enter_guest step 4',
    impl: () => ({ kind: 'noop', why: 'resolved as a call' }),
  },
  pi_clear_on: {
    summary: 'PID.ON = 0 (locked clear_bit)',
    rule: '§2 vmx_sync_pir_to_irr: ON is cleared before PIR is read',
    impl: (ctx) => one(OPS['pi_clear_on']!.rule, 'pi_clear_on(): ON=0', [set(vc(ctx).pid.on, 0)]),
  },
  pi_set_on: {
    summary: 'PID.ON = 1 (locked set_bit)',
    rule: '§2 vmx_vcpu_pi_load tail: recompute ON for bits posted while SN was 1',
    impl: (ctx) => one(OPS['pi_set_on']!.rule, 'pi_set_on(): ON=1', [set(vc(ctx).pid.on, 1)]),
  },
  pi_set_sn: {
    summary: 'PID.SN = 1: hardware posts without notifying',
    rule: '§1 hardware posting: with SN=1 the bit lands in PIR, ON stays 0 and nobody is told',
    impl: (ctx) => one(OPS['pi_set_sn']!.rule, 'pi_set_sn(): SN=1', [set(vc(ctx).pid.sn, 1)]),
  },
  pi_clear_sn: {
    summary: 'PID.SN = 0: hardware notifies again',
    rule: '§1 hardware posting',
    impl: (ctx) => one(OPS['pi_clear_sn']!.rule, 'pi_clear_sn(): SN=0', [set(vc(ctx).pid.sn, 0)]),
  },
  kvm_apic_update_irr: {
    summary: 'move PIR into vIRR (xchg of each PIR word), note whether anything arrived',
    rule: '§2 vmx_sync_pir_to_irr: move PIR into vIRR; kvm_apic_update_irr xchg()s each 32-vector PIR word to 0, and the model\'s vectors share one word',
    impl: (ctx) => {
      const v = vc(ctx);
      return one(
        OPS['kvm_apic_update_irr']!.rule,
        'kvm_apic_update_irr(): vIRR |= PIR, PIR = 0',
        [set(ctx.locals.got, ctx.w.anyPir(ctx.vcpu)), ...ctx.w.movePirToVirr(v.index)],
        ctx.entryPath ? { pirScansOnEntry: 1 } : undefined,
      );
    },
  },
  clear_got_posted_interrupt: {
    summary: 'got_posted_interrupt = false: ON was clear, nothing moved',
    rule: '§2 vmx_sync_pir_to_irr: if ON is not set, PIR is not looked at and nothing new arrived',
    impl: (ctx) => one(OPS['clear_got_posted_interrupt']!.rule, 'got_posted_interrupt = false', [set(ctx.locals.got, 0)]),
  },
  vmx_set_rvi: {
    summary: 'vmx_set_rvi(max_irr): RVI covers the highest vIRR vector',
    rule: 'SDM 29.1.1: RVI is the highest vector requested in vIRR; KVM writes it in GUEST_INTR_STATUS before entry',
    impl: (ctx) => one(OPS['vmx_set_rvi']!.rule, 'vmx_set_rvi(max_irr): RVI covers the highest vIRR vector', [set(vc(ctx).rvi, ctx.w.anyVirr(ctx.vcpu))]),
  },
  kvm_check_and_inject_events: {
    summary: 'event injection for KVM_REQ_EVENT: a nested VM-exit to L1, or injection from the IRR when APICv is off',
    rule: 'kernel kvm_check_and_inject_events: with L2 running and an L1 interrupt pending it synthesizes a nested VM-exit to L1; without APICv it injects the highest IRR vector (a second one needs another pass)',
    impl: (ctx) => {
      const v = vc(ctx);
      const w = ctx.w;
      const l1Pending = or(w.anyVirr(v.index), w.anyPir(v.index));
      const l2 = eq(ref(v.l2), 1);
      const alts: Alternative[] = [
        { guard: and(l2, l1Pending), effects: [set(v.l2, 0)], label: 'L1 interrupt pending while L2 runs: nested VM-exit to L1' },
        { guard: and(l2, not(l1Pending)), effects: [], label: 'nothing pending for L1' },
      ];
      if (ctx.platform.apicvActive) {
        alts.push({ guard: not(l2), effects: [], label: 'nothing to inject (APICv delivers through RVI)' });
      } else {
        for (let j = v.virr.length - 1; j >= 0; j--) {
          const highest = and(eq(ref(v.virr[j]!), 1), ...v.virr.slice(j + 1).map((id) => eq(ref(id), 0)));
          const rest = or(...v.virr.slice(0, j).map((id) => eq(ref(id), 1)));
          alts.push({
            guard: and(not(l2), highest),
            effects: [set(v.virr[j]!, 0), set(v.got[j]!, 1), set(v.req.KVM_REQ_EVENT, ite(rest, 1, ref(v.req.KVM_REQ_EVENT))), set(v.unkicked.KVM_REQ_EVENT, ite(rest, 1, ref(v.unkicked.KVM_REQ_EVENT)))],
            label: `inject vector ${j} from the IRR`,
          });
        }
        alts.push({ guard: and(not(l2), not(w.anyVirr(v.index))), effects: [], label: 'IRR empty, nothing to inject' });
      }
      return atomic(OPS['kvm_check_and_inject_events']!.rule, ...alts);
    },
  },
  vm_entry: {
    summary: 'VM-entry: the vCPU runs guest code until a VM-exit',
    rule: '§1 other rules: VM-entry evaluates RVI/vIRR; an IRQ left pending in the LAPIC with IRQs off is recognised in non-root mode, and the PI vector then means posted-interrupt processing',
    impl: (ctx) => {
      const v = vc(ctx);
      return one(OPS['vm_entry']!.rule, 'VM-entry (VMLAUNCH/VMRESUME)', [set(v.nonroot, 1), set(v.exitReason, EXIT_NONE), set(v.exitVector, 0)]);
    },
  },
  handle_exit_irqoff: {
    summary: 'run the host handler of the interrupt acknowledged on exit',
    rule: 'kernel: KVM acknowledges the interrupt on VM-exit and runs its host handler from handle_exit_irqoff',
    impl: (ctx) => {
      const v = vc(ctx);
      const alts: Alternative[] = [{ guard: ne(ref(v.exitReason), EXIT_EXTINT), effects: [], label: 'handle_exit_irqoff(): not an external interrupt' }];
      HOST_VECTORS.forEach((x, k) => {
        // Only the pCPU the thread runs on can have taken the exit, so its handler runs there.
        const perCpu = ctx.w.pcpu.map((p) => ({ p: p.index, h: hostHandler(ctx.w, p.index, x) }));
        const effects: Assign[] = [set(v.exitVector, 0)];
        for (const { p, h } of perCpu) for (const a of h.effects) effects.push({ id: a.id, e: ite(eq(ref(v.cpu), p), a.e, ref(a.id)) });
        const h0 = perCpu[0]!.h;
        alts.push({
          guard: and(eq(ref(v.exitReason), EXIT_EXTINT), eq(ref(v.exitVector), k + 1)),
          effects,
          label: `handle_exit_irqoff(): ${h0.what}`,
          ...(h0.events ? { events: h0.events } : {}),
        });
      });
      return atomic(OPS['handle_exit_irqoff']!.rule, ...alts);
    },
  },
  handle_exit: {
    summary: 'the exit handler: HLT halts the vCPU',
    rule: 'kernel kvm_emulate_halt: a HLT exit sets mp_state = KVM_MP_STATE_HALTED; the run loop then blocks the vCPU',
    impl: (ctx) => {
      const v = vc(ctx);
      return atomic(
        OPS['handle_exit']!.rule,
        { guard: eq(ref(v.exitReason), EXIT_HLT), effects: [set(v.mpState, 1), set(v.exitReason, EXIT_NONE)], label: 'kvm_emulate_halt(): mp_state = KVM_MP_STATE_HALTED' },
        { guard: ne(ref(v.exitReason), EXIT_HLT), effects: [set(v.exitReason, EXIT_NONE)], label: 'exit handled' },
      );
    },
  },
  set_mp_state: {
    summary: 'vcpu->arch.mp_state = X',
    rule: 'kernel vcpu_block: a woken, runnable vCPU goes back to KVM_MP_STATE_RUNNABLE',
    impl: (ctx, args) => {
      const name = [...args.keys()][0] ?? '';
      const s = (MP_STATES as readonly string[]).indexOf(name.startsWith('KVM_') ? name : `KVM_MP_STATE_${name}`);
      if (s < 0) throw new ModelError('set_mp_state needs RUNNABLE or HALTED');
      return one(OPS['set_mp_state']!.rule, `mp_state = ${MP_STATES[s]}`, [set(vc(ctx).mpState, s)]);
    },
  },
  set_current_state: {
    summary: 'set_current_state(TASK_INTERRUPTIBLE)',
    rule: '§2 kvm_vcpu_block loop step 1',
    impl: (ctx) => one(OPS['set_current_state']!.rule, 'set_current_state(TASK_INTERRUPTIBLE)', [set(vc(ctx).task, 1)]),
  },
  prepare_to_rcuwait: {
    summary: 'the vCPU starts blocking: kvm_vcpu_is_blocking() is true from here',
    rule: '§2 kvm_vcpu_block step 1; kvm_vcpu_is_blocking() is rcuwait_active()',
    impl: (ctx) => one(OPS['prepare_to_rcuwait']!.rule, 'prepare_to_rcuwait(): blocking', [set(vc(ctx).blocking, 1)]),
  },
  finish_rcuwait: {
    summary: 'the vCPU stops blocking; task back to TASK_RUNNING',
    rule: '§2 kvm_vcpu_block step 3',
    impl: (ctx) => one(OPS['finish_rcuwait']!.rule, 'finish_rcuwait(): not blocking, TASK_RUNNING', [set(vc(ctx).blocking, 0), set(vc(ctx).task, 0)]),
  },
  prepare_to_swait: {
    summary: 'old kernels: enqueue on vcpu->wq and set TASK_INTERRUPTIBLE',
    rule: 'kernel 4.x kvm_vcpu_block: prepare_to_swait() in each loop iteration; kvm_vcpu_wake_up() wakes while the task is on the queue',
    impl: (ctx) => one(OPS['prepare_to_swait']!.rule, 'prepare_to_swait(&vcpu->wq, TASK_INTERRUPTIBLE)', [set(vc(ctx).blocking, 1), set(vc(ctx).task, 1)]),
  },
  finish_swait: {
    summary: 'old kernels: leave vcpu->wq, TASK_RUNNING',
    rule: 'kernel 4.x kvm_vcpu_block: finish_swait()',
    impl: (ctx) => one(OPS['finish_swait']!.rule, 'finish_swait(): off the queue, TASK_RUNNING', [set(vc(ctx).blocking, 0), set(vc(ctx).task, 0)]),
  },
  schedule: {
    summary: 'schedule(): a TASK_INTERRUPTIBLE task is dequeued and switched out (sched-out hook runs)',
    rule: 'kernel __schedule: a task whose state is not TASK_RUNNING is dequeued; a wake-up that came first set it back to TASK_RUNNING and schedule() returns',
    impl: (ctx) => {
      const v = vc(ctx);
      return atomic(
        OPS['schedule']!.rule,
        {
          guard: eq(ref(v.task), 1),
          effects: [set(v.onRq, 0), set(v.running, 0), set(v.phase, PHASE_SCHED_OUT), set(v.schedCpu, ref(v.cpu))],
          label: 'schedule(): TASK_INTERRUPTIBLE, dequeued, switching out',
        },
        { guard: eq(ref(v.task), 0), effects: [], label: 'schedule(): already TASK_RUNNING (woken), returns' },
      );
    },
  },
  wakeup_list_add: {
    summary: 'add the vCPU to a pCPU\'s wakeup list (under that list\'s lock)',
    rule: '§2 pi_enable_wakeup_handler step 1',
    impl: (ctx, args) => {
      const cpu = cpuArg(ctx, [...args.keys()][0], 'wakeup_list_add');
      const ids = ctx.w.pcpu.map((p) => p.wakeupList[ctx.vcpu]!);
      return one(OPS['wakeup_list_add']!.rule, 'list_add_tail(wakeup list)', ctx.w.setAt(ids, cpu, 1));
    },
  },
  wakeup_list_del: {
    summary: 'remove the vCPU from a pCPU\'s wakeup list (under that list\'s lock)',
    rule: '§2 vmx_vcpu_pi_load slow path step 1: remove from the previous pCPU\'s list',
    impl: (ctx, args) => {
      const cpu = cpuArg(ctx, [...args.keys()][0], 'wakeup_list_del');
      const ids = ctx.w.pcpu.map((p) => p.wakeupList[ctx.vcpu]!);
      return one(OPS['wakeup_list_del']!.rule, 'list_del(wakeup list)', ctx.w.setAt(ids, cpu, 0));
    },
  },
  set_pre_pcpu: {
    summary: 'old kernels: vcpu->pre_pcpu = vcpu->cpu',
    rule: 'kernel 4.x pi_pre_block: the wakeup list and NDST use the pCPU the vCPU blocked on',
    impl: (ctx) => one(OPS['set_pre_pcpu']!.rule, 'vcpu->pre_pcpu = vcpu->cpu', [set(vc(ctx).prePcpu, ref(vc(ctx).cpu))]),
  },
  pid_update: {
    summary: 'cmpxchg loop on the descriptor\'s control word: NDST, SN and NV together',
    rule: '§2 vmx_vcpu_pi_load / pi_enable_wakeup_handler: the control word is updated with cmpxchg, so the update is one atomic step',
    impl: (ctx, args) => {
      const v = vc(ctx);
      const pid = v.pid;
      const effects: Assign[] = [];
      const parts: string[] = [];
      const keepWakeup = args.has('keep_wakeup');
      const guardUpdate = keepWakeup ? ne(ref(pid.nv), NV_WAKEUP) : TRUE;
      const cond = (id: number, e: Expr): Assign => ({ id, e: keepWakeup ? ite(guardUpdate, e, ref(id)) : e });
      if (args.has('capture_on')) effects.push(set(ctx.locals.onSeen, ref(pid.on)));
      if (args.has('ndst')) {
        effects.push(cond(pid.ndst, cpuArg(ctx, args.get('ndst'), 'pid_update')));
        parts.push(`NDST=${args.get('ndst')}`);
      }
      if (args.has('nv')) {
        const nv = args.get('nv') === 'WAKEUP' ? NV_WAKEUP : args.get('nv') === 'POSTED' ? NV_POSTED : -1;
        if (nv < 0) throw new ModelError('pid_update nv= needs POSTED or WAKEUP');
        effects.push(cond(pid.nv, lit(nv)));
        parts.push(`NV=${NV_VALUES[nv as 0 | 1]}`);
      }
      if (args.has('sn')) {
        const s = args.get('sn');
        // `new.sn = !kvm_vcpu_is_blocking(vcpu)`, one of seed 000's alternatives.
        const e = s === '0' ? lit(0) : s === '1' ? lit(1) : s === 'not_blocking' ? ite(eq(ref(v.blocking), 1), 0, 1) : undefined;
        if (!e) throw new ModelError('pid_update sn= needs 0, 1 or not_blocking');
        effects.push(set(pid.sn, e));
        parts.push(`SN=${s}`);
      }
      if (args.has('abort_if_on')) {
        // 4.x pi_pre_block: the cmpxchg loop gives up, and the vCPU does not block, when ON is set.
        return atomic(
          OPS['pid_update']!.rule,
          { guard: eq(ref(pid.on), 1), effects: [set(ctx.locals.r, 1)], label: 'pi_pre_block: ON is set, do not block' },
          { guard: eq(ref(pid.on), 0), effects: [set(ctx.locals.r, 0), ...effects], label: `cmpxchg(pi_desc): ${parts.join(', ')}` },
        );
      }
      return one(OPS['pid_update']!.rule, `cmpxchg(pi_desc): ${parts.join(', ')}${args.has('capture_on') ? ' (ON noted)' : ''}`, effects);
    },
  },
  send_IPI_self: {
    summary: 'apic->send_IPI_self(vector) on this pCPU',
    rule: '§2 pi_enable_wakeup_handler step 3: a self-IPI on the wakeup vector covers a notification that went out on the old vector',
    impl: (ctx, args) => {
      const x = hostVector([...args.keys()][0], 'send_IPI_self');
      return one(OPS['send_IPI_self']!.rule, `send_IPI_self(${x})`, ctx.w.sendIpi(ctx.thisCpu, x));
    },
  },
  send_posted_intr_ipi: {
    summary: 'send POSTED_INTR_VECTOR to vcpu->cpu',
    rule: '§1 KVM software posting step 3: if vcpu->mode == IN_GUEST_MODE, send POSTED_INTR_VECTOR to vcpu->cpu (never the sender\'s own pCPU here)',
    impl: (ctx) => one(OPS['send_posted_intr_ipi']!.rule, 'apic->send_IPI_mask(vcpu->cpu, POSTED_INTR_VECTOR)', ctx.w.sendIpi(ref(vc(ctx).cpu), 'POSTED_INTR_VECTOR')),
  },
  kvm_vcpu_wake_up: {
    summary: 'kvm_vcpu_wake_up(): wake the task if it waits in its rcuwait',
    rule: '§1 KVM software posting step 3, §2 "Kick and wake": wakes the task only if it is blocked in its rcuwait',
    impl: (ctx) => {
      const w = wakeUp(ctx.w, ctx.vcpu);
      return atomic(
        OPS['kvm_vcpu_wake_up']!.rule,
        { guard: w.woke, effects: w.effects, label: 'kvm_vcpu_wake_up(): task woken (TASK_RUNNING, runnable)' },
        { guard: not(w.woke), effects: [], label: 'kvm_vcpu_wake_up(): not waiting, nothing to do' },
      );
    },
  },
  smp_send_reschedule: {
    summary: 'send RESCHEDULE_VECTOR to vcpu->cpu (forces a VM-exit)',
    rule: '§1: in non-root mode any vector other than the PI notification vector causes a VM-exit',
    impl: (ctx) => one(OPS['smp_send_reschedule']!.rule, 'smp_send_reschedule(vcpu->cpu)', ctx.w.sendIpi(ref(vc(ctx).cpu), 'RESCHEDULE_VECTOR'), { kicks: 1 }),
  },
  kvm_make_request: {
    summary: 'kvm_make_request(REQ, vcpu)',
    rule: 'kernel: a request is a bit in vcpu->requests that the vCPU checks before entry',
    impl: (ctx, args) => {
      const name = [...args.keys()][0] as RequestName;
      if (!(REQUESTS as readonly string[]).includes(name)) throw new ModelError(`kvm_make_request needs one of ${REQUESTS.join(', ')}`);
      return one(OPS['kvm_make_request']!.rule, `kvm_make_request(${name})`, makeRequest(ctx, name));
    },
  },
  kvm_lapic_set_irr: {
    summary: 'set the vector in the virtual APIC\'s IRR (APICv off)',
    rule: 'kernel vmx_deliver_interrupt: when posting is not possible the vector goes to the IRR, then KVM_REQ_EVENT and a kick',
    impl: (ctx) => one(OPS['kvm_lapic_set_irr']!.rule, `kvm_lapic_set_irr(vector ${ctx.vector})`, [set(vc(ctx).virr[ctx.vector]!, 1)]),
  },
  pi_test_and_set_on: {
    summary: 'old kernels: r = pi_test_and_set_on() (locked RMW, ignores SN)',
    rule: '§1 KVM software posting step 2: pi_test_and_set_on() ignores SN and is a full barrier',
    impl: (ctx) => {
      const on = vc(ctx).pid.on;
      return atomic(
        OPS['pi_test_and_set_on']!.rule,
        { guard: eq(ref(on), 1), effects: [set(ctx.locals.r, 1)], label: 'r = pi_test_and_set_on(): ON was already set' },
        { guard: eq(ref(on), 0), effects: [set(ctx.locals.r, 0), set(on, 1)], label: 'r = pi_test_and_set_on(): ON=1' },
      );
    },
  },
  iommu_post: {
    summary: 'VT-d posts the vector (hardware posting)',
    rule: '§1 hardware posting: set PIR[v]; atomically, if ON==0 && SN==0 set ON and send NV to NDST',
    impl: (ctx) => atomic(OPS['iommu_post']!.rule, ...hardwarePost(ctx.w, ctx.vcpu, ctx.vector, 'IOMMU')),
  },
  ipiv_post: {
    summary: 'the sending CPU posts through IPI virtualization (hardware posting)',
    rule: '§1 IPI virtualization: a guest ICR write to a valid PID-table entry posts as hardware posting does, without a VM-exit',
    impl: (ctx) => atomic(OPS['ipiv_post']!.rule, ...hardwarePost(ctx.w, ctx.vcpu, ctx.vector, 'IPIv')),
  },
};

// ------------------------------------------------------------------ conditions

type CondImpl = (ctx: PiCtx) => CondMeaning;
interface CondEntry extends StepDoc {
  readonly impl: CondImpl;
}

function pure(rule: string, expr: Expr, extra: Partial<Extract<CondMeaning, { kind: 'pure' }>> = {}): CondMeaning {
  return { kind: 'pure', rule, expr, ...extra };
}

function rmwBit(rule: string, id: number, name: string, newValue: 0 | 1, extraTrue: Assign[] = [], extraFalse: Assign[] = []): CondMeaning {
  return {
    kind: 'rmw',
    rule,
    whenTrue: { guard: eq(ref(id), 1), effects: [set(id, newValue), ...extraTrue], label: `${name}: was set` },
    whenFalse: { guard: eq(ref(id), 0), effects: [set(id, newValue), ...extraFalse], label: `${name}: was clear` },
  };
}

const RUNNABLE_RULE =
  'kernel kvm_arch_vcpu_runnable/kvm_vcpu_has_events: runnable, or an interrupt in the IRR once kvm_cpu_has_interrupt() has synced PIR (ON set) into it, or a wake-up request';

export const CONDS: Readonly<Record<string, CondEntry>> = {
  kvm_request_pending: {
    summary: 'kvm_request_pending(): some request bit is set',
    rule: 'kernel vcpu_enter_guest: the request block runs only when a request is pending',
    impl: (ctx) => pure(CONDS['kvm_request_pending']!.rule, ctx.w.anyRequest(ctx.vcpu)),
  },
  kvm_lapic_enabled: { summary: 'the LAPIC is in-kernel and enabled', rule: 'scenarios run with an in-kernel, enabled LAPIC', impl: () => pure(CONDS['kvm_lapic_enabled']!.rule, TRUE) },
  kvm_vcpu_apicv_active: {
    summary: 'APICv is active for the vCPU',
    rule: 'scenario: APICv active or inhibited',
    impl: (ctx) => pure(CONDS['kvm_vcpu_apicv_active']!.rule, ctx.platform.apicvActive ? TRUE : FALSE),
  },
  vmx_needs_pi_wakeup: {
    summary: 'a blocked vCPU can be the target of hardware posting (VT-d or IPIv)',
    rule: 'kernel vmx_needs_pi_wakeup: only then is the notification vector switched to the wakeup vector',
    impl: (ctx) => pure(CONDS['vmx_needs_pi_wakeup']!.rule, ctx.platform.vtdPosting || ctx.platform.ipiv ? TRUE : FALSE),
  },
  vmx_can_use_vtd_pi: {
    summary: 'an assigned device posts through VT-d',
    rule: 'kernel: old kernels skip the PI hooks without an assigned device that can post',
    impl: (ctx) => pure(CONDS['vmx_can_use_vtd_pi']!.rule, ctx.platform.vtdPosting ? TRUE : FALSE),
  },
  is_guest_mode: { summary: 'L2 runs', rule: 'kernel is_guest_mode(): the vCPU runs a nested guest', impl: (ctx) => pure(CONDS['is_guest_mode']!.rule, eq(ref(vc(ctx).l2), 1)) },
  pi_test_on: { summary: 'read PID.ON', rule: '§2 vmx_sync_pir_to_irr: if ON is not set, PIR is not looked at', impl: (ctx) => pure(CONDS['pi_test_on']!.rule, eq(ref(vc(ctx).pid.on), 1)) },
  pi_test_sn: { summary: 'read PID.SN', rule: '§1 descriptor fields', impl: (ctx) => pure(CONDS['pi_test_sn']!.rule, eq(ref(vc(ctx).pid.sn), 1)) },
  pir_nonempty: {
    summary: '!pi_is_pir_empty(): scan the PIR',
    rule: 'seed 000: scanning PIR instead of trusting ON finds bits posted while SN=1; on the entry path it is the cost the thread measured',
    impl: (ctx) => pure(CONDS['pir_nonempty']!.rule, ctx.w.anyPir(ctx.vcpu), ctx.entryPath ? { events: { pirScansOnEntry: 1 } } : {}),
  },
  pi_test_and_clear_sn: {
    summary: 'pi_test_and_clear_sn() (locked RMW)',
    rule: '§2 vmx_vcpu_pi_load fast path: test-and-clear SN',
    impl: (ctx) => rmwBit(CONDS['pi_test_and_clear_sn']!.rule, vc(ctx).pid.sn, 'pi_test_and_clear_sn()', 0),
  },
  pi_test_and_clear_on: {
    summary: 'pi_test_and_clear_on() (locked RMW)',
    rule: 'seed 002 (4.10 vmx_sync_pir_to_irr): `if (!pi_test_and_clear_on(&vmx->pi_desc)) return;`',
    impl: (ctx) => rmwBit(CONDS['pi_test_and_clear_on']!.rule, vc(ctx).pid.on, 'pi_test_and_clear_on()', 0),
  },
  pi_test_and_set_on: {
    summary: 'pi_test_and_set_on() (locked RMW, ignores SN, full barrier)',
    rule: '§1 KVM software posting step 2: if ON was already set, return',
    impl: (ctx) => rmwBit(CONDS['pi_test_and_set_on']!.rule, vc(ctx).pid.on, 'pi_test_and_set_on()', 1),
  },
  pi_test_and_set_pir: {
    summary: 'pi_test_and_set_pir(vector) (locked RMW)',
    rule: '§1 KVM software posting step 1: if the bit was already set, return',
    impl: (ctx) => rmwBit(CONDS['pi_test_and_set_pir']!.rule, vc(ctx).pid.pir[ctx.vector]!, `pi_test_and_set_pir(${ctx.vector})`, 1),
  },
  mode_in_guest: {
    summary: 'vcpu->mode == IN_GUEST_MODE',
    rule: '§1 KVM software posting step 3: the sender reads vcpu->mode',
    impl: (ctx) => pure(CONDS['mode_in_guest']!.rule, eq(ref(vc(ctx).mode), IN_GUEST_MODE)),
  },
  kvm_vcpu_exit_request: {
    summary: 'kvm_vcpu_exit_request(): mode is EXITING_GUEST_MODE or a request is pending',
    rule: '§2 vcpu_enter_guest step 5 (need_resched and signals are not modelled)',
    impl: (ctx) =>
      pure(CONDS['kvm_vcpu_exit_request']!.rule, or(eq(ref(vc(ctx).mode), EXITING_GUEST_MODE), ctx.w.anyRequest(ctx.vcpu)), {
        eventsIfTrue: { cancelledEntries: 1 },
      }),
  },
  fastpath_reenter: {
    summary: 'the fastpath handler asks to re-enter (EXIT_FASTPATH_REENTER_GUEST)',
    rule: '§2 vcpu_enter_guest step 7',
    impl: (ctx) => pure(CONDS['fastpath_reenter']!.rule, eq(ref(vc(ctx).exitReason), EXIT_FASTPATH)),
  },
  kvm_vcpu_running: {
    summary: 'mp_state is KVM_MP_STATE_RUNNABLE',
    rule: 'kernel vcpu_run: a runnable vCPU enters the guest, a halted one blocks',
    impl: (ctx) => pure(CONDS['kvm_vcpu_running']!.rule, eq(ref(vc(ctx).mpState), 0)),
  },
  kvm_arch_vcpu_runnable: {
    summary: 'kvm_arch_vcpu_runnable(): runnable or has events (syncs PIR first)',
    rule: RUNNABLE_RULE,
    impl: (ctx) => pure(RUNNABLE_RULE, or(eq(ref(vc(ctx).mpState), 0), ctx.w.anyVirr(ctx.vcpu)), { prelude: 'kvm_cpu_has_interrupt' }),
  },
  kvm_vcpu_check_block: {
    summary: 'kvm_vcpu_check_block() < 0: a wake event is pending (syncs PIR first)',
    rule: `§2 kvm_vcpu_block loop step 2. ${RUNNABLE_RULE}`,
    impl: (ctx) => pure(CONDS['kvm_vcpu_check_block']!.rule, or(eq(ref(vc(ctx).mpState), 0), ctx.w.anyVirr(ctx.vcpu)), { prelude: 'kvm_cpu_has_interrupt' }),
  },
  preempted: { summary: 'vcpu->preempted', rule: '§2: a preempted task stays runnable, vcpu->preempted = true on that sched-out', impl: (ctx) => pure(CONDS['preempted']!.rule, eq(ref(vc(ctx).preempted), 1)) },
  kvm_vcpu_is_blocking: { summary: 'kvm_vcpu_is_blocking()', rule: '§2 vmx_vcpu_pi_put', impl: (ctx) => pure(CONDS['kvm_vcpu_is_blocking']!.rule, eq(ref(vc(ctx).blocking), 1)) },
  vmx_interrupt_blocked: {
    summary: 'guest interrupts blocked (RFLAGS.IF=0 or a shadow)',
    rule: 'scenarios: the guest halts with interrupts enabled (STI; HLT)',
    impl: () => pure(CONDS['vmx_interrupt_blocked']!.rule, FALSE),
  },
  nv_is_wakeup: {
    summary: 'pi_desc->nv == POSTED_INTR_WAKEUP_VECTOR',
    rule: '§2 vmx_vcpu_pi_load',
    impl: (ctx) => pure(CONDS['nv_is_wakeup']!.rule, eq(ref(vc(ctx).pid.nv), NV_WAKEUP)),
  },
  same_cpu: {
    summary: 'vcpu->cpu == cpu (not migrated)',
    rule: '§2 vmx_vcpu_pi_load fast path',
    impl: (ctx) => pure(CONDS['same_cpu']!.rule, eq(ref(vc(ctx).cpu), ctx.loadCpu)),
  },
  on_seen: {
    summary: 'the ON bit seen by the last descriptor cmpxchg',
    rule: '§2 pi_enable_wakeup_handler step 3',
    impl: (ctx) => pure(CONDS['on_seen']!.rule, eq(ref(ctx.locals.onSeen), 1)),
  },
  r: { summary: 'the result kept in local r', rule: 'a local of the running code', impl: (ctx) => pure(CONDS['r']!.rule, eq(ref(ctx.locals.r), 1)) },
  got_posted_interrupt: {
    summary: 'kvm_apic_update_irr() moved a new vector',
    rule: '§2 vmx_sync_pir_to_irr: "if something new arrived"',
    impl: (ctx) => pure(CONDS['got_posted_interrupt']!.rule, eq(ref(ctx.locals.got), 1)),
  },
  kvm_vcpu_wake_up: {
    summary: 'kvm_vcpu_wake_up() woke the task',
    rule: '§2 "Kick and wake": kvm_vcpu_kick first tries to wake the vCPU',
    impl: (ctx) => {
      const w = wakeUp(ctx.w, ctx.vcpu);
      return {
        kind: 'rmw',
        rule: CONDS['kvm_vcpu_wake_up']!.rule,
        whenTrue: { guard: w.woke, effects: w.effects, label: 'kvm_vcpu_wake_up(): task woken' },
        whenFalse: { guard: not(w.woke), effects: [], label: 'kvm_vcpu_wake_up(): not waiting' },
      };
    },
  },
  kvm_arch_vcpu_should_kick: {
    summary: 'cmpxchg(vcpu->mode, IN_GUEST_MODE, EXITING_GUEST_MODE) succeeded',
    rule: '§2 "Kick and wake": if the mode is IN_GUEST_MODE, kick sets EXITING_GUEST_MODE and sends a reschedule IPI',
    impl: (ctx) => {
      const mode = vc(ctx).mode;
      return {
        kind: 'rmw',
        rule: CONDS['kvm_arch_vcpu_should_kick']!.rule,
        whenTrue: { guard: eq(ref(mode), IN_GUEST_MODE), effects: [set(mode, EXITING_GUEST_MODE)], label: 'cmpxchg(mode, IN_GUEST_MODE, EXITING_GUEST_MODE): kick' },
        whenFalse: { guard: ne(ref(mode), IN_GUEST_MODE), effects: [], label: 'mode is not IN_GUEST_MODE: no IPI' },
      };
    },
  },
};

/**
 * `kvm_check_request(REQ, vcpu)` (test and clear) and `kvm_test_request(REQ, vcpu)`. A request
 * another model area follows is never raised in the posted-interrupt scenarios: false.
 */
function requestCond(ctx: PiCtx, kind: 'check' | 'test', name: string): CondMeaning {
  // Another area's request is decided without the context (programCompiler.ts `decidedIn`).
  if (!(REQUESTS as readonly string[]).includes(name)) {
    if (!isModelledRequest(name)) throw new ModelError(`no model area follows ${name}`);
    return pure(`${name} belongs to another model area and is never raised in the posted-interrupt scenarios`, FALSE);
  }
  const v = vc(ctx);
  const id = v.req[name as RequestName];
  if (kind === 'test') return pure(`kernel kvm_test_request(): reads ${name} without clearing it`, eq(ref(id), 1));
  const ghost = v.unkicked[name as RequestName];
  return {
    kind: 'rmw',
    rule: `kernel kvm_check_request(): test-and-clear of ${name}, which the vCPU then handles`,
    whenTrue: { guard: eq(ref(id), 1), effects: [set(id, 0), set(ghost, 0)], label: `kvm_check_request(${name}): pending, handled` },
    whenFalse: { guard: eq(ref(id), 0), effects: [], label: `kvm_check_request(${name}): not pending` },
  };
}

function orderOf(table: Readonly<Record<string, X86Order>>, name: string): X86Order {
  const o = table[name];
  if (!o) throw new ModelError(`no x86 memory-ordering rule for ${name} (ordering.ts)`);
  return o;
}

/** `a` as a full barrier (built field by field: it runs for every locked step of every TSO model). */
function fenced(a: Alternative): Alternative {
  const f: { -readonly [K in keyof Alternative]: Alternative[K] } = { guard: a.guard, label: a.label, fence: true };
  if (a.effects) f.effects = a.effects;
  if (a.events) f.events = a.events;
  return f;
}

/** A step's meaning with its x86 ordering: fences on locked steps, barriers as barriers. */
function ordered(m: OpMeaning, order: X86Order, name: string): OpMeaning {
  if (m.kind === 'noop' && (order === 'fence' || order === 'compiler')) {
    return order === 'fence'
      ? { kind: 'barrier', fence: true, why: `${m.why}; on x86 a full barrier (ordering.ts)`, label: `${name}(): full barrier, waits for this CPU's store buffer to drain` }
      : { kind: 'barrier', fence: false, why: 'a compiler barrier on x86: TSO already keeps this order (ordering.ts)', label: `${name}()` };
  }
  if (m.kind === 'atomic' && drains(order)) return { ...m, alternatives: m.alternatives.map(fenced) };
  return m;
}

export const piSemantics: Semantics<PiCtx> = {
  op(ctx, name, args, program) {
    const entry = OPS[name];
    const other = areaOfOp(name);
    if (!entry && other && other !== 'pi') return { kind: 'noop', why: `a step of the ${AREA_TITLES[other]} model: no effect on posted-interrupt state` };
    if (!entry) throw new ModelError(`unknown step ${name} in ${program}`);
    if (name === 'sync_pir_to_irr') return { kind: 'call', program: 'vmx_sync_pir_to_irr' };
    return ordered(entry.impl(ctx, parseArgs(args), program), orderOf(OP_ORDER, name), name);
  },
  cond(ctx, name) {
    const req = /^kvm_(check|test)_request\.(KVM_REQ_\w+)$/.exec(name);
    if (req) {
      const m = requestCond(ctx, req[1] as 'check' | 'test', req[2]!);
      return m.kind === 'rmw' ? { ...m, whenTrue: drains(CHECK_REQUEST_ORDER.pending) ? fenced(m.whenTrue) : m.whenTrue } : m;
    }
    const entry = CONDS[name];
    if (!entry) throw new ModelError(`unknown condition ${name}`);
    const m = entry.impl(ctx);
    return m.kind === 'rmw' && drains(orderOf(COND_ORDER, name)) ? { ...m, whenTrue: fenced(m.whenTrue), whenFalse: fenced(m.whenFalse) } : m;
  },
  opaque(name) {
    const other = areaOfOp(name);
    return other && other !== 'pi' ? `a step of the ${AREA_TITLES[other]} model: no effect on posted-interrupt state` : undefined;
  },
  // Everything vcpu_enter_guest runs, directly or through calls, is on the VM-entry path.
  enter: (ctx, program) => (program === 'vcpu_enter_guest' && !ctx.entryPath ? { ...ctx, entryPath: true } : ctx),
};

