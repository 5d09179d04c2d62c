/**
 * Builds the PMI model: the actors of one vCPU's PMU racing over the state of `world.ts`,
 * running the programs of a kernel profile.
 *
 * Actors, all on the vCPU's pCPU:
 * - the vCPU thread runs `vcpu_run` (the shared run loop: vcpu_enter_guest, vcpu_block);
 * - perf's NMI handler runs a counter's overflow callback (kvm_perf_overflow) when a hardware
 *   counter overflowed while the guest ran: right after the NMI VM-exit, or, when the PMI skids
 *   past a VM-exit taken for another reason, in the host just after it (kvm-model.md §2 PMU);
 * - the irq_work (kernels up to 6.5) runs kvm_pmi_trigger_fn() in hard-IRQ context as soon as
 *   host IRQs are on;
 * - the hardware takes the VM-exits the host asks for (NMI window, host IRQs in guest mode);
 * - the guest runs: its counters overflow, it executes an instruction KVM emulates (a WRMSR to a
 *   PMU MSR) or HLT, takes NMIs in its PMI handler, unmasks LVTPC (Intel-compatible guests) and
 *   IRETs.
 *
 * An NMI or an IRQ taken on the pCPU runs before the thread's next step: the thread waits while
 * a host NMI is pending or handled, and while an irq_work (or reschedule IPI) is pending with
 * IRQs on or runs.
 */
import { ActorBuilder, ModelBuilder } from '../builder';
import { ModelError } from '../errors';
import { Assign, Expr, TRUE, and, eq, le, lit, ne, not, or, ref, sub } from '../ir';
import { Model } from '../ir';
import { Program, ProgramSet, Step, atom, op, parseProgram } from '../program';
import { compileProgram } from '../programCompiler';
import { COUNTERS, INTERNAL_PROGRAMS, PmiCtx, PmiPlatform, pmiSemantics } from './semantics';
import { ARMED, EXIT, HANDLER_ENTERED, HANDLER_IDLE, HANDLER_UNMASKED, PmiWorld, WRAPPED } from './world';

/** The PMI area needs no toggles: every era difference is in its programs. */
export type PmiToggles = Readonly<Record<string, never>>;

export interface PmiConfig {
  readonly platform: PmiPlatform;
  /** Exits for an instruction KVM emulates and skips (a WRMSR to a PMU MSR), and when the guest executes it. */
  readonly emulatedExits: number;
  readonly emulatedExitWhen: 'outside-handler' | 'in-handler';
  /** HLTs the guest executes (outside its NMI handler). */
  readonly hlts: number;
  /** Counters may overflow by guest execution while the guest's NMI handler runs (before it unmasks LVTPC). */
  readonly overflowInHandler: boolean;
}

export const PMI_PROPERTIES = ['pmi-single', 'pmi-delivery', 'vcpu-wakeup'] as const;

// ------------------------------------------------------------------ loops over counters

/** Loop-head steps whose rest-of-program is run once per counter, and the condition each copy runs under. */
const LOOP_MARKERS: Readonly<Record<string, string | undefined>> = {
  for_each_pmc: undefined,
  for_each_reprogram_pmc: 'pmc_reprogram_pending',
  for_each_snapshot_pmc: 'pmc_in_snapshot',
};

/** The step that runs a loop body for counter `k` (see semantics: a call with that counter). */
export const FOR_PMC = '__for_pmc';

/**
 * Unrolls `for_each_*` steps: `a, for_each_pmc, b, c` becomes `a, __for_pmc(body, 0), __for_pmc(body, 1)`
 * with program `body` = `b, c` (under the marker's condition), run with `pmc` = counter k.
 */
export function unrollCounterLoops(programs: ProgramSet, counters: number): Record<string, Program> {
  const out: Record<string, Program> = { ...programs };
  for (const [name, prog] of Object.entries(programs)) {
    let bodies = 0;
    const walk = (steps: Program): Step[] => {
      const i = steps.findIndex((s) => s.k === 'op' && s.op in LOOP_MARKERS);
      const head = (i < 0 ? steps : steps.slice(0, i)).map((s): Step => {
        if (s.k === 'if') return { ...s, then: walk(s.then), else: walk(s.else) };
        if (s.k === 'loop') return { ...s, body: walk(s.body) };
        return s;
      });
      if (i < 0) return head;
      const marker = steps[i] as Extract<Step, { k: 'op' }>;
      const rest = walk(steps.slice(i + 1));
      const guard = LOOP_MARKERS[marker.op];
      const body: Step[] = guard ? [{ k: 'if', cond: atom(guard), then: rest, else: [] }] : rest;
      const bodyName = `${name}[${marker.op} body${bodies++ ? ` ${bodies}` : ''}]`;
      out[bodyName] = body;
      const calls = Array.from({ length: counters }, (_, k): Step => ({ ...op(FOR_PMC, bodyName, String(k)), ...(marker.line !== undefined ? { line: marker.line } : {}) }));
      return [...head, ...calls];
    };
    out[name] = walk(prog);
  }
  return out;
}

