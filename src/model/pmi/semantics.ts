/**
 * What each step and condition means in the PMI model, with the fact it encodes. "§n" refers to
 * ../shared/docs/kvm-model.md; "SDM" to the Intel SDM; commit ids say where kernel behaviour
 * changed.
 *
 * The PMI model runs the shared vCPU programs (vcpu_run, vcpu_enter_guest, vcpu_block) of the
 * posted-interrupt area. The steps of those programs that touch nothing the PMI model follows
 * (posted-interrupt descriptors, barriers, SRCU, preemption) are no-ops here, each with the
 * reason; the ones that matter (VM-entry, the exit handler, event injection, IRQ enabling,
 * blocking and waking) have a meaning of their own below.
 *
 * Memory model: sequential consistency; each step is one atomic transition. Everything in this
 * model runs on the vCPU's own pCPU (the vCPU thread, perf's NMI handler, the irq_work), so the
 * interleavings that matter are interrupts taking that CPU, which model.ts encodes.
 */
import { ModelError } from '../errors';
import { AREA_TITLES, areaOfOp, isModelledRequest } from '../areas';
import { Assign, Expr, FALSE, TRUE, add, and, eq, ite, lit, min, ne, not, or, ref, sub } from '../ir';
import { Alternative, CondMeaning, OpMeaning, Semantics } from '../programCompiler';
import { OPS as PI_OPS } from '../pi/semantics';
import { BARRIERS } from '../barriers';
import {
  ARMED,
  EXIT,
  EXIT_REASONS,
  EXITING_GUEST_MODE,
  ExitReason,
  HANDLER_ENTERED,
  IN_GUEST_MODE,
  MODES,
  MP_STATES,
  PMI_REQUESTS,
  PmiRequest,
  PmiWorld,
  ThreadLocals,
  WRAPPED,
} from './world';

export type Vendor = 'intel' | 'amd';

export interface CounterSpec {
  /** The counter counts what the guest executes (it can overflow while the guest runs). */
  readonly guest: boolean;
  /** Its event selector counts retired instructions, so KVM's emulated instructions count too (5.17+). */
  readonly emulated: boolean;
  /** ARCH_PERFMON_EVENTSEL_INT: an overflow raises a PMI (`pmc->intr`). */
  readonly intr: boolean;
}

/** Scenario facts that the kernel reads as configuration. */
export interface PmiPlatform {
  /** The guest's CPUID vendor: Intel-compatible guests' PMI handlers unmask LVTPC; the AMD (PerfMonV2) guest's does not. */
  readonly vendor: Vendor;
  readonly counters: readonly CounterSpec[];
}

export interface PmiCtx {
  readonly w: PmiWorld;
  readonly platform: PmiPlatform;
  /** Who runs the code: the vCPU thread, perf's NMI handler (host NMI context), or the irq_work (hard IRQ). */
  readonly runner: 'thread' | 'nmi' | 'irq_work';
  /** The counter (`pmc`) the code acts on, inside a per-counter function or loop body. */
  readonly counter?: number;
  /** __kvm_perf_overflow()'s `in_pmi`: called from perf's overflow callback. */
  readonly inPmi: boolean;
  readonly locals: ThreadLocals;
}

export const COUNTERS = {
  pmisAccepted: 'PMIs the local APIC accepted from LVTPC (each becomes an NMI)',
  nmisInjected: 'NMIs injected into the guest',
  vmExits: 'VM-exits',
  cancelledEntries: 'entries cancelled by kvm_vcpu_exit_request',
} as const;

const BARRIER_WHY = 'a barrier: the PMI model runs under sequential consistency, where it orders nothing further (see README, memory model)';
const PI_WHY = 'a posted-interrupt step: the PMI scenarios have no posted interrupts (PMIs are NMIs, which KVM injects)';

// ------------------------------------------------------------------ helpers

function atomic(rule: string, ...alternatives: Alternative[]): OpMeaning {
  return { kind: 'atomic', rule, alternatives };
}

function one(rule: string, label: string, effects: Assign[], events?: Record<string, number>): OpMeaning {
  return atomic(rule, { guard: TRUE, effects, label, ...(events ? { events } : {}) });
}

const set = (id: number, v: number | Expr): Assign => ({ id, e: typeof v === 'number' ? lit(v) : v });
const noop = (why: string): OpMeaning => ({ kind: 'noop', why });

function pmc(ctx: PmiCtx, what: string) {
  if (ctx.counter === undefined) throw new ModelError(`${what} acts on a counter, but runs outside a per-counter function or loop`);
  const c = ctx.w.counters[ctx.counter];
  if (!c) throw new ModelError(`${what}: no counter ${ctx.counter} in this scenario`);
  return { c, spec: ctx.platform.counters[ctx.counter]!, name: `pmc${ctx.counter}` };
}

function firstArg(args: readonly string[]): string | undefined {
  return args[0]?.split('=')[0];
}

/** `kvm_make_request`: sets the bit; the model's requests are all the vCPU's own. */
function makeRequest(ctx: PmiCtx, req: string): Assign[] {
  if (!(PMI_REQUESTS as readonly string[]).includes(req)) throw new ModelError(`kvm_make_request(${req}): the PMI model follows ${PMI_REQUESTS.join(', ')}`);
  return [set(ctx.w.req[req as PmiRequest], 1)];
}

/** `kvm_vcpu_wake_up`: wakes the task only if it waits (rcuwait or swait) and is not TASK_RUNNING (§2 "Kick and wake"). */
export function wakeUp(w: PmiWorld): { woke: Expr; effects: Assign[] } {
  const woke = and(eq(ref(w.blocking), 1), eq(ref(w.task), 1));
  return { woke, effects: [set(w.onRq, ite(woke, 1, ref(w.onRq))), set(w.task, ite(woke, 0, ref(w.task)))] };
}

/** Saturating increment, for counts bounded by their declaration. */
function inc(id: number, max: number): Expr {
  return min(add(ref(id), 1), max);
}

// ------------------------------------------------------------------ the step catalogue

export interface StepDoc {
  readonly summary: string;
  readonly rule: string;
}

type OpImpl = (ctx: PmiCtx, args: readonly string[], program: string) => OpMeaning;
interface OpEntry extends StepDoc {
  readonly impl: OpImpl;
  /** `impl` is a no-op whatever the context and arguments (`Semantics.inert`). */
  readonly inert?: true;
}

function noopEntry(summary: string, why: string): OpEntry {
  return { summary, rule: why, impl: () => noop(why), inert: true };
}

