/**
 * Named, bounded posted-interrupt scenarios: a small set of actors and budgets, each
 * exhaustive in well under a second. Every scenario names the seed threads it answers and the
 * properties it decides.
 */
import { Scenario } from '../area';
import { underTso } from '../scenarioVariants';
import { PiConfig, SenderSpec } from './model';
import { PiPlatform } from './semantics';

const APICV: PiPlatform = { apicvActive: true, vtdPosting: false, ipiv: false };
const VTD: PiPlatform = { apicvActive: true, vtdPosting: true, ipiv: false };
const IPIV: PiPlatform = { apicvActive: true, vtdPosting: false, ipiv: true };

const IPIV_SINCE = { version: [5, 19] as const, why: 'IPI virtualization was merged in 5.19; under an older profile this asks what that kernel\'s code would do with it' };

const base: Omit<PiConfig, 'senders' | 'platform'> = {
  vcpus: 1,
  pcpus: 1,
  vectors: 1,
  guestHlt: 0,
  guestFastpath: 0,
  guestSlowExits: 0,
  startInL2: false,
  preemptions: 1,
  migration: false,
};

const post = (kind: SenderSpec['kind'], vector = 0, vcpu = 0, when: SenderSpec['when'] = 'any'): SenderSpec => ({ kind, vector, vcpu, when });

function scenario(
  id: string,
  title: string,
  seeds: string[],
  focus: string[],
  description: string,
  pi: Partial<PiConfig> & Pick<PiConfig, 'senders' | 'platform'>,
): Scenario<PiConfig> {
  return { id, area: 'pi', title, seeds, focus, description, config: { ...base, ...pi }, ...(pi.platform.ipiv ? { since: IPIV_SINCE } : {}) };
}

const SC_SCENARIOS: readonly Scenario<PiConfig>[] = [
  scenario(
    'entry-vs-kvm-post',
    'VM-entry versus KVM software posting',
    ['002'],
    ['pi-delivery'],
    'The vCPU goes from its run loop into the guest while another CPU posts one vector with __vmx_deliver_posted_interrupt (emulated IPI or timer). Checks that the vector is never left in PIR or ON while the guest runs.',
    { guestSlowExits: 1, platform: APICV, preemptions: 0, senders: [post('kvm-post')] },
  ),
  scenario(
    'entry-vs-two-kvm-posts',
    'VM-entry versus two KVM posts of different vectors',
    ['002'],
    ['pi-delivery'],
    'Two CPUs post two vectors; the second finds ON already set and returns without notifying.',
    { guestSlowExits: 1, platform: APICV, vectors: 2, preemptions: 0, senders: [post('kvm-post', 0), post('kvm-post', 1)] },
  ),
  scenario(
    'entry-vs-device-post',
    'VM-entry versus a VT-d device post',
    ['002'],
    ['pi-delivery'],
    'An assigned device posts through the IOMMU while the vCPU enters the guest. There is no KVM_REQ_EVENT for device posts, so only a PIR/ON check after IRQs are disabled catches a notification that arrived in the host (Radim\'s remark in seed 002).',
    { guestSlowExits: 1, platform: VTD, preemptions: 0, senders: [post('device-post')] },
  ),
  scenario(
    'entry-vs-ipiv-post',
    'VM-entry versus an IPIv post',
    ['000', '004'],
    ['pi-delivery'],
    'Another vCPU\'s guest writes the ICR and the CPU posts through the PID table (IPI virtualization), while this vCPU enters the guest.',
    { guestSlowExits: 1, platform: IPIV, preemptions: 0, senders: [post('ipiv-post')] },
  ),
  scenario(
    'ipiv-post-in-host',
    'An IPIv post while the vCPU handles an exit in the host',
    ['000'],
    ['pi-delivery'],
    'The guest takes a slow-path exit and another vCPU IPIs it through IPI virtualization while KVM handles the exit with IRQs enabled: the window where a notification lands in the host (seed 000\'s PIN count).',
    { guestSlowExits: 1, platform: IPIV, preemptions: 0, senders: [post('ipiv-post', 0, 0, 'in-host')] },
  ),
  scenario(
    'entry-vs-request',
    'VM-entry versus kvm_make_request() + kvm_vcpu_kick()',
    ['002'],
    ['request-before-entry'],
    'Another CPU raises a request and kicks the vCPU while it enters the guest: the vCPU must see it before entry, or be kicked out.',
    { guestSlowExits: 1, platform: APICV, preemptions: 0, senders: [post('request')] },
  ),
  scenario(
    'block-vs-kvm-post',
    'HLT and kvm_vcpu_block versus KVM software posting',
    ['000'],
    ['vcpu-wakeup', 'pi-delivery'],
    'The guest halts; KVM blocks the vCPU while another CPU posts with __vmx_deliver_posted_interrupt, which wakes a blocked vCPU with kvm_vcpu_wake_up.',
    { platform: APICV, guestHlt: 1, senders: [post('kvm-post')] },
  ),
  scenario(
    'block-vs-device-post',
    'HLT and kvm_vcpu_block versus a VT-d device post',
    ['000'],
    ['vcpu-wakeup', 'pi-delivery'],
    'The guest halts while a device posts. A blocked vCPU is woken only through the wakeup vector and pi_wakeup_handler.',
    { platform: VTD, guestHlt: 1, preemptions: 0, senders: [post('device-post')] },
  ),
  scenario(
    'block-vs-ipiv-post',
    'HLT and kvm_vcpu_block versus an IPIv post',
    ['000', '004'],
    ['vcpu-wakeup', 'pi-delivery'],
    'The guest halts while another vCPU\'s guest IPIs it through IPI virtualization.',
    { platform: IPIV, guestHlt: 1, preemptions: 0, senders: [post('ipiv-post')] },
  ),
  scenario(
    'preempt-while-blocking',
    'Preemption while blocking, versus a device post',
    ['000'],
    ['vcpu-wakeup'],
    'The vCPU may be preempted anywhere, including between prepare_to_rcuwait() and schedule(), while a device posts: the case seed 000 argues about.',
    { platform: VTD, guestHlt: 1, preemptions: 1, senders: [post('device-post')] },
  ),
  scenario(
    'preempt-while-blocking-kvm-post',
    'Preemption while blocking, versus a KVM post',
    ['000'],
    ['vcpu-wakeup'],
    'As preempt-while-blocking, with KVM software posting (which ignores SN) from another CPU while IPIv keeps the wakeup handler in use.',
    { platform: IPIV, guestHlt: 1, preemptions: 1, senders: [post('kvm-post')] },
  ),
  scenario(
    'migrate-while-blocked',
    'Migration of a blocked or preempted vCPU, versus a device post',
    ['000'],
    ['vcpu-wakeup', 'pi-delivery'],
    'Two pCPUs: the vCPU may be preempted or woken and come back on the other pCPU, while a device posts to the NDST it finds.',
    { platform: VTD, pcpus: 2, migration: true, guestHlt: 1, preemptions: 1, senders: [post('device-post')] },
  ),
  scenario(
    'fastpath-reentry',
    'Fastpath re-entry versus a device post and a KVM post',
    ['000'],
    ['pi-delivery'],
    'The guest takes a fastpath exit; KVM re-enters without enabling IRQs while a device and another CPU post.',
    { platform: VTD, vectors: 2, guestFastpath: 1, preemptions: 0, senders: [post('device-post', 0), post('kvm-post', 1)] },
  ),
  scenario(
    'apicv-inhibited',
    'APICv inhibited versus a KVM post and a device post',
    ['002'],
    ['pi-delivery', 'request-before-entry'],
    'APICv is inhibited: KVM delivers through the IRR, KVM_REQ_EVENT and a kick, while an assigned device still posts to the descriptor.',
    { guestSlowExits: 1, platform: { apicvActive: false, vtdPosting: true, ipiv: false }, vectors: 2, preemptions: 0, senders: [post('kvm-post', 0), post('device-post', 1)] },
  ),
  scenario(
    'l2-running',
    'L2 runs while a device posts to L1',
    ['002'],
    ['pi-delivery'],
    'L1 has an assigned device and runs L2 with external-interrupt exiting. A post for L1 needs a nested VM-exit; Radim\'s case in seed 002.',
    { platform: VTD, startInL2: true, preemptions: 0, senders: [post('device-post')] },
  ),
];

