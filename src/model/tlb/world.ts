/**
 * The state of the PV remote TLB flush world (kvm-model.md §2 "PV TLB flush"; seed 003).
 *
 * Per target vCPU: the guest-visible `steal_time.preempted` byte, the host's copy of it, the
 * vCPU's TLB, where its thread is (guest code, host, switched out), its pending flush IPIs, and
 * the ghosts the properties need. Per flush initiator: the locals of kvm_flush_tlb_multi (the
 * mask, `cpu`, `state`, `new_state`).
 *
 * Names are the ones a KVM reader expects in a trace: `st0.preempted`, `vCPU0.arch.st.preempted`,
 * `vCPU0.tlb`, `initiator.flushmask[vCPU0]`.
 */
import { ModelBuilder } from '../builder';
import { Assign, Expr, and, eq, ite, lit, ne, or, ref } from '../ir';

/** The bits of `struct kvm_steal_time.preempted` (uapi asm/kvm_para.h, plus seed 003's proposal). */
export const KVM_VCPU_PREEMPTED = 1;
/** Seed 003 calls it KVM_VCPU_SHOULD_FLUSH (the v4 posting's name); merged as KVM_VCPU_FLUSH_TLB. */
export const KVM_VCPU_FLUSH_TLB = 2;
/** Seed 003's proposal only; never merged. */
export const KVM_VCPU_IPI_PENDING = 4;
export const BYTE_MAX = 7;

/** Display names of every value of the byte. */
export const BYTE_VALUES: readonly string[] = Array.from({ length: BYTE_MAX + 1 }, (_, v) => {
  const parts = [
    v & KVM_VCPU_PREEMPTED ? 'PREEMPTED' : '',
    v & KVM_VCPU_FLUSH_TLB ? 'FLUSH_TLB' : '',
    v & KVM_VCPU_IPI_PENDING ? 'IPI_PENDING' : '',
  ].filter((x) => x);
  return parts.length ? parts.join('|') : '0';
});

export const TLB_VALUES = ['fresh', 'stale'] as const;
export const TLB_FRESH = 0;
export const TLB_STALE = 1;

/** A guest-virtual translation the host's emulator holds between translating and accessing. */
export const TRANSLATION_VALUES = ['none', 'fresh', 'stale'] as const;
export const TRANSLATION_NONE = 0;
export const TRANSLATION_FRESH = 1;
export const TRANSLATION_STALE = 2;

export const EXIT_REASONS = ['none', 'EXTERNAL_INTERRUPT', 'EMULATION'] as const;
export const EXIT_NONE = 0;
export const EXIT_EXTINT = 1;
export const EXIT_EMULATION = 2;

export interface TargetVars {
  readonly index: number;
  /** `per_cpu(steal_time, cpu).preempted`: guest memory, written by both sides. */
  readonly byte: number;
  /** The host's copy: `vcpu->arch.st.steal.preempted` (≤5.5) or `vcpu->arch.st.preempted` (5.6+). */
  readonly hostCopy: number;
  readonly tlb: number;
  readonly translation: number;
  /** The vCPU runs guest code (VMX non-root). */
  readonly nonroot: number;
  /** The vCPU thread is on a CPU (0: switched out). */
  readonly onCpu: number;
  /** `vcpu->preempted`. */
  readonly preempted: number;
  readonly preemptDisabled: number;
  readonly irqsDisabled: number;
  readonly reqStealUpdate: number;
  readonly exitReason: number;
  /** `vcpu->arch.at_instruction_boundary` (5.19+). */
  readonly atBoundary: number;
  /** A CALL_FUNCTION IPI (native flush) is pending for the guest. */
  readonly ipiCallFunction: number;
  /** A dedicated TLB-vector IPI (seed 003's proposal) is pending for the guest. */
  readonly ipiTlb: number;
  /** The initiator's csd for this vCPU is queued and not yet released by its handler. */
  readonly csd: number;
  /** Ghost: the initiator counts this vCPU as flushed (cleared from its mask, or waited for). */
  readonly considered: number;
  /** Ghost: the host accessed guest memory through a stale translation after `considered`. */
  readonly usedStale: number;
  /** Ghost: the initiator spins on this vCPU's byte with an expected value it never refreshes. */
  readonly spinning: number;
}

export interface InitiatorVars {
  /** `cpu` of for_each_cpu: a target index, CPU_START (-1) or CPU_END (nr_cpu_ids). */
  readonly cpu: number;
  readonly state: number;
  readonly newState: number;
  readonly flushmask: readonly number[];
}

export class TlbWorld {
  readonly target: TargetVars[] = [];
  readonly initiator: InitiatorVars;
  /** `cpu` values past the targets: before the first cpumask_next, and after the last. */
  readonly cpuStart: number;
  readonly cpuEnd: number;

