/**
 * Builds the PV remote TLB flush model (kvm-model.md §2 "PV TLB flush"; seed 003): a guest
 * flush initiator racing the target vCPUs it flushes, each with its host thread, scheduler,
 * guest IPI handler and VM-exits, over the state of `world.ts`, running a profile's programs.
 *
 * Actors:
 * - the initiator (another vCPU's guest) changes a page table, making every target's TLB stale,
 *   then runs kvm_flush_tlb_multi (kvm_flush_tlb_others before 5.14), once or twice;
 * - each target's vCPU thread runs the shared vcpu_run / vcpu_enter_guest programs (the request
 *   block calls record_steal_time on KVM_REQ_STEAL_UPDATE); it starts in guest mode;
 * - each target's scheduler preempts the thread wherever it is preemptible and runs
 *   kvm_arch_vcpu_put (kvm_steal_time_set_preempted) and kvm_arch_vcpu_load (which raises
 *   KVM_REQ_STEAL_UPDATE), as kvm_sched_out/kvm_sched_in do;
 * - each target's guest takes the flush IPIs when it runs: the native CALL_FUNCTION handler
 *   (flush, release the csd) or seed 003's dedicated TLB-vector handler (kvm_flush_tlb_ipi);
 * - each target's hardware takes VM-exits within a budget: external interrupts (an instruction
 *   boundary) and exits whose handler emulates an instruction.
 *
 * Own vCPU loop or the shared one? The thread runs the shared vcpu_run/vcpu_enter_guest, so that
 * a patch that moves the KVM_REQ_STEAL_UPDATE check, the exit-request check or the preemption
 * points is explored here too; the posted-interrupt steps in them are no-ops in this model and
 * alias away, which keeps the state space small.
 */
import { ModelBuilder } from '../builder';
import { ModelError } from '../errors';
import { Assign, Expr, TRUE, and, eq, ite, lit, ne, or, ref, sub } from '../ir';
import { Model } from '../ir';
import { ProgramSet } from '../program';
import { compileProgram } from '../programCompiler';
import { COUNTERS, TlbCtx, tlbSemantics } from './semantics';
import { BYTE_MAX, BYTE_VALUES, EXIT_EMULATION, EXIT_EXTINT, KVM_VCPU_IPI_PENDING, TLB_FRESH, TLB_STALE, TRANSLATION_FRESH, TRANSLATION_STALE, TlbWorld } from './world';

export interface TlbToggles {
  /** The guest's PV flush entry point: kvm_flush_tlb_others (4.16–5.13) or kvm_flush_tlb_multi (5.14+, 4ce94eabac16). */
  readonly initiator: 'kvm_flush_tlb_others' | 'kvm_flush_tlb_multi';
}

export interface TlbConfig {
  /** Target vCPUs the initiator flushes (1 or 2). */
  readonly targets: number;
  /** Page-table changes the initiator makes, each followed by a PV flush (1 or 2). */
  readonly flushes: number;
  /** Involuntary preemptions each target's scheduler may perform. */
  readonly preemptions: number;
  /** External-interrupt VM-exits each target may take (an instruction boundary). */
  readonly extIntExits: number;
  /** VM-exits whose handler emulates an instruction (a guest-virtual access from the host). */
  readonly emulationExits: number;
  /** Targets from this index on stay in guest mode (no exits, no preemption): they only take IPIs. */
  readonly quietFrom?: number;
}

/** The budgets of target `t`. */
function budgetsOf(cfg: TlbConfig, t: number): { preemptions: number; extIntExits: number; emulationExits: number } {
  if (cfg.quietFrom !== undefined && t >= cfg.quietFrom) return { preemptions: 0, extIntExits: 0, emulationExits: 0 };
  return cfg;
}

export const TLB_PROPERTIES = ['tlb-flush', 'tlb-flush-wait'] as const;

