/**
 * The IPIv property (kvm-model.md §3), and how to say in words why a final state violates it.
 */
import { PropertyInfo } from '../area';
import { FieldValue } from '../trace';

export const IPIV_PROPERTY_INFO: readonly PropertyInfo[] = [
  {
    id: 'pid-table',
    title: 'One PID table, accessed in bounds, holding every vCPU',
    holdsWhen:
      'IPIv PID-table accesses stay in bounds (no entry write at or beyond the table\'s size, no VMCS whose LAST_PID_POINTER_INDEX reaches past its table), the VM allocates one table once, no valid entry names a freed descriptor, and when creation is over every online vCPU\'s entry is its own, in the table its VMCS points at.',
    doc: 'pid-table',
  },
];

type State = Readonly<Record<string, FieldValue>>;

const THREAD_NAMES = ['A', 'B'];

/** One sentence saying what, in the final state, breaks the property. */
export function explainIpiv(property: string, state: State): string | undefined {
  if (property !== 'pid-table' || !('kvm_vmx.pid_table' in state)) return undefined;
  const parts: string[] = [];
  const oob = state['pid_table.out_of_bounds'];
  const allocations = Number(state['pid_table.allocations']);
  const sizes = [1, 2].filter((t) => t <= allocations).map((t) => `table${t} has ${state[`table${t}.entries`]} entries`);
  if (oob !== undefined && oob !== 'none') parts.push(`an access went out of bounds: ${oob}${sizes.length ? ` (${sizes.join(', ')}; kvm_vmx->pid_table is ${state['kvm_vmx.pid_table']})` : ''}`);
  if (allocations >= 2) parts.push('two threads each found no table and allocated one: one of the two tables is leaked or replaced, and a vCPU that took its address keeps using a table the others do not fill');
  for (const t of [1, 2]) {
    for (let i = 0; `table${t}[${i}]` in state; i++) {
      const e = String(state[`table${t}[${i}]`]);
      const owner = /^&(\w)\.pi_desc/.exec(e)?.[1];
      if (owner && state[`${owner}.vcpu`] === 'freed') parts.push(`table${t}[${i}] still holds ${owner}'s descriptor, freed when its creation failed: a guest IPI to id ${i} posts into freed memory`);
    }
  }
  for (const n of THREAD_NAMES) {
    if (state[`${n}.vcpu`] !== 'online') continue;
    const vmcs = String(state[`${n}.vmcs.PID_POINTER_TABLE`]);
    if (vmcs === 'unset') continue;
    const last = String(state[`${n}.vmcs.LAST_PID_POINTER_INDEX`]);
    const size = vmcs === 'NULL' ? 0 : Number(state[`${vmcs}.entries`]);
    if (vmcs === 'NULL' || Number(last) >= size) parts.push(`vCPU ${n}'s VMCS has LAST_PID_POINTER_INDEX ${last} for ${vmcs === 'NULL' ? 'a NULL table' : `${vmcs}, which has ${size} entries`}: its guest can make the CPU read past the table`);
  }
  if (!parts.length) {
    for (const n of THREAD_NAMES) {
      if (state[`${n}.vcpu`] !== 'online' || state[`${n}.vmcs.PID_POINTER_TABLE`] === 'unset') continue;
      const current = String(state['kvm_vmx.pid_table']);
      const vmcs = String(state[`${n}.vmcs.PID_POINTER_TABLE`]);
      if (vmcs !== current) parts.push(`vCPU ${n}'s VMCS points at ${vmcs} while kvm_vmx->pid_table is ${current}`);
      else {
        const slot = Object.keys(state).find((k) => k.startsWith(`${current}[`) && String(state[k]).startsWith(`&${n}.`));
        if (!slot) parts.push(`vCPU ${n} is online but no entry of ${current} holds its descriptor: IPIs to it always exit`);
      }
    }
  }
  return parts.length ? parts.join('; ') : undefined;
}