/**
 * Where x86-TSO matters by default: seed 002's store-buffering pairings. The vCPU stores
 * vcpu->mode and then loads what a sender wrote; the sender writes it with a locked RMW and
 * then loads vcpu->mode. Without a full barrier between the vCPU's store and its load, both
 * can miss the other's write: the vCPU-mode / PID.ON pairing (entry-vs-kvm-post) and the
 * ->requests / ->mode pairing (entry-vs-request), both ordered by the smp_mb() inside
 * srcu_read_unlock(). Any other scenario runs under TSO as `<id>-tso`, and a review does so
 * when a patch moves a full barrier.
 */
const TSO_BY_DEFAULT = ['entry-vs-kvm-post', 'entry-vs-request'];

export const PI_SCENARIOS: readonly Scenario<PiConfig>[] = [...SC_SCENARIOS, ...TSO_BY_DEFAULT.map((id) => underTso(SC_SCENARIOS.find((s) => s.id === id)!))];

/**
 * Scaled scenarios for benchmarks: `scale-S-V-C` has S KVM senders, V vectors, C vCPUs
 * (senders spread over vectors and vCPUs), with preemption, migration and halting.
 */
export function scaledScenario(id: string): Scenario<PiConfig> | undefined {
  const m = /^scale-(\d)-(\d)-(\d)$/.exec(id);
  if (!m) return undefined;
  const [senders, vectors, vcpus] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (senders < 1 || senders > 4 || vectors < 1 || vectors > 4 || vcpus < 1 || vcpus > 3) return undefined;
  const list: SenderSpec[] = [];
  for (let k = 0; k < senders; k++) list.push(post(k % 2 ? 'device-post' : 'kvm-post', k % vectors, k % vcpus));
  return {
    id,
    area: 'pi',
    title: `Scaled: ${senders} senders, ${vectors} vectors, ${vcpus} vCPUs`,
    description: 'A benchmark scenario: halting vCPUs, preemption and migration, senders of both kinds.',
    seeds: [],
    focus: ['pi-delivery', 'vcpu-wakeup'],
    scaled: true,
    config: { ...base, vcpus, pcpus: vcpus + 1, vectors, guestHlt: 1, preemptions: 1, migration: true, platform: VTD, senders: list },
  };
}