export function buildTlbModel(name: string, cfg: TlbConfig, programs: ProgramSet, toggles: TlbToggles): Model {
  if (cfg.targets < 1 || cfg.targets > 2) throw new ModelError('1 or 2 target vCPUs');
  if (cfg.flushes < 1 || cfg.flushes > 2) throw new ModelError('1 or 2 flushes');
  const b = new ModelBuilder(name);
  const w = new TlbWorld(b, cfg.targets);
  for (const c of Object.keys(COUNTERS)) b.counter(c);

  const waits = buildInitiator(b, w, cfg, programs, toggles);
  for (const t of w.target) buildThread(b, w, programs, t.index);
  const switchedOut = w.target.map((t) => buildScheduler(b, w, cfg, programs, t.index));
  for (const t of w.target) buildGuest(b, w, programs, t.index);
  for (const t of w.target) buildExits(b, w, cfg, t.index);

  // tlb-flush: a target runs guest code with a stale TLB, or its host used a stale translation,
  // after the initiator counted it as flushed.
  b.property('tlb-flush', or(...w.target.map((t) => or(w.staleInGuest(t.index), eq(ref(t.usedStale), 1)))));
  // tlb-flush-wait: the initiator waits on (or spins on) a target whose thread is switched out:
  // its sched-out hook has run and another task has the pCPU (not the instant of the switch).
  b.property('tlb-flush-wait', or(...w.target.map((t) => and(switchedOut[t.index]!, waits(t.index)))));
  return b.build();
}

const set = (id: number, e: Expr | number): Assign => ({ id, e: typeof e === 'number' ? lit(e) : e });

// ------------------------------------------------------------------ initiator

/** Builds the initiator; returns "the initiator is waiting on target t". */
function buildInitiator(b: ModelBuilder, w: TlbWorld, cfg: TlbConfig, programs: ProgramSet, toggles: TlbToggles): (t: number) => Expr {
  const actor = b.actor('initiator', 'guest initiator');
  const left = b.declare('initiator.flushes_left', Math.max(1, cfg.flushes), cfg.flushes);
  const start = actor.pc('page-table change');
  const flush = actor.pc(toggles.initiator);
  const done = actor.pc('flush returned');
  const end = actor.pc('done');
  b.start(actor, start);
  // The guest changes a PTE: every target's TLB (and any translation its host emulator holds)
  // is stale from here; the flush that follows starts from nothing counted as flushed.
  actor.add({
    from: start,
    to: flush,
    guard: TRUE,
    effects: [
      set(left, sub(ref(left), 1)),
      ...w.target.flatMap((t) => [
        set(t.tlb, TLB_STALE),
        set(t.translation, ite(eq(ref(t.translation), TRANSLATION_FRESH), TRANSLATION_STALE, ref(t.translation))),
        set(t.considered, 0),
      ]),
    ],
    label: 'the guest changes a page table: every target vCPU\'s TLB entry is stale',
    origin: { program: 'initiator', path: [], op: 'pte_change', rule: 'SDM: a TLB may keep a translation after the paging structure changes, until it is invalidated' },
  });
  const program = toggles.initiator in programs ? toggles.initiator : undefined;
  if (!program) throw new ModelError(`the profile has no ${toggles.initiator} program`);
  const i = w.initiator;
  const ctx: TlbCtx = { w, runner: 'initiator', target: ref(i.cpu), self: undefined, locals: { state: i.state, stPreempted: i.state } };
  compileProgram({ actor, programs, used: b.programsUsed, semantics: tlbSemantics, ctx, baseGuard: TRUE }, program, flush, done);
  actor.add({
    from: done,
    to: start,
    guard: ne(ref(left), 0),
    effects: [...i.flushmask.map((id) => set(id, 0)), set(i.cpu, w.cpuStart)],
    label: 'flush returned; the guest goes on to the next page-table change',
    origin: { program: 'initiator', path: [], op: 'next_flush', rule: 'scenario: a second flush by the same initiator' },
  });
  actor.add({
    from: done,
    to: end,
    guard: eq(ref(left), 0),
    label: 'flush returned',
    origin: { program: 'initiator', path: [], op: 'flush_returned', rule: 'scenario: the initiator is done' },
  });

  // Where the initiator blocks: csd_lock_wait (every target with a locked csd) and
  // smp_cond_load_acquire on one target's IPI_PENDING (`cpu`).
  const pcsOf = (op: string) => [...new Set(actor.specs.filter((s) => s.origin?.op === op).map((s) => s.from))];
  const csdWaits = pcsOf('csd_lock_wait').map((pc) => b.at(actor, pc));
  const condWaits = pcsOf('wait_ipi_pending_clear').map((pc) => b.at(actor, pc));
  return (t) => {
    const v = w.target[t]!;
    return or(
      and(or(...csdWaits), eq(ref(v.csd), 1)),
      and(or(...condWaits), eq(ref(i.cpu), t), TlbWorld.hasBit(ref(v.byte), KVM_VCPU_IPI_PENDING)),
      eq(ref(v.spinning), 1),
    );
  };
}

