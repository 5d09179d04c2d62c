/**
 * The IPIv recognizer rules (src/mapping/rules/ipiv.ts): every spelling the kernel has used
 * since the feature was posted reads as the same step, the renditions of each modelled function
 * read back as their profile's program, and the mapping's structural pieces the area needs
 * (switch cases as programs, return values, scope guards, calls of functions a profile lacks).
 */
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { lex } from '../../src/mapping/csource';
import { applyEdits, mapHunk } from '../../src/mapping/map';
import { readCondition } from '../../src/mapping/recognize';
import { Token, rebuild } from '../../src/mapping/tokens';
import { formatProgram } from '../../src/model/program';
import { profileByVersion } from '../../src/model/profiles';
import { Hunk, PatchLine } from '../../src/patch';

const KERNEL = path.join(__dirname, '..', '..', '..', 'test', 'fixtures', 'kernel');

function hunkOf(lines: readonly PatchLine[], section = ''): Hunk {
  return {
    index: 0,
    file: 'x.c',
    oldFile: 'x.c',
    newFile: 'x.c',
    header: '@@',
    section,
    oldStart: 1,
    oldLines: lines.filter((l) => l.kind !== '+').length,
    newStart: 1,
    newLines: lines.filter((l) => l.kind !== '-').length,
    headerLine: 1,
    startLine: 1,
    endLine: lines.length + 1,
    lines: [...lines],
    truncated: false,
    quoteDepth: 0,
    repairs: [],
  };
}

/** A whole text, added: every function it holds, as the program its lines read as. */
function readAs(text: string, profile = '5.19'): Record<string, string> {
  const lines = text.split('\n').map((t, i): PatchLine => ({ kind: '+', text: t, line: i + 2 }));
  const m = mapHunk(hunkOf(lines), profileByVersion(profile).programs);
  const out: Record<string, string> = {};
  for (const e of m.edits) out[e.program] = formatProgram(rebuild(tidy(e.patched)));
  return out;
}

/** Drops the closing braces of the function itself and the trailing `return`. */
function tidy(tokens: readonly Token[]): Token[] {
  const out: Token[] = [];
  let depth = 0;
  for (const t of tokens) {
    if (t.t === 'open') depth++;
    if (t.t === 'close') {
      if (depth === 0) continue;
      depth--;
    }
    out.push(t);
  }
  while (out.at(-1)?.t === 'return') out.pop();
  return out;
}

function fn(header: string, body: string): string {
  return `${header}\n{\n${body.replace(/^/gm, '\t')}\n}`;
}

/** Every variant reads as the same program, and the first as `want` when given. */
function sameProgram(program: string, variants: readonly string[], want?: string): void {
  const read = variants.map((v) => readAs(v)[program]);
  for (let k = 0; k < read.length; k++) assert.equal(read[k], read[0], `variant ${k}:\n${variants[k]}`);
  if (want !== undefined) assert.equal(read[0], want);
}

