/**
 * Builds the posted-interrupt model: the actors of kvm-model.md §2 racing over the state of
 * `world.ts`, running the programs of a kernel profile.
 *
 * Actors:
 * - each vCPU thread runs `vcpu_run` (the run loop, `vcpu_enter_guest`, `vcpu_block`);
 * - each vCPU's scheduler preempts the thread wherever it is preemptible, runs the sched-out and
 *   sched-in hooks, and migrates it;
 * - the hardware delivers host IRQs (in root or non-root mode) and virtual interrupts;
 * - each guest halts or takes fastpath exits, within a budget;
 * - senders post (KVM software posting, VT-d, IPIv) or raise requests.
 */
import { ActorBuilder, ModelBuilder } from '../builder';
import { ModelError } from '../errors';
import { Assign, Expr, TRUE, and, eq, ite, lit, ne, not, or, ref, sub } from '../ir';
import { Model } from '../ir';
import { ProgramSet } from '../program';
import { MemoryModel, compileProgram } from '../programCompiler';
import { withStoreBuffers } from '../tso';
import { COUNTERS, PiCtx, PiPlatform, hardwarePost, hostHandler, piSemantics } from './semantics';
import {
  EXIT_EXTINT,
  EXIT_FASTPATH,
  EXIT_HLT,
  EXIT_IO,
  HOST_VECTORS,
  OUTSIDE_GUEST_MODE,
  PHASE_OFF,
  PHASE_RUNNING,
  PHASE_SCHED_IN,
  PHASE_SCHED_OUT,
  PiWorld,
} from './world';

export type SenderKind = 'kvm-post' | 'device-post' | 'ipiv-post' | 'request';

export interface SenderSpec {
  readonly kind: SenderKind;
  /** Target vCPU. */
  readonly vcpu: number;
  /** Vector posted (ignored for `request`). */
  readonly vector: number;
  /**
   * `in-host`: the sender starts only while the target is in the host handling an exit with
   * IRQs enabled (root mode, OUTSIDE_GUEST_MODE, on its CPU): the window seed 000's "PIN
   * count" is about.
   */
  readonly when?: 'any' | 'in-host';
}

/** How old and new kernels decide `vcpu->preempted` at sched-out. */
export type PreemptedRule = 'task_running' | 'on_rq';

export interface PiToggles {
  /** `kvm_sched_out`: up to 5.13 only a TASK_RUNNING task counted as preempted; 5.14+ any task still on the runqueue. */
  readonly preemptedRule: PreemptedRule;
}

export interface PiConfig {
  readonly vcpus: number;
  readonly pcpus: number;
  readonly vectors: number;
  readonly senders: readonly SenderSpec[];
  readonly platform: PiPlatform;
  /**
   * Guest budgets, per vCPU: HLTs, fastpath (re-entering) exits, and exits that KVM handles in
   * its slow path (an I/O instruction), which take the vCPU through a full exit and re-entry.
   */
  readonly guestHlt: number;
  readonly guestFastpath: number;
  readonly guestSlowExits: number;
  /** Start with L2 running (L1 intercepts external interrupts). */
  readonly startInL2: boolean;
  /** Involuntary preemptions the scheduler may perform, per vCPU. */
  readonly preemptions: number;
  /** The scheduler may bring a vCPU back on another pCPU. */
  readonly migration: boolean;
}

export const PI_PROPERTIES = ['pi-delivery', 'vcpu-wakeup', 'request-before-entry'] as const;