// ------------------------------------------------------------------ vCPU thread

function threadLocals(b: ModelBuilder, prefix: string) {
  return {
    state: b.declare(`${prefix}.state`, BYTE_MAX, 0, 'local', BYTE_VALUES),
    stPreempted: b.declare(`${prefix}.st_preempted`, BYTE_MAX, 0, 'local', BYTE_VALUES),
  };
}

function buildThread(b: ModelBuilder, w: TlbWorld, programs: ProgramSet, t: number): void {
  const v = w.target[t]!;
  const actor = b.actor(`vCPU${t} thread`, 'vCPU thread');
  const start = actor.pc('vcpu_run');
  const end = actor.pc('vcpu_run returned');
  compileProgram(
    {
      actor,
      programs,
      used: b.programsUsed,
      semantics: tlbSemantics,
      ctx: { w, runner: 'thread', target: lit(t), self: t, locals: threadLocals(b, `vCPU${t}.thread`) },
      // The thread runs only while it is on a CPU and not executing guest code.
      baseGuard: and(eq(ref(v.onCpu), 1), eq(ref(v.nonroot), 0)),
    },
    'vcpu_run',
    start,
    end,
  );
  // The thread starts in the guest, right after its first VM-entry.
  const entry = actor.specs.find((s) => s.origin?.op === 'vm_entry');
  if (!entry) throw new ModelError('vcpu_enter_guest never reaches vm_entry, so the vCPU never runs guest code');
  b.start(actor, entry.to);
}

// ------------------------------------------------------------------ scheduler

/** Builds target `t`'s scheduler; returns "its thread is switched out, the sched-out hook done". */
function buildScheduler(b: ModelBuilder, w: TlbWorld, cfg: TlbConfig, programs: ProgramSet, t: number): Expr {
  const v = w.target[t]!;
  const actor = b.actor(`sched${t}`, 'scheduler');
  const n = budgetsOf(cfg, t).preemptions;
  const budget = b.declare(`sched${t}.preemptions_left`, Math.max(1, n), n);
  const idle = actor.pc('thread on CPU');
  const putStart = actor.pc('kvm_sched_out');
  const off = actor.pc('thread off CPU');
  const loadStart = actor.pc('kvm_sched_in');
  b.start(actor, idle);
  const origin = (op: string, rule: string) => ({ program: 'scheduler', path: [], op, rule });
  // Preemption at any point where the thread is preemptible: in the host, IRQs and preemption on.
  actor.add({
    from: idle,
    to: putStart,
    guard: and(eq(ref(v.onCpu), 1), eq(ref(v.nonroot), 0), eq(ref(v.preemptDisabled), 0), eq(ref(v.irqsDisabled), 0), ne(ref(budget), 0)),
    effects: [set(v.onCpu, 0), set(v.preempted, 1), set(budget, sub(ref(budget), 1))],
    label: `preempt: vCPU${t}'s thread is switched out, vcpu->preempted = true`,
    origin: origin('preempt', 'kernel kvm_sched_out(): a task switched out while still runnable is marked vcpu->preempted, then kvm_arch_vcpu_put() runs'),
  });
  const sched: TlbCtx = { w, runner: 'sched', target: lit(t), self: t, locals: threadLocals(b, `sched${t}`) };
  const compile = (program: string, from: number, to: number) => {
    if (!programs[program]) throw new ModelError(`the profile has no ${program} program`);
    compileProgram({ actor, programs, used: b.programsUsed, semantics: tlbSemantics, ctx: sched, baseGuard: TRUE }, program, from, to);
  };
  compile('kvm_arch_vcpu_put', putStart, off);
  actor.add({
    from: off,
    to: loadStart,
    guard: TRUE,
    effects: [set(v.preempted, 0)],
    label: `sched in: vcpu->preempted = false`,
    origin: origin('sched_in', 'kernel kvm_sched_in(): clears vcpu->preempted, then kvm_arch_vcpu_load()'),
  });
  const loaded = actor.pc('kvm_arch_vcpu_load done');
  compile('kvm_arch_vcpu_load', loadStart, loaded);
  actor.add({
    from: loaded,
    to: idle,
    guard: TRUE,
    effects: [set(v.onCpu, 1)],
    label: `vCPU${t}'s thread runs again`,
    origin: origin('running', 'kernel: the task resumes where it was switched out'),
  });
  return and(eq(ref(v.onCpu), 0), b.at(actor, off));
}

