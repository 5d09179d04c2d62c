/**
 * Named, bounded PMI scenarios (seed 001). Two counters, one vCPU: each explores exhaustively in
 * well under a second. Counter 0 counts what the guest executes (its PMI arrives as a host NMI);
 * counter 1 counts retired instructions, so from 5.17 an instruction KVM emulates counts too.
 * Both are one event from overflow and have their interrupt bit set.
 */
import { Scenario } from '../area';
import { PmiConfig } from './model';
import { CounterSpec, Vendor } from './semantics';

const CYCLES: CounterSpec = { guest: true, emulated: false, intr: true };
const INSTRUCTIONS: CounterSpec = { guest: true, emulated: true, intr: true };

function scenario(id: string, title: string, focus: string[], description: string, vendor: Vendor, cfg: Omit<PmiConfig, 'platform'>): Scenario<PmiConfig> {
  return { id, area: 'pmi', title, seeds: ['001'], focus, description, config: { ...cfg, platform: { vendor, counters: [CYCLES, INSTRUCTIONS] } } };
}

const EMULATED_EXIT: Omit<PmiConfig, 'platform'> = { emulatedExits: 1, emulatedExitWhen: 'outside-handler', hlts: 0, overflowInHandler: false };

export const PMI_SCENARIOS: readonly Scenario<PmiConfig>[] = [
  scenario(
    'pmi-emulated-exit',
    'An emulated instruction overflows a counter during an exit that also takes the PMI path (Intel guest)',
    ['pmi-single', 'pmi-delivery'],
    'The guest writes a PMU MSR, which KVM emulates and skips; counter 1 overflows on that instruction while counter 0, overflowed by the instructions just before, has its PMI skid past the VM-exit (or exit on its own). Checks that one VM-exit gives the guest at most one PMI.',
    'intel',
    EMULATED_EXIT,
  ),
  scenario(
    'pmi-emulated-exit-amd',
    'The same with an AMD (PerfMonV2) guest, whose PMI handler leaves LVTPC alone',
    ['pmi-single', 'pmi-delivery'],
    'As pmi-emulated-exit, with a guest whose CPUID vendor is AMD: its LAPIC does not mask LVTPC on a PMI and its PerfMonV2 handler never unmasks it, so KVM must not mask it either.',
    'amd',
    EMULATED_EXIT,
  ),
  scenario(
    'pmi-in-handler',
    'A counter overflows while the guest\'s PMI handler runs, before it unmasks LVTPC (Intel guest, late ack)',
    ['pmi-single'],
    'Linux\'s Intel PMI handler with late ack re-enables its counters (a WRMSR KVM emulates) before it unmasks LVTPC: counter 1 can overflow on that WRMSR, or either counter on the handler\'s own instructions. On Intel hardware the LAPIC masked LVTPC when it delivered the first PMI, so the second is not delivered.',
    'intel',
    { emulatedExits: 1, emulatedExitWhen: 'in-handler', hlts: 0, overflowInHandler: true },
  ),
  scenario(
    'pmi-halted',
    'HLT emulation overflows a counter while the guest halts (Intel guest)',
    ['vcpu-wakeup', 'pmi-single'],
    'The guest executes HLT; KVM\'s kvm_emulate_halt() skips it with kvm_skip_emulated_instruction(), which counts it, so counter 1 overflows on the HLT itself, while counter 0\'s PMI may skid past the same exit. The vCPU must not sleep with the PMI owed.',
    'intel',
    { emulatedExits: 0, emulatedExitWhen: 'outside-handler', hlts: 1, overflowInHandler: false },
  ),
];
