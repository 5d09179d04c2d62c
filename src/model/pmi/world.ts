/**
 * The state of the PMI world (kvm-model.md §1 "NMIs", "LVTPC", §2 "PMU"): one vCPU, its
 * virtual PMU's counters, its local APIC's LVTPC entry, KVM's NMI bookkeeping and the guest's
 * NMI handler.
 *
 * Every field is a bounded integer variable of the IR, named as a KVM reader expects in a
 * trace: `pmc0.counter`, `vCPU0.requests.KVM_REQ_PMI`, `vCPU0.arch.nmi_pending`, `LVTPC.mask`.
 */
import { ModelBuilder } from '../builder';
import { Assign, Expr, and, eq, lit, ne, or, ref } from '../ir';

export const MODES = ['OUTSIDE_GUEST_MODE', 'IN_GUEST_MODE', 'EXITING_GUEST_MODE'] as const;
export const OUTSIDE_GUEST_MODE = 0;
export const IN_GUEST_MODE = 1;
export const EXITING_GUEST_MODE = 2;

/** Why the vCPU last left the guest (VMX basic exit reasons, as the model needs them). */
export const EXIT_REASONS = ['none', 'EXCEPTION_NMI', 'MSR_WRITE', 'HLT', 'NMI_WINDOW', 'EXTERNAL_INTERRUPT'] as const;
export type ExitReason = (typeof EXIT_REASONS)[number];
export const EXIT = Object.fromEntries(EXIT_REASONS.map((r, k) => [r, k])) as Record<ExitReason, number>;

export const TASK_STATES = ['TASK_RUNNING', 'TASK_INTERRUPTIBLE'] as const;
export const MP_STATES = ['KVM_MP_STATE_RUNNABLE', 'KVM_MP_STATE_HALTED'] as const;

/** A counter's value, abstracted: one event short of overflowing, or past its overflow. */
export const COUNTER_VALUES = ['one-from-overflow', 'wrapped'] as const;
export const ARMED = 0;
export const WRAPPED = 1;

/** Where the guest's NMI handler is: not running, entered (LVTPC not yet unmasked by it), or past its unmask. */
export const HANDLER_STAGES = ['idle', 'in handler', 'in handler, LVTPC unmasked'] as const;
export const HANDLER_IDLE = 0;
export const HANDLER_ENTERED = 1;
export const HANDLER_UNMASKED = 2;

/** Requests the PMI model raises (its own three, and KVM_REQ_EVENT, which process_nmi raises). */
export const PMI_REQUESTS = ['KVM_REQ_PMU', 'KVM_REQ_PMI', 'KVM_REQ_NMI', 'KVM_REQ_EVENT'] as const;
export type PmiRequest = (typeof PMI_REQUESTS)[number];

export interface CounterVars {
  readonly index: number;
  /** `pmc->counter`, abstracted (ARMED / WRAPPED). */
  readonly value: number;
  /** The hardware counter overflowed while the guest ran; perf's PMI (a host NMI) is still to be handled. */
  readonly hwOverflow: number;
  /** Bit `idx` of `pmu->reprogram_pmi`. */
  readonly reprogram: number;
  /** Bit `idx` of `pmu->global_status` (the guest reads it in its handler). */
  readonly status: number;
  /** 6.2–6.7: `pmc->prev_counter` holds a snapshot taken while the counter was one from overflow. */
  readonly prevArmed: number;
  /** 6.8+: `pmc->emulated_counter` holds an emulated event not yet folded into the counter. */
  readonly emulated: number;
  /** Ghost: the counter overflowed and __kvm_perf_overflow() has not yet run for it. */
  readonly unreported: number;
}

export interface ThreadLocals {
  /** `reg & APIC_LVT_MASKED` as kvm_apic_local_deliver() read it. */
  readonly regMasked: number;
  /** The result of __apic_accept_irq() (`r`). */
  readonly accepted: number;
  /** The result of kvm_vcpu_has_events(). */
  readonly hasEvents: number;
  /** process_nmi()'s `limit`. */
  readonly limit: number;
  /** kvm_pmu_incr_counter()'s `prev_count` (5.17): the counter was one from overflow. */
  readonly prevCount: number;
  /** reprogram_counter()'s `emulate_overflow` (6.8+). */
  readonly emulateOverflow: number;
  /** __kvm_perf_overflow()'s `skip_pmi`. */
  readonly skipPmi: number;
  /** kvm_pmu_handle_event()'s snapshot of reprogram_pmi (6.9+), per counter. */
  readonly snapshot: readonly number[];
}

export class PmiWorld {
  // vCPU thread
  readonly mode: number;
  readonly nonroot: number;
  readonly irqsDisabled: number;
  readonly mpState: number;
  readonly task: number;
  readonly blocking: number;
  readonly onRq: number;
  readonly exitReason: number;
  readonly req: Readonly<Record<PmiRequest, number>>;
  // PMU
  readonly counters: readonly CounterVars[];
  readonly irqWorkPending: number;
  // local APIC
  readonly lvtpcMasked: number;
  /** A reschedule IPI sent to the vCPU's pCPU (kvm_vcpu_kick of a vCPU in guest mode). */
  readonly reschedIpi: number;
  // NMIs (vcpu->arch)
  readonly nmiQueued: number;
  readonly nmiPending: number;
  readonly nmiInjected: number;
  readonly nmiWindow: number;
  // guest
  readonly handler: number;
  // ghosts
  readonly pmisThisExit: number;
  readonly pmisSinceUnmask: number;

