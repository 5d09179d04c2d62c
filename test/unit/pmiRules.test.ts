/**
 * The PMI area's recognizer rules: every spelling the kernel has used maps to the same steps.
 */
import * as assert from 'node:assert/strict';
import { lex, structure } from '../../src/mapping/csource';
import { recognize } from '../../src/mapping/recognize';
import { tokenKey } from '../../src/mapping/tokens';

/** The token keys a function fragment maps to, and its unmodelled statements. */
function steps(program: string, text: string): { keys: string[]; unmodelled: string[] } {
  const lines = text.split('\n').map((t, k) => ({ text: t, line: k + 1 }));
  const indent = new Map(lines.map((l) => [l.line, /^\s*$/.test(l.text) ? undefined : (/^(\s*)/.exec(l.text)![1]!.replace(/\t/g, '        ').length)]));
  const r = recognize(structure(lex(lines)), program, new Set(), { indentOf: (line) => indent.get(line) });
  return { keys: r.tokens.map(tokenKey), unmodelled: r.unmodelled.map((u) => u.text) };
}

/** Every spelling gives the same steps, nothing unmodelled. */
function same(program: string, spellings: readonly string[], expected: readonly string[]): void {
  for (const s of spellings) {
    const r = steps(program, s);
    assert.deepEqual(r.keys, expected, s);
    assert.deepEqual(r.unmodelled, [], s);
  }
}

