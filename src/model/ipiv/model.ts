/**
 * Builds the IPIv PID-table model: userspace threads racing over KVM_CREATE_VCPU and
 * KVM_ENABLE_CAP(KVM_CAP_MAX_VCPU_ID), running the programs of a kernel profile, and a guest
 * whose ICR write the CPU resolves through the PID-pointer table (kvm-model.md §1, §2).
 *
 * Actors:
 * - KVM_CREATE_VM runs `kvm_arch_init_vm` before anything else can reach the VM;
 * - each creating thread runs `kvm_vm_ioctl_create_vcpu` for its vcpu_id, and may fail where the
 *   scenario says (early: the vCPU allocation; late: the vCPU fd, after the table entry is written;
 *   a duplicate id fails on its own with -EEXIST);
 * - the capability thread runs the KVM_CAP_MAX_VCPU_ID case of `kvm_vm_ioctl_enable_cap` once per
 *   value, in order;
 * - the guest of one created vCPU writes the ICR once, to any vcpu_id, and the CPU looks the
 *   destination up as IPI virtualization does.
 */
import { ActorBuilder, ModelBuilder } from '../builder';
import { ModelError } from '../errors';
import { Expr, Model, TRUE, and, eq, ite, le, lit, lt, ne, or, ref } from '../ir';
import { ProgramSet } from '../program';
import { compileProgram } from '../programCompiler';
import { COUNTERS, FailPoint, IpivCtx, IpivPlatform, Runner, ipivSemantics } from './semantics';
import {
  ICR_EXIT_BEYOND_LAST,
  ICR_EXIT_INVALID,
  ICR_EXIT_NO_IPIV,
  ICR_OOB,
  ICR_POSTED,
  ICR_POSTED_FREED,
  IpivWorld,
  OOB_NONE,
  OOB_READ,
  VCPU_FREED,
  VCPU_ONLINE,
  VMCS_NULL,
  VMCS_UNSET,
} from './world';

export interface CreateSpec {
  /** The vcpu_id passed to KVM_CREATE_VCPU. */
  readonly id: number;
  /** Where creation may fail after pre-create (default: never). */
  readonly fail?: FailPoint;
}

export interface IpivConfig {
  /** The model's KVM_MAX_VCPU_IDS: ids are 0..ids-1. */
  readonly ids: number;
  /** `kvm->max_vcpus`. */
  readonly maxVcpus: number;
  /** The KVM_CREATE_VCPU threads (one or two). */
  readonly creates: readonly CreateSpec[];
  /** Values one thread passes to KVM_ENABLE_CAP(KVM_CAP_MAX_VCPU_ID), in order; none: no such thread. */
  readonly caps: readonly number[];
  /** The guest of this creating thread's vCPU writes the ICR once (index into `creates`). */
  readonly icrFrom?: number;
  readonly platform: IpivPlatform;
}

/** The area has no kernel-version switches beyond its programs. */
export type IpivToggles = Readonly<Record<string, never>>;

export const IPIV_PROPERTIES = ['pid-table'] as const;

export function buildIpivModel(name: string, cfg: IpivConfig, programs: ProgramSet, _toggles: IpivToggles): Model {
  if (cfg.ids < 1 || cfg.ids > 4) throw new ModelError('1 to 4 vCPU ids');
  if (cfg.creates.length < 1 || cfg.creates.length > 2) throw new ModelError('1 or 2 creating threads');
  if (cfg.creates.some((c) => c.id < 0 || c.id >= cfg.ids)) throw new ModelError('a vcpu_id outside 0..KVM_MAX_VCPU_IDS-1');
  if (cfg.caps.length > 2) throw new ModelError('at most 2 KVM_CAP_MAX_VCPU_ID calls');
  if (cfg.icrFrom !== undefined && !cfg.creates[cfg.icrFrom]) throw new ModelError('the ICR writer runs on a vCPU the scenario does not create');
  const b = new ModelBuilder(name);
  const w = new IpivWorld(b, { ids: cfg.ids, threadIds: cfg.creates.map((c) => c.id) });
  for (const c of Object.keys(COUNTERS)) b.counter(c);
  const fail = cfg.creates.map((c) => c.fail ?? 'never');
  const ctx = (who: Runner): IpivCtx => ({ w, platform: cfg.platform, maxVcpus: cfg.maxVcpus, fail, who });

  // KVM_CREATE_VM: nothing else can reach the VM before it returns.
  const vm = b.actor('KVM_CREATE_VM', 'userspace');
  const vmStart = vm.pc('kvm_arch_init_vm');
  const vmEnd = vm.pc('VM created');
  b.start(vm, vmStart);
  compileProgram({ actor: vm, programs, used: b.programsUsed, semantics: ipivSemantics, ctx: ctx({ kind: 'vm' }), baseGuard: TRUE }, 'kvm_arch_init_vm', vmStart, vmEnd);
  const vmReady = b.at(vm, vmEnd);

  const done: Expr[] = [];
  w.threads.forEach((th) => {
    const actor = b.actor(`KVM_CREATE_VCPU ${th.name} (id ${th.id})`, 'userspace');
    const start = actor.pc('kvm_vm_ioctl_create_vcpu');
    const end = actor.pc('returned');
    b.start(actor, start);
    compileProgram(
      { actor, programs, used: b.programsUsed, semantics: ipivSemantics, ctx: ctx({ kind: 'create', thread: th.index }), baseGuard: vmReady },
      'kvm_vm_ioctl_create_vcpu',
      start,
      end,
    );
    done.push(b.at(actor, end));
  });

  if (cfg.caps.length) {
    const actor = b.actor(`KVM_ENABLE_CAP(KVM_CAP_MAX_VCPU_ID, ${cfg.caps.join(' then ')})`, 'userspace');
    let at = actor.pc('kvm_vm_ioctl_enable_cap');
    b.start(actor, at);
    cfg.caps.forEach((arg, k) => {
      const next = actor.pc(k === cfg.caps.length - 1 ? 'returned' : `returned (${arg})`);
      compileProgram(
        { actor, programs, used: b.programsUsed, semantics: ipivSemantics, ctx: ctx({ kind: 'cap', arg }), baseGuard: vmReady },
        'kvm_vm_ioctl_enable_cap.KVM_CAP_MAX_VCPU_ID',
        at,
        next,
      );
      at = next;
    });
  }

  if (cfg.icrFrom !== undefined) buildIcrWriter(b, w, cfg, cfg.icrFrom);

  const threadsDone = and(...done);
  const bad = or(
    ne(ref(w.oob), OOB_NONE),
    le(lit(2), ref(w.allocations)),
    w.staleEntry(),
    ...w.threads.map((th) => w.latentOutOfBounds(th)),
    and(threadsDone, or(...w.threads.map((th) => w.notInTheTable(th)))),
  );
  b.property('pid-table', bad);
  return b.build();
}