export function buildPiModel(name: string, cfg: PiConfig, programs: ProgramSet, toggles: PiToggles, memory: MemoryModel = 'sc'): Model {
  if (cfg.vcpus < 1 || cfg.vcpus > 3) throw new ModelError('1 to 3 vCPUs');
  if (cfg.pcpus < 1 || cfg.pcpus > 4) throw new ModelError('1 to 4 pCPUs');
  if (cfg.vectors < 1 || cfg.vectors > 4) throw new ModelError('1 to 4 vectors');
  const b = new ModelBuilder(name);
  const w = new PiWorld(b, { vcpus: cfg.vcpus, pcpus: cfg.pcpus, vectors: cfg.vectors }, { l2: cfg.startInL2, inGuest: true });
  for (const c of Object.keys(COUNTERS)) b.counter(c);

  const senderDone: Expr[] = [];
  const threads = w.vcpu.map((v) => buildThread(b, w, cfg, programs, v.index, memory));
  const schedulers = w.vcpu.map((v) => buildScheduler(b, w, cfg, programs, toggles, v.index, memory));
  buildHardware(b, w);
  for (const v of w.vcpu) buildGuest(b, w, cfg, v.index);
  cfg.senders.forEach((s, k) => senderDone.push(buildSender(b, w, cfg, programs, s, k, memory)));

  const allSendersDone = and(...senderDone);
  for (const [id, bad] of properties(w, allSendersDone)) b.property(id, bad);
  const model = b.build();
  if (memory === 'sc') return model;
  // x86-TSO: the CPU a vCPU's thread runs on buffers its plain stores to vcpu->mode (the store
  // whose order seeds 002 and 000 argue about). Its scheduler's hooks run on that CPU too, and
  // every context switch drains the buffer (see buildScheduler). Every other write in this
  // model is a locked RMW, a device write, or a store no other CPU reads.
  return withStoreBuffers(
    model,
    w.vcpu.map((v) => ({
      name: `vCPU${v.index}'s pCPU`,
      actors: [threads[v.index]!, schedulers[v.index]!],
      locations: [{ id: v.mode, c: `vcpu${v.index}->mode` }],
      depth: 2,
    })),
  );
}

function locals(b: ModelBuilder, prefix: string) {
  return {
    r: b.declare(`${prefix}.r`, 1, 0, 'local'),
    got: b.declare(`${prefix}.got_posted_interrupt`, 1, 0, 'local'),
    onSeen: b.declare(`${prefix}.on_seen`, 1, 0, 'local'),
  };
}

function ctxFor(w: PiWorld, cfg: PiConfig, vcpu: number, runner: PiCtx['runner'], cpu: Expr, loc: PiCtx['locals'], vector = 0): PiCtx {
  return { w, platform: cfg.platform, vcpu, thisCpu: cpu, loadCpu: cpu, entryPath: false, vector, runner, locals: loc };
}

// ------------------------------------------------------------------ vCPU thread

function buildThread(b: ModelBuilder, w: PiWorld, cfg: PiConfig, programs: ProgramSet, i: number, memory: MemoryModel): number {
  const v = w.vcpu[i]!;
  const actor = b.actor(`vCPU${i} thread`, 'vCPU thread');
  const start = actor.pc('vcpu_run');
  const end = actor.pc('vcpu_run returned');
  compileProgram(
    {
      actor,
      programs,
      used: b.programsUsed,
      semantics: piSemantics,
      ctx: ctxFor(w, cfg, i, 'thread', ref(v.cpu), locals(b, `vCPU${i}.thread`)),
      // The thread runs only while it is on a CPU and not executing guest code.
      baseGuard: and(eq(ref(v.running), 1), eq(ref(v.nonroot), 0)),
      memory,
    },
    'vcpu_run',
    start,
    end,
  );
  // The thread starts in the guest, right after its first VM-entry (see PiWorld's inGuest).
  const entry = actor.specs.find((t) => t.origin?.op === 'vm_entry');
  if (!entry) throw new ModelError('vcpu_enter_guest never reaches vm_entry, so the vCPU never runs guest code');
  b.start(actor, entry.to);
  return actor.id;
}

// ------------------------------------------------------------------ scheduler