describe('PMI recognizer rules', () => {
  it('skipping an emulated instruction, in every kvm_x86_ops spelling', () => {
    same(
      'kvm_skip_emulated_instruction',
      [
        'r = kvm_x86_ops->skip_emulated_instruction(vcpu);',
        'r = kvm_x86_ops.skip_emulated_instruction(vcpu);',
        'r = static_call(kvm_x86_skip_emulated_instruction)(vcpu);',
        'r = KVM_X86_CALL(skip_emulated_instruction)(vcpu);',
        'r = kvm_x86_call(skip_emulated_instruction)(vcpu);',
      ],
      ['skip_emulated_instruction'],
    );
    // Its failure check reads the result, not an unknown local.
    assert.deepEqual(steps('kvm_skip_emulated_instruction', '\tif (unlikely(!r))\n\t\treturn 0;').keys, ['if !skip_emulated_instruction_ok', '{', 'return', '}']);
  });

  it('counting a retired instruction: 5.17, 6.9 and 6.18 spellings', () => {
    same(
      'kvm_skip_emulated_instruction',
      ['kvm_pmu_trigger_event(vcpu, PERF_COUNT_HW_INSTRUCTIONS);', 'kvm_pmu_trigger_event(vcpu, kvm_pmu_eventsel.INSTRUCTIONS_RETIRED);', 'kvm_pmu_instruction_retired(vcpu);'],
      ['kvm_pmu_trigger_event'],
    );
    same('x86_emulate_instruction', ['kvm_pmu_trigger_event(vcpu, PERF_COUNT_HW_BRANCH_INSTRUCTIONS);', 'kvm_pmu_branch_retired(vcpu);'], ['kvm_pmu_trigger_event_branches']);
  });

  it('the PMU\'s deliver_pmi hook, in every PMU-ops spelling, and its guard', () => {
    same(
      'kvm_pmu_deliver_pmi',
      [
        'kvm_x86_ops.pmu_ops->deliver_pmi(vcpu);',
        'kvm_pmu_ops.deliver_pmi(vcpu);',
        'static_call_cond(kvm_x86_pmu_deliver_pmi)(vcpu);',
        'static_call(kvm_x86_pmu_deliver_pmi)(vcpu);',
        'kvm_pmu_call(deliver_pmi)(vcpu);',
        'if (kvm_x86_ops.pmu_ops->deliver_pmi)\n\t\tkvm_x86_ops.pmu_ops->deliver_pmi(vcpu);',
        'if (kvm_pmu_ops.deliver_pmi)\n\t\tkvm_pmu_ops.deliver_pmi(vcpu);',
      ],
      ['pmu_ops_deliver_pmi'],
    );
  });

  it('the request handlers, in their 3.x and current names', () => {
    same('vcpu_enter_guest', ['kvm_pmu_handle_event(vcpu);', 'kvm_handle_pmu_event(vcpu);'], ['kvm_pmu_handle_event']);
    same('vcpu_enter_guest', ['kvm_pmu_deliver_pmi(vcpu);', 'kvm_deliver_pmi(vcpu);'], ['kvm_pmu_deliver_pmi']);
  });

  it('process_nmi()\'s limit, whichever way get_nmi_mask is called', () => {
    const expected = ['if get_nmi_mask || nmi_injected', '{', 'nmi_limit(1)', '}'];
    same(
      'process_nmi',
      [
        'if (kvm_x86_ops->get_nmi_mask(vcpu) || vcpu->arch.nmi_injected)\n\t\tlimit = 1;',
        'if (kvm_x86_ops.get_nmi_mask(vcpu) || vcpu->arch.nmi_injected)\n\t\tlimit = 1;',
        'if (static_call(kvm_x86_get_nmi_mask)(vcpu) || vcpu->arch.nmi_injected)\n\t\tlimit = 1;',
        'if (KVM_X86_CALL(get_nmi_mask)(vcpu) || vcpu->arch.nmi_injected)\n\t\tlimit = 1;',
        'if (KVM_X86_CALL(get_nmi_mask, vcpu) || vcpu->arch.nmi_injected)\n\t\tlimit = 1;',
        'if (kvm_x86_call(get_nmi_mask)(vcpu) || vcpu->arch.nmi_injected)\n\t\tlimit = 1;',
      ],
      expected,
    );
    same('process_nmi', ['unsigned limit = 2;', 'unsigned int limit = 2;'], ['nmi_limit(2)']);
  });

  it('the overflow callback\'s test-and-set and NMI-context test, in every spelling', () => {
    same(
      'kvm_perf_overflow',
      ['if (test_and_set_bit(pmc->idx, pmu->reprogram_pmi))\n\t\treturn;', 'if (test_and_set_bit(pmc->idx, pmc_to_pmu(pmc)->reprogram_pmi))\n\t\treturn;'],
      ['if test_and_set_bit.reprogram_pmi', '{', 'return', '}'],
    );
    same(
      '__kvm_perf_overflow',
      ['if (in_pmi && !kvm_is_in_guest())\n\t\tirq_work_queue(&pmc_to_pmu(pmc)->irq_work);', 'if (in_pmi && !kvm_handling_nmi_from_guest(pmc->vcpu))\n\t\tirq_work_queue(&pmc_to_pmu(pmc)->irq_work);'],
      ['if in_pmi && !kvm_handling_nmi_from_guest', '{', 'irq_work_queue', '}'],
    );
    same('__kvm_perf_overflow', ['kvm_make_request(KVM_REQ_PMI, pmc->vcpu);', 'kvm_make_request(KVM_REQ_PMI, vcpu);'], ['kvm_make_request(KVM_REQ_PMI)']);
  });

  it('counting an emulated event: the typo\'d and fixed reprogram helper, and emulated_counter', () => {
    same('kvm_pmu_incr_counter', ['kvm_pmu_request_counter_reprogam(pmc);', 'kvm_pmu_request_counter_reprogram(pmc);'], ['kvm_pmu_request_counter_reprogram']);
    same('kvm_pmu_incr_counter', ['pmc->emulated_counter++;', 'pmc->emulated_counter += 1;'], ['pmc_emulated_counter_incr']);
    same('kvm_pmu_incr_counter', ['pmc->prev_counter = pmc->counter;', 'pmc->prev_counter = pmc->counter & pmc_bitmask(pmc);'], ['pmc_snapshot_prev_counter']);
  });

  it('kvm_apic_local_deliver(): masking LVTPC, the accept as a statement or a return, the vendor tests', () => {
    same('kvm_apic_local_deliver', ['kvm_lapic_set_reg(apic, lvt_type, reg | APIC_LVT_MASKED);', 'kvm_lapic_set_reg(apic, APIC_LVTPC, reg | APIC_LVT_MASKED);'], ['lvtpc_set_masked']);
    assert.deepEqual(steps('kvm_apic_local_deliver', 'r = __apic_accept_irq(apic, mode, vector, 1, trig_mode, NULL);').keys, ['__apic_accept_irq']);
    assert.deepEqual(steps('kvm_apic_local_deliver', 'return __apic_accept_irq(apic, mode, vector, 1, trig_mode,\n\t\t\t\tNULL);').keys, ['__apic_accept_irq', 'return']);
    assert.deepEqual(steps('kvm_apic_local_deliver', 'if (r && lvt_type == APIC_LVTPC && guest_cpuid_is_intel_compatible(apic->vcpu))\n\tx();').keys.slice(0, 1), ['if apic_accepted && lvt_is_lvtpc && guest_cpuid_is_intel_compatible']);
    assert.deepEqual(steps('kvm_apic_local_deliver', 'if (r && lvt_type == APIC_LVTPC && !guest_cpuid_is_amd_or_hygon(apic->vcpu))\n\tx();').keys.slice(0, 1), ['if apic_accepted && lvt_is_lvtpc && !guest_cpuid_is_amd_or_hygon']);
    // `r` means the accept's result only in this function.
    assert.deepEqual(steps('vcpu_enter_guest', 'if (r)\n\treturn;').unmodelled, ['if (r) (an error path, assumed not taken)']);
  });

  it('kvm_vcpu_has_events(): its answers, and a hunk that starts inside a braceless if', () => {
    assert.deepEqual(steps('kvm_vcpu_has_events', 'if (kvm_test_request(KVM_REQ_PMI, vcpu))\n\treturn true;').keys, ['if kvm_test_request.KVM_REQ_PMI', '{', 'retval(true)', 'return', '}']);
    assert.deepEqual(steps('kvm_vcpu_has_events', 'return false;').keys, ['retval(false)', 'return']);
    // The `return true;` of a check whose head is above the hunk closes that check's block.
    assert.deepEqual(steps('kvm_vcpu_has_events', '\t\treturn true;\n#endif\n\n\tif (kvm_arch_interrupt_allowed(vcpu) &&\n\t    (kvm_cpu_has_interrupt(vcpu) ||').keys.slice(0, 3), ['retval(true)', 'return', '}']);
  });

  it('loops over counters: every head is the same unrolled step, and continue ends one counter\'s pass', () => {
    same('kvm_pmu_trigger_event', ['for_each_set_bit(i, pmu->all_valid_pmc_idx, X86_PMC_IDX_MAX) {\n\tcontinue;\n}', 'kvm_for_each_pmc(pmu, pmc, i, bitmap) {\n\tcontinue;\n}'], ['for_each_pmc', 'return']);
    same('kvm_pmu_handle_event', ['for_each_set_bit(bit, pmu->reprogram_pmi, X86_PMC_IDX_MAX) {\n\treprogram_counter(pmc);\n}'], ['for_each_reprogram_pmc', 'reprogram_counter']);
    // 6.9: the result of reprogram_counter() is tested after the call runs.
    assert.deepEqual(steps('kvm_pmu_handle_event', 'if (reprogram_counter(pmc))\n\tset_bit(pmc->idx, pmu->reprogram_pmi);').keys, ['reprogram_counter', 'if reprogram_counter_failed', '{', 'set_reprogram_pmi', '}']);
  });
});
