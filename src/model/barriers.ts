/**
 * The kernel's barrier primitives as program steps, and what each is on x86 (x86-TSO, SDM Vol.
 * 3A §9.2.2): a full barrier that drains the store buffer, or only a compiler barrier because
 * TSO already gives that order. Shared by the models (pi/ordering.ts) and by the mapping, which
 * reports a hunk that only adds, removes or moves compiler-only barriers as changing nothing on
 * x86, and reviews a hunk that moves a full barrier under x86-TSO.
 */

export interface BarrierFact {
  readonly x86: 'full' | 'compiler';
  /** Why, in one clause. */
  readonly why: string;
}

export const BARRIERS: Readonly<Record<string, BarrierFact>> = {
  smp_mb: { x86: 'full', why: 'smp_mb() is a full barrier on x86 (a locked add to the stack, or MFENCE)' },
  mb: { x86: 'full', why: 'mb() is MFENCE on x86' },
  // __srcu_read_lock() and __srcu_read_unlock() each contain an smp_mb().
  srcu_read_unlock: { x86: 'full', why: 'srcu_read_unlock() contains an smp_mb()' },
  srcu_read_lock: { x86: 'full', why: 'srcu_read_lock() contains an smp_mb()' },
  smp_wmb: { x86: 'compiler', why: 'smp_wmb() is a compiler barrier on x86: TSO never reorders a store with an earlier store' },
  smp_rmb: { x86: 'compiler', why: 'smp_rmb() is a compiler barrier on x86: TSO never reorders a load with an earlier load' },
  smp_mb__after_atomic: { x86: 'compiler', why: 'smp_mb__after_atomic() is a compiler barrier on x86: the atomic before it is a locked instruction, already a full barrier' },
  smp_mb__before_atomic: { x86: 'compiler', why: 'smp_mb__before_atomic() is a compiler barrier on x86: the atomic after it is a locked instruction, already a full barrier' },
  smp_mb__after_srcu_read_unlock: { x86: 'compiler', why: 'smp_mb__after_srcu_read_unlock() is empty: it documents the smp_mb() inside srcu_read_unlock()' },
  smp_mb__after_srcu_read_lock: { x86: 'compiler', why: 'smp_mb__after_srcu_read_lock() is empty: it documents the smp_mb() inside srcu_read_lock()' },
  barrier: { x86: 'compiler', why: 'barrier() only stops the compiler' },
};

export function isCompilerBarrier(op: string): boolean {
  return BARRIERS[op]?.x86 === 'compiler';
}

export function isFullBarrier(op: string): boolean {
  return BARRIERS[op]?.x86 === 'full';
}
