/**
 * Seed 001: "[PATCH 1/2] KVM: x86: Synthesize at most one PMI per VM-exit" and "[PATCH 2/2]
 * KVM: x86: Mask LVTPC when handling a PMI" (Jim Mattson), with the change they fix
 * (9cd803d496e7, KVM counts the instructions it emulates) and the AMD follow-up (49ff3b4aec51).
 *
 * Verdicts come from exploring the PMI scenarios; the fixtures go through the real pipeline
 * (patch text -> mapping -> exploration).
 */
import * as assert from 'node:assert/strict';
import { parseProgram, formatProgram } from '../../src/model/program';
import { profileByVersion } from '../../src/model/profiles';
import { scenarioById } from '../../src/model/scenarios';
import { SimulationResult, simulate } from '../../src/model/simulate';
import { Scenario } from '../../src/model/area';
import { PmiConfig } from '../../src/model/pmi/model';
import { readPatches } from '../../src/patch';
import { Finding, Review, reviewPatchSet } from '../../src/review/review';
import { fixture, mbox, render } from '../fixtures/fixtures';
import { PMI_SERIES } from '../fixtures/specs/pmi';
import { opsOf, programs, property, verdicts } from './helpers';

const SCENARIOS = ['pmi-emulated-exit', 'pmi-emulated-exit-amd', 'pmi-in-handler', 'pmi-halted'] as const;

function sim(scenario: string | Scenario, profile: string, overrides: Record<string, string> = {}): SimulationResult {
  return simulate(typeof scenario === 'string' ? scenarioById(scenario) : scenario, profileByVersion(profile), programs(overrides));
}

/** A PMI scenario with its configuration changed. */
function tweak(id: string, change: (c: PmiConfig) => PmiConfig): Scenario<PmiConfig> {
  const s = scenarioById(id) as Scenario<PmiConfig>;
  return { ...s, config: change(s.config) };
}

/** The violated properties of each scenario, as `property@scenario`. */
function violations(profile: string): string[] {
  return SCENARIOS.flatMap((s) =>
    sim(s, profile)
      .properties.filter((p) => p.status === 'violated')
      .map((p) => `${p.property}@${s}`),
  );
}

function review(text: string, profile?: string): Review {
  return reviewPatchSet(readPatches(text), profile ? { profile } : {});
}

/** `verdict:property@scenario` of every finding of patch `n`, also-in scenarios included. */
function findings(r: Review, n = 0): string[] {
  return r.patches[n]!.findings.flatMap((f) => [f.scenario, ...f.alsoIn].map((s) => `${f.verdict}:${f.property}@${s}`)).sort();
}

function finding(r: Review, verdict: string, prop: string, n = 0): Finding {
  const f = r.patches[n]!.findings.find((x) => x.verdict === verdict && x.property === prop);
  assert.ok(f, `no ${verdict} ${prop} finding`);
  return f;
}

/** Asserts that `needles` occur in `hay` in this order. */
function inOrder(hay: readonly string[], needles: readonly string[]): void {
  let at = 0;
  for (const n of needles) {
    const k = hay.indexOf(n, at);
    assert.ok(k >= 0, `${n} not found after position ${at} in ${hay.join(' | ')}`);
    at = k + 1;
  }
}

