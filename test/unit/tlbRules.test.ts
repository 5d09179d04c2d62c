/**
 * The PV TLB flush recognizer rules: every spelling the kernel has used since v4.16 reads as the
 * same step, the renditions of each era read as that era's programs, and the area's statements
 * keep out of other areas' programs.
 */
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { lex, structure } from '../../src/mapping/csource';
import { functionHeader } from '../../src/mapping/functions';
import { recognize } from '../../src/mapping/recognize';
import { Token, rebuild } from '../../src/mapping/tokens';
import { formatProgram } from '../../src/model/program';
import { profileByVersion } from '../../src/model/profiles';

const KERNEL = path.join(__dirname, '..', '..', '..', 'test', 'fixtures', 'kernel');

function read(code: string, program: string) {
  const lines = code.split('\n').map((text, k) => ({ text, line: k + 1 }));
  const r = recognize(structure(lex(lines)), program, new Set());
  let tokens: Token[] = r.tokens;
  while (tokens.at(-1)?.t === 'return') tokens = tokens.slice(0, -1);
  return { text: formatProgram(rebuild(tokens)), unmodelled: r.unmodelled.map((u) => u.text), inert: r.inert.map((i) => i.text) };
}

/** Every spelling reads as `expected`, with nothing left unmodelled. */
function same(program: string, expected: string, spellings: readonly string[]): void {
  for (const s of spellings) {
    const r = read(s, program);
    assert.equal(r.text, expected, s);
    assert.deepEqual(r.unmodelled, [], s);
  }
}

function functionsOf(text: string): Map<string, string> {
  const out = new Map<string, string>();
  let cur: string | undefined;
  let body: string[] = [];
  for (const l of text.split('\n')) {
    const h = functionHeader(l);
    if (h && !/^\s/.test(l)) {
      cur = h;
      body = [];
    }
    if (cur) body.push(l);
    if (cur && /^\}/.test(l)) {
      out.set(cur, body.join('\n'));
      cur = undefined;
    }
  }
  return out;
}