  constructor(
    readonly b: ModelBuilder,
    readonly nCounters: number,
  ) {
    const V = 'vCPU0';
    // The vCPU starts in the guest, right after a VM-entry.
    this.mode = b.declare(`${V}.mode`, 2, IN_GUEST_MODE, 'state', MODES);
    this.nonroot = b.declare(`${V}.non_root`, 1, 1);
    this.irqsDisabled = b.declare(`${V}.irqs_disabled`, 1, 1);
    this.mpState = b.declare(`${V}.mp_state`, 1, 0, 'state', MP_STATES);
    this.task = b.declare(`${V}.task_state`, 1, 0, 'state', TASK_STATES);
    this.blocking = b.declare(`${V}.blocking`, 1);
    this.onRq = b.declare(`${V}.on_rq`, 1, 1);
    this.exitReason = b.declare(`${V}.exit_reason`, EXIT_REASONS.length - 1, 0, 'state', EXIT_REASONS);
    this.req = Object.fromEntries(PMI_REQUESTS.map((r) => [r, b.declare(`${V}.requests.${r}`, 1)])) as Record<PmiRequest, number>;
    this.counters = Array.from({ length: nCounters }, (_, k) => ({
      index: k,
      value: b.declare(`pmc${k}.counter`, 1, ARMED, 'state', COUNTER_VALUES),
      hwOverflow: b.declare(`pmc${k}.perf_overflow_pending`, 1),
      reprogram: b.declare(`pmu.reprogram_pmi[${k}]`, 1),
      status: b.declare(`pmu.global_status[${k}]`, 1),
      prevArmed: b.declare(`pmc${k}.prev_counter`, 1, 0, 'state', ['0', 'one-from-overflow']),
      emulated: b.declare(`pmc${k}.emulated_counter`, 1),
      unreported: b.declare(`pmc${k}.overflow_unreported`, 1, 0, 'ghost'),
    }));
    this.irqWorkPending = b.declare('pmu.irq_work.pending', 1);
    this.lvtpcMasked = b.declare('LVTPC.mask', 1);
    this.reschedIpi = b.declare('pCPU0.IRR.RESCHEDULE_VECTOR', 1);
    this.nmiQueued = b.declare(`${V}.arch.nmi_queued`, 3);
    this.nmiPending = b.declare(`${V}.arch.nmi_pending`, 2);
    this.nmiInjected = b.declare(`${V}.arch.nmi_injected`, 1);
    this.nmiWindow = b.declare(`${V}.nmi_window_exiting`, 1);
    this.handler = b.declare('guest.nmi_handler', 2, HANDLER_IDLE, 'state', HANDLER_STAGES);
    this.pmisThisExit = b.declare('ghost.pmis_since_vm_exit', 2, 0, 'ghost');
    this.pmisSinceUnmask = b.declare('ghost.pmis_since_lvtpc_unmask', 2, 0, 'ghost');
  }

  /** Locals of one running context (the vCPU thread, the irq_work, the host NMI handler). */
  locals(prefix: string): ThreadLocals {
    const b = this.b;
    return {
      regMasked: b.declare(`${prefix}.reg_masked`, 1, 0, 'local'),
      accepted: b.declare(`${prefix}.r`, 1, 0, 'local'),
      hasEvents: b.declare(`${prefix}.has_events`, 1, 0, 'local'),
      limit: b.declare(`${prefix}.limit`, 2, 0, 'local'),
      prevCount: b.declare(`${prefix}.prev_count`, 1, 0, 'local'),
      emulateOverflow: b.declare(`${prefix}.emulate_overflow`, 1, 0, 'local'),
      skipPmi: b.declare(`${prefix}.skip_pmi`, 1, 0, 'local'),
      snapshot: this.counters.map((c) => b.declare(`${prefix}.bitmap[${c.index}]`, 1, 0, 'local')),
    };
  }

  set(id: number, e: Expr | number): Assign {
    return { id, e: typeof e === 'number' ? lit(e) : e };
  }

  /** Guest NMIs are blocked: its NMI handler runs (until IRET). */
  nmiBlocked(): Expr {
    return ne(ref(this.handler), HANDLER_IDLE);
  }

  /** A host NMI for a hardware counter overflow is still to be handled. */
  hostNmiPending(): Expr {
    return or(...this.counters.map((c) => eq(ref(c.hwOverflow), 1)));
  }

  /** An NMI is somewhere between the LAPIC and the guest (queued, pending, injected, or requested). */
  nmiOnItsWay(): Expr {
    return or(ne(ref(this.nmiQueued), 0), ne(ref(this.nmiPending), 0), eq(ref(this.nmiInjected), 1), eq(ref(this.req.KVM_REQ_NMI), 1));
  }

  /** The vCPU thread is asleep in schedule() (dequeued). */
  asleep(): Expr {
    return eq(ref(this.onRq), 0);
  }

  /** Host IRQs are enabled on the vCPU's pCPU: the thread runs there with IRQs on, or sleeps. */
  cpuIrqsOn(): Expr {
    return or(this.asleep(), and(eq(ref(this.nonroot), 0), eq(ref(this.irqsDisabled), 0)));
  }
}