describe('seed 001: at most one PMI per VM-exit, and LVTPC masking', () => {
  describe('the model, kernel by kernel', () => {
    it('5.15: before KVM counted emulated instructions, only the late-ack handler race (a second PMI before the unmask)', () => {
      assert.deepEqual(violations('5.15'), ['pmi-single@pmi-in-handler']);
    });

    it('5.17 and 6.5: two PMIs in one VM-exit (irq_work and KVM_REQ_PMI), and a halted vCPU that sleeps with its PMI', () => {
      for (const p of ['5.17', '6.5']) {
        assert.deepEqual(violations(p), ['pmi-single@pmi-emulated-exit', 'pmi-single@pmi-emulated-exit-amd', 'pmi-single@pmi-in-handler', 'pmi-single@pmi-halted', 'vcpu-wakeup@pmi-halted'], p);
      }
    });

    it('6.6: both fixes hold pmi-single everywhere, but masking LVTPC for an AMD guest stops its PMIs', () => {
      assert.deepEqual(violations('6.6'), ['pmi-delivery@pmi-emulated-exit-amd', 'vcpu-wakeup@pmi-halted']);
    });

    it('6.9 and upstream: masking only Intel-compatible guests; what remains is the HLT counted by its own emulation', () => {
      for (const p of ['6.9', 'upstream']) assert.deepEqual(violations(p), ['vcpu-wakeup@pmi-halted'], p);
    });

    it('every scenario explores exhaustively in well under a second', () => {
      for (const p of ['5.15', '6.5', '6.17']) {
        for (const s of SCENARIOS) {
          const r = sim(s, p);
          assert.ok(r.stats.complete, `${s}@${p}`);
          assert.ok(r.stats.states < 5000, `${s}@${p}: ${r.stats.states} states`);
        }
      }
    });
  });

  describe('shortest counterexamples', () => {
    it('pmi-single, per exit (6.5): the PMI skids past the WRMSR exit into irq_work, which delivers it; the emulated WRMSR overflows the other counter and KVM_REQ_PMI delivers again', () => {
      const p = property(sim('pmi-emulated-exit', '6.5'), 'pmi-single');
      const trace = p.trace!;
      const ops = opsOf(p);
      inOrder(ops, [
        'guest:wrmsr',
        'perf:perf_event_nmi_handler',
        '__kvm_perf_overflow:irq_work_queue',
        'irq_work:irq_work_run',
        '__apic_accept_irq[APIC_DM_NMI]:apic_accept_nmi',
        'kvm_pmu_incr_counter:pmc_counter_incr',
        'kvm_pmu_incr_counter:kvm_pmu_request_counter_reprogram',
        'reprogram_counter:if pmc_counter_below_prev_counter',
        '__kvm_perf_overflow:kvm_make_request',
        'vcpu_enter_guest:kvm_check_request.KVM_REQ_PMI',
        '__apic_accept_irq[APIC_DM_NMI]:apic_accept_nmi',
      ]);
      const accepts = trace.steps.filter((s) => s.origin?.op === 'apic_accept_nmi');
      assert.deepEqual(
        accepts.map((s) => s.actor),
        ['irq_work', 'vCPU0 thread'],
      );
      // No VM-entry between the two: one exit, two PMIs, each an NMI for the guest.
      const first = trace.steps.indexOf(accepts[0]!);
      assert.equal(trace.steps.slice(first).some((s) => s.origin?.op === 'vm_entry'), false);
      assert.equal(trace.states.at(-1)!['ghost.pmis_since_vm_exit'], 2);
    });

    it('pmi-single, late ack (5.15): a PMI is accepted while the guest\'s handler has not unmasked LVTPC yet, and is latched behind the first NMI', () => {
      const p = property(sim('pmi-in-handler', '5.15'), 'pmi-single');
      const last = p.trace!.states.at(-1)!;
      assert.equal(last['guest.nmi_handler'], 'in handler');
      assert.equal(last['LVTPC.mask'], 0, 'KVM never masked LVTPC');
      assert.equal(last['ghost.pmis_since_lvtpc_unmask'], 2);
      inOrder(opsOf(p), ['vmx_vcpu_run:vm_entry', 'guest:wrmsr', 'irq_work:irq_work_run', '__apic_accept_irq[APIC_DM_NMI]:apic_accept_nmi']);
    });

    it('pmi-delivery (6.6, AMD guest): KVM masks LVTPC on delivery and the PerfMonV2 handler never unmasks it', () => {
      const p = property(sim('pmi-emulated-exit-amd', '6.6'), 'pmi-delivery');
      const ops = opsOf(p);
      inOrder(ops, ['kvm_apic_local_deliver:lvtpc_set_masked', 'vmx_vcpu_run:vm_entry']);
      const last = p.trace!.states.at(-1)!;
      assert.equal(last['LVTPC.mask'], 1);
      assert.equal(last['vCPU0.non_root'], 1);
      assert.equal(last['guest.nmi_handler'], 'in handler');
      assert.equal(ops.includes('guest:unmask_lvtpc'), false);
    });

    it('vcpu-wakeup (5.17): the HLT KVM emulates overflows a counter into KVM_REQ_PMI, which kvm_vcpu_has_events() does not check', () => {
      const p = property(sim('pmi-halted', '5.17'), 'vcpu-wakeup');
      inOrder(opsOf(p), ['guest:hlt', 'kvm_pmu_incr_counter:pmc_counter_incr', '__kvm_perf_overflow:kvm_make_request', 'kvm_emulate_halt_noskip:set_mp_state', 'kvm_vcpu_block:schedule']);
      const last = p.trace!.states.at(-1)!;
      assert.equal(last['vCPU0.on_rq'], 0);
      assert.equal(last['vCPU0.requests.KVM_REQ_PMI'], 1);
    });

    it('vcpu-wakeup (6.6 and today): since 6.2 the overflow waits in KVM_REQ_PMU for kvm_pmu_handle_event(), which a halted vCPU never runs', () => {
      for (const prof of ['6.6', '6.17']) {
        const p = property(sim('pmi-halted', prof), 'vcpu-wakeup');
        const last = p.trace!.states.at(-1)!;
        assert.equal(last['vCPU0.on_rq'], 0, prof);
        assert.equal(last['vCPU0.requests.KVM_REQ_PMI'], 0, prof);
        assert.equal(last['vCPU0.requests.KVM_REQ_PMU'], 1, prof);
        assert.equal(last['pmc1.overflow_unreported'], 1, prof);
        assert.ok(opsOf(p).includes('kvm_vcpu_has_events:if kvm_test_request.KVM_REQ_PMI'), `${prof}: the KVM_REQ_PMI check runs, and finds nothing`);
      }
    });
  });

  describe('what each part of the fixes does, in the model', () => {
    const skidOnly = tweak('pmi-halted', (c) => ({ ...c, platform: { ...c.platform, counters: c.platform.counters.map((k) => ({ ...k, emulated: false })) } }));

    it('a PMI that skids past the HLT exit: irq_work woke the vCPU up to 6.5; from 6.6 kvm_vcpu_has_events() sees KVM_REQ_PMI', () => {
      assert.equal(verdicts(sim(skidOnly, '6.5'))['vcpu-wakeup'], 'holds');
      assert.equal(verdicts(sim(skidOnly, '6.6'))['vcpu-wakeup'], 'holds');
      // Without the KVM_REQ_PMI check, dropping the irq_work leaves the vCPU asleep.
      const noCheck = formatProgram(profileByVersion('6.5').programs['kvm_vcpu_has_events']!);
      const r = sim(skidOnly, '6.6', { kvm_vcpu_has_events: noCheck });
      assert.equal(verdicts(r)['vcpu-wakeup'], 'violated');
      assert.equal(property(r, 'vcpu-wakeup').trace!.states.at(-1)!['vCPU0.requests.KVM_REQ_PMI'], 1);
    });

    it('the KVM_REQ_PMI check would have fixed the emulated HLT in 5.17, where the overflow raised KVM_REQ_PMI at once', () => {
      const check = formatProgram(profileByVersion('6.6').programs['kvm_vcpu_has_events']!);
      assert.equal(verdicts(sim('pmi-halted', '5.17'))['vcpu-wakeup'], 'violated');
      assert.equal(verdicts(sim('pmi-halted', '5.17', { kvm_vcpu_has_events: check }))['vcpu-wakeup'], 'holds');
    });

    it('masking before or after the accept is the same in the model: __apic_accept_irq() always accepts an NMI', () => {
      const before = 'kvm_lapic_get_reg, if kvm_apic_hw_enabled && !reg_masked { if lvt_is_lvtpc { lvtpc_set_masked }, __apic_accept_irq, return }, return';
      const after = formatProgram(profileByVersion('6.6').programs['kvm_apic_local_deliver']!);
      for (const s of SCENARIOS) assert.deepEqual(verdicts(sim(s, '6.5', { kvm_apic_local_deliver: before })), verdicts(sim(s, '6.5', { kvm_apic_local_deliver: after })), s);
    });

    it('fad505b2cb83 (6.7, PMI requests before NMI requests): the NMI a PMI queues is injected on the same entry, no cancelled entries', () => {
      for (const s of SCENARIOS) {
        // Before it, each accepted PMI cost one cancelled entry (one, on an AMD guest whose LVTPC stays masked).
        const before = sim(s, '6.6').counters!;
        assert.equal(before['cancelledEntries'], before['pmisAccepted'], s);
        assert.ok(before['cancelledEntries']! > 0, s);
        assert.equal(sim(s, '6.7').counters?.['cancelledEntries'], 0, s);
        assert.deepEqual(verdicts(sim(s, '6.7')), verdicts(sim(s, '6.6')), s);
      }
    });

    it('process_nmi() keeps one NMI in service and one latched: a third PMI in the handler is dropped, not queued', () => {
      // With no masking and overflows inside the handler, at most one NMI ever waits behind the
      // one in service (nmi_pending <= 1 whenever the handler runs).
      const r = sim('pmi-in-handler', '6.5');
      assert.equal(verdicts(r)['pmi-single'], 'violated');
      const p = parseProgram(formatProgram(profileByVersion('6.5').programs['process_nmi']!));
      assert.ok(formatProgram(p).includes('nmi_pending_clamp'));
    });
  });

  describe('the fixtures, through the pipeline', () => {
    it('9cd803d496e7 alone, on the 5.15 code plus the refactor it builds on: introduces two PMIs per exit and a halted vCPU left asleep', () => {
      const r = review(mbox(PMI_SERIES['series-5.15-count-emulated-instructions.mbox']!.map(fixture)), '5.15');
      // The refactor changes no verdict: the late-ack race was there before.
      assert.deepEqual(findings(r, 0), ['still-violated:pmi-single@pmi-in-handler']);
      assert.deepEqual(findings(r, 1), [
        'introduced:pmi-single@pmi-emulated-exit',
        'introduced:pmi-single@pmi-emulated-exit-amd',
        'introduced:pmi-single@pmi-halted',
        'introduced:vcpu-wakeup@pmi-halted',
        'still-violated:pmi-single@pmi-in-handler',
      ]);
      const hunks = r.patches[1]!.hunks;
      assert.deepEqual(
        hunks.map((h) => `${h.function}:${h.status}`),
        ['kvm_pmu_incr_counter:modelled', 'kvm_skip_emulated_instruction:modelled', 'x86_emulate_instruction:not-modelled'],
      );
      // The shortest counterexample runs through the added kvm_pmu_incr_counter(), located on its
      // + lines, and through the irq_work's delivery.
      const f = finding(r, 'introduced', 'pmi-single', 1);
      const text = mbox(PMI_SERIES['series-5.15-count-emulated-instructions.mbox']!.map(fixture)).split('\n');
      const incr = f.counterexample.find((s) => s.program === 'kvm_pmu_incr_counter' && s.op === 'pmc_counter_incr');
      assert.ok(incr?.line, 'the emulated increment is a step of the added function');
      assert.match(text[incr.line - 1]!, /^\+\s*pmc->counter = \(pmc->counter \+ 1\)/);
      assert.ok(f.counterexample.some((s) => s.actor === 'irq_work'));
      assert.ok(f.lines.length > 0);
    });

    it('fix 1 alone (6.5): one PMI per exit; the late-ack race and the emulated HLT remain', () => {
      for (const fmt of ['format-patch', 'mail-reply', 'unified'] as const) {
        // Plain diffs carry no date, so the profile is given; the mails' Date: picks 6.5 too.
        const r = review(render(fixture('6.5-one-pmi-per-exit'), fmt), fmt === 'unified' ? '6.5' : undefined);
        assert.equal(r.profile, '6.5', fmt);
        assert.deepEqual(
          findings(r),
          ['fixed:pmi-single@pmi-emulated-exit', 'fixed:pmi-single@pmi-emulated-exit-amd', 'fixed:pmi-single@pmi-halted', 'still-violated:pmi-single@pmi-in-handler', 'still-violated:vcpu-wakeup@pmi-halted'],
          fmt,
        );
        assert.deepEqual(
          r.patches[0]!.hunks.map((h) => `${h.function}:${h.status}`),
          ['kvm_pmi_trigger_fn:modelled', '__kvm_perf_overflow:modelled', 'kvm_pmu_reset:not-modelled', 'kvm_pmu_init:not-modelled', 'kvm_vcpu_has_events:modelled'],
          fmt,
        );
      }
      const f = finding(review(render(fixture('6.5-one-pmi-per-exit'), 'format-patch')), 'fixed', 'pmi-single');
      // The baseline's trace is shown for a fix: the irq_work delivery the patch removes.
      assert.ok(f.counterexample.some((s) => s.actor === 'irq_work'));
    });

    it('fix 2 alone (6.5, mask for every vendor): fixes every two-PMI case, introduces a masked LVTPC on AMD guests', () => {
      for (const fmt of ['format-patch', 'mail-reply-crlf', 'git-diff'] as const) {
        const r = review(render(fixture('6.5-mask-lvtpc'), fmt), fmt === 'git-diff' ? '6.5' : undefined);
        assert.equal(r.profile, '6.5', fmt);
        assert.deepEqual(
          findings(r),
          [
            'fixed:pmi-single@pmi-emulated-exit',
            'fixed:pmi-single@pmi-emulated-exit-amd',
            'fixed:pmi-single@pmi-halted',
            'fixed:pmi-single@pmi-in-handler',
            'introduced:pmi-delivery@pmi-emulated-exit-amd',
            'still-violated:vcpu-wakeup@pmi-halted',
          ],
          fmt,
        );
      }
      const f = finding(review(render(fixture('6.5-mask-lvtpc'), 'format-patch')), 'introduced', 'pmi-delivery');
      assert.ok(f.counterexample.some((s) => s.step === 'LVTPC |= APIC_LVT_MASKED' && s.line !== undefined), 'the masking step is located on its + line');
      assert.match(f.message, /every later PMI is dropped/);
    });

    it('both fixes (the series): the second completes pmi-single, and introduces the AMD masking problem', () => {
      const r = review(mbox(PMI_SERIES['series-6.5-both-pmi-fixes.mbox']!.map(fixture)));
      assert.deepEqual(findings(r, 1), ['fixed:pmi-single@pmi-in-handler', 'introduced:pmi-delivery@pmi-emulated-exit-amd', 'still-violated:vcpu-wakeup@pmi-halted']);
    });

    it('masking for every vendor versus only Intel-compatible guests (6.5, without fix 1)', () => {
      const all = findings(review(render(fixture('6.5-mask-lvtpc'), 'format-patch')));
      const intel = findings(review(render(fixture('6.5-mask-lvtpc-intel-only'), 'format-patch')));
      assert.ok(all.includes('introduced:pmi-delivery@pmi-emulated-exit-amd'));
      assert.ok(!intel.some((x) => x.includes('pmi-delivery')));
      // Without the mask, an AMD guest still gets two PMIs per exit until fix 1.
      assert.ok(all.includes('fixed:pmi-single@pmi-emulated-exit-amd'));
      assert.ok(intel.includes('still-violated:pmi-single@pmi-emulated-exit-amd'));
      assert.ok(intel.includes('fixed:pmi-single@pmi-emulated-exit'));
    });

    it('49ff3b4aec51 (dated April 2024, so the 6.7 profile with both fixes): fixes pmi-delivery for AMD guests, introduces nothing', () => {
      const r = review(render(fixture('6.7-lvtpc-amd-no-mask'), 'format-patch'));
      assert.equal(r.profile, '6.7');
      assert.deepEqual(findings(r), ['fixed:pmi-delivery@pmi-emulated-exit-amd', 'still-violated:vcpu-wakeup@pmi-halted']);
    });
  });
});