function buildScheduler(b: ModelBuilder, w: PiWorld, cfg: PiConfig, programs: ProgramSet, toggles: PiToggles, i: number, memory: MemoryModel): number {
  const v = w.vcpu[i]!;
  const actor = b.actor(`sched${i}`, 'scheduler');
  const budget = b.declare(`sched${i}.preemptions_left`, Math.max(1, cfg.preemptions), cfg.preemptions);
  const idle = actor.pc('thread on CPU');
  const putStart = actor.pc('sched-out hook');
  const putEnd = actor.pc('sched-out hook done');
  const off = actor.pc('thread off CPU');
  const loadStart = actor.pc('sched-in hook');
  const loadEnd = actor.pc('sched-in hook done');
  b.start(actor, idle);
  const set = (id: number, e: Expr | number): Assign => ({ id, e: typeof e === 'number' ? lit(e) : e });
  const origin = (op: string, rule: string) => ({ program: 'scheduler', path: [], op, rule });

  // Preemption at any point where the thread is preemptible (§2: "The task can be preempted at
  // any point"): IRQs and preemption enabled, in root mode. A preempted task stays runnable.
  const preemptedValue = toggles.preemptedRule === 'on_rq' ? lit(1) : ite(eq(ref(v.task), 0), 1, 0);
  actor.add({
    from: idle,
    to: putStart,
    guard: and(
      eq(ref(v.phase), PHASE_RUNNING),
      eq(ref(v.running), 1),
      eq(ref(v.nonroot), 0),
      eq(ref(v.preemptDisabled), 0),
      eq(ref(v.irqsDisabled), 0),
      ne(ref(budget), 0),
    ),
    effects: [set(v.running, 0), set(v.preempted, preemptedValue), set(v.phase, PHASE_SCHED_OUT), set(v.schedCpu, ref(v.cpu)), set(budget, sub(ref(budget), 1))],
    label: toggles.preemptedRule === 'on_rq' ? 'preempt: task switched out, vcpu->preempted = true (still on the runqueue)' : 'preempt: task switched out, vcpu->preempted = (task state == TASK_RUNNING)',
    // __schedule() takes the runqueue lock and runs smp_mb__after_spinlock(): a full barrier.
    fence: true,
    origin: origin('preempt', toggles.preemptedRule === 'on_rq' ? 'kernel kvm_sched_out (5.14+): preempted when the task is still on the runqueue' : 'kernel kvm_sched_out (up to 5.13): preempted only when current->state == TASK_RUNNING'),
  });
  // A voluntary schedule() from the thread (it set phase=sched_out and left the runqueue).
  actor.add({
    from: idle,
    to: putStart,
    guard: eq(ref(v.phase), PHASE_SCHED_OUT),
    effects: [set(v.preempted, 0)],
    label: 'context switch: blocked task switched out, vcpu->preempted = false',
    origin: origin('schedule', 'kernel kvm_sched_out: a dequeued task is not preempted'),
    fence: true,
  });
  const schedCtx = ctxFor(w, cfg, i, 'sched', ref(v.schedCpu), locals(b, `sched${i}`));
  compileProgram({ actor, programs, semantics: piSemantics, ctx: schedCtx, baseGuard: TRUE, used: b.programsUsed, memory }, 'kvm_sched_out', putStart, putEnd);
  actor.add({
    from: putEnd,
    to: off,
    guard: TRUE,
    effects: [set(v.phase, PHASE_OFF)],
    label: 'switched out: another task runs on this pCPU, IRQs on',
    origin: origin('context_switch', 'kernel: the next task runs with IRQs enabled'),
  });
  for (const p of w.pcpu) {
    actor.add({
      from: off,
      to: loadStart,
      guard: and(eq(ref(v.onRq), 1), cfg.migration ? TRUE : eq(ref(v.cpu), p.index), w.pcpuFree(p.index, i)),
      effects: [set(v.phase, PHASE_SCHED_IN), set(v.schedCpu, p.index), set(v.preempted, 0)],
      label: `sched in on pCPU${p.index}: vcpu->preempted = false`,
      origin: origin('sched_in', 'kernel kvm_sched_in: clears vcpu->preempted, then kvm_arch_vcpu_load(vcpu, cpu)'),
      fence: true,
    });
  }
  compileProgram({ actor, programs, semantics: piSemantics, ctx: schedCtx, baseGuard: TRUE, used: b.programsUsed, memory }, 'kvm_sched_in', loadStart, loadEnd);
  actor.add({
    from: loadEnd,
    to: idle,
    guard: TRUE,
    effects: [set(v.cpu, ref(v.schedCpu)), set(v.running, 1), set(v.phase, PHASE_RUNNING)],
    label: 'kvm_arch_vcpu_load: vcpu->cpu = cpu; the thread runs again',
    origin: origin('vcpu_load_tail', 'kernel kvm_arch_vcpu_load: vcpu->cpu is assigned after vmx_vcpu_pi_load ran'),
    fence: true,
  });
  return actor.id;
}