// ------------------------------------------------------------------ the model

function ctxFor(w: PmiWorld, cfg: PmiConfig, runner: PmiCtx['runner'], locals: PmiCtx['locals'], counter?: number): PmiCtx {
  return { w, platform: cfg.platform, runner, inPmi: false, locals, ...(counter !== undefined ? { counter } : {}) };
}

/** The semantics, plus the step that runs a loop body for one counter. */
const semantics: typeof pmiSemantics = {
  ...pmiSemantics,
  op(ctx, name, args, program) {
    if (name !== FOR_PMC) return pmiSemantics.op(ctx, name, args, program);
    const [body, k] = args;
    return { kind: 'call', program: body!, ctx: { ...ctx, counter: Number(k) } };
  },
};

export function buildPmiModel(name: string, cfg: PmiConfig, profilePrograms: ProgramSet, _toggles: PmiToggles): Model {
  const n = cfg.platform.counters.length;
  if (n < 1 || n > 2) throw new ModelError('1 or 2 counters');
  const b = new ModelBuilder(name);
  const w = new PmiWorld(b, n);
  for (const c of Object.keys(COUNTERS)) b.counter(c);
  const internal = Object.fromEntries(Object.entries(INTERNAL_PROGRAMS).map(([k, v]) => [k, parseProgram(v)]));
  const programs = unrollCounterLoops({ ...profilePrograms, ...internal }, n);

  // Declared first, so that the thread's guard can say where they are.
  const thread = b.actor('vCPU0 thread', 'vCPU thread');
  const nmi = b.actor('perf NMI handler', 'host NMI');
  const irqWork = programs['kvm_pmi_trigger_fn'] ? b.actor('irq_work', 'host IRQ') : undefined;
  const nmiIdle = nmi.pc('idle');
  const irqWorkIdle = irqWork?.pc('idle');

  const interruptsFirst = and(
    b.at(nmi, nmiIdle),
    not(w.hostNmiPending()),
    irqWork ? b.at(irqWork, irqWorkIdle!) : TRUE,
    not(and(eq(ref(w.irqWorkPending), 1), eq(ref(w.irqsDisabled), 0))),
    not(and(eq(ref(w.reschedIpi), 1), eq(ref(w.irqsDisabled), 0))),
  );
  buildThread(b, w, cfg, programs, thread, and(eq(ref(w.onRq), 1), eq(ref(w.nonroot), 0), interruptsFirst));
  buildHostNmi(b, w, cfg, programs, nmi, nmiIdle);
  if (irqWork) buildIrqWork(b, w, cfg, programs, irqWork, irqWorkIdle!);
  buildHardware(b, w);
  buildGuest(b, w, cfg);

  for (const [id, bad] of properties(w, cfg, irqWork ? b.at(irqWork, irqWorkIdle!) : TRUE)) b.property(id, bad);
  return b.build();
}

function buildThread(b: ModelBuilder, w: PmiWorld, cfg: PmiConfig, programs: ProgramSet, actor: ActorBuilder, guard: Expr): void {
  const start = actor.pc('vcpu_run');
  const end = actor.pc('vcpu_run returned');
  compileProgram({ actor, programs, used: b.programsUsed, semantics, ctx: ctxFor(w, cfg, 'thread', w.locals('vCPU0.thread')), baseGuard: guard }, 'vcpu_run', start, end);
  // The thread starts in the guest, right after a VM-entry.
  const entry = actor.specs.find((t) => t.origin?.op === 'vm_entry');
  if (!entry) throw new ModelError('vcpu_enter_guest never reaches vm_entry, so the vCPU never runs guest code');
  b.start(actor, entry.to);
}