  constructor(
    readonly b: ModelBuilder,
    readonly targets: number,
  ) {
    const cpuNames = [...Array.from({ length: targets }, (_, t) => `vCPU${t}`), '-1', 'nr_cpu_ids'];
    this.cpuStart = targets;
    this.cpuEnd = targets + 1;
    for (let t = 0; t < targets; t++) {
      const V = `vCPU${t}`;
      // Every vCPU starts in guest mode, right after VM-entry, with host IRQs and preemption off.
      this.target.push({
        index: t,
        byte: b.declare(`st${t}.preempted`, BYTE_MAX, 0, 'state', BYTE_VALUES),
        hostCopy: b.declare(`${V}.arch.st.preempted`, BYTE_MAX, 0, 'state', BYTE_VALUES),
        tlb: b.declare(`${V}.tlb`, 1, TLB_FRESH, 'state', TLB_VALUES),
        translation: b.declare(`${V}.emulator_translation`, 2, TRANSLATION_NONE, 'state', TRANSLATION_VALUES),
        nonroot: b.declare(`${V}.non_root`, 1, 1),
        onCpu: b.declare(`${V}.on_cpu`, 1, 1),
        preempted: b.declare(`${V}.preempted`, 1),
        preemptDisabled: b.declare(`${V}.preempt_disabled`, 1, 1),
        irqsDisabled: b.declare(`${V}.irqs_disabled`, 1, 1),
        reqStealUpdate: b.declare(`${V}.requests.KVM_REQ_STEAL_UPDATE`, 1),
        exitReason: b.declare(`${V}.exit_reason`, EXIT_REASONS.length - 1, EXIT_NONE, 'state', EXIT_REASONS),
        atBoundary: b.declare(`${V}.arch.at_instruction_boundary`, 1),
        ipiCallFunction: b.declare(`${V}.guest_irr.CALL_FUNCTION_VECTOR`, 1),
        ipiTlb: b.declare(`${V}.guest_irr.TLB_VECTOR`, 1),
        csd: b.declare(`initiator.csd[${V}].locked`, 1),
        considered: b.declare(`initiator.counts_flushed[${V}]`, 1, 0, 'ghost'),
        usedStale: b.declare(`${V}.used_stale_translation`, 1, 0, 'ghost'),
        spinning: b.declare(`initiator.spins_on[${V}]`, 1, 0, 'ghost'),
      });
    }
    this.initiator = {
      cpu: b.declare('initiator.cpu', targets + 1, this.cpuStart, 'local', cpuNames),
      state: b.declare('initiator.state', BYTE_MAX, 0, 'local', BYTE_VALUES),
      newState: b.declare('initiator.new_state', BYTE_MAX, 0, 'local', BYTE_VALUES),
      flushmask: this.target.map((t) => b.declare(`initiator.flushmask[vCPU${t.index}]`, 1, 0, 'local')),
    };
  }

  // ------------------------------------------------------------ reads

  /** `ids[index]` for an index only known at run time (0 past the end). */
  at(ids: readonly number[], index: Expr): Expr {
    if (index.k === 'const') return index.v < ids.length ? ref(ids[index.v]!) : lit(0);
    let e: Expr = lit(0);
    for (let k = ids.length - 1; k >= 0; k--) e = ite(eq(index, k), ref(ids[k]!), e);
    return e;
  }

  /** The byte of target `index`. */
  byteOf(index: Expr): Expr {
    return this.at(
      this.target.map((t) => t.byte),
      index,
    );
  }

  /** `(x & bit) != 0` for a byte value `x` in 0..7. */
  static hasBit(x: Expr, bit: number): Expr {
    const values = Array.from({ length: BYTE_MAX + 1 }, (_, v) => v).filter((v) => v & bit);
    return or(...values.map((v) => eq(x, v)));
  }

  /** `x | bit`, `x & ~bit` as expressions over a byte value in 0..7. */
  static withBit(x: Expr, bit: number, on: boolean): Expr {
    let e: Expr = x;
    for (let v = BYTE_MAX; v >= 0; v--) {
      const r = on ? v | bit : v & ~bit;
      if (r !== v) e = ite(eq(x, v), r, e);
    }
    return e;
  }

  /** An arbitrary function of a byte value, tabulated. */
  static mapByte(x: Expr, f: (v: number) => number): Expr {
    let e: Expr = x;
    for (let v = BYTE_MAX; v >= 0; v--) if (f(v) !== v) e = ite(eq(x, v), f(v), e);
    return e;
  }

  /** Some target is in the mask and still has its csd locked. */
  anyCsd(): Expr {
    return or(...this.target.map((t) => ne(ref(t.csd), 0)));
  }

  // ------------------------------------------------------------ writes

  set(id: number, e: Expr | number): Assign {
    return { id, e: typeof e === 'number' ? lit(e) : e };
  }

  /** Writes `e` into `ids[index]`, for an index only known at run time. */
  setAt(ids: readonly number[], index: Expr, e: Expr | number): Assign[] {
    const val = typeof e === 'number' ? lit(e) : e;
    if (index.k === 'const') return index.v < ids.length ? [{ id: ids[index.v]!, e: val }] : [];
    return ids.map((id, k) => ({ id, e: ite(eq(index, k), val, ref(id)) }));
  }

  /** The target is running guest code with a stale TLB although the initiator counts it flushed. */
  staleInGuest(t: number): Expr {
    const v = this.target[t]!;
    return and(eq(ref(v.nonroot), 1), eq(ref(v.tlb), TLB_STALE), eq(ref(v.considered), 1));
  }
}