describe('PV TLB flush recognizer rules', () => {
  it('the host\'s flush on the guest\'s behalf, in every spelling', () => {
    same('record_steal_time', 'kvm_vcpu_flush_tlb_guest', ['kvm_vcpu_flush_tlb(vcpu, false);', 'kvm_vcpu_flush_tlb(vcpu, true);', 'kvm_vcpu_flush_tlb(vcpu);', 'kvm_vcpu_flush_tlb_guest(vcpu);']);
  });

  it('the atomic exchange of the guest byte: xchg() (5.14) and the asm xchgb (5.16, both constraint forms)', () => {
    same('record_steal_time', 'st_preempted_xchg', [
      'u8 st_preempted = xchg(&st->preempted, 0);',
      'st_preempted = xchg(&st->preempted, 0);',
      'asm volatile("1: xchgb %0, %2\\n" "xor %1, %1\\n" "2:\\n" _ASM_EXTABLE_UA(1b, 2b) : "+r" (st_preempted), "+&r" (err) : "m" (st->preempted));',
      'asm volatile("1: xchgb %0, %2\\n"\n\t"xor %1, %1\\n"\n\t"2:\\n"\n\t_ASM_EXTABLE_UA(1b, 2b)\n\t: "+q" (st_preempted),\n\t  "+&r" (err),\n\t  "+m" (st->preempted));',
    ]);
    // 5.6: the xchg inside the condition.
    same('record_steal_time', 'if st_xchg_flush_tlb { kvm_vcpu_flush_tlb_guest }', ['if (xchg(&st->preempted, 0) & KVM_VCPU_FLUSH_TLB)\n\tkvm_vcpu_flush_tlb(vcpu, false);']);
    // 4.16: on the host's copy.
    same('record_steal_time', 'if host_st_xchg_flush_tlb { kvm_vcpu_flush_tlb_guest }', ['if (xchg(&vcpu->arch.st.steal.preempted, 0) & KVM_VCPU_FLUSH_TLB)\n\tkvm_vcpu_flush_tlb(vcpu, false);']);
  });

  it('a plain read and a plain clear of the guest byte are two steps, however spelled', () => {
    same('record_steal_time', 'st_preempted_read', ['unsafe_get_user(st_preempted, &st->preempted, out);', 'st_preempted = READ_ONCE(st->preempted);', 'u8 st_preempted = READ_ONCE(st->preempted);']);
    same('record_steal_time', 'st_preempted_clear', ['st->preempted = 0;', 'unsafe_put_user(0, &st->preempted, out);', 'WRITE_ONCE(st->preempted, 0);']);
  });

  it('the host\'s record of the mark: vcpu->arch.st.steal.preempted (≤5.5) and vcpu->arch.st.preempted', () => {
    same('kvm_steal_time_set_preempted', 'host_st_preempted_set', ['vcpu->arch.st.steal.preempted = KVM_VCPU_PREEMPTED;', 'vcpu->arch.st.preempted = KVM_VCPU_PREEMPTED;']);
    same('kvm_steal_time_set_preempted', 'if host_st_preempted { return }', ['if (vcpu->arch.st.steal.preempted)\n\treturn;', 'if (vcpu->arch.st.preempted)\n\treturn;']);
    same('kvm_steal_time_set_preempted', 'st_preempted_set_both', ['st->preempted = vcpu->arch.st.preempted = KVM_VCPU_PREEMPTED;', 'st->preempted = vcpu->arch.st.steal.preempted = KVM_VCPU_PREEMPTED;']);
    same('record_steal_time', 'host_st_preempted_clear', ['vcpu->arch.st.preempted = 0;', 'vcpu->arch.st.steal.preempted = 0;']);
  });

  it('kvm_arch_vcpu_put: the vendor put and the directed-yield bookkeeping are not steps, in every spelling', () => {
    same('kvm_arch_vcpu_put', '', [
      'kvm_x86_ops->vcpu_put(vcpu);',
      'kvm_x86_ops.vcpu_put(vcpu);',
      'static_call(kvm_x86_vcpu_put)(vcpu);',
      'kvm_x86_call(vcpu_put)(vcpu);',
      'vcpu->arch.preempted_in_kernel = !kvm_x86_ops->get_cpl(vcpu);',
      'vcpu->arch.preempted_in_kernel = !static_call(kvm_x86_get_cpl)(vcpu);',
      'vcpu->arch.preempted_in_kernel = vcpu->arch.guest_state_protected || !kvm_x86_call(get_cpl_no_cache)(vcpu);',
    ]);
    // 4.16 and 5.12 (a Xen guest's branch first, never taken here) shapes of the call.
    same('kvm_arch_vcpu_put', 'kvm_steal_time_set_preempted', ['kvm_steal_time_set_preempted(vcpu);']);
    const xen = read('if (kvm_xen_msr_enabled(vcpu->kvm))\n\tkvm_xen_runstate_set_preempted(vcpu);\nelse\n\tkvm_steal_time_set_preempted(vcpu);', 'kvm_arch_vcpu_put');
    assert.equal(xen.text, 'kvm_steal_time_set_preempted');
    assert.deepEqual(xen.unmodelled, ['kvm_xen_runstate_set_preempted(vcpu)'], 'the Xen runstate update is not modelled, so a change to it is not called safe');
  });

  it('the guest: both entry points, all three mask spellings, the SHOULD_FLUSH and FLUSH_TLB names of the flag', () => {
    same('kvm_flush_tlb_others', 'native_flush_tlb_others', ['struct cpumask *flushmask = this_cpu_cpumask_var_ptr(__pv_tlb_mask);\nnative_flush_tlb_others(flushmask, info);']);
    same('kvm_flush_tlb_multi', 'native_flush_tlb_multi', [
      'struct cpumask *flushmask = this_cpu_cpumask_var_ptr(__pv_cpu_mask);\nnative_flush_tlb_multi(flushmask, info);',
      'guard(preempt)();\nflushmask = this_cpu_cpumask_var_ptr(__pv_cpu_mask);\nnative_flush_tlb_multi(flushmask, info);',
    ]);
    // The allocation-failure fallback (a native flush of the whole mask) is not taken.
    assert.equal(read('if (unlikely(!flushmask)) {\n\tnative_flush_tlb_multi(cpumask, info);\n\treturn;\n}\nnative_flush_tlb_multi(flushmask, info);', 'kvm_flush_tlb_multi').text, 'native_flush_tlb_multi');
    same('kvm_flush_tlb_multi', 'if try_cmpxchg.or_FLUSH_TLB { __cpumask_clear_cpu }', [
      'if (try_cmpxchg(&src->preempted, &state, state | KVM_VCPU_FLUSH_TLB))\n\t__cpumask_clear_cpu(cpu, flushmask);',
      'if (try_cmpxchg(&src->preempted, &state, state | KVM_VCPU_SHOULD_FLUSH))\n\t__cpumask_clear_cpu(cpu, flushmask);',
    ]);
    // The expected value passed by value, or the classic cmpxchg() == state: never refreshed.
    same('kvm_flush_tlb_multi', 'if try_cmpxchg_by_value.or_IPI_PENDING { break }', [
      'if (try_cmpxchg(&src->preempted, state, state | KVM_VCPU_IPI_PENDING))\n\tbreak;',
      'if (cmpxchg(&src->preempted, state, state | KVM_VCPU_IPI_PENDING) == state)\n\tbreak;',
    ]);
  });

  it('for_each_cpu is a loop over the mask, and a do-while on try_cmpxchg() retries until it succeeds', () => {
    same('kvm_flush_tlb_multi', 'for_each_cpu(flushmask), loop { if !cpumask_next.flushmask { break }, read_preempted }', [
      'for_each_cpu(cpu, flushmask) {\n\tsrc = &per_cpu(steal_time, cpu);\n\tstate = READ_ONCE(src->preempted);\n}',
    ]);
    same('kvm_flush_tlb_ipi', 'loop { if try_cmpxchg.clear_IPI_PENDING { break } }', ['do {\n} while (!try_cmpxchg(&src->preempted, &state, state & ~KVM_VCPU_IPI_PENDING));']);
    same('kvm_steal_time_vmexit', 'loop { if !state_ipi_pending { break }, if try_cmpxchg_by_value.move_IPI_PENDING { break } }', [
      'do {\n\tif (!(state & KVM_VCPU_IPI_PENDING))\n\t\tbreak;\n} while (!try_cmpxchg(&st->preempted, state, (state & ~KVM_VCPU_IPI_PENDING) | KVM_VCPU_SHOULD_FLUSH));',
      'do {\n\tif (!(state & KVM_VCPU_IPI_PENDING))\n\t\tbreak;\n} while (!try_cmpxchg(&src->preempted, state, (state & ~KVM_VCPU_IPI_PENDING) | KVM_VCPU_FLUSH_TLB));',
    ]);
  });

  it('the area\'s statements and atoms keep out of other areas\' programs', () => {
    // vcpu_enter_guest's KVM_REQ_TLB_FLUSH handler is not the steal-time flush.
    assert.deepEqual(read('kvm_vcpu_flush_tlb(vcpu);', 'vcpu_enter_guest').unmodelled, ['kvm_vcpu_flush_tlb(vcpu)']);
    // `err` is an unknown condition there, not the steal-time access fault.
    assert.deepEqual(read('if (err)\n\treturn;', 'vcpu_enter_guest').unmodelled, ['if (err) (an error path, assumed not taken)']);
    assert.equal(read('if (err)\n\treturn;', 'record_steal_time').text, '');
    // The calls shared programs make are read everywhere.
    assert.equal(read('kvm_steal_time_vmexit(vcpu);', 'vcpu_enter_guest').text, 'kvm_steal_time_vmexit');
    assert.equal(read('vcpu->arch.at_instruction_boundary = false;', 'vcpu_run').text, 'clear_at_instruction_boundary');
  });

  describe('the renditions read as their era\'s programs', () => {
    const cases: [string, string][] = [
      ['kvm-guest-4.16.c', '4.16'],
      ['kvm-guest-upstream.c', 'upstream'],
      ['x86-steal-4.16.c', '4.16'],
      ['x86-steal-upstream.c', 'upstream'],
    ];
    for (const [file, version] of cases) {
      it(`${file} under ${version}`, () => {
        const profile = profileByVersion(version);
        const fns = functionsOf(readFileSync(path.join(KERNEL, file), 'utf8'));
        let checked = 0;
        for (const [name, body] of fns) {
          const p = profile.programs[name];
          if (!p) continue;
          assert.equal(read(body, name).text, formatProgram(p), `${file}: ${name}`);
          checked++;
        }
        assert.ok(checked >= 1, file);
      });
    }
  });
});