/** The overflow callback perf calls for counter k: kvm_perf_overflow_intr() up to 5.16 for interrupt-enabled counters. */
function overflowCallback(programs: ProgramSet, cfg: PmiConfig, k: number): string {
  if (programs['kvm_perf_overflow_intr'] && cfg.platform.counters[k]!.intr) return 'kvm_perf_overflow_intr';
  if (!programs['kvm_perf_overflow']) throw new ModelError('the profile has no kvm_perf_overflow program');
  return 'kvm_perf_overflow';
}

function buildHostNmi(b: ModelBuilder, w: PmiWorld, cfg: PmiConfig, programs: ProgramSet, actor: ActorBuilder, idle: number): void {
  b.start(actor, idle);
  const locals = w.locals('perf_nmi');
  let at = actor.pc('perf_event_nmi_handler');
  actor.add({
    from: idle,
    to: at,
    guard: and(w.hostNmiPending(), eq(ref(w.nonroot), 0)),
    label: 'host NMI (the PMI of a counter that overflowed in the guest): perf_event_nmi_handler()',
    origin: { program: 'perf', path: [], op: 'perf_event_nmi_handler', rule: 'kvm-model.md §2 PMU: perf\'s PMI is an NMI; after an NMI VM-exit KVM runs it with kvm_before_interrupt(KVM_HANDLING_NMI), a PMI that skids past another VM-exit is taken in the host at once' },
  });
  w.counters.forEach((c, k) => {
    const next = k === w.counters.length - 1 ? idle : actor.pc(`perf: after pmc${k}`);
    const cb = actor.pc(`perf: pmc${k}'s overflow handler`);
    const cbName = overflowCallback(programs, cfg, k);
    actor.add({
      from: at,
      to: cb,
      guard: eq(ref(c.hwOverflow), 1),
      effects: [{ id: c.hwOverflow, e: lit(0) }],
      label: `perf: pmc${k}'s event overflowed: ${cbName}()`,
      origin: { program: 'perf', path: [k], op: 'overflow_handler', rule: 'kernel perf: the event\'s overflow_handler is the callback KVM registered in pmc_reprogram_counter()' },
    });
    actor.add({ from: at, to: next, guard: eq(ref(c.hwOverflow), 0), label: `perf: pmc${k} did not overflow`, origin: { program: 'perf', path: [k], op: 'overflow_handler', rule: 'kernel perf: only overflowed events are handled' } });
    compileProgram({ actor, programs, used: b.programsUsed, semantics, ctx: { ...ctxFor(w, cfg, 'nmi', locals, k), inPmi: true }, baseGuard: TRUE }, cbName, cb, next);
    at = next;
  });
}

function buildIrqWork(b: ModelBuilder, w: PmiWorld, cfg: PmiConfig, programs: ProgramSet, actor: ActorBuilder, idle: number): void {
  b.start(actor, idle);
  const run = actor.pc('irq_work_run');
  actor.add({
    from: idle,
    to: run,
    guard: and(eq(ref(w.irqWorkPending), 1), w.cpuIrqsOn()),
    effects: [{ id: w.irqWorkPending, e: lit(0) }],
    label: 'IRQ work interrupt: irq_work_run() runs kvm_pmi_trigger_fn() (pending flag cleared first)',
    origin: { program: 'irq_work', path: [], op: 'irq_work_run', rule: 'kernel irq_work: the self-IPI is taken as soon as host IRQs are enabled on this CPU; the callback runs in hard-IRQ context, outside the vCPU\'s request loop' },
  });
  compileProgram({ actor, programs, used: b.programsUsed, semantics, ctx: ctxFor(w, cfg, 'irq_work', w.locals('irq_work')), baseGuard: TRUE }, 'kvm_pmi_trigger_fn', run, idle);
}