export const OPS: Readonly<Record<string, OpEntry>> = {
  // ---------------------------------------------------------------- shared vCPU steps
  local_irq_disable: {
    summary: 'host IRQs off on the vCPU\'s pCPU',
    rule: '§1: with host IRQs disabled an IRQ (the irq_work\'s self-IPI) stays pending until they are enabled',
    impl: (ctx) => one(OPS['local_irq_disable']!.rule, 'local_irq_disable()', [set(ctx.w.irqsDisabled, 1)]),
  },
  local_irq_enable: {
    summary: 'host IRQs on: a pending irq_work runs now',
    rule: '§2 step 8: IRQs are enabled after the exit, and a pending host IRQ is taken at once (model.ts holds the thread until the irq_work ran)',
    impl: (ctx) => one(OPS['local_irq_enable']!.rule, 'local_irq_enable()', [set(ctx.w.irqsDisabled, 0)]),
  },
  set_mode: {
    summary: 'vcpu->mode = X',
    rule: '§2 vcpu_enter_guest steps 2 and 8: kvm_vcpu_kick() reads the mode',
    impl: (ctx, args) => {
      const mode = (MODES as readonly string[]).indexOf(firstArg(args) ?? '');
      if (mode < 0) throw new ModelError(`set_mode needs one of ${MODES.join(', ')}`);
      return one(OPS['set_mode']!.rule, `vcpu->mode = ${MODES[mode]}`, [set(ctx.w.mode, mode)]);
    },
  },
  preempt_disable: noopEntry('preemption off', 'the PMI scenarios do not preempt the vCPU thread: it keeps its pCPU, so perf\'s NMI and the irq_work run there'),
  preempt_enable: noopEntry('preemption on', 'the PMI scenarios do not preempt the vCPU thread'),
  // Barriers (../barriers.ts): the PMI scenarios run under sequential consistency.
  ...Object.fromEntries(Object.entries(BARRIERS).map(([op, b]) => [op, noopEntry(b.why, BARRIER_WHY)])),
  sync_pir_to_irr: noopEntry('kvm_x86_ops.sync_pir_to_irr()', PI_WHY),
  handle_exit_irqoff: noopEntry(
    'the irqoff part of exit handling',
    'an NMI VM-exit\'s host NMI handler (perf, then kvm_perf_overflow) runs as model.ts\'s host-NMI actor, right after the exit and before the thread moves on; nothing else here touches PMU, LVTPC or NMI state',
  ),
  vm_entry: {
    summary: 'VM-entry: the guest runs; an NMI KVM injected is delivered first',
    rule: 'SDM 26.6 (event injection on VM-entry): an injected NMI is delivered through the guest IDT before any guest instruction and blocks further NMIs until IRET; the ghost per-exit PMI count restarts',
    impl: (ctx) => {
      const w = ctx.w;
      const common = [set(w.nonroot, 1), set(w.exitReason, EXIT.none), set(w.pmisThisExit, 0)];
      return atomic(
        OPS['vm_entry']!.rule,
        { guard: eq(ref(w.nmiInjected), 0), effects: common, label: 'VM-entry (VMLAUNCH/VMRESUME)' },
        {
          guard: eq(ref(w.nmiInjected), 1),
          effects: [...common, set(w.nmiInjected, 0), set(w.handler, HANDLER_ENTERED)],
          label: 'VM-entry with the injected NMI: the guest enters its NMI handler, NMIs blocked',
          events: { nmisInjected: 1 },
        },
      );
    },
  },
  handle_exit: {
    summary: 'kvm_x86_ops.handle_exit(): the exit reason\'s handler',
    rule: 'kernel vmx_handle_exit(): dispatches through kvm_vmx_exit_handlers[] by exit reason',
    impl: () => ({ kind: 'call', program: 'kvm_vmx_exit_handlers' }),
  },
  kvm_check_and_inject_events: {
    summary: 'event injection for KVM_REQ_EVENT: re-inject or inject an NMI, or ask for an NMI window',
    rule: 'kernel kvm_check_and_inject_events() (inject_pending_event() before 6.3): an NMI already injected is re-injected; else one pending NMI is injected when the guest allows NMIs (--nmi_pending, nmi_injected = true); if NMIs stay pending, enable_nmi_window() asks for an exit once the guest can take one',
    impl: (ctx) => {
      const w = ctx.w;
      const pending = ne(ref(w.nmiPending), 0);
      const blocked = w.nmiBlocked();
      const injected = eq(ref(w.nmiInjected), 1);
      return atomic(
        OPS['kvm_check_and_inject_events']!.rule,
        { guard: and(injected, not(pending)), effects: [], label: 'NMI already injected: injected again on this entry' },
        { guard: and(injected, pending), effects: [set(w.nmiWindow, 1)], label: 'NMI already injected, another pending: enable_nmi_window()' },
        { guard: and(not(injected), pending, not(blocked)), effects: [set(w.nmiPending, sub(ref(w.nmiPending), 1)), set(w.nmiInjected, 1), set(w.nmiWindow, ite(ne(ref(w.nmiPending), 0), 1, ref(w.nmiWindow)))], label: 'inject_nmi(): --nmi_pending, nmi_injected = true (enable_nmi_window() if more are pending)' },
        { guard: and(not(injected), pending, blocked), effects: [set(w.nmiWindow, 1)], label: 'NMI pending while the guest\'s NMI handler runs: enable_nmi_window()' },
        { guard: and(not(injected), not(pending)), effects: [], label: 'no NMI to inject' },
      );
    },
  },
  set_mp_state: {
    summary: 'vcpu->arch.mp_state = X',
    rule: 'kernel __kvm_emulate_halt(): a HLT exit sets KVM_MP_STATE_HALTED; vcpu_block() sets RUNNABLE again once the vCPU has events',
    impl: (ctx, args) => {
      const name = firstArg(args) ?? '';
      const s = (MP_STATES as readonly string[]).indexOf(name.startsWith('KVM_') ? name : `KVM_MP_STATE_${name}`);
      if (s < 0) throw new ModelError('set_mp_state needs RUNNABLE or HALTED');
      return one(OPS['set_mp_state']!.rule, `mp_state = ${MP_STATES[s]}`, [set(ctx.w.mpState, s)]);
    },
  },
  set_current_state: {
    summary: 'set_current_state(TASK_INTERRUPTIBLE)',
    rule: '§2 kvm_vcpu_block loop step 1',
    impl: (ctx) => one(OPS['set_current_state']!.rule, 'set_current_state(TASK_INTERRUPTIBLE)', [set(ctx.w.task, 1)]),
  },
  prepare_to_rcuwait: {
    summary: 'the vCPU starts blocking',
    rule: '§2 kvm_vcpu_block step 1: from here kvm_vcpu_wake_up() can wake it',
    impl: (ctx) => one(OPS['prepare_to_rcuwait']!.rule, 'prepare_to_rcuwait(): blocking', [set(ctx.w.blocking, 1)]),
  },
  finish_rcuwait: {
    summary: 'the vCPU stops blocking; TASK_RUNNING',
    rule: '§2 kvm_vcpu_block step 3',
    impl: (ctx) => one(OPS['finish_rcuwait']!.rule, 'finish_rcuwait(): not blocking, TASK_RUNNING', [set(ctx.w.blocking, 0), set(ctx.w.task, 0)]),
  },
  prepare_to_swait: {
    summary: 'old kernels: on vcpu->wq, TASK_INTERRUPTIBLE',
    rule: 'kernel (up to 5.15) kvm_vcpu_block(): prepare_to_swait_exclusive() each iteration',
    impl: (ctx) => one(OPS['prepare_to_swait']!.rule, 'prepare_to_swait(&vcpu->wq, TASK_INTERRUPTIBLE)', [set(ctx.w.blocking, 1), set(ctx.w.task, 1)]),
  },
  finish_swait: {
    summary: 'old kernels: off vcpu->wq, TASK_RUNNING',
    rule: 'kernel (up to 5.15) kvm_vcpu_block(): finish_swait()',
    impl: (ctx) => one(OPS['finish_swait']!.rule, 'finish_swait(): off the queue, TASK_RUNNING', [set(ctx.w.blocking, 0), set(ctx.w.task, 0)]),
  },
  schedule: {
    summary: 'schedule(): a TASK_INTERRUPTIBLE task sleeps until woken',
    rule: 'kernel __schedule(): a task that is not TASK_RUNNING is dequeued; if a wake-up came first it is TASK_RUNNING and schedule() returns',
    impl: (ctx) =>
      atomic(
        OPS['schedule']!.rule,
        { guard: eq(ref(ctx.w.task), 1), effects: [set(ctx.w.onRq, 0)], label: 'schedule(): TASK_INTERRUPTIBLE, the vCPU sleeps' },
        { guard: eq(ref(ctx.w.task), 0), effects: [], label: 'schedule(): already woken (TASK_RUNNING), returns' },
      ),
  },
  smp_send_reschedule: {
    summary: 'send RESCHEDULE_VECTOR to vcpu->cpu',
    rule: '§1: in non-root mode any host vector causes a VM-exit; in the host it is only acknowledged',
    impl: (ctx) => one(OPS['smp_send_reschedule']!.rule, 'smp_send_reschedule(vcpu->cpu)', [set(ctx.w.reschedIpi, 1)]),
  },
  kvm_make_request: {
    summary: 'kvm_make_request(REQ, vcpu)',
    rule: 'kernel: a request is a bit in vcpu->requests that vcpu_enter_guest() checks before entry',
    impl: (ctx, args) => {
      const r = firstArg(args) ?? '';
      return one(OPS['kvm_make_request']!.rule, `kvm_make_request(${r})`, makeRequest(ctx, r));
    },
  },
  kvm_vcpu_wake_up: {
    summary: 'kvm_vcpu_wake_up()',
    rule: '§2 "Kick and wake": wakes the task only while it waits',
    impl: (ctx) => {
      const wk = wakeUp(ctx.w);
      return atomic(OPS['kvm_vcpu_wake_up']!.rule, { guard: wk.woke, effects: wk.effects, label: 'kvm_vcpu_wake_up(): task woken' }, { guard: not(wk.woke), effects: [], label: 'kvm_vcpu_wake_up(): not waiting' });
    },
  },

  // ---------------------------------------------------------------- exit handlers
  kvm_pmu_trigger_event_branches: noopEntry('kvm_pmu_trigger_event(vcpu, branch instructions retired)', 'no counter in the PMI scenarios counts branch instructions'),
  skip_emulated_instruction: noopEntry('kvm_x86_ops.skip_emulated_instruction(): RIP past the instruction', 'advances RIP (and clears the interrupt shadow); no PMU, LVTPC or NMI state changes'),
  handle_nmi_window: {
    summary: 'NMI-window exit: stop NMI-window exiting, KVM_REQ_EVENT',
    rule: 'kernel handle_nmi_window(): clears CPU_BASED_NMI_WINDOW_EXITING and raises KVM_REQ_EVENT so the pending NMI is injected',
    impl: (ctx) => one(OPS['handle_nmi_window']!.rule, 'handle_nmi_window(): NMI window closed, KVM_REQ_EVENT', [set(ctx.w.nmiWindow, 0), ...makeRequest(ctx, 'KVM_REQ_EVENT')]),
  },
  retval: {
    summary: 'the function returns true or false (kvm_vcpu_has_events())',
    rule: 'the result kvm_arch_vcpu_runnable()/kvm_vcpu_check_block() read',
    impl: (ctx, args) => {
      const v = firstArg(args);
      if (v !== 'true' && v !== 'false') throw new ModelError('retval needs true or false');
      return one(OPS['retval']!.rule, `return ${v}`, [set(ctx.locals.hasEvents, v === 'true' ? 1 : 0)]);
    },
  },

  // ---------------------------------------------------------------- PMU (pmu.c)
  set_global_status: {
    summary: '__set_bit(pmc->idx, pmu->global_status)',
    rule: 'kernel __kvm_perf_overflow(): records the overflow in the guest-visible GLOBAL_STATUS; the ghost "unreported" ends here, the PMI path that follows is the code\'s own',
    impl: (ctx) => {
      const { c, name } = pmc(ctx, 'set_global_status');
      return one(OPS['set_global_status']!.rule, `__set_bit(${name}, global_status)`, [set(c.status, 1), set(c.unreported, 0)]);
    },
  },
  irq_work_queue: {
    summary: 'irq_work_queue(&pmu->irq_work): a self-IPI runs kvm_pmi_trigger_fn() once IRQs are on',
    rule: 'kernel irq_work_queue(): claims the work (no-op if already pending) and raises a self-IPI; the callback runs in hard-IRQ context on this CPU when IRQs are enabled',
    impl: (ctx) => one(OPS['irq_work_queue']!.rule, 'irq_work_queue(&pmu->irq_work)', [set(ctx.w.irqWorkPending, 1)]),
  },
  skip_pmi: {
    summary: 'skip_pmi = true/false',
    rule: 'kernel __kvm_perf_overflow(): a local that suppresses the PMI of a PEBS overflow',
    impl: (ctx, args) => one(OPS['skip_pmi']!.rule, `skip_pmi = ${firstArg(args)}`, [set(ctx.locals.skipPmi, firstArg(args) === 'true' ? 1 : 0)]),
  },
  skip_pmi_buffer_ovf: noopEntry('skip_pmi = __test_and_set_bit(GLOBAL_STATUS_BUFFER_OVF_BIT, ...)', 'PEBS overflow handling: no counter in the PMI scenarios uses PEBS'),
  kvm_pmu_request_counter_reprogram: {
    summary: 'set_bit(pmc->idx, reprogram_pmi); kvm_make_request(KVM_REQ_PMU)',
    rule: 'kernel kvm_pmu_request_counter_reprogram() (68fb4757e867, v6.2; spelled ..._reprogam until v6.5)',
    impl: (ctx) => {
      const { c, name } = pmc(ctx, 'kvm_pmu_request_counter_reprogram');
      return one(OPS['kvm_pmu_request_counter_reprogram']!.rule, `reprogram_pmi[${name}] = 1, KVM_REQ_PMU`, [set(c.reprogram, 1), ...makeRequest(ctx, 'KVM_REQ_PMU')]);
    },
  },
  pmc_snapshot_prev_count: {
    summary: 'prev_count = pmc->counter (5.17)',
    rule: 'kernel 9cd803d496e7 kvm_pmu_incr_counter(): the value before the emulated increment',
    impl: (ctx) => {
      const { c } = pmc(ctx, 'pmc_snapshot_prev_count');
      return one(OPS['pmc_snapshot_prev_count']!.rule, 'prev_count = pmc->counter', [set(ctx.locals.prevCount, eq(ref(c.value), ARMED))]);
    },
  },
  pmc_snapshot_prev_counter: {
    summary: 'pmc->prev_counter = pmc->counter (6.2–6.7)',
    rule: 'kernel de0f619564f4 kvm_pmu_incr_counter(): the value before the increment, compared later by reprogram_counter()',
    impl: (ctx) => {
      const { c, name } = pmc(ctx, 'pmc_snapshot_prev_counter');
      return one(OPS['pmc_snapshot_prev_counter']!.rule, `${name}->prev_counter = ${name}->counter`, [set(c.prevArmed, eq(ref(c.value), ARMED))]);
    },
  },
  pmc_clear_prev_counter: {
    summary: 'pmc->prev_counter = 0',
    rule: 'kernel de0f619564f4 reprogram_counter(): reprogram_complete clears the snapshot',
    impl: (ctx) => {
      const { c, name } = pmc(ctx, 'pmc_clear_prev_counter');
      return one(OPS['pmc_clear_prev_counter']!.rule, `${name}->prev_counter = 0`, [set(c.prevArmed, 0)]);
    },
  },
  pmc_counter_incr: {
    summary: 'pmc->counter = (pmc->counter + 1) & pmc_bitmask(pmc)',
    rule: 'kernel kvm_pmu_incr_counter() (5.17–6.7): one emulated event; a counter one from overflow wraps',
    impl: (ctx) => {
      const { c, name } = pmc(ctx, 'pmc_counter_incr');
      return one(OPS['pmc_counter_incr']!.rule, `${name}->counter += 1`, [set(c.unreported, or(eq(ref(c.unreported), 1), eq(ref(c.value), ARMED))), set(c.value, WRAPPED)]);
    },
  },
  pmc_emulated_counter_incr: {
    summary: 'pmc->emulated_counter++ (6.8+)',
    rule: 'kernel fd89499a5151 kvm_pmu_incr_counter(): the event is folded into the counter by pmc_pause_counter()',
    impl: (ctx) => {
      const { c, name } = pmc(ctx, 'pmc_emulated_counter_incr');
      return one(OPS['pmc_emulated_counter_incr']!.rule, `${name}->emulated_counter++`, [set(c.unreported, or(eq(ref(c.unreported), 1), eq(ref(c.value), ARMED))), set(c.emulated, 1)]);
    },
  },
  pmc_pause_counter: {
    summary: 'pmc_pause_counter(): fold perf\'s count (and, 6.8+, emulated_counter) into pmc->counter',
    rule: 'kernel pmc_pause_counter(): hardware overflows are perf\'s to report; from 6.8 it returns whether the emulated events wrapped the counter (fd89499a5151)',
    impl: (ctx, args) => {
      const { c, name } = pmc(ctx, 'pmc_pause_counter');
      if (firstArg(args) !== 'emulated') return noop('before 6.8 it only folds the perf event\'s count into pmc->counter, which the model\'s counter value already includes');
      const wraps = and(eq(ref(c.emulated), 1), eq(ref(c.value), ARMED));
      return one(OPS['pmc_pause_counter']!.rule, `emulate_overflow = pmc_pause_counter(${name})`, [
        set(ctx.locals.emulateOverflow, wraps),
        set(c.value, ite(eq(ref(c.emulated), 1), WRAPPED, ref(c.value))),
        set(c.emulated, 0),
      ]);
    },
  },
  clear_reprogram_pmi: {
    summary: 'clear_bit(pmc->idx, reprogram_pmi)',
    rule: 'kernel reprogram_counter() (6.2–6.8): reprogram_complete',
    impl: (ctx) => {
      const { c, name } = pmc(ctx, 'clear_reprogram_pmi');
      return one(OPS['clear_reprogram_pmi']!.rule, `reprogram_pmi[${name}] = 0`, [set(c.reprogram, 0)]);
    },
  },
  set_reprogram_pmi: {
    summary: 'set_bit(pmc->idx, reprogram_pmi)',
    rule: 'kernel kvm_pmu_handle_event() (6.9+): retry a counter whose reprogramming failed',
    impl: (ctx) => {
      const { c, name } = pmc(ctx, 'set_reprogram_pmi');
      return one(OPS['set_reprogram_pmi']!.rule, `reprogram_pmi[${name}] = 1`, [set(c.reprogram, 1)]);
    },
  },
  reprogram_gp_counter: {
    summary: 'reprogram_gp_counter(): recreate or resume the perf event',
    rule: 'kernel (up to 6.1) pmc_reprogram_counter()/pmc_resume_counter(): clear_bit(pmc->idx, reprogram_pmi)',
    impl: (ctx) => {
      const { c, name } = pmc(ctx, 'reprogram_gp_counter');
      return one(OPS['reprogram_gp_counter']!.rule, `reprogram ${name}: reprogram_pmi[${name}] = 0`, [set(c.reprogram, 0)]);
    },
  },
  reprogram_fixed_counter: {
    summary: 'reprogram_fixed_counter()',
    rule: 'kernel (up to 6.1): as reprogram_gp_counter() for fixed counters',
    impl: (ctx) => {
      const { c, name } = pmc(ctx, 'reprogram_fixed_counter');
      return one(OPS['reprogram_fixed_counter']!.rule, `reprogram ${name}: reprogram_pmi[${name}] = 0`, [set(c.reprogram, 0)]);
    },
  },
  reprogram_pmi_snapshot: {
    summary: 'bitmap_copy(bitmap, pmu->reprogram_pmi)',
    rule: 'kernel kvm_pmu_handle_event() (6.9+): snapshot the counters to reprogram',
    impl: (ctx) => one(OPS['reprogram_pmi_snapshot']!.rule, 'bitmap = reprogram_pmi', ctx.w.counters.map((c, k) => set(ctx.locals.snapshot[k]!, ref(c.reprogram)))),
  },
  reprogram_pmi_clear_snapshot: {
    summary: 'atomic64_andnot(bitmap, &pmu->__reprogram_pmi)',
    rule: 'kernel kvm_pmu_handle_event() (6.9+): clears only the bits it will process',
    impl: (ctx) => one(OPS['reprogram_pmi_clear_snapshot']!.rule, 'reprogram_pmi &= ~bitmap', ctx.w.counters.map((c, k) => set(c.reprogram, and(eq(ref(c.reprogram), 1), eq(ref(ctx.locals.snapshot[k]!), 0))))),
  },
  pmu_ops_deliver_pmi: noopEntry('kvm_pmu_ops.deliver_pmi() (Intel)', 'intel_pmu_deliver_pmi() freezes guest LBRs on a PMI (v5.12+); no LVTPC or NMI state changes'),

  // ---------------------------------------------------------------- local APIC (lapic.c)
  kvm_lapic_get_reg: {
    summary: 'reg = kvm_lapic_get_reg(apic, APIC_LVTPC)',
    rule: 'kernel kvm_apic_local_deliver(): one read of the LVT entry; the mask bit decides delivery',
    impl: (ctx) => one(OPS['kvm_lapic_get_reg']!.rule, 'reg = LVTPC', [set(ctx.locals.regMasked, ref(ctx.w.lvtpcMasked))]),
  },
  __apic_accept_irq: {
    summary: '__apic_accept_irq(apic, APIC_DM_NMI, ...)',
    rule: 'kernel __apic_accept_irq(): LVTPC\'s delivery mode is NMI: result = 1; kvm_inject_nmi(); kvm_vcpu_kick()',
    impl: () => ({ kind: 'call', program: ACCEPT_NMI }),
  },
  apic_accept_nmi: {
    summary: 'the LAPIC accepts the PMI as an NMI (result = 1)',
    rule: 'kernel __apic_accept_irq() case APIC_DM_NMI; the ghosts count PMIs accepted since the last VM-entry and since the guest last unmasked LVTPC',
    impl: (ctx) =>
      one(
        OPS['apic_accept_nmi']!.rule,
        '__apic_accept_irq(APIC_DM_NMI): accepted (result = 1)',
        [set(ctx.locals.accepted, 1), set(ctx.w.pmisThisExit, inc(ctx.w.pmisThisExit, 2)), set(ctx.w.pmisSinceUnmask, inc(ctx.w.pmisSinceUnmask, 2))],
        { pmisAccepted: 1 },
      ),
  },
  lvtpc_set_masked: {
    summary: 'kvm_lapic_set_reg(apic, APIC_LVTPC, reg | APIC_LVT_MASKED)',
    rule: 'SDM 11.5.1 / §1 LVTPC: the LAPIC sets LVTPC.mask when it delivers a PMI (Intel); KVM emulates it from a16eb25b09c0 (v6.6)',
    impl: (ctx) => one(OPS['lvtpc_set_masked']!.rule, 'LVTPC |= APIC_LVT_MASKED', [set(ctx.w.lvtpcMasked, 1)]),
  },

  // ---------------------------------------------------------------- NMIs (x86.c)
  atomic_inc_nmi_queued: {
    summary: 'atomic_inc(&vcpu->arch.nmi_queued)',
    rule: 'kernel kvm_inject_nmi(): queue the NMI for process_nmi()',
    impl: (ctx) => one(OPS['atomic_inc_nmi_queued']!.rule, 'nmi_queued++', [set(ctx.w.nmiQueued, inc(ctx.w.nmiQueued, 3))]),
  },
  nmi_limit: {
    summary: 'limit = 1 or 2',
    rule: '§1 NMIs: one NMI can be in service and one more latched; process_nmi() allows two when none is in service or injected, else one',
    impl: (ctx, args) => {
      const v = Number(firstArg(args));
      if (v !== 1 && v !== 2) throw new ModelError('nmi_limit needs 1 or 2');
      return one(OPS['nmi_limit']!.rule, `limit = ${v}`, [set(ctx.locals.limit, v)]);
    },
  },
  nmi_limit_dec: {
    summary: 'limit--',
    rule: 'kernel process_nmi() (v6.4+): a vNMI pending in hardware counts against the limit',
    impl: (ctx) => one(OPS['nmi_limit_dec']!.rule, 'limit--', [set(ctx.locals.limit, ite(eq(ref(ctx.locals.limit), 0), 0, sub(ref(ctx.locals.limit), 1)))]),
  },
  nmi_pending_add_queued: {
    summary: 'nmi_pending += atomic_xchg(&nmi_queued, 0)',
    rule: 'kernel process_nmi()',
    impl: (ctx) => one(OPS['nmi_pending_add_queued']!.rule, 'nmi_pending += xchg(nmi_queued, 0)', [set(ctx.w.nmiPending, min(add(ref(ctx.w.nmiPending), ref(ctx.w.nmiQueued)), 2)), set(ctx.w.nmiQueued, 0)]),
  },
  nmi_pending_clamp: {
    summary: 'nmi_pending = min(nmi_pending, limit)',
    rule: '§1 NMIs: a third NMI is dropped',
    impl: (ctx) => one(OPS['nmi_pending_clamp']!.rule, 'nmi_pending = min(nmi_pending, limit)', [set(ctx.w.nmiPending, min(ref(ctx.w.nmiPending), ref(ctx.locals.limit)))]),
  },
  nmi_pending_dec: {
    summary: 'nmi_pending-- (handed to vNMI)',
    rule: 'kernel process_nmi() (v6.4+): an NMI pended in vNMI hardware leaves nmi_pending',
    impl: (ctx) => one(OPS['nmi_pending_dec']!.rule, 'nmi_pending--', [set(ctx.w.nmiPending, ite(eq(ref(ctx.w.nmiPending), 0), 0, sub(ref(ctx.w.nmiPending), 1)))]),
  },
};