// ------------------------------------------------------------------ the guest's ICR write

const ICR_RULE =
  '§1 / SDM "IPI virtualization": for a physical-mode fixed IPI the CPU takes the destination id V; if V <= LAST_PID_POINTER_INDEX it reads entry V of the table at PID_POINTER_TABLE and, when the entry is valid, posts to the descriptor it names (the posted-interrupt area\'s ipiv-post); otherwise, or for an invalid entry, an APIC-write VM-exit lets KVM emulate the ICR write';

function buildIcrWriter(b: ModelBuilder, w: IpivWorld, cfg: IpivConfig, from: number): void {
  const th = w.threads[from]!;
  const actor: ActorBuilder = b.actor(`guest of ${th.name}: ICR write`, 'guest');
  const start = actor.pc('running');
  const end = actor.pc('IPI sent');
  b.start(actor, start);
  const T = ref(th.vmcsTable);
  const L = ref(th.vmcsLast);
  const online = eq(ref(th.vcpu), VCPU_ONLINE);
  const origin = (op: string) => ({ program: 'guest', path: [], op, rule: ICR_RULE });
  const setIcr = (v: number) => ({ id: w.icr, e: lit(v) });
  for (let d = 0; d < cfg.ids; d++) {
    // A self-IPI is virtualized without the table.
    if (d === th.id) continue;
    const dest = `vcpu_id ${d}`;
    const exitNoIpiv = and(online, eq(T, VMCS_UNSET));
    const inRange = and(online, ne(T, VMCS_UNSET), le(lit(d), L));
    actor.add({ from: start, to: end, guard: exitNoIpiv, effects: [setIcr(ICR_EXIT_NO_IPIV)], label: `ICR write to ${dest}: IPIv is not set up in this VMCS, VM-exit`, origin: origin('icr_write'), events: { icrExits: 1 } });
    actor.add({
      from: start,
      to: end,
      guard: and(online, ne(T, VMCS_UNSET), lt(L, lit(d))),
      effects: [setIcr(ICR_EXIT_BEYOND_LAST)],
      label: `ICR write to ${dest}: beyond LAST_PID_POINTER_INDEX, APIC-write VM-exit`,
      origin: origin('icr_write'),
      events: { icrExits: 1 },
    });
    // Through NULL, or past the table's end: the CPU reads memory that is not the table.
    const beyond = or(eq(T, VMCS_NULL), ...w.tables.map((t) => and(eq(T, t.index + 1), le(ref(t.size), lit(d)))));
    actor.add({
      from: start,
      to: end,
      guard: and(inRange, beyond),
      effects: [setIcr(ICR_OOB), { id: w.oob, e: ite(eq(ref(w.oob), OOB_NONE), OOB_READ, ref(w.oob)) }],
      label: `ICR write to ${dest}: the CPU reads entry ${d} beyond the table it was given`,
      origin: origin('icr_write'),
    });
    for (const t of w.tables) {
      const here = and(inRange, eq(T, t.index + 1), lt(lit(d), ref(t.size)));
      const entry = ref(t.entries[d]!);
      actor.add({
        from: start,
        to: end,
        guard: and(here, eq(entry, 0)),
        effects: [setIcr(ICR_EXIT_INVALID)],
        label: `ICR write to ${dest}: table${t.index}[${d}] is not valid, APIC-write VM-exit`,
        origin: origin('icr_write'),
        events: { icrExits: 1 },
      });
      for (const o of w.threads) {
        const freed = eq(ref(o.vcpu), VCPU_FREED);
        actor.add({
          from: start,
          to: end,
          guard: and(here, eq(entry, o.index + 1), ne(ref(o.vcpu), VCPU_FREED)),
          effects: [setIcr(ICR_POSTED)],
          label: `ICR write to ${dest}: table${t.index}[${d}] is valid, the CPU posts to ${o.name}'s descriptor (no VM-exit)`,
          origin: origin('ipiv_post'),
        });
        actor.add({
          from: start,
          to: end,
          guard: and(here, eq(entry, o.index + 1), freed),
          effects: [setIcr(ICR_POSTED_FREED)],
          label: `ICR write to ${dest}: table${t.index}[${d}] still names ${o.name}'s freed descriptor, the CPU posts into freed memory`,
          origin: origin('ipiv_post'),
        });
      }
    }
  }
}