// ------------------------------------------------------------------ guest IPI handlers

function buildGuest(b: ModelBuilder, w: TlbWorld, programs: ProgramSet, t: number): void {
  const v = w.target[t]!;
  const actor = b.actor(`guest${t}`, 'guest');
  const idle = actor.pc('guest code');
  const handler = actor.pc('kvm_flush_tlb_ipi');
  b.start(actor, idle);
  const inGuest = eq(ref(v.nonroot), 1);
  actor.add({
    from: idle,
    to: idle,
    guard: and(inGuest, eq(ref(v.ipiCallFunction), 1)),
    effects: [set(v.ipiCallFunction, 0), set(v.tlb, TLB_FRESH), set(v.csd, 0)],
    label: `vCPU${t}'s guest takes CALL_FUNCTION_VECTOR: flush_tlb_func() flushes, then csd_unlock()`,
    origin: { program: 'guest', path: [], op: 'flush_tlb_func', rule: 'kernel generic_smp_call_function_interrupt: the handler runs flush_tlb_func and only then releases the csd the initiator waits on' },
  });
  actor.add({
    from: idle,
    to: handler,
    guard: and(inGuest, eq(ref(v.ipiTlb), 1)),
    effects: [set(v.ipiTlb, 0)],
    label: `vCPU${t}'s guest takes CALL_TLB_VECTOR`,
    origin: { program: 'guest', path: [], op: 'tlb_vector', rule: 'seed 003: the dedicated TLB IPI runs its handler with interrupts off' },
  });
  if (!programs['kvm_flush_tlb_ipi']) throw new ModelError('the profile has no kvm_flush_tlb_ipi program (seed 003\'s handler; empty when the kernel has none)');
  compileProgram(
    {
      actor,
      programs,
      used: b.programsUsed,
      semantics: tlbSemantics,
      ctx: { w, runner: 'guest', target: lit(t), self: t, locals: threadLocals(b, `guest${t}`) },
      // Guest code runs only while the vCPU is in guest mode; a VM-exit freezes the handler.
      baseGuard: inGuest,
    },
    'kvm_flush_tlb_ipi',
    handler,
    idle,
  );
}

// ------------------------------------------------------------------ VM-exits

function buildExits(b: ModelBuilder, w: TlbWorld, cfg: TlbConfig, t: number): void {
  const v = w.target[t]!;
  const actor = b.actor(`exits${t}`, 'hardware');
  const pc = actor.pc('always');
  b.start(actor, pc);
  const { extIntExits, emulationExits } = budgetsOf(cfg, t);
  const kinds: [number, number, string, string][] = [
    [extIntExits, EXIT_EXTINT, 'an external interrupt (a host reschedule IPI or timer) arrives: VM-exit at an instruction boundary', 'SDM: an external interrupt exits between instructions'],
    [emulationExits, EXIT_EMULATION, 'the guest touches emulated MMIO: VM-exit in the middle of an instruction KVM must emulate', 'SDM/kernel: an EPT misconfiguration exit leaves the instruction to KVM\'s emulator'],
  ];
  for (const [n, reason, label, rule] of kinds) {
    if (n <= 0) continue;
    const budget = b.declare(`exits${t}.${reason === EXIT_EXTINT ? 'external_interrupts' : 'emulated'}_left`, n, n);
    actor.add({
      from: pc,
      to: pc,
      guard: and(eq(ref(v.nonroot), 1), ne(ref(budget), 0)),
      effects: [set(v.nonroot, 0), set(v.exitReason, reason), set(budget, sub(ref(budget), 1))],
      label: `vCPU${t}: ${label}`,
      origin: { program: 'hardware', path: [], op: reason === EXIT_EXTINT ? 'vm_exit_extint' : 'vm_exit_emulation', rule },
    });
  }
}