function buildHardware(b: ModelBuilder, w: PmiWorld): void {
  const actor = b.actor('hardware', 'hardware');
  const pc = actor.pc('always');
  b.start(actor, pc);
  const set = (id: number, e: Expr | number): Assign => ({ id, e: typeof e === 'number' ? lit(e) : e });
  const exit = (reason: number): Assign[] => [set(w.nonroot, 0), set(w.exitReason, reason)];
  actor.add({
    from: pc,
    to: pc,
    guard: and(eq(ref(w.nonroot), 1), eq(ref(w.nmiWindow), 1), eq(ref(w.handler), HANDLER_IDLE)),
    effects: exit(EXIT.NMI_WINDOW),
    label: 'guest NMIs unblocked with NMI-window exiting on: VM-exit (NMI window)',
    origin: { program: 'hardware', path: [], op: 'vm_exit', rule: 'SDM 25.2 (NMI-window exiting): a VM-exit before the first instruction executed without NMI blocking' },
    events: { vmExits: 1 },
  });
  actor.add({
    from: pc,
    to: pc,
    guard: and(eq(ref(w.nonroot), 1), or(eq(ref(w.reschedIpi), 1), eq(ref(w.irqWorkPending), 1))),
    effects: [...exit(EXIT.EXTERNAL_INTERRUPT)],
    label: 'a host IRQ (reschedule IPI or IRQ-work IPI) in guest mode: VM-exit (external interrupt)',
    origin: { program: 'hardware', path: [], op: 'vm_exit', rule: '§1: in non-root mode a host vector causes a VM-exit; the host takes it once IRQs are enabled' },
    events: { vmExits: 1 },
  });
  actor.add({
    from: pc,
    to: pc,
    guard: and(eq(ref(w.reschedIpi), 1), w.cpuIrqsOn()),
    effects: [set(w.reschedIpi, 0)],
    label: 'RESCHEDULE_VECTOR taken in the host: nothing for KVM',
    origin: { program: 'hardware', path: [], op: 'host_irq', rule: '§1: in root mode with host IRQs enabled the host handler runs' },
  });
}

function buildGuest(b: ModelBuilder, w: PmiWorld, cfg: PmiConfig): void {
  const actor = b.actor('guest0', 'guest');
  const pc = actor.pc('running');
  b.start(actor, pc);
  const set = (id: number, e: Expr | number): Assign => ({ id, e: typeof e === 'number' ? lit(e) : e });
  const inGuest = eq(ref(w.nonroot), 1);
  const idle = eq(ref(w.handler), HANDLER_IDLE);
  const overflowWindow = cfg.overflowInHandler ? or(idle, eq(ref(w.handler), HANDLER_ENTERED)) : idle;
  const origin = (op: string, rule: string) => ({ program: 'guest', path: [], op, rule });
  const overflow = (k: number): Assign[] => {
    const c = w.counters[k]!;
    return [set(c.value, WRAPPED), set(c.hwOverflow, 1), set(c.unreported, 1)];
  };
  const byGuest = w.counters.filter((c) => cfg.platform.counters[c.index]!.guest);

  // A counter overflows on an instruction the guest executes: its PMI is a host NMI, which in
  // non-root mode causes a VM-exit.
  for (const c of byGuest) {
    actor.add({
      from: pc,
      to: pc,
      guard: and(inGuest, overflowWindow, eq(ref(c.value), ARMED)),
      effects: [...overflow(c.index), set(w.nonroot, 0), set(w.exitReason, EXIT.EXCEPTION_NMI)],
      label: `pmc${c.index} overflows on a guest instruction: its PMI (a host NMI) causes a VM-exit`,
      origin: origin('counter_overflow', 'kvm-model.md §2 PMU: a counter overflows from guest execution; §1: a host NMI in non-root mode causes a VM-exit'),
      events: { vmExits: 1 },
    });
  }

  // An exit for an instruction KVM emulates, or HLT; the PMI of a counter that overflowed on the
  // instructions just before may skid past the VM-exit and arrive in the host.
  const exits: { budget: number; left: number; reason: number; when: Expr; what: string; op: string; rule: string }[] = [];
  if (cfg.emulatedExits > 0) {
    const left = b.declare('guest0.emulated_exits_left', cfg.emulatedExits, cfg.emulatedExits);
    exits.push({
      budget: cfg.emulatedExits,
      left,
      reason: EXIT.MSR_WRITE,
      when: cfg.emulatedExitWhen === 'in-handler' ? eq(ref(w.handler), HANDLER_ENTERED) : idle,
      what: cfg.emulatedExitWhen === 'in-handler' ? 'the guest\'s PMI handler writes a PMU MSR (re-enabling its counters before it unmasks LVTPC)' : 'the guest writes a PMU MSR',
      op: 'wrmsr',
      rule: 'scenario: a WRMSR KVM intercepts, emulates and skips with kvm_skip_emulated_instruction()',
    });
  }
  if (cfg.hlts > 0) {
    const left = b.declare('guest0.hlt_left', cfg.hlts, cfg.hlts);
    exits.push({ budget: cfg.hlts, left, reason: EXIT.HLT, when: idle, what: 'the guest idles: STI; HLT', op: 'hlt', rule: 'scenario: HLT, which KVM intercepts and emulates with kvm_emulate_halt()' });
  }
  for (const x of exits) {
    const base = and(inGuest, x.when, ne(ref(x.left), 0));
    const effects = [set(w.nonroot, 0), set(w.exitReason, x.reason), set(x.left, sub(ref(x.left), 1))];
    actor.add({ from: pc, to: pc, guard: base, effects, label: `${x.what}: VM-exit`, origin: origin(x.op, x.rule), events: { vmExits: 1 } });
    for (const c of byGuest) {
      actor.add({
        from: pc,
        to: pc,
        guard: and(base, overflowWindow, eq(ref(c.value), ARMED)),
        effects: [...effects, ...overflow(c.index)],
        label: `${x.what}: VM-exit; pmc${c.index} overflowed on the instructions just before and its PMI skids past the exit`,
        origin: origin(x.op, `${x.rule}; PMI skid: the host NMI arrives after the VM-exit, so KVM does not see it as an NMI from the guest`),
        events: { vmExits: 1 },
      });
    }
  }

  // The guest's PMI handler (an NMI handler): Intel-compatible guests unmask LVTPC, then IRET.
  const intel = cfg.platform.vendor === 'intel';
  if (intel) {
    actor.add({
      from: pc,
      to: pc,
      guard: and(inGuest, eq(ref(w.handler), HANDLER_ENTERED)),
      effects: [set(w.handler, HANDLER_UNMASKED), set(w.lvtpcMasked, 0), set(w.pmisSinceUnmask, 0)],
      label: 'guest PMI handler: apic_write(APIC_LVTPC, APIC_DM_NMI) unmasks LVTPC',
      origin: origin('unmask_lvtpc', 'kvm-model.md §1 LVTPC: on Intel the LAPIC masks LVTPC on a PMI and the guest\'s handler unmasks it (Linux intel_pmu_handle_irq(), late or early ack)'),
    });
  }
  actor.add({
    from: pc,
    to: pc,
    guard: and(inGuest, eq(ref(w.handler), intel ? HANDLER_UNMASKED : HANDLER_ENTERED)),
    effects: [set(w.handler, HANDLER_IDLE), ...w.counters.map((c) => set(c.status, 0))],
    label: intel ? 'guest PMI handler done (overflow status acknowledged): IRET, NMIs unblocked' : 'guest PMI handler (PerfMonV2: LVTPC left alone) done: IRET, NMIs unblocked',
    origin: origin('iret', intel ? 'SDM: IRET ends NMI blocking' : 'SDM: IRET ends NMI blocking; 49ff3b4aec51: the AMD PerfMonV2 guest handler does not touch LVTPC\'s mask, as the AMD LAPIC does not set it'),
  });
}