/** The NMI case of __apic_accept_irq(), run as a program so that the kick is its own steps. */
export const ACCEPT_NMI = '__apic_accept_irq[APIC_DM_NMI]';
export const INTERNAL_PROGRAMS: Readonly<Record<string, string>> = {
  [ACCEPT_NMI]: 'apic_accept_nmi, kvm_inject_nmi, kvm_vcpu_kick',
};

// ------------------------------------------------------------------ conditions

type CondImpl = (ctx: PmiCtx) => CondMeaning;
interface CondEntry extends StepDoc {
  readonly impl: CondImpl;
}

function pure(rule: string, expr: Expr, extra: Partial<Extract<CondMeaning, { kind: 'pure' }>> = {}): CondMeaning {
  return { kind: 'pure', rule, expr, ...extra };
}

function constant(summary: string, value: boolean, rule: string): CondEntry {
  return { summary, rule, impl: () => pure(rule, value ? TRUE : FALSE) };
}

/** kvm_arch_vcpu_runnable() / kvm_vcpu_check_block(): runnable, or kvm_vcpu_has_events() says so. */
function runnable(rule: string): CondImpl {
  return (ctx) => pure(rule, or(eq(ref(ctx.w.mpState), 0), eq(ref(ctx.locals.hasEvents), 1)), { prelude: 'kvm_vcpu_has_events' });
}

