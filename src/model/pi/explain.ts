/**
 * The posted-interrupt properties (kvm-model.md §3), and how to say in words why a final state
 * violates one.
 */
import { PropertyInfo } from '../area';
import { FieldValue } from '../trace';

export const PI_PROPERTY_INFO: readonly PropertyInfo[] = Object.values({
  'pi-delivery': {
    id: 'pi-delivery',
    title: 'Posted interrupts are delivered',
    holdsWhen:
      'No posted interrupt is left in PIR, ON or vIRR while the vCPU runs guest code with it deliverable and nothing pending (a sender mid-post, a host IRQ on its pCPU) that will deliver it.',
    doc: 'pi-delivery',
  },
  'vcpu-wakeup': {
    id: 'vcpu-wakeup',
    title: 'Blocked vCPUs are woken',
    holdsWhen: 'A blocked vCPU with a pending interrupt, PMI or request always gets woken.',
    doc: 'vcpu-wakeup',
  },
  'request-before-entry': {
    id: 'request-before-entry',
    title: 'Requests are seen before entry',
    holdsWhen: 'The guest is never entered with a request pending that was raised before the entry decision (by the vCPU itself, or while it was in OUTSIDE_GUEST_MODE).',
    doc: 'request-before-entry',
  },
});

type State = Readonly<Record<string, FieldValue>>;

function fieldsMatching(state: State, re: RegExp, value: FieldValue = 1): string[] {
  return Object.keys(state).filter((k) => re.test(k) && state[k] === value);
}

/** One sentence saying what, in the final state, breaks the property. */
export function explainPi(property: string, state: State): string | undefined {
  const vcpus = [...new Set(Object.keys(state).map((k) => /^vCPU(\d+)\./.exec(k)?.[1]).filter((x): x is string => !!x))];
  const parts: string[] = [];
  for (const i of vcpus) {
    const pir = fieldsMatching(state, new RegExp(`^PID${i}\\.PIR\\[`));
    const virr = fieldsMatching(state, new RegExp(`^vCPU${i}\\.vIRR\\[`));
    const reqs = fieldsMatching(state, new RegExp(`^vCPU${i}\\.requests\\.`)).map((k) => k.replace(/^.*requests\./, ''));
    const cpu = state[`vCPU${i}.cpu`];
    switch (property) {
      case 'pi-delivery':
        if (state[`vCPU${i}.non_root`] === 1 && (pir.length || virr.length)) {
          const where = [...pir, ...virr.map((v) => `${v} (RVI=${state[`vCPU${i}.RVI`]})`)].join(', ');
          parts.push(
            `vCPU${i} runs ${state[`vCPU${i}.L2`] === 1 ? 'L2' : 'guest code'} on ${cpu} with ${where} set, no host IRQ pending on ${cpu} and every sender done: the interrupt waits for an unrelated VM-exit`,
          );
        }
        break;
      case 'vcpu-wakeup':
        if (state[`vCPU${i}.on_rq`] === 0 && (pir.length || virr.length || state[`PID${i}.ON`] === 1)) {
          parts.push(
            `vCPU${i} sleeps in kvm_vcpu_block (off the runqueue) with ${[...pir, ...virr, ...(state[`PID${i}.ON`] === 1 ? [`PID${i}.ON`] : [])].join(', ')} set, SN=${state[`PID${i}.SN`]}, NV=${state[`PID${i}.NV`]}, and no IRQ, sender or scheduler step left that could wake it`,
          );
        }
        break;
      case 'request-before-entry': {
        const early = reqs.filter((r) => state[`vCPU${i}.before_entry_decision.${r}`] === 1);
        if (state[`vCPU${i}.non_root`] === 1 && early.length) {
          parts.push(`vCPU${i} entered the guest with ${early.join(', ')} pending, raised before it published IN_GUEST_MODE, so no kick will make it exit`);
        }
        break;
      }
    }
  }
  return parts.length ? parts.join('; ') : undefined;
}