// ------------------------------------------------------------------ hardware

function buildHardware(b: ModelBuilder, w: PiWorld): void {
  const actor = b.actor('hardware', 'hardware');
  const pc = actor.pc('always');
  b.start(actor, pc);
  const set = (id: number, e: Expr | number): Assign => ({ id, e: typeof e === 'number' ? lit(e) : e });

  for (const p of w.pcpu) {
    HOST_VECTORS.forEach((x, k) => {
      const pending = eq(ref(p.irr[x]), 1);
      // The LAPIC delivers the highest pending vector first.
      const nothingHigher = and(...HOST_VECTORS.slice(0, k).map((y) => eq(ref(p.irr[y]), 0)));
      const here = and(pending, nothingHigher);
      // Non-root mode, for each vCPU that could be running there.
      for (const v of w.vcpu) {
        const nonRoot = w.nonRootOn(v.index, p.index);
        if (x === 'POSTED_INTR_VECTOR') {
          actor.add({
            from: pc,
            to: pc,
            guard: and(here, nonRoot, eq(ref(v.l2), 0)),
            effects: [set(p.irr[x], 0), set(v.pid.on, 0), ...w.movePirToVirr(v.index), set(v.rvi, w.anyVirr(v.index))],
            label: `pCPU${p.index} in guest: posted-interrupt processing for vCPU${v.index} (ON=0, vIRR |= PIR, RVI)`,
            origin: { program: 'hardware', path: [], op: 'posted_interrupt_processing', rule: 'SDM / §1: the PI notification vector in non-root mode: clear ON, OR PIR into vIRR, raise RVI; no VM-exit' },
          });
        }
        const exitGuard = x === 'POSTED_INTR_VECTOR' ? and(here, nonRoot, eq(ref(v.l2), 1)) : and(here, nonRoot);
        actor.add({
          from: pc,
          to: pc,
          guard: exitGuard,
          effects: [set(p.irr[x], 0), set(v.nonroot, 0), set(v.exitReason, EXIT_EXTINT), set(v.exitVector, k + 1)],
          label:
            x === 'POSTED_INTR_VECTOR'
              ? `pCPU${p.index} in L2: ${x} is not L2's notification vector: VM-exit (external interrupt, acknowledged)`
              : `pCPU${p.index} in guest: ${x}: VM-exit (external interrupt, acknowledged)`,
          origin: { program: 'hardware', path: [], op: 'vm_exit', rule: '§1: in non-root mode any vector other than the VMCS\'s PI notification vector causes a VM-exit' },
          events: { vmExits: 1 },
        });
      }
      // Root mode with IRQs enabled: the host handler runs.
      const h = hostHandler(w, p.index, x);
      actor.add({
        from: pc,
        to: pc,
        guard: and(here, not(w.anyNonRootOn(p.index)), w.irqsEnabled(p.index)),
        effects: [set(p.irr[x], 0), ...h.effects],
        label: `pCPU${p.index} in host, IRQs on: ${h.what}`,
        origin: { program: 'hardware', path: [], op: 'host_irq', rule: '§1: in root mode with host IRQs enabled the host handler runs' },
        ...(h.events ? { events: h.events } : {}),
      });
    });
  }
  // Virtual-interrupt delivery: in non-root mode, RVI set and the guest interruptible, the
  // highest vIRR vector is delivered (SDM 29.2.2). The guest is always interruptible here.
  for (const v of w.vcpu) {
    v.virr.forEach((id, k) => {
      const highest = and(eq(ref(id), 1), ...v.virr.slice(k + 1).map((h) => eq(ref(h), 0)));
      const rest = or(...v.virr.slice(0, k).map((h) => eq(ref(h), 1)));
      actor.add({
        from: pc,
        to: pc,
        guard: and(eq(ref(v.nonroot), 1), eq(ref(v.l2), 0), eq(ref(v.rvi), 1), highest),
        effects: [set(id, 0), set(v.got[k]!, 1), set(v.rvi, rest)],
        label: `virtual-interrupt delivery: vCPU${v.index}'s guest takes vector ${k}`,
        origin: { program: 'hardware', path: [], op: 'virtual_interrupt_delivery', rule: 'SDM 29.2.2: with RVI set and the guest interruptible, the CPU delivers the highest vIRR vector' },
      });
    });
  }
}

