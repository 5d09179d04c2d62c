/**
 * The state of the posted-interrupt world: descriptors, vCPUs, pCPUs (kvm-model.md §1–2).
 *
 * Every field is a bounded integer variable of the IR. Names are the ones a KVM reader
 * expects in a trace: `PID0.ON`, `vCPU0.mode`, `pCPU1.IRR.POSTED_INTR_VECTOR`.
 */
import { ModelBuilder } from '../builder';
import { Assign, Expr, and, eq, ite, lit, ne, not, or, ref } from '../ir';

export const MODES = ['OUTSIDE_GUEST_MODE', 'IN_GUEST_MODE', 'EXITING_GUEST_MODE'] as const;
export const OUTSIDE_GUEST_MODE = 0;
export const IN_GUEST_MODE = 1;
export const EXITING_GUEST_MODE = 2;

export const NV_VALUES = ['POSTED_INTR_VECTOR', 'POSTED_INTR_WAKEUP_VECTOR'] as const;
export const NV_POSTED = 0;
export const NV_WAKEUP = 1;

/**
 * Host vectors a pCPU can have pending, highest first. All three are in priority class 15,
 * so the LAPIC delivers the highest vector number first: RESCHEDULE_VECTOR (0xfd),
 * POSTED_INTR_VECTOR (0xf2), POSTED_INTR_WAKEUP_VECTOR (0xf1).
 */
export const HOST_VECTORS = ['RESCHEDULE_VECTOR', 'POSTED_INTR_VECTOR', 'POSTED_INTR_WAKEUP_VECTOR'] as const;
export type HostVector = (typeof HOST_VECTORS)[number];

export const EXIT_REASONS = ['none', 'EXTERNAL_INTERRUPT', 'HLT', 'FASTPATH', 'IO_INSTRUCTION'] as const;
export const EXIT_NONE = 0;
export const EXIT_EXTINT = 1;
export const EXIT_HLT = 2;
export const EXIT_FASTPATH = 3;
export const EXIT_IO = 4;

export const TASK_STATES = ['TASK_RUNNING', 'TASK_INTERRUPTIBLE'] as const;
export const MP_STATES = ['KVM_MP_STATE_RUNNABLE', 'KVM_MP_STATE_HALTED'] as const;
export const SCHED_PHASES = ['running', 'sched_out', 'off_cpu', 'sched_in'] as const;
export const PHASE_RUNNING = 0;
export const PHASE_SCHED_OUT = 1;
export const PHASE_OFF = 2;
export const PHASE_SCHED_IN = 3;

/** Requests the posted-interrupt model raises; [models] adds more. */
export const REQUESTS = ['KVM_REQ_EVENT', 'KVM_REQ_TLB_FLUSH'] as const;
export type RequestName = (typeof REQUESTS)[number];

export interface Descriptor {
  readonly pir: readonly number[];
  readonly on: number;
  readonly sn: number;
  readonly nv: number;
  readonly ndst: number;
}

export interface VcpuVars {
  readonly index: number;
  readonly pid: Descriptor;
  readonly mode: number;
  readonly nonroot: number;
  readonly l2: number;
  readonly cpu: number;
  readonly virr: readonly number[];
  readonly rvi: number;
  readonly got: readonly number[];
  readonly req: Readonly<Record<RequestName, number>>;
  /** Ghost, per request: raised before the entry decision (see semantics' makeRequest). */
  readonly unkicked: Readonly<Record<RequestName, number>>;
  readonly irqsDisabled: number;
  readonly preemptDisabled: number;
  readonly task: number;
  readonly onRq: number;
  readonly running: number;
  readonly preempted: number;
  readonly blocking: number;
  readonly mpState: number;
  readonly exitReason: number;
  readonly exitVector: number;
  readonly prePcpu: number;
  readonly phase: number;
  readonly schedCpu: number;
}

export interface PcpuVars {
  readonly index: number;
  readonly irr: Readonly<Record<HostVector, number>>;
  /** wakeupList[i]: vCPU i is on this pCPU's wakeup list. */
  readonly wakeupList: readonly number[];
}

export interface WorldShape {
  readonly vcpus: number;
  readonly pcpus: number;
  readonly vectors: number;
}

export class PiWorld {
  readonly vcpu: VcpuVars[] = [];
  readonly pcpu: PcpuVars[] = [];

