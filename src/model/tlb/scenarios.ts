/**
 * Named, bounded PV TLB flush scenarios: one guest initiator, one or two target vCPUs, small
 * budgets of VM-exits and preemptions; each explores exhaustively in well under a second.
 */
import { Scenario } from '../area';
import { TlbConfig } from './model';

const base: TlbConfig = { targets: 1, flushes: 1, preemptions: 1, extIntExits: 1, emulationExits: 0 };

const SINCE = { version: [4, 16] as const, why: 'PV TLB flush was merged in 4.16' };

function scenario(id: string, title: string, focus: string[], description: string, cfg: Partial<TlbConfig>): Scenario<TlbConfig> {
  return { id, area: 'tlb', title, seeds: ['003'], focus, description, config: { ...base, ...cfg }, since: SINCE };
}

export const TLB_SCENARIOS: readonly Scenario<TlbConfig>[] = [
  scenario(
    'flush-vs-preemption',
    'A PV TLB flush racing a target that exits, is preempted, and comes back',
    ['tlb-flush', 'tlb-flush-wait'],
    'The initiator changes a page table and flushes one target vCPU while the target may take an external-interrupt exit and be preempted twice in the host (so a sched-out can follow a sched-in before record_steal_time runs). Decides CVE-2019-3016 (a FLUSH_TLB lost by a read-then-write on the host, or by a second sched-out) and whether the initiator waits on a preempted vCPU.',
    { preemptions: 2, extIntExits: 1 },
  ),
  scenario(
    'flush-vs-emulation',
    'A PV TLB flush while the host emulates an instruction for the target',
    ['tlb-flush'],
    'The target exits on an access KVM must emulate; the emulator translates a guest-virtual address, the thread may be preempted before the access, and the initiator flushes meanwhile. Decides CVE-2022-39189: reporting a vCPU preempted in the middle of an instruction lets the initiator skip it while the host still holds a translation.',
    { preemptions: 1, extIntExits: 0, emulationExits: 1 },
  ),
  scenario(
    'two-flushes',
    'Two PV TLB flushes in a row against one target',
    ['tlb-flush', 'tlb-flush-wait'],
    'The initiator changes a page table and flushes, twice, while the target exits and may be preempted: a handler or a VM-exit that works on the byte left by the first flush can take the second flush\'s IPI_PENDING for its own (seed 003\'s cmpxchg loops).',
    { flushes: 2, preemptions: 1, extIntExits: 1 },
  ),
  scenario(
    'two-targets',
    'A PV TLB flush of two target vCPUs',
    ['tlb-flush', 'tlb-flush-wait'],
    'The initiator flushes two target vCPUs in one pass over its mask: vCPU0 may take an external-interrupt exit and be preempted, vCPU1 stays in the guest. One may be skipped while the other gets the IPI, and the mask must say which.',
    { targets: 2, preemptions: 1, extIntExits: 1, quietFrom: 1 },
  ),
];