// ------------------------------------------------------------------ guest

function buildGuest(b: ModelBuilder, w: PiWorld, cfg: PiConfig, i: number): void {
  const v = w.vcpu[i]!;
  const actor = b.actor(`guest${i}`, 'guest');
  const pc = actor.pc('running');
  b.start(actor, pc);
  const hlt = b.declare(`guest${i}.hlt_left`, Math.max(1, cfg.guestHlt), cfg.guestHlt);
  const fast = b.declare(`guest${i}.fastpath_exits_left`, Math.max(1, cfg.guestFastpath), cfg.guestFastpath);
  const slow = b.declare(`guest${i}.slow_exits_left`, Math.max(1, cfg.guestSlowExits), cfg.guestSlowExits);
  const set = (id: number, e: Expr | number): Assign => ({ id, e: typeof e === 'number' ? lit(e) : e });
  const idle = and(not(w.anyVirr(i)), eq(ref(v.rvi), 0));
  if (cfg.guestHlt > 0) {
    actor.add({
      from: pc,
      to: pc,
      guard: and(eq(ref(v.nonroot), 1), eq(ref(v.l2), 0), idle, ne(ref(hlt), 0)),
      effects: [set(v.nonroot, 0), set(v.exitReason, EXIT_HLT), set(hlt, sub(ref(hlt), 1))],
      label: 'guest idles: STI; HLT: VM-exit (HLT)',
      origin: { program: 'guest', path: [], op: 'hlt', rule: 'scenario: the guest waits for an interrupt with STI; HLT, which KVM intercepts' },
      events: { vmExits: 1 },
    });
  }
  if (cfg.guestSlowExits > 0) {
    actor.add({
      from: pc,
      to: pc,
      guard: and(eq(ref(v.nonroot), 1), ne(ref(slow), 0)),
      effects: [set(v.nonroot, 0), set(v.exitReason, EXIT_IO), set(slow, sub(ref(slow), 1))],
      label: 'guest executes an I/O instruction: VM-exit (IO_INSTRUCTION), handled in the slow path',
      origin: { program: 'guest', path: [], op: 'slow_exit', rule: 'scenario: an exit KVM handles with IRQs enabled, after which it re-enters through vcpu_enter_guest' },
      events: { vmExits: 1 },
    });
  }
  if (cfg.guestFastpath > 0) {
    actor.add({
      from: pc,
      to: pc,
      guard: and(eq(ref(v.nonroot), 1), ne(ref(fast), 0)),
      effects: [set(v.nonroot, 0), set(v.exitReason, EXIT_FASTPATH), set(fast, sub(ref(fast), 1))],
      label: 'guest writes the x2APIC ICR (or the preemption timer fires): fastpath VM-exit',
      origin: { program: 'guest', path: [], op: 'fastpath_exit', rule: '§2 step 7: exits handled in the fastpath re-enter without enabling IRQs' },
      events: { vmExits: 1 },
    });
  }
}

// ------------------------------------------------------------------ senders

const SENDER_PROGRAM: Record<Exclude<SenderKind, 'device-post' | 'ipiv-post'>, string> = {
  'kvm-post': 'vmx_deliver_interrupt',
  request: 'kvm_make_request_and_kick',
};