describe('IPIv recognizer rules', () => {
  describe('each spelling reads as the same step', () => {
    it('the vendor pre-create hook: static_call, static_call_cond, kvm_x86_ops, kvm_x86_call; as a statement and as a returned value', () => {
      const h = 'int kvm_arch_vcpu_precreate(struct kvm *kvm, unsigned int id)';
      sameProgram(
        'kvm_arch_vcpu_precreate',
        [
          fn(h, 'return static_call(kvm_x86_vcpu_precreate)(kvm);'),
          fn(h, 'return kvm_x86_call(vcpu_precreate)(kvm);'),
          fn(h, 'return static_call_cond(kvm_x86_vcpu_precreate)(kvm);'),
          fn(h, 'return kvm_x86_ops.vcpu_precreate(kvm);'),
          fn(h, 'int r;\n\nr = kvm_x86_call(vcpu_precreate)(kvm);\nreturn r;'),
        ],
        'vmx_vcpu_precreate',
      );
      // v8 9/9 named the hook alloc_ipiv_pid_table and tested for it first.
      assert.equal(readAs(fn(h, 'int ret = 0;\n\nif (kvm_x86_ops.alloc_ipiv_pid_table)\n\tret = static_call(kvm_x86_alloc_ipiv_pid_table)(kvm);\nreturn ret;'))['kvm_arch_vcpu_precreate'], 'vmx_alloc_ipiv_pid_table');
    });

    it('vCPU create and free hooks in x86.c', () => {
      const c = 'int kvm_arch_vcpu_create(struct kvm_vcpu *vcpu)';
      sameProgram('kvm_arch_vcpu_create', [
        fn(c, 'r = static_call(kvm_x86_vcpu_create)(vcpu);\nif (r)\n\treturn r;'),
        fn(c, 'r = kvm_x86_call(vcpu_create)(vcpu);\nif (r)\n\treturn r;'),
        fn(c, 'r = kvm_x86_ops.vcpu_create(vcpu);\nif (r)\n\treturn r;'),
        fn(c, 'r = kvm_x86_ops->vcpu_create(vcpu);\nif (r)\n\treturn r;'),
      ]);
      const d = 'void kvm_arch_vcpu_destroy(struct kvm_vcpu *vcpu)';
      sameProgram('kvm_arch_vcpu_destroy', [fn(d, 'static_call(kvm_x86_vcpu_free)(vcpu);'), fn(d, 'kvm_x86_call(vcpu_free)(vcpu);'), fn(d, 'kvm_x86_ops.vcpu_free(vcpu);')], 'vmx_vcpu_free');
    });

    it('max_vcpu_id (v7) and max_vcpu_ids, wherever the code reaches them from', () => {
      const h = 'int kvm_arch_vcpu_create(struct kvm_vcpu *vcpu)';
      sameProgram(
        'kvm_arch_vcpu_create',
        [
          fn(h, 'if (vcpu->vcpu_id >= vcpu->kvm->arch.max_vcpu_id)\n\treturn -E2BIG;'),
          fn(h, 'if (vcpu->vcpu_id >= vcpu->kvm->arch.max_vcpu_ids)\n\treturn -EINVAL;'),
        ],
        'if id_ge_max_vcpu_ids { set_r(error), return }',
      );
      const v = 'int kvm_arch_init_vm(struct kvm *kvm, unsigned long type)';
      sameProgram('kvm_arch_init_vm', [fn(v, 'kvm->arch.max_vcpu_id = KVM_MAX_VCPU_IDS;'), fn(v, 'kvm->arch.max_vcpu_ids = KVM_MAX_VCPU_IDS;')], 'set_max_vcpu_ids(KVM_MAX_VCPU_IDS)');
    });

    it('the table: allocation sized by helper or inline, GFP_KERNEL or _ACCOUNT; the entry through kvm_vmx or to_kvm_vmx(), pi_desc or vt.pi_desc', () => {
      const a = 'static int vmx_alloc_ipiv_pid_table(struct kvm *kvm)';
      const body = (alloc: string) => `if (kvm_vmx->pid_table)\n\treturn 0;\n\n${alloc}\nif (!pages)\n\treturn -ENOMEM;\n\nkvm_vmx->pid_table = (void *)page_address(pages);\nreturn 0;`;
      sameProgram(
        'vmx_alloc_ipiv_pid_table',
        [
          fn(a, body('pages = alloc_pages(GFP_KERNEL | __GFP_ZERO, vmx_get_pid_table_order(kvm));')),
          fn(a, body('pages = alloc_pages(GFP_KERNEL_ACCOUNT | __GFP_ZERO,\n\t\t    vmx_get_pid_table_order(kvm));')),
          fn(a, body('pages = alloc_pages(GFP_KERNEL | __GFP_ZERO, vmx_get_pid_table_order(kvm_vmx));')),
          fn(a, body('pages = alloc_pages(GFP_KERNEL | __GFP_ZERO,\n\t\tget_order(kvm_vmx->kvm.arch.max_vcpu_id * sizeof(u64)));')),
        ],
        'if pid_table_allocated { set_r(0), return }, alloc_pid_table_pages, publish_pid_table, set_r(0)',
      );
      const c = 'int vmx_vcpu_create(struct kvm_vcpu *vcpu)';
      sameProgram(
        'vmx_vcpu_create',
        [
          fn(c, 'if (vmx_can_use_ipiv(vcpu))\n\tWRITE_ONCE(to_kvm_vmx(vcpu->kvm)->pid_table[vcpu->vcpu_id],\n\t\t   __pa(&vmx->pi_desc) | PID_TABLE_ENTRY_VALID);'),
          fn(c, 'if (vmx_can_use_ipiv(vcpu))\n\tWRITE_ONCE(to_kvm_vmx(vcpu->kvm)->pid_table[vcpu->vcpu_id],\n\t\t   __pa(&vmx->vt.pi_desc) | PID_TABLE_ENTRY_VALID);'),
          fn(c, 'if (vmx_can_use_ipiv(vcpu->kvm))\n\tWRITE_ONCE(kvm_vmx->pid_table[vcpu->vcpu_id],\n\t\t__pa(&vmx->pi_desc) | PID_TABLE_ENTRY_VALID);'),
        ],
        'if vmx_can_use_ipiv { write_pid_table_entry }',
      );
    });

    it('kvm->lock: mutex_lock/unlock, through vcpu->kvm, guard(mutex) and scoped_guard(mutex, ...)', () => {
      const h = 'static int kvm_vm_ioctl_create_vcpu(struct kvm *kvm, unsigned long id)';
      const want = 'mutex_lock(kvm_lock), created_vcpus_inc, mutex_unlock(kvm_lock)';
      sameProgram(
        'kvm_vm_ioctl_create_vcpu',
        [
          fn(h, 'mutex_lock(&kvm->lock);\nkvm->created_vcpus++;\nmutex_unlock(&kvm->lock);'),
          fn(h, 'mutex_lock(&vcpu->kvm->lock);\n++kvm->created_vcpus;\nmutex_unlock(&vcpu->kvm->lock);'),
          fn(h, 'scoped_guard(mutex, &kvm->lock) {\n\tkvm->created_vcpus++;\n}'),
          fn(h, 'scoped_guard(mutex, &kvm->lock)\n\tkvm->created_vcpus++;'),
          fn(h, 'guard(mutex)(&kvm->lock);\nkvm->created_vcpus++;'),
        ],
        want,
      );
    });

    it('a guard is released on every path out of its scope, and only once', () => {
      const h = 'static int kvm_vm_ioctl_create_vcpu(struct kvm *kvm, unsigned long id)';
      const guarded = readAs(fn(h, 'guard(mutex)(&kvm->lock);\nif (kvm->created_vcpus >= kvm->max_vcpus)\n\treturn -EINVAL;\nkvm->created_vcpus++;\nreturn 0;'))['kvm_vm_ioctl_create_vcpu'];
      const explicit = readAs(fn(h, 'mutex_lock(&kvm->lock);\nif (kvm->created_vcpus >= kvm->max_vcpus) {\n\tmutex_unlock(&kvm->lock);\n\treturn -EINVAL;\n}\nkvm->created_vcpus++;\nmutex_unlock(&kvm->lock);\nreturn 0;'))['kvm_vm_ioctl_create_vcpu'];
      assert.equal(guarded, 'mutex_lock(kvm_lock), if created_vcpus_at_max { set_r(error), mutex_unlock(kvm_lock), return }, created_vcpus_inc, set_r(0), mutex_unlock(kvm_lock)');
      // Same steps; the error code is computed before the unlock in one, after it in the other.
      const withoutResult = (p: string) => p.replace(/set_r\(\w+\), /g, '').replace(/, set_r\(\w+\)/g, '');
      assert.equal(withoutResult(guarded!), withoutResult(explicit!));
      assert.equal(withoutResult(guarded!), 'mutex_lock(kvm_lock), if created_vcpus_at_max { mutex_unlock(kvm_lock), return }, created_vcpus_inc, mutex_unlock(kvm_lock)');
    });

    it('if (r), return -E..., r = -E... are the area\'s only inside its own programs', () => {
      const toks = (s: string) => lex([{ text: s, line: 1 }]);
      assert.deepEqual(readCondition(toks('r'), 'kvm_vm_ioctl_create_vcpu'), { kind: 'cond', cond: { k: 'atom', name: 'r' } });
      assert.equal(readCondition(toks('r'), 'vcpu_enter_guest').kind, 'unknown');
      assert.equal(readCondition(toks('kvm->arch.max_vcpu_ids'), 'vmx_vcpu_pi_put').kind, 'unknown');
    });
  });

  describe('the renditions read back as their profiles\' programs', () => {
    const cases: [string, string][] = [
      ['kvm_main-5.19.c', '5.19'],
      ['x86-ipiv-5.19.c', '5.19'],
      ['vmx-ipiv-5.19.c', '5.19'],
      ['kvm_main-upstream.c', 'upstream'],
      ['x86-ipiv-upstream.c', 'upstream'],
      ['vmx-ipiv-upstream.c', 'upstream'],
    ];
    for (const [file, profile] of cases) {
      it(`${file} under ${profile}`, () => {
        const read = readAs(readFileSync(path.join(KERNEL, file), 'utf8'), profile);
        assert.ok(Object.keys(read).length > 0);
        for (const [program, text] of Object.entries(read)) {
          let want = formatProgram(profileByVersion(profile).programs[program]!);
          // Labels the profile keeps for other kernels' gotos (6.13's kvm_put_xa_erase, say).
          for (const l of want.match(/label \w+/g) ?? []) if (!text.includes(l)) want = want.replace(`${l}, `, '');
          assert.equal(text, want, program);
        }
      });
    }
  });

  describe('switch cases, calls and teardown hooks', () => {
    const x86 = readFileSync(path.join(KERNEL, 'x86-ipiv-upstream.c'), 'utf8').split('\n');
    const hunkAt = (from: string, count: number, edit: (l: PatchLine) => PatchLine = (l) => l): Hunk => {
      const start = x86.findIndex((l) => l.includes(from));
      const lines = x86.slice(start, start + count).map((t, i): PatchLine => edit({ kind: ' ', text: t, line: i + 2 }));
      return hunkOf(lines, 'int kvm_vm_ioctl_enable_cap(struct kvm *kvm,');
    };

    it('a hunk inside KVM_CAP_MAX_VCPU_ID that does not show the label is that case\'s program; break returns', () => {
      const h = hunkAt('if (kvm->arch.bsp_vcpu_id > cap->args[0])', 12, (l) => (l.text.includes('else if (!kvm->arch.max_vcpu_ids)') ? { ...l, kind: '+', text: l.text.replace('!kvm->arch.max_vcpu_ids', '!kvm->created_vcpus') } : l));
      // Remove the replaced line's old version too.
      const old = x86.find((l) => l.includes('else if (!kvm->arch.max_vcpu_ids)'))!;
      h.lines.splice(h.lines.findIndex((l) => l.kind === '+'), 0, { kind: '-', text: old, line: 1 });
      const m = mapHunk(h, profileByVersion('upstream').programs);
      assert.equal(m.status, 'modelled');
      // Lines up to its break are the case's; the next label (shown, unchanged) starts another case.
      assert.deepEqual(m.functions, ['kvm_vm_ioctl_enable_cap.KVM_CAP_MAX_VCPU_ID']);
      assert.match(h.lines.at(-1)!.text, /case KVM_CAP_X86_NOTIFY_VMEXIT:/);
      assert.deepEqual(m.changes.map((c) => c.summary), ['if !max_vcpu_ids_set removed', 'if !created_vcpus added before set_max_vcpu_ids(arg)']);
      // Its break leaves the case: a return of the program.
      const tail = m.edits[0]!.patched.filter((t) => t.t === 'return' || t.t === 'break');
      assert.ok(tail.length > 0 && tail.every((t) => t.t === 'return'));
    });

    it('another case of the same switch is reported as such, not modelled', () => {
      const h = hunkAt('case KVM_CAP_X86_NOTIFY_VMEXIT:', 6, (l) => (l.text.includes('has_notify_vmexit') ? { ...l, kind: '+' } : l));
      const m = mapHunk(h, profileByVersion('upstream').programs);
      assert.equal(m.status, 'not-modelled');
      assert.match(m.reason!, /case KVM_CAP_X86_NOTIFY_VMEXIT of kvm_vm_ioctl_enable_cap\(\) in x\.c is not in the model/);
    });

    it('a call of a function the profile has no program for (v7\'s vmx_alloc_pid_table) is reported, not run', () => {
      const text = fn('static int vmx_create_vcpu(struct kvm_vcpu *vcpu)', 'if (vmx_can_use_ipiv(vcpu->kvm)) {\n\tmutex_lock(&vcpu->kvm->lock);\n\terr = vmx_alloc_pid_table(kvm_vmx);\n\tmutex_unlock(&vcpu->kvm->lock);\n}\nreturn 0;');
      const lines = text.split('\n').map((t, i): PatchLine => ({ kind: '+', text: t, line: i + 2 }));
      const m = mapHunk(hunkOf(lines), profileByVersion('5.19').programs);
      assert.equal(m.status, 'not-modelled');
      assert.match(m.reason!, /vmx_create_vcpu\(\) in x\.c: `vmx_alloc_pid_table\(\)` \(line \d+\): a call of a function this kernel's model does not have/);
      assert.equal(m.edits.length, 0);
    });

    it('v7\'s function names map to today\'s programs', () => {
      const read = readAs(fn('static void vmx_free_vcpu(struct kvm_vcpu *vcpu)', 'WRITE_ONCE(kvm_vmx->pid_table[vcpu->vcpu_id], 0);'));
      assert.deepEqual(read, { vmx_vcpu_free: 'clear_pid_table_entry' });
    });

    it('a hunk that adds the first modelled statement to a program with none (vmx_vcpu_free) places it', () => {
      const programs = profileByVersion('upstream').programs;
      assert.equal(formatProgram(programs['vmx_vcpu_free']!), '');
      const lines: PatchLine[] = [
        { kind: ' ', text: '\tfree_loaded_vmcs(vmx->loaded_vmcs);', line: 2 },
        { kind: ' ', text: '\tvmx_destroy_ve(vmx);', line: 3 },
        { kind: '+', text: '', line: 4 },
        { kind: '+', text: '\tif (vmx_can_use_ipiv(vcpu))', line: 5 },
        { kind: '+', text: '\t\tWRITE_ONCE(to_kvm_vmx(vcpu->kvm)->pid_table[vcpu->vcpu_id], 0);', line: 6 },
        { kind: ' ', text: '}', line: 7 },
      ];
      const m = mapHunk(hunkOf(lines, 'void vmx_vcpu_free(struct kvm_vcpu *vcpu)'), programs);
      assert.equal(m.status, 'modelled');
      assert.equal(formatProgram(applyEdits(programs, m.edits, 'patched').programs['vmx_vcpu_free']!), 'if vmx_can_use_ipiv { clear_pid_table_entry }');
      assert.equal(formatProgram(applyEdits(programs, m.edits, 'base').programs['vmx_vcpu_free']!), '');
    });
  });
});
