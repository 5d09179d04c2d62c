/**
 * The PMI properties (kvm-model.md §3), and how to say in words why a final state violates one.
 */
import { PropertyInfo } from '../area';
import { FieldValue } from '../trace';

export const PMI_PROPERTY_INFO: readonly PropertyInfo[] = [
  {
    id: 'pmi-single',
    title: 'One performance interrupt per exit',
    holdsWhen:
      'At most one PMI reaches the guest per VM-exit, and (Intel-compatible guests) a second PMI before the guest\'s handler has unmasked LVTPC is not delivered: no second NMI is latched behind the first.',
    doc: 'pmi-single',
  },
  {
    id: 'pmi-delivery',
    title: 'Performance interrupts keep arriving',
    holdsWhen: 'LVTPC is never left masked while the guest runs and will not unmask it (its handler does not, or no PMI handler is running or on its way).',
    doc: 'pmi-delivery',
  },
];

type State = Readonly<Record<string, FieldValue>>;

function nmiState(s: State): string {
  return `nmi_queued=${s['vCPU0.arch.nmi_queued']}, nmi_pending=${s['vCPU0.arch.nmi_pending']}, nmi_injected=${s['vCPU0.arch.nmi_injected']}`;
}

function handler(s: State): string {
  return s['guest.nmi_handler'] === 'idle' ? 'the guest is not in its NMI handler' : `the guest is in its NMI handler${s['guest.nmi_handler'] === 'in handler' ? ', before any unmask' : ', LVTPC unmasked'}`;
}

/** One sentence saying what, in the final state, breaks the property (undefined if not a PMI state). */
export function explainPmi(property: string, s: State): string | undefined {
  if (!('LVTPC.mask' in s)) return undefined;
  switch (property) {
    case 'pmi-single': {
      if (Number(s['ghost.pmis_since_vm_exit']) >= 2) {
        return `the local APIC accepted two PMIs from LVTPC during one VM-exit (${nmiState(s)}; ${handler(s)}): the guest takes two NMIs for one exit, the second one finding no overflow ("Dazed and confused")`;
      }
      if (Number(s['ghost.pmis_since_lvtpc_unmask']) >= 2) {
        return `a second PMI was accepted before the guest's handler unmasked LVTPC (LVTPC.mask=${s['LVTPC.mask']}; ${nmiState(s)}; ${handler(s)}): an Intel local APIC masks LVTPC on the first, so this NMI, latched behind the first, is one the hardware would not send`;
      }
      return undefined;
    }
    case 'pmi-delivery':
      if (s['LVTPC.mask'] === 1 && s['vCPU0.non_root'] === 1) {
        return `the guest runs with LVTPC masked (${handler(s)}; ${nmiState(s)}) and nothing will unmask it: every later PMI is dropped`;
      }
      return undefined;
    case 'vcpu-wakeup': {
      if (s['vCPU0.on_rq'] !== 0) return undefined;
      const owed: string[] = [];
      if (s['vCPU0.requests.KVM_REQ_PMI'] === 1) owed.push('KVM_REQ_PMI');
      if (s['vCPU0.requests.KVM_REQ_NMI'] === 1) owed.push('KVM_REQ_NMI');
      if (Number(s['vCPU0.arch.nmi_queued']) > 0) owed.push('nmi_queued');
      if (Number(s['vCPU0.arch.nmi_pending']) > 0) owed.push('nmi_pending');
      for (const k of Object.keys(s)) {
        const m = /^(pmc\d+)\.overflow_unreported$/.exec(k);
        if (m && s[k] === 1) owed.push(`an overflow of ${m[1]} not yet turned into a PMI${s['vCPU0.requests.KVM_REQ_PMU'] === 1 ? ' (only KVM_REQ_PMU pending)' : ''}`);
      }
      return `vCPU0 sleeps in kvm_vcpu_block() with ${owed.join(', ')} and no irq_work or host NMI left that could wake it: kvm_vcpu_has_events() did not see the PMI`;
    }
  }
  return undefined;
}