function buildSender(b: ModelBuilder, w: PiWorld, cfg: PiConfig, programs: ProgramSet, s: SenderSpec, k: number, memory: MemoryModel): Expr {
  if (s.vcpu >= w.vcpu.length) throw new ModelError(`sender ${k} targets a missing vCPU`);
  if (s.vector >= cfg.vectors) throw new ModelError(`sender ${k} posts a vector outside the scenario`);
  const lane = s.kind === 'device-post' ? 'IOMMU' : s.kind === 'ipiv-post' ? 'IPIv' : 'sender';
  const who = { 'kvm-post': 'KVM post', 'device-post': 'VT-d post', 'ipiv-post': 'IPIv post', request: 'request' }[s.kind];
  const actor: ActorBuilder = b.actor(`sender${k} (${who} to vCPU${s.vcpu}${s.kind === 'request' ? '' : `, vector ${s.vector}`})`, lane);
  const start = actor.pc('start');
  const end = actor.pc('done');
  b.start(actor, start);
  const ctx = ctxFor(w, cfg, s.vcpu, 'remote', lit(0), locals(b, `sender${k}`), s.vector);
  if (s.kind === 'device-post' || s.kind === 'ipiv-post') {
    const alts = hardwarePost(w, s.vcpu, s.vector, s.kind === 'device-post' ? 'IOMMU' : 'IPIv');
    for (const a of alts) {
      actor.add({
        from: start,
        to: end,
        guard: a.guard,
        effects: a.effects ?? [],
        label: a.label,
        origin: { program: s.kind === 'device-post' ? 'iommu' : 'ipiv', path: [], op: s.kind === 'device-post' ? 'iommu_post' : 'ipiv_post', rule: '§1 hardware posting' },
      });
    }
  } else {
    compileProgram({ actor, programs, semantics: piSemantics, ctx, baseGuard: TRUE, used: b.programsUsed, memory }, SENDER_PROGRAM[s.kind], start, end);
  }
  if (s.when === 'in-host') {
    const t = w.vcpu[s.vcpu]!;
    const inHost = and(eq(ref(t.running), 1), eq(ref(t.nonroot), 0), eq(ref(t.mode), OUTSIDE_GUEST_MODE), eq(ref(t.irqsDisabled), 0));
    actor.specs.forEach((spec, k) => {
      if (spec.from === start) actor.specs[k] = { ...spec, guard: and(inHost, spec.guard) };
    });
  }
  return b.at(actor, end);
}

// ------------------------------------------------------------------ properties

function properties(w: PiWorld, sendersDone: Expr): [string, Expr][] {
  const delivery = w.vcpu.map((v) => {
    // An interrupt is stranded when it sits in PIR, or in vIRR without RVI (or, with L2
    // running, anywhere short of a nested VM-exit to L1)...
    const strandedL1 = and(eq(ref(v.l2), 0), or(w.anyPir(v.index), and(w.anyVirr(v.index), eq(ref(v.rvi), 0))));
    const strandedL2 = and(eq(ref(v.l2), 1), or(w.anyPir(v.index), w.anyVirr(v.index)));
    // ...while the guest runs and nothing pending will deliver it: every sender is done and no
    // host IRQ is pending on the pCPU running the guest (one would either process PIR or exit).
    const pendingHere = or(...w.pcpu.map((p) => and(eq(ref(v.cpu), p.index), w.anyIrrPending(p.index))));
    return and(eq(ref(v.nonroot), 1), or(strandedL1, strandedL2), sendersDone, not(pendingHere));
  });
  const wakeup = w.vcpu.map((v) => {
    const pending = or(w.anyPir(v.index), eq(ref(v.pid.on), 1), w.anyVirr(v.index));
    // Asleep in kvm_vcpu_block (off the runqueue), something pending, and nothing left that
    // could wake it: senders done, no host IRQ pending anywhere, no scheduler hook in flight.
    return and(eq(ref(v.onRq), 0), eq(ref(v.phase), PHASE_OFF), pending, sendersDone, w.noIrqPending());
  });
  const request = w.vcpu.map((v) => and(eq(ref(v.nonroot), 1), or(...(Object.keys(v.req) as (keyof typeof v.req)[]).map((r) => and(eq(ref(v.req[r]), 1), eq(ref(v.unkicked[r]), 1))))));
  return [
    ['pi-delivery', or(...delivery)],
    ['vcpu-wakeup', or(...wakeup)],
    ['request-before-entry', or(...request)],
  ];
}