const RUNNABLE_RULE = 'kernel kvm_arch_vcpu_runnable(): kvm_vcpu_running() || kvm_vcpu_has_events() (run as its program, era by era)';

export const CONDS: Readonly<Record<string, CondEntry>> = {
  kvm_request_pending: {
    summary: 'kvm_request_pending()',
    rule: 'kernel vcpu_enter_guest(): the request block runs only when a request is pending',
    impl: (ctx) => pure(CONDS['kvm_request_pending']!.rule, or(...PMI_REQUESTS.map((r) => eq(ref(ctx.w.req[r]), 1)))),
  },
  kvm_vcpu_exit_request: {
    summary: 'kvm_vcpu_exit_request(): EXITING_GUEST_MODE or a request pending',
    rule: '§2 vcpu_enter_guest step 5 (need_resched and signals are not modelled)',
    impl: (ctx) =>
      pure(CONDS['kvm_vcpu_exit_request']!.rule, or(eq(ref(ctx.w.mode), EXITING_GUEST_MODE), ...PMI_REQUESTS.map((r) => eq(ref(ctx.w.req[r]), 1))), { eventsIfTrue: { cancelledEntries: 1 } }),
  },
  kvm_lapic_enabled: constant('the LAPIC is in-kernel and enabled', true, 'the PMI scenarios run with an in-kernel, enabled LAPIC (PMIs go through LVTPC)'),
  fastpath_reenter: constant('EXIT_FASTPATH_REENTER_GUEST', false, 'the PMI scenarios\' exits are handled in the slow path (a WRMSR to a PMU MSR, HLT, NMI)'),
  kvm_vcpu_running: {
    summary: 'mp_state is KVM_MP_STATE_RUNNABLE',
    rule: 'kernel vcpu_run(): a runnable vCPU enters the guest, a halted one blocks',
    impl: (ctx) => pure(CONDS['kvm_vcpu_running']!.rule, eq(ref(ctx.w.mpState), 0)),
  },
  kvm_arch_vcpu_runnable: { summary: 'kvm_arch_vcpu_runnable()', rule: RUNNABLE_RULE, impl: runnable(RUNNABLE_RULE) },
  kvm_vcpu_check_block: { summary: 'kvm_vcpu_check_block() < 0', rule: `§2 kvm_vcpu_block loop step 2. ${RUNNABLE_RULE}`, impl: runnable(`§2 kvm_vcpu_block loop step 2. ${RUNNABLE_RULE}`) },
  vmx_can_use_vtd_pi: constant('an assigned device posts through VT-d', false, PI_WHY),
  vmx_needs_pi_wakeup: constant('the PI wakeup vector is needed', false, PI_WHY),
  kvm_vcpu_apicv_active: constant('APICv active', false, PI_WHY),
  is_guest_mode: constant('L2 runs', false, 'the PMI scenarios run no nested guest'),
  r: constant('the posted-interrupt blocking hook\'s result', false, 'the PI blocking hooks return early without an assigned device, leaving their result 0'),
  kvm_vcpu_wake_up: {
    summary: 'kvm_vcpu_wake_up() woke the task',
    rule: '§2 "Kick and wake": kvm_vcpu_kick() first tries to wake the vCPU',
    impl: (ctx) => {
      const wk = wakeUp(ctx.w);
      return { kind: 'rmw', rule: CONDS['kvm_vcpu_wake_up']!.rule, whenTrue: { guard: wk.woke, effects: wk.effects, label: 'kvm_vcpu_wake_up(): task woken' }, whenFalse: { guard: not(wk.woke), effects: [], label: 'kvm_vcpu_wake_up(): not waiting' } };
    },
  },
  kvm_arch_vcpu_should_kick: {
    summary: 'cmpxchg(vcpu->mode, IN_GUEST_MODE, EXITING_GUEST_MODE)',
    rule: '§2 "Kick and wake": a vCPU in IN_GUEST_MODE is set EXITING and sent a reschedule IPI',
    impl: (ctx) => ({
      kind: 'rmw',
      rule: CONDS['kvm_arch_vcpu_should_kick']!.rule,
      whenTrue: { guard: eq(ref(ctx.w.mode), IN_GUEST_MODE), effects: [set(ctx.w.mode, EXITING_GUEST_MODE)], label: 'mode IN_GUEST_MODE -> EXITING_GUEST_MODE: kick' },
      whenFalse: { guard: ne(ref(ctx.w.mode), IN_GUEST_MODE), effects: [], label: 'mode is not IN_GUEST_MODE: no IPI' },
    }),
  },

  // ---------------------------------------------------------------- PMU
  'test_and_set_bit.reprogram_pmi': {
    summary: 'test_and_set_bit(pmc->idx, pmu->reprogram_pmi) (locked RMW)',
    rule: 'kernel kvm_perf_overflow()/__kvm_perf_overflow(): an overflow of a counter already scheduled for reprogramming is ignored',
    impl: (ctx) => {
      const { c, name } = pmc(ctx, 'test_and_set_bit(reprogram_pmi)');
      return {
        kind: 'rmw',
        rule: CONDS['test_and_set_bit.reprogram_pmi']!.rule,
        whenTrue: { guard: eq(ref(c.reprogram), 1), effects: [], label: `test_and_set_bit(${name}, reprogram_pmi): already set` },
        whenFalse: { guard: eq(ref(c.reprogram), 0), effects: [set(c.reprogram, 1)], label: `test_and_set_bit(${name}, reprogram_pmi): set` },
      };
    },
  },
  in_pmi: { summary: '__kvm_perf_overflow()\'s in_pmi', rule: 'kernel: true when called from perf\'s overflow callback, false for an emulated overflow', impl: (ctx) => pure(CONDS['in_pmi']!.rule, ctx.inPmi ? TRUE : FALSE) },
  kvm_handling_nmi_from_guest: {
    summary: 'kvm_handling_nmi_from_guest() / kvm_is_in_guest()',
    rule: 'kernel kvm_before_interrupt(vcpu, KVM_HANDLING_NMI): set only while KVM handles the NMI that caused this VM-exit; a PMI that skids past another exit finds it clear',
    impl: (ctx) => pure(CONDS['kvm_handling_nmi_from_guest']!.rule, ctx.runner === 'nmi' ? eq(ref(ctx.w.exitReason), EXIT.EXCEPTION_NMI) : FALSE),
  },
  pmc_intr: {
    summary: 'pmc->intr',
    rule: 'kernel: ARCH_PERFMON_EVENTSEL_INT of the counter (scenario)',
    impl: (ctx) => pure(CONDS['pmc_intr']!.rule, pmc(ctx, 'pmc->intr').spec.intr ? TRUE : FALSE),
  },
  pmc_pebs: constant('pmc->perf_event->attr.precise_ip', false, 'no counter in the PMI scenarios uses PEBS'),
  skip_pmi: { summary: 'skip_pmi', rule: 'a local of __kvm_perf_overflow()', impl: (ctx) => pure(CONDS['skip_pmi']!.rule, eq(ref(ctx.locals.skipPmi), 1)) },
  eventsel_match_perf_hw_id: {
    summary: 'the counter\'s event selector counts retired instructions',
    rule: 'kernel kvm_pmu_trigger_event(): only counters whose eventsel matches the emulated event count it (scenario)',
    impl: (ctx) => pure(CONDS['eventsel_match_perf_hw_id']!.rule, pmc(ctx, 'eventsel_match_perf_hw_id').spec.emulated ? TRUE : FALSE),
  },
  cpl_is_matched: constant('the counter counts at the guest\'s CPL', true, 'the scenarios\' counters count in user and kernel mode'),
  pmc_event_is_allowed: constant('the counter is enabled and allowed by the event filter', true, 'the scenarios\' counters are enabled (also in GLOBAL_CTRL) and no event filter is set'),
  pmc_is_enabled: constant('pmc_is_enabled(pmc)', true, 'the scenarios\' counters are enabled (also in GLOBAL_CTRL)'),
  pmc_speculative_in_use: constant('pmc_speculative_in_use(pmc)', true, 'the scenarios\' counters have their enable bit set'),
  pmc_is_gp: constant('a general-purpose counter', true, 'the scenarios use general-purpose counters'),
  pmc_counter_below_prev_count: {
    summary: 'pmc->counter < prev_count (5.17)',
    rule: 'kernel 9cd803d496e7 kvm_pmu_incr_counter(): the increment wrapped the counter',
    impl: (ctx) => {
      const { c } = pmc(ctx, 'pmc->counter < prev_count');
      return pure(CONDS['pmc_counter_below_prev_count']!.rule, and(eq(ref(ctx.locals.prevCount), 1), eq(ref(c.value), WRAPPED)));
    },
  },
  pmc_counter_below_prev_counter: {
    summary: 'pmc->counter < pmc->prev_counter (6.2–6.7)',
    rule: 'kernel de0f619564f4 reprogram_counter(): an emulated increment wrapped the counter',
    impl: (ctx) => {
      const { c } = pmc(ctx, 'pmc->counter < pmc->prev_counter');
      return pure(CONDS['pmc_counter_below_prev_counter']!.rule, and(eq(ref(c.prevArmed), 1), eq(ref(c.value), WRAPPED)));
    },
  },
  emulate_overflow: { summary: 'emulate_overflow', rule: 'kernel reprogram_counter() (6.8+): pmc_pause_counter()\'s result', impl: (ctx) => pure(CONDS['emulate_overflow']!.rule, eq(ref(ctx.locals.emulateOverflow), 1)) },
  pmc_reprogram_pending: {
    summary: 'test_bit(pmc->idx, reprogram_pmi)',
    rule: 'kernel kvm_pmu_handle_event(): for_each_set_bit over reprogram_pmi',
    impl: (ctx) => pure(CONDS['pmc_reprogram_pending']!.rule, eq(ref(pmc(ctx, 'reprogram_pmi').c.reprogram), 1)),
  },
  pmc_in_snapshot: {
    summary: 'test_bit(pmc->idx, bitmap)',
    rule: 'kernel kvm_pmu_handle_event() (6.9+): for_each_set_bit over the snapshot',
    impl: (ctx) => pure(CONDS['pmc_in_snapshot']!.rule, eq(ref(ctx.locals.snapshot[pmc(ctx, 'bitmap').c.index]!), 1)),
  },
  skip_emulated_instruction_ok: constant('kvm_x86_ops.skip_emulated_instruction() succeeded (r != 0)', true, 'skipping the intercepted instruction succeeds (no emulation failure)'),
  reprogram_counter_failed: constant('reprogram_counter() returned an error', false, 'perf event creation does not fail in the scenarios'),

  // ---------------------------------------------------------------- local APIC
  reg_masked: { summary: 'reg & APIC_LVT_MASKED', rule: 'kernel kvm_apic_local_deliver(): a masked LVT entry delivers nothing', impl: (ctx) => pure(CONDS['reg_masked']!.rule, eq(ref(ctx.locals.regMasked), 1)) },
  kvm_apic_hw_enabled: constant('kvm_apic_hw_enabled(apic)', true, 'the guest\'s LAPIC is enabled'),
  lvt_is_lvtpc: constant('lvt_type == APIC_LVTPC', true, 'kvm_pmu_deliver_pmi() delivers LVTPC'),
  apic_accepted: { summary: 'r (__apic_accept_irq() accepted)', rule: 'kernel kvm_apic_local_deliver() (6.6+): mask only after a successful accept', impl: (ctx) => pure(CONDS['apic_accepted']!.rule, eq(ref(ctx.locals.accepted), 1)) },
  guest_cpuid_is_intel_compatible: {
    summary: 'guest_cpuid_is_intel_compatible(vcpu)',
    rule: 'kernel 49ff3b4aec51 (v6.9): only Intel-compatible guests expect the LAPIC to mask LVTPC on a PMI',
    impl: (ctx) => pure(CONDS['guest_cpuid_is_intel_compatible']!.rule, ctx.platform.vendor === 'intel' ? TRUE : FALSE),
  },
  guest_cpuid_is_amd_or_hygon: {
    summary: 'guest_cpuid_is_amd_or_hygon(vcpu)',
    rule: 'kernel: the guest CPUID vendor (Sandipan Das\'s first version of 49ff3b4aec51 tested this)',
    impl: (ctx) => pure(CONDS['guest_cpuid_is_amd_or_hygon']!.rule, ctx.platform.vendor === 'amd' ? TRUE : FALSE),
  },

  // ---------------------------------------------------------------- NMIs
  get_nmi_mask: { summary: 'kvm_x86_ops.get_nmi_mask(): guest NMIs blocked', rule: 'SDM: NMIs are blocked from NMI delivery until the next IRET', impl: (ctx) => pure(CONDS['get_nmi_mask']!.rule, ctx.w.nmiBlocked()) },
  nmi_injected: { summary: 'vcpu->arch.nmi_injected', rule: 'kernel: an NMI injected on the coming entry counts as in service', impl: (ctx) => pure(CONDS['nmi_injected']!.rule, eq(ref(ctx.w.nmiInjected), 1)) },
  nmi_pending: { summary: 'vcpu->arch.nmi_pending', rule: 'kernel process_nmi()/kvm_vcpu_has_events()', impl: (ctx) => pure(CONDS['nmi_pending']!.rule, ne(ref(ctx.w.nmiPending), 0)) },
  nmi_allowed: { summary: 'kvm_x86_ops.nmi_allowed()', rule: 'kernel: an NMI can be injected when guest NMIs are not blocked', impl: (ctx) => pure(CONDS['nmi_allowed']!.rule, not(ctx.w.nmiBlocked())) },
  is_vnmi_pending: constant('kvm_x86_ops.is_vnmi_pending()', false, 'no vNMI (AMD virtual NMI) in the model: KVM tracks every NMI in nmi_pending'),
  set_vnmi_pending: constant('kvm_x86_ops.set_vnmi_pending()', false, 'no vNMI in the model: it returns false and does nothing'),
  kvm_arch_interrupt_allowed: constant('kvm_arch_interrupt_allowed()', true, 'the guest runs with interrupts enabled'),
  kvm_cpu_has_interrupt: constant('kvm_cpu_has_interrupt()', false, 'no fixed-vector interrupt in the PMI scenarios; a PMI is an NMI'),
};