// ------------------------------------------------------------------ properties

function properties(w: PmiWorld, cfg: PmiConfig, irqWorkIdle: Expr): [string, Expr][] {
  const intel = cfg.platform.vendor === 'intel';
  // pmi-single: two PMIs accepted between a VM-exit and the next VM-entry, or (Intel-compatible
  // guests, whose LAPIC masks LVTPC on delivery) two accepted before the guest's handler unmasked.
  const single = or(le(lit(2), ref(w.pmisThisExit)), intel ? le(lit(2), ref(w.pmisSinceUnmask)) : lit(0));
  // pmi-delivery: the guest runs with LVTPC masked and nothing will make it unmask: its handler
  // never does (AMD), or no PMI handler is running or on its way (Intel).
  const willUnmask = intel ? or(eq(ref(w.handler), HANDLER_ENTERED), w.nmiOnItsWay()) : lit(0);
  const delivery = and(eq(ref(w.nonroot), 1), eq(ref(w.lvtpcMasked), 1), not(willUnmask));
  // vcpu-wakeup: asleep with a PMI owed (a PMI request, an NMI on its way, or an overflow of an
  // interrupt-enabled counter KVM has not reported yet) and nothing left that could wake it.
  const owed = or(
    eq(ref(w.req.KVM_REQ_PMI), 1),
    w.nmiOnItsWay(),
    ...w.counters.filter((c) => cfg.platform.counters[c.index]!.intr).map((c) => eq(ref(c.unreported), 1)),
  );
  const wakeup = and(w.asleep(), owed, eq(ref(w.irqWorkPending), 0), irqWorkIdle, not(w.hostNmiPending()));
  return [
    ['pmi-single', single],
    ['pmi-delivery', delivery],
    ['vcpu-wakeup', wakeup],
  ];
}