  constructor(
    readonly b: ModelBuilder,
    readonly shape: WorldShape,
    /**
     * `inGuest`: every vCPU starts in VMX non-root mode, just after VM-entry, so that the host
     * state it later enters with (SN, mode, IRQs) comes from the programs' own exit path.
     */
    init: { readonly l2?: boolean; readonly inGuest?: boolean; readonly cpuOf?: readonly number[] } = {},
  ) {
    const cpuNames = Array.from({ length: shape.pcpus }, (_, p) => `pCPU${p}`);
    for (let i = 0; i < shape.vcpus; i++) {
      const cpu0 = init.cpuOf?.[i] ?? i % shape.pcpus;
      const g = init.inGuest ? 1 : 0;
      const P = `PID${i}`;
      const V = `vCPU${i}`;
      const pid: Descriptor = {
        pir: range(shape.vectors).map((k) => b.declare(`${P}.PIR[${k}]`, 1)),
        on: b.declare(`${P}.ON`, 1),
        sn: b.declare(`${P}.SN`, 1),
        nv: b.declare(`${P}.NV`, 1, NV_POSTED, 'state', NV_VALUES),
        ndst: b.declare(`${P}.NDST`, shape.pcpus - 1, cpu0, 'state', cpuNames),
      };
      this.vcpu.push({
        index: i,
        pid,
        mode: b.declare(`${V}.mode`, 2, g ? IN_GUEST_MODE : OUTSIDE_GUEST_MODE, 'state', MODES),
        nonroot: b.declare(`${V}.non_root`, 1, g),
        l2: b.declare(`${V}.L2`, 1, init.l2 ? 1 : 0),
        cpu: b.declare(`${V}.cpu`, shape.pcpus - 1, cpu0, 'state', cpuNames),
        virr: range(shape.vectors).map((k) => b.declare(`${V}.vIRR[${k}]`, 1)),
        rvi: b.declare(`${V}.RVI`, 1),
        got: range(shape.vectors).map((k) => b.declare(`${V}.guest_got[${k}]`, 1, 0, 'ghost')),
        req: {
          KVM_REQ_EVENT: b.declare(`${V}.requests.KVM_REQ_EVENT`, 1),
          KVM_REQ_TLB_FLUSH: b.declare(`${V}.requests.KVM_REQ_TLB_FLUSH`, 1),
        },
        unkicked: {
          KVM_REQ_EVENT: b.declare(`${V}.before_entry_decision.KVM_REQ_EVENT`, 1, 0, 'ghost'),
          KVM_REQ_TLB_FLUSH: b.declare(`${V}.before_entry_decision.KVM_REQ_TLB_FLUSH`, 1, 0, 'ghost'),
        },
        irqsDisabled: b.declare(`${V}.irqs_disabled`, 1, g),
        preemptDisabled: b.declare(`${V}.preempt_disabled`, 1, g),
        task: b.declare(`${V}.task_state`, 1, 0, 'state', TASK_STATES),
        onRq: b.declare(`${V}.on_rq`, 1, 1),
        running: b.declare(`${V}.on_cpu`, 1, 1),
        preempted: b.declare(`${V}.preempted`, 1),
        blocking: b.declare(`${V}.blocking`, 1),
        mpState: b.declare(`${V}.mp_state`, 1, 0, 'state', MP_STATES),
        exitReason: b.declare(`${V}.exit_reason`, EXIT_REASONS.length - 1, EXIT_NONE, 'state', EXIT_REASONS),
        exitVector: b.declare(`${V}.exit_vector`, 3, 0, 'state', ['none', ...HOST_VECTORS]),
        prePcpu: b.declare(`${V}.pre_pcpu`, shape.pcpus - 1, cpu0, 'state', cpuNames),
        phase: b.declare(`sched${i}.phase`, 3, PHASE_RUNNING, 'state', SCHED_PHASES),
        schedCpu: b.declare(`sched${i}.cpu`, shape.pcpus - 1, cpu0, 'state', cpuNames),
      });
    }
    for (let p = 0; p < shape.pcpus; p++) {
      this.pcpu.push({
        index: p,
        irr: {
          RESCHEDULE_VECTOR: b.declare(`pCPU${p}.IRR.RESCHEDULE_VECTOR`, 1),
          POSTED_INTR_VECTOR: b.declare(`pCPU${p}.IRR.POSTED_INTR_VECTOR`, 1),
          POSTED_INTR_WAKEUP_VECTOR: b.declare(`pCPU${p}.IRR.POSTED_INTR_WAKEUP_VECTOR`, 1),
        },
        wakeupList: range(shape.vcpus).map((i) => b.declare(`pCPU${p}.wakeup_list[vCPU${i}]`, 1)),
      });
    }
    this.deriveDisplayFields();
  }