/** `kvm_check_request` (test and clear) / `kvm_test_request` of a request; other areas' requests are never raised here. */
function requestCond(ctx: PmiCtx, kind: 'check' | 'test', name: string): CondMeaning {
  if (!(PMI_REQUESTS as readonly string[]).includes(name)) {
    if (!isModelledRequest(name)) throw new ModelError(`no model area follows ${name}`);
    return pure(`${name} belongs to another model area and is never raised in the PMI scenarios`, FALSE);
  }
  const id = ctx.w.req[name as PmiRequest];
  if (kind === 'test') return pure(`kernel kvm_test_request(): reads ${name} without clearing it`, eq(ref(id), 1));
  return {
    kind: 'rmw',
    rule: `kernel kvm_check_request(): test-and-clear of ${name}, which the vCPU then handles`,
    whenTrue: { guard: eq(ref(id), 1), effects: [set(id, 0)], label: `kvm_check_request(${name}): pending, handled` },
    whenFalse: { guard: eq(ref(id), 0), effects: [], label: `kvm_check_request(${name}): not pending` },
  };
}

/** Programs that only ever run for one counter: entering one needs ctx.counter. */
const IN_PMI_PROGRAMS = new Set(['kvm_perf_overflow', 'kvm_perf_overflow_intr']);
const NOT_IN_PMI_PROGRAMS = new Set(['kvm_pmu_incr_counter', 'reprogram_counter', 'kvm_pmu_handle_event', 'kvm_pmu_trigger_event']);

