/**
 * The PV TLB flush properties (kvm-model.md §3), and how to say in words why a final state
 * violates one.
 */
import { PropertyInfo } from '../area';
import { FieldValue } from '../trace';

export const TLB_PROPERTY_INFO: readonly PropertyInfo[] = [
  {
    id: 'tlb-flush',
    title: 'Flushes reach every target',
    holdsWhen: 'No vCPU executes guest code with a stale TLB (or has its host access guest memory through a stale translation) after a flush initiator has skipped its IPI or finished waiting for it.',
    doc: 'tlb-flush',
  },
  {
    id: 'tlb-flush-wait',
    title: 'Flush initiators never wait on a preempted target',
    holdsWhen: 'A flush initiator never waits (or spins) on a vCPU that is preempted.',
    doc: 'tlb-flush-wait',
  },
];

type State = Readonly<Record<string, FieldValue>>;

/** One sentence saying what, in the final state, breaks the property. */
export function explainTlb(property: string, state: State): string | undefined {
  const targets = [...new Set(Object.keys(state).map((k) => /^st(\d+)\.preempted$/.exec(k)?.[1]).filter((x): x is string => !!x))];
  const parts: string[] = [];
  for (const t of targets) {
    const V = `vCPU${t}`;
    const counted = state[`initiator.counts_flushed[${V}]`] === 1;
    const byte = `st${t}.preempted=${state[`st${t}.preempted`]}`;
    switch (property) {
      case 'tlb-flush':
        if (state[`${V}.non_root`] === 1 && state[`${V}.tlb`] === 'stale' && counted) {
          const why =
            state[`initiator.flushmask[${V}]`] === 0
              ? `it dropped ${V} from its IPI mask, leaving the flush to ${V}'s host`
              : `its wait for ${V} is over`;
          parts.push(
            `${V} runs guest code with a stale TLB (${byte}, host copy ${state[`${V}.arch.st.preempted`]}) although the flush initiator already counts it as flushed (${why}), and nothing flushed ${V} since the page-table change`,
          );
        } else if (state[`${V}.used_stale_translation`] === 1) {
          parts.push(`${V}'s host finished an emulated access through a translation made before the page-table change, after the flush initiator had counted ${V} as flushed without an IPI`);
        }
        break;
      case 'tlb-flush-wait':
        if (state[`${V}.on_cpu`] === 0) {
          const how =
            state[`initiator.spins_on[${V}]`] === 1
              ? `spins in a cmpxchg loop on ${byte} with an expected value it never refreshes`
              : state[`initiator.csd[${V}].locked`] === 1
                ? `waits for ${V}'s csd (its CALL_FUNCTION handler has not run)`
                : `waits for IPI_PENDING to clear in ${byte}`;
          parts.push(`the flush initiator ${how} while ${V}'s thread is switched out (preempted), so it waits for the host scheduler, not for the guest`);
        }
        break;
    }
  }
  return parts.length ? parts.join('; ') : undefined;
}