  // ------------------------------------------------------------ reads

  r(id: number): Expr {
    return ref(id);
  }

  anyPir(i: number): Expr {
    return or(...this.vcpu[i]!.pid.pir.map((id) => ne(ref(id), 0)));
  }

  anyVirr(i: number): Expr {
    return or(...this.vcpu[i]!.virr.map((id) => ne(ref(id), 0)));
  }

  anyRequest(i: number): Expr {
    return or(...Object.values(this.vcpu[i]!.req).map((id) => ne(ref(id), 0)));
  }

  /** The vCPU runs guest code (VMX non-root) on pCPU `p`. */
  nonRootOn(i: number, p: number): Expr {
    const v = this.vcpu[i]!;
    return and(eq(ref(v.nonroot), 1), eq(ref(v.cpu), p));
  }

  /** Some vCPU runs guest code on pCPU `p`. */
  anyNonRootOn(p: number): Expr {
    return or(...this.vcpu.map((_, i) => this.nonRootOn(i, p)));
  }

  /**
   * Host IRQ flag of pCPU `p`: off while a vCPU thread running there has IRQs disabled, or
   * while a scheduler hook runs there (context switches run with IRQs off). Other tasks
   * run with IRQs on.
   */
  irqsEnabled(p: number): Expr {
    const off = this.vcpu.map((v) =>
      or(
        and(eq(ref(v.running), 1), eq(ref(v.cpu), p), eq(ref(v.irqsDisabled), 1)),
        and(or(eq(ref(v.phase), PHASE_SCHED_OUT), eq(ref(v.phase), PHASE_SCHED_IN)), eq(ref(v.schedCpu), p)),
      ),
    );
    return not(or(...off));
  }

  anyIrrPending(p: number): Expr {
    return or(...HOST_VECTORS.map((x) => ne(ref(this.pcpu[p]!.irr[x]), 0)));
  }

  /** No pCPU has any host IRQ pending. */
  noIrqPending(): Expr {
    return and(...this.pcpu.map((_, p) => not(this.anyIrrPending(p))));
  }

  /** pCPU `p` runs no vCPU task (so a vCPU can be scheduled in there). */
  pcpuFree(p: number, except: number): Expr {
    return and(...this.vcpu.filter((v) => v.index !== except).map((v) => not(and(eq(ref(v.running), 1), eq(ref(v.cpu), p)))));
  }

  // ------------------------------------------------------------ writes

  set(id: number, e: Expr | number): Assign {
    return { id, e: typeof e === 'number' ? lit(e) : e };
  }

  /** Writes `e` into `ids[index]`, for an index only known at run time. */
  setAt(ids: readonly number[], index: Expr, e: Expr | number): Assign[] {
    const val = typeof e === 'number' ? lit(e) : e;
    if (index.k === 'const') return [{ id: ids[index.v]!, e: val }];
    return ids.map((id, k) => ({ id, e: ite(eq(index, k), val, ref(id)) }));
  }

  /** Raises host vector `x` on the pCPU numbered by `cpu`. */
  sendIpi(cpu: Expr, x: HostVector): Assign[] {
    return this.setAt(
      this.pcpu.map((p) => p.irr[x]),
      cpu,
      1,
    );
  }

  /** Posted-interrupt processing, or a PIR sync: vIRR |= PIR, PIR = 0. */
  movePirToVirr(i: number): Assign[] {
    const v = this.vcpu[i]!;
    return [
      ...v.virr.map((id, k) => this.set(id, or(ne(ref(id), 0), ne(ref(v.pid.pir[k]!), 0)))),
      ...v.pid.pir.map((id) => this.set(id, 0)),
    ];
  }

  private deriveDisplayFields(): void {
    for (const p of this.pcpu) this.b.derive(`pCPU${p.index}.IF`, this.irqsEnabled(p.index));
  }
}

export function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}