export const pmiSemantics: Semantics<PmiCtx> = {
  op(ctx, name, args, program) {
    const entry = OPS[name];
    if (entry) return entry.impl(ctx, args, program);
    const other = areaOfOp(name);
    if (other && other !== 'pmi') return noop(`a step of the ${AREA_TITLES[other]} model: no effect on PMU, LVTPC or NMI state`);
    const pi = PI_OPS[name];
    if (pi) return noop(`${PI_WHY} (${pi.summary})`);
    throw new ModelError(`unknown step ${name} in ${program}`);
  },
  cond(ctx, name) {
    const req = /^kvm_(check|test)_request\.(KVM_REQ_\w+)$/.exec(name);
    if (req) return requestCond(ctx, req[1] as 'check' | 'test', req[2]!);
    const exit = /^exit_reason\.(\w+)$/.exec(name);
    if (exit) {
      const r = exit[1] as ExitReason;
      if (!(EXIT_REASONS as readonly string[]).includes(r)) throw new ModelError(`no exit reason ${r}`);
      return pure('kernel vmx_handle_exit(): the basic exit reason selects the handler', eq(ref(ctx.w.exitReason), EXIT[r]));
    }
    const entry = CONDS[name];
    if (!entry) throw new ModelError(`unknown condition ${name}`);
    return entry.impl(ctx);
  },
  opaque(name) {
    const other = areaOfOp(name);
    return other && other !== 'pmi' ? `a step of the ${AREA_TITLES[other]} model: no effect on PMU, LVTPC or NMI state` : undefined;
  },
  // As `op`: a no-op entry, or a posted-interrupt step this model has no entry for.
  inert: (name) => (OPS[name] ? OPS[name].inert === true : PI_OPS[name] !== undefined) && !(name in INTERNAL_PROGRAMS),
  enter(ctx, program) {
    if (IN_PMI_PROGRAMS.has(program) && !ctx.inPmi) return { ...ctx, inPmi: true };
    if (NOT_IN_PMI_PROGRAMS.has(program) && ctx.inPmi) return { ...ctx, inPmi: false };
    return ctx;
  },
};

