/**
 * Recognises the statements and conditions the model knows, in every spelling the kernel has
 * used since the feature appeared, and turns a function fragment into program tokens.
 *
 * Each C statement is one of:
 * - a model step (`local_irq_disable();` -> `local_irq_disable`);
 * - inert: no effect the model could observe (declarations, WARN, tracing, statistics, locks
 *   and IRQ save/restore inside the scheduler hooks, which the model runs atomically);
 * - unmodelled: real behaviour the model does not cover. A hunk that changes one is reported
 *   as such, never as safe.
 */
import { isModelledRequest } from '../model/areas';
import { Cond } from '../model/program';
import { CToken, Item, compact } from './csource';
import { AREA_RULES, RuleSet, StmtRule } from './rules';
import { Token } from './tokens';

export type StmtClass = { readonly kind: 'steps'; readonly tokens: readonly Token[] } | { readonly kind: 'inert'; readonly why: string } | { readonly kind: 'unmodelled' };

// ------------------------------------------------------------------ statements

/** `kvm_x86_ops->x(`, `kvm_x86_ops.x(`, `static_call(kvm_x86_x)(`, `static_call_cond(...)`, `kvm_x86_call(x)(`, `KVM_X86_CALL(x)(`. */
const X86_OP = /(?:kvm_x86_ops(?:->|\.)(\w+)|static_call(?:_cond)?\(kvm_x86_(\w+)\)|kvm_x86_call\((\w+)\)|KVM_X86_CALL\((\w+)\))\(/;

function x86Op(text: string): string | undefined {
  const m = X86_OP.exec(text);
  return m ? (m[1] ?? m[2] ?? m[3] ?? m[4]) : undefined;
}

/** The descriptor, however a kernel spelled it. */
const PID = String.raw`(?:pi_desc|&(?:vmx|vt)->pi_desc|&to_(?:vmx|vt)\(vcpu\)->pi_desc|vcpu_to_pi_desc\(vcpu\)|&vmx->pi_desc)`;

/** Programs whose code runs in the scheduler's sched-out/sched-in hooks, with IRQs off. */
export const HOOK_PROGRAMS = new Set(['vmx_vcpu_pi_load', 'vmx_vcpu_pi_put', 'pi_enable_wakeup_handler', 'vmx_pre_block', 'vmx_post_block']);

const op = (name: string, args: string[] = [], line?: number): Token => ({ t: 'op', op: name, args, ...(line !== undefined ? { line } : {}) });

/** The area rule sets that read `program`'s code: those scoped to it, and the unscoped ones. */
function rulesFor(program: string): readonly RuleSet[] {
  return AREA_RULES.filter((r) => !r.owns || r.owns(program));
}


const STMT_RULES: readonly StmtRule[] = [
  { re: /^local_irq_(disable|enable)\(\)$/, make: (m) => `local_irq_${m[1]}` },
  { re: /^preempt_(disable|enable)\(\)$/, make: (m) => `preempt_${m[1]}` },
  {
    re: /^(?:vcpu->mode=|smp_store_release\(&vcpu->mode,|WRITE_ONCE\(vcpu->mode,)(IN_GUEST_MODE|OUTSIDE_GUEST_MODE|EXITING_GUEST_MODE)\)?$/,
    make: (m) => ['set_mode', [m[1]!]],
  },
  { re: /^(?:srcu_read_unlock\(&vcpu->kvm->srcu,vcpu->srcu_idx\)|kvm_vcpu_srcu_read_unlock\(vcpu\))$/, make: () => 'srcu_read_unlock' },
  { re: /^(?:vcpu->srcu_idx=srcu_read_lock\(&vcpu->kvm->srcu\)|kvm_vcpu_srcu_read_lock\(vcpu\))$/, make: () => 'srcu_read_lock' },
  // The barrier primitives (model/barriers.ts), each its own step.
  { re: /^(smp_mb__after_srcu_read_unlock|smp_mb__after_srcu_read_lock|smp_mb__after_atomic|smp_mb__before_atomic|smp_mb|smp_wmb|smp_rmb|mb|barrier)\(\)$/, make: (m) => m[1]! },

  { re: /^kvm_make_request\((KVM_REQ_EVENT|KVM_REQ_TLB_FLUSH),vcpu\)$/, make: (m) => ['kvm_make_request', [m[1]!]] },
  { re: /^kvm_vcpu_(kick|wake_up)\(vcpu\)$/, make: (m) => `kvm_vcpu_${m[1]}` },
  { re: new RegExp(`^(?:r=)?pi_test_and_set_on\\(${PID}\\)$`), make: () => 'pi_test_and_set_on' },
  { re: new RegExp(`^pi_(set|clear)_(sn|on)\\(${PID}\\)$`), make: (m) => `pi_${m[1]}_${m[2]}` },
  { re: /^(?:\w+=)?kvm_apic_update_irr\(vcpu,[^)]*pir[^)]*\)$/, make: () => 'kvm_apic_update_irr' },
  { re: /^got_posted_interrupt=false$/, make: () => 'clear_got_posted_interrupt' },
  // Request handlers other areas follow (see areas.ts AREA_OPS).
  { re: /^(record_steal_time|process_nmi|kvm_pmu_handle_event|kvm_pmu_deliver_pmi)\(vcpu\)$/, make: (m) => m[1]! },
  { re: /^(?:r=)?kvm_check_and_inject_events\(vcpu,&req_immediate_exit\)$/, make: () => 'kvm_check_and_inject_events' },
  // Inside a cmpxchg loop whose head the hunk does not show: one field of the update.
  { re: /^(?:new\.sn=(0|1)|__pi_(clear|set)_sn\(&new\))$/, make: (m) => ['__pid_field', [`sn=${m[1] ?? (m[2] === 'clear' ? '0' : '1')}`]] },
  { re: /^new\.sn=!kvm_vcpu_is_blocking\(vcpu\)$/, make: () => ['__pid_field', ['sn=not_blocking']] },
  { re: /^new\.nv=(POSTED_INTR_VECTOR|POSTED_INTR_WAKEUP_VECTOR)$/, make: (m) => ['__pid_field', [`nv=${m[1] === 'POSTED_INTR_VECTOR' ? 'POSTED' : 'WAKEUP'}`]] },
  { re: /^new\.ndst=/, make: (_m, program) => ['__pid_field', [`ndst=${program === 'vmx_pre_block' ? 'pre_pcpu' : program === 'vmx_post_block' ? 'vcpu_cpu' : 'cpu'}`]] },
  { re: /^vmx_set_rvi\(max_irr\)$/, make: () => 'vmx_set_rvi' },
  { re: /^vmx_hwapic_irr_update\(vcpu,max_irr\)$/, make: () => 'vmx_hwapic_irr_update' },
  { re: /^(?:apic->send_IPI_self|__apic_send_IPI_self)\((POSTED_INTR_WAKEUP_VECTOR|POSTED_INTR_VECTOR)\)$/, make: (m) => ['send_IPI_self', [m[1] === 'POSTED_INTR_VECTOR' ? 'POSTED' : 'WAKEUP']] },
  { re: /^(?:apic->send_IPI_mask|__apic_send_IPI_mask)\(get_cpu_mask\(vcpu->cpu\),(?:POSTED_INTR_VECTOR|pi_vec)\)$/, make: () => 'send_posted_intr_ipi' },
  { re: /^kvm_vcpu_trigger_posted_interrupt\(vcpu(?:,\w+)?\)$/, make: () => 'kvm_vcpu_trigger_posted_interrupt' },
  { re: /^(?:return )?__vmx_deliver_posted_interrupt\(vcpu,[^)]*\)$/, make: () => '__vmx_deliver_posted_interrupt' },
  {
    re: /^list_add_tail\(&\w+->(?:pi_wakeup_list|blocked_vcpu_list),&per_cpu\(\w+,vcpu->(cpu|pre_pcpu)\)\)$/,
    make: (m) => (m[1] === 'pre_pcpu' ? ['wakeup_list_add', ['pre_pcpu']] : 'wakeup_list_add'),
  },
  {
    re: /^list_del\(&\w+->(?:pi_wakeup_list|blocked_vcpu_list)\)$/,
    make: (_m, program) => ['wakeup_list_del', [program === 'vmx_vcpu_pi_load' ? 'vcpu_cpu' : 'pre_pcpu']],
  },
  { re: /^vcpu->pre_pcpu=vcpu->cpu$/, make: () => 'set_pre_pcpu' },
  { re: /^set_current_state\(TASK_INTERRUPTIBLE\)$/, make: () => 'set_current_state' },
  { re: /^(prepare_to_rcuwait|finish_rcuwait)\(\w+\)$/, make: (m) => m[1]! },
  { re: /^(prepare_to_swait|finish_swait)\([^)]*\)$/, make: (m) => m[1]! },
  { re: /^schedule\(\)$/, make: () => 'schedule' },
  { re: /^(kvm_arch_vcpu_blocking|kvm_arch_vcpu_unblocking|kvm_vcpu_halt|kvm_vcpu_block|pi_enable_wakeup_handler|vmx_vcpu_pi_put|vmx_vcpu_pi_load)\(vcpu(?:,cpu)?\)$/, make: (m) => m[1]! },
  { re: /^(?:vcpu->arch\.mp_state=|kvm_set_mp_state\(vcpu,)KVM_MP_STATE_(RUNNABLE|HALTED)\)?$/, make: (m) => ['set_mp_state', [m[1]!]] },
];

/** Statements with no effect the model could observe. */
const INERT: readonly [RegExp, string][] = [
  [
    /^(?:(?:const|static) )*(?:struct \w+|union \w+|unsigned long|unsigned int|unsigned|signed|int|bool|u8|u16|u32|u64|long|raw_spinlock_t|spinlock_t|fastpath_t|gpa_t)\s*\**\s*\w+(?:\[\w*\])?(?:,\**\w+)*(?:=.*)?$/,
    'a declaration',
  ],
  [/^(?:WARN|WARN_ON|WARN_ON_ONCE|BUG_ON|KVM_BUG_ON|lockdep_assert\w*)\(/, 'an assertion'],
  [/^trace_\w+\(/, 'tracing'],
  [/^(?:\+\+|--)?vcpu->stat\./, 'statistics'],
  [/^(?:dest=|new\.control=old\.control|old\.control=)/, 'a local copy of the descriptor'],
  [/^(?:r|ret|exit_fastpath|run_flags)=[\w|]+$/, 'a return value or flag the model follows through its control flow'],
];

/** Inert only in the scheduler hooks, whose steps the model runs atomically with IRQs off. */
const INERT_IN_HOOKS: readonly [RegExp, string][] = [
  [/^(?:raw_)?spin_(?:lock|unlock)(?:_irqsave|_irqrestore|_nested)?\(/, 'a wakeup-list lock: each list update is one atomic step in the model'],
  [/^spin_(?:acquire|release)\(/, 'lockdep annotation'],
  [/^local_irq_(?:save|restore)\(flags\)$/, 'IRQ save/restore in a hook that already runs with IRQs off'],
  [/^vcpu->pre_pcpu=-1$/, 'bookkeeping of the list membership'],
];

function classifyStmt(text: string, program: string, line: number): StmtClass {
  for (const rule of [...STMT_RULES, ...rulesFor(program).flatMap((r) => r.statements)]) {
    const m = rule.re.exec(text);
    if (!m) continue;
    const made = rule.make(m, program);
    if (made === null) continue;
    const [name, args] = typeof made === 'string' ? [made, []] : made;
    return { kind: 'steps', tokens: [op(name, args, line)] };
  }
  // Other areas' inert statements come first: some of them call a kvm_x86_ops hook (a counter
  // lookup, an LBR freeze, `kvm_x86_ops->vcpu_put(vcpu)` in kvm_arch_vcpu_put) that is not a
  // step of any model.
  for (const [re, why] of rulesFor(program).flatMap((r) => r.inert ?? [])) if (re.test(text)) return { kind: 'inert', why };
  // kvm_x86_ops hooks, in all their spellings.
  const hook = x86Op(text);
  if (hook) {
    const byHook: Record<string, string> = {
      sync_pir_to_irr: 'sync_pir_to_irr',
      run: 'vmx_vcpu_run',
      vcpu_run: 'vmx_vcpu_run',
      handle_external_intr: 'handle_exit_irqoff',
      handle_exit_irqoff: 'handle_exit_irqoff',
      handle_exit: 'handle_exit',
      post_block: 'vmx_post_block',
    };
    if (hook === 'hwapic_irr_update' && /kvm_lapic_find_highest_irr\(vcpu\)/.test(text)) return { kind: 'steps', tokens: [op('hwapic_irr_update', [], line)] };
    const name = byHook[hook];
    if (name) return { kind: 'steps', tokens: [op(name, [], line)] };
    return { kind: 'unmodelled' };
  }
  for (const [re, why] of INERT) if (re.test(text)) return { kind: 'inert', why };
  if (HOOK_PROGRAMS.has(program)) for (const [re, why] of INERT_IN_HOOKS) if (re.test(text)) return { kind: 'inert', why };
  return { kind: 'unmodelled' };
}

/**
 * `guard(mutex)(&l)` and `scoped_guard(mutex, &l)`: the lock and unlock steps of
 * `mutex_lock(&l)` / `mutex_unlock(&l)` when the model follows that lock, else undefined.
 */
function guardOf(text: string, program: string, line: number): { lock: Token[]; unlock: Token[]; scoped: boolean } | undefined {
  // `scoped_guard(mutex, &l) stmt;` without braces reads as one statement: the lock spans it.
  const single = /^scoped_guard\(mutex,(&[\w.>-]+)\)(.+)$/.exec(text);
  const m = single ?? /^guard\(mutex\)\((.+)\)$/.exec(text) ?? /^scoped_guard\(mutex,(.+)\)$/.exec(text);
  if (!m) return undefined;
  const lock = classifyStmt(`mutex_lock(${m[1]})`, program, line);
  const unlock = classifyStmt(`mutex_unlock(${m[1]})`, program, line);
  if (lock.kind !== 'steps' || unlock.kind !== 'steps') return undefined;
  if (single) {
    const inner = classifyStmt(single[2]!, program, line);
    if (inner.kind === 'unmodelled') return undefined;
    return { lock: [...lock.tokens, ...(inner.kind === 'steps' ? inner.tokens : []), ...unlock.tokens], unlock: [], scoped: false };
  }
  return { lock: [...lock.tokens], unlock: [...unlock.tokens], scoped: text.startsWith('scoped_guard') };
}

// ------------------------------------------------------------------ conditions

type CExpr = { k: 'const'; v: boolean } | { k: 'atom'; name: string } | { k: 'unknown'; text: string } | { k: 'not'; e: CExpr } | { k: 'and' | 'or'; es: CExpr[] };

/** Condition atoms, by the compact C text of the operand. */
const ATOMS: readonly [RegExp, string | boolean][] = [
  [/^kvm_lapic_enabled\(vcpu\)$/, 'kvm_lapic_enabled'],
  [/^(?:vcpu->arch\.apicv_active|kvm_vcpu_apicv_active\(vcpu\)|(?:vcpu->arch\.)?apic->apicv_active)$/, 'kvm_vcpu_apicv_active'],
  [/^kvm_x86_ops(?:->|\.)sync_pir_to_irr$/, true],
  [/^is_guest_mode\(vcpu\)$/, 'is_guest_mode'],
  [/^kvm_vcpu_exit_request\(vcpu\)$/, 'kvm_vcpu_exit_request'],
  [/^vcpu->mode==EXITING_GUEST_MODE$/, 'mode_exiting'],
  [/^(?:vcpu->requests|kvm_request_pending\(vcpu\))$/, 'requests_pending'],
  [/^(?:req_int_win|kvm_xen_has_interrupt\(vcpu\))$/, false],
  [/^(?:need_resched\(\)|signal_pending\(current\)|xfer_to_guest_mode_work_pending\(\)|__xfer_to_guest_mode_work_pending\(\))$/, false],
  [/^exit_fastpath!=EXIT_FASTPATH_REENTER_GUEST$/, '!fastpath_reenter'],
  [/^exit_fastpath==EXIT_FASTPATH_REENTER_GUEST$/, 'fastpath_reenter'],
  [/^kvm_vcpu_running\(vcpu\)$/, 'kvm_vcpu_running'],
  [/^kvm_arch_vcpu_runnable\(vcpu\)$/, 'kvm_arch_vcpu_runnable'],
  [/^kvm_vcpu_check_block\(vcpu\)<0$/, 'kvm_vcpu_check_block'],
  [/^pi_test_on\(&new\)$/, 'on_seen'],
  [new RegExp(`^pi_test_on\\(${PID}\\)(?:==1)?$`), 'pi_test_on'],
  [new RegExp(`^pi_test_sn\\(${PID}\\)$`), 'pi_test_sn'],
  [new RegExp(`^pi_is_pir_empty\\(${PID}\\)$`), '!pir_nonempty'],
  [new RegExp(`^pi_test_and_clear_sn\\(${PID}\\)$`), 'pi_test_and_clear_sn'],
  [new RegExp(`^pi_test_and_clear_on\\(${PID}\\)$`), 'pi_test_and_clear_on'],
  [new RegExp(`^pi_test_and_set_on\\(${PID}\\)$`), 'pi_test_and_set_on'],
  [new RegExp(`^pi_test_and_set_pir\\(vector,${PID}\\)$`), 'pi_test_and_set_pir'],
  [/^pi_desc->nv==POSTED_INTR_WAKEUP_VECTOR$/, 'nv_is_wakeup'],
  [/^pi_desc->nv!=POSTED_INTR_WAKEUP_VECTOR$/, '!nv_is_wakeup'],
  [/^vcpu->cpu==cpu$/, 'same_cpu'],
  [/^vcpu->cpu!=cpu$/, '!same_cpu'],
  [/^(?:vcpu->preempted|READ_ONCE\(vcpu->preempted\))$/, 'preempted'],
  [/^kvm_vcpu_is_blocking\(vcpu\)$/, 'kvm_vcpu_is_blocking'],
  [/^vmx_interrupt_blocked\(vcpu\)$/, 'vmx_interrupt_blocked'],
  [/^vmx_needs_pi_wakeup\(vcpu\)$/, 'vmx_needs_pi_wakeup'],
  [/^(?:vmx_can_use_vtd_pi\(vcpu->kvm\)|kvm_arch_has_assigned_device\(vcpu->kvm\))$/, 'vmx_can_use_vtd_pi'],
  [/^(?:irq_remapping_cap\(IRQ_POSTING_CAP\)|enable_apicv|lapic_in_kernel\(vcpu\)|irqchip_in_kernel\(vcpu->kvm\))$/, true],
  [/^(?:is_td_vcpu\(vcpu\)|tdx_interrupt_allowed\(vcpu\))$/, false],
  [/^vcpu->mode==IN_GUEST_MODE$/, 'mode_in_guest'],
  [/^vcpu!=kvm_get_running_vcpu\(\)$/, true],
  [/^(?:got_posted_interrupt|max_irr_updated)$/, 'got_posted_interrupt'],
  [/^kvm_vcpu_wake_up\(vcpu\)$/, 'kvm_vcpu_wake_up'],
  [/^kvm_arch_vcpu_should_kick\(vcpu\)$/, 'kvm_arch_vcpu_should_kick'],
];

function atomOf(text: string, program: string): CExpr {
  // kvm_check_request(REQ, vcpu) / kvm_test_request(REQ, vcpu), for requests some area follows.
  const req = /^kvm_(check|test)_request\((KVM_REQ_\w+),vcpu\)$/.exec(text);
  if (req && isModelledRequest(req[2]!)) return { k: 'atom', name: `kvm_${req[1]}_request.${req[2]}` };
  const rules = rulesFor(program);
  if (program) {
    for (const r of rules) {
      const v = r.programAtoms?.(text, program);
      if (v === undefined) continue;
      if (typeof v === 'boolean') return { k: 'const', v };
      return v.startsWith('!') ? { k: 'not', e: { k: 'atom', name: v.slice(1) } } : { k: 'atom', name: v };
    }
  }
  const atoms: readonly (readonly [RegExp, string | boolean, ((program: string) => boolean)?])[] = [...ATOMS, ...rules.flatMap((r) => r.atoms)];
  for (const [re, v, where] of atoms) {
    // Some atoms exist only in some programs.
    if (where && (!program || !where(program))) continue;
    if (!re.test(text)) continue;
    if (typeof v === 'boolean') return { k: 'const', v };
    return v.startsWith('!') ? { k: 'not', e: { k: 'atom', name: v.slice(1) } } : { k: 'atom', name: v };
  }
  return { k: 'unknown', text };
}

/**
 * Deeper nesting of `!`, parentheses, `likely()` and `unlikely()` in one condition than kernel
 * code has: such a condition is read as one the model does not know, instead of recursing
 * without bound (46,407 `!` in a row overflowed the stack: fuzz seed 23, case 68300).
 */
export const MAX_CONDITION_NESTING = 64;

const TOO_DEEP = Symbol('condition nested too deep');

function parseCExpr(tokens: readonly CToken[], program: string): CExpr {
  let i = 0;
  const peek = () => tokens[i]?.text;
  const or = (nest: number): CExpr => {
    const es = [and(nest)];
    while (peek() === '||') {
      i++;
      es.push(and(nest));
    }
    return es.length === 1 ? es[0]! : { k: 'or', es };
  };
  const and = (nest: number): CExpr => {
    const es = [unary(nest)];
    while (peek() === '&&') {
      i++;
      es.push(unary(nest));
    }
    return es.length === 1 ? es[0]! : { k: 'and', es };
  };
  const unary = (nest: number): CExpr => {
    if (nest > MAX_CONDITION_NESTING) throw TOO_DEEP;
    if (peek() === '!') {
      i++;
      return { k: 'not', e: unary(nest + 1) };
    }
    // likely(x) / unlikely(x) / (x) as a whole operand.
    const wrapped = (peek() === 'likely' || peek() === 'unlikely') && tokens[i + 1]?.text === '(' ? 1 : peek() === '(' ? 0 : -1;
    if (wrapped >= 0) {
      const save = i;
      i += wrapped + 1;
      const inner = or(nest + 1);
      if (peek() === ')') {
        i++;
        if (peek() === undefined || peek() === '&&' || peek() === '||' || peek() === ')') return inner;
      }
      i = save;
    }
    // A plain operand: tokens up to && or || at depth 0.
    const start = i;
    let depth = 0;
    while (i < tokens.length) {
      const x = tokens[i]!.text;
      if (x === '(') depth++;
      else if (x === ')') {
        if (depth === 0) break;
        depth--;
      } else if (depth === 0 && (x === '&&' || x === '||')) break;
      i++;
    }
    return atomOf(compact(tokens.slice(start, i)), program);
  };
  const e = or(0);
  return i < tokens.length ? { k: 'unknown', text: compact(tokens) } : e;
}

function simplify(e: CExpr): CExpr {
  switch (e.k) {
    case 'not': {
      const x = simplify(e.e);
      if (x.k === 'const') return { k: 'const', v: !x.v };
      if (x.k === 'not') return x.e;
      return { k: 'not', e: x };
    }
    case 'and':
    case 'or': {
      const unit = e.k === 'and';
      const es: CExpr[] = [];
      for (const x of e.es.map(simplify)) {
        if (x.k === 'const') {
          if (x.v !== unit) return { k: 'const', v: !unit };
          continue;
        }
        es.push(x);
      }
      if (es.length === 0) return { k: 'const', v: unit };
      if (es.length === 1) return es[0]!;
      // The classic inline exit check: EXITING_GUEST_MODE or a pending request.
      if (!unit && es.some((x) => x.k === 'atom' && x.name === 'mode_exiting') && es.some((x) => x.k === 'atom' && x.name === 'requests_pending')) {
        const rest = es.filter((x) => !(x.k === 'atom' && (x.name === 'mode_exiting' || x.name === 'requests_pending')));
        return rest.length ? { k: 'or', es: [{ k: 'atom', name: 'kvm_vcpu_exit_request' }, ...rest] } : { k: 'atom', name: 'kvm_vcpu_exit_request' };
      }
      return { k: e.k, es };
    }
    default:
      return e;
  }
}

function renameAtom(e: CExpr, from: string, to: string): CExpr {
  switch (e.k) {
    case 'atom':
      return e.name === from ? { k: 'atom', name: to } : e;
    case 'not':
      return { k: 'not', e: renameAtom(e.e, from, to) };
    case 'and':
    case 'or':
      return { k: e.k, es: e.es.map((x) => renameAtom(x, from, to)) };
    default:
      return e;
  }
}

function unknownsIn(e: CExpr): string[] {
  switch (e.k) {
    case 'unknown':
      return [e.text];
    case 'atom':
      return e.name === 'mode_exiting' ? ['vcpu->mode == EXITING_GUEST_MODE'] : [];
    case 'not':
      return unknownsIn(e.e);
    case 'and':
    case 'or':
      return e.es.flatMap(unknownsIn);
    default:
      return [];
  }
}

function toCond(e: CExpr): Cond {
  switch (e.k) {
    case 'atom':
      return { k: 'atom', name: e.name };
    case 'not':
      return { k: 'not', c: toCond(e.e) };
    case 'and':
    case 'or':
      return { k: e.k, cs: e.es.map(toCond) };
    default:
      throw new Error('toCond on a constant or unknown');
  }
}

/** A condition as the model sees it: a Cond, a constant, or the text it could not read. */
export type CondResult =
  | { readonly kind: 'cond'; readonly cond: Cond }
  | { readonly kind: 'const'; readonly value: boolean }
  /** `why`, when the condition was not read at all. */
  | { readonly kind: 'unknown'; readonly parts: readonly string[]; readonly why?: string };

/**
 * `program` scopes the atoms of areas that own their programs (see RuleSet.owns) and lets area
 * rules read operands that mean something only in that function (some atoms exist only in
 * some programs).
 */
export function readCondition(tokens: readonly CToken[], program = ''): CondResult {
  let parsed: CExpr;
  try {
    parsed = parseCExpr(tokens, program);
  } catch (x) {
    if (x !== TOO_DEEP) throw x;
    return { kind: 'unknown', parts: [], why: `a condition nested more than ${MAX_CONDITION_NESTING} deep, which no kernel condition is; not read` };
  }
  const e = renameAtom(simplify(parsed), 'requests_pending', 'kvm_request_pending');
  if (e.k === 'const') return { kind: 'const', value: e.v };
  const unknown = unknownsIn(e);
  if (unknown.length) return { kind: 'unknown', parts: unknown };
  return { kind: 'cond', cond: toCond(e) };
}

// ------------------------------------------------------------------ fragments to tokens

export interface Recognized {
  readonly tokens: Token[];
  /** Statements with real behaviour the model does not cover. */
  readonly unmodelled: { readonly line: number; readonly text: string }[];
  /** Statements that cannot change what the model observes, and why. */
  readonly inert: { readonly line: number; readonly text: string; readonly why: string }[];
  /**
   * Constructs whose meaning the model cannot decide (a condition it does not know, guarding
   * modelled steps; a call of a function the profile has no program for), with why when it is
   * not the first.
   */
  readonly blocked: { readonly line: number; readonly text: string; readonly why?: string }[];
}

/** The descriptor update a `do { ... } while (cmpxchg/pi_try_set_control)` loop performs. */
function cmpxchgLoop(body: readonly Item[], program: string, line: number): Token[] | undefined {
  const args: string[] = [];
  let abortIfOn = false;
  let keepWakeup = false;
  for (const it of body) {
    if (it.k === 'if') {
      const c = compact(it.cond);
      if (/^pi_desc->nv!=POSTED_INTR_WAKEUP_VECTOR$/.test(c)) keepWakeup = true;
      if (new RegExp(`^pi_test_on\\(${PID}\\)(?:==1)?$`).test(c)) abortIfOn = true;
    }
    if (it.k !== 'stmt') continue;
    const t = it.text;
    if (/^new\.ndst=/.test(t)) args.push(`ndst=${program === 'vmx_pre_block' ? 'pre_pcpu' : program === 'vmx_post_block' ? 'vcpu_cpu' : 'cpu'}`);
    else if (/^(?:new\.sn=0|__pi_clear_sn\(&new\))$/.test(t)) args.push('sn=0');
    else if (/^(?:new\.sn=1|__pi_set_sn\(&new\))$/.test(t)) args.push('sn=1');
    else if (/^new\.sn=!kvm_vcpu_is_blocking\(vcpu\)$/.test(t)) args.push('sn=not_blocking');
    else if (/^new\.nv=POSTED_INTR_VECTOR$/.test(t)) args.push('nv=POSTED');
    else if (/^new\.nv=POSTED_INTR_WAKEUP_VECTOR$/.test(t)) args.push('nv=WAKEUP');
  }
  if (!args.length) return undefined;
  const ordered = ['ndst', 'nv', 'sn'].flatMap((k) => args.filter((a) => a.startsWith(k + '=')));
  if (keepWakeup) ordered.push('keep_wakeup');
  if (abortIfOn) ordered.push('abort_if_on');
  const tokens: Token[] = [op('pid_update', [...new Set(ordered)], line)];
  if (abortIfOn) {
    // The loop's early exit: the list entry comes off again and the vCPU does not block.
    tokens.push({ t: 'if', cond: { k: 'atom', name: 'r' }, line }, { t: 'open' }, op('wakeup_list_del', ['pre_pcpu'], line), { t: 'return', line }, { t: 'close' });
  }
  return tokens;
}

const CMPXCHG = /cmpxchg|pi_try_set_control|try_cmpxchg/;

/** Labels at the end of vcpu_enter_guest: jumping there leaves the modelled program. */
const EXIT_LABELS = new Set(['cancel_injection', 'out']);

/**
 * Translates the items of one function fragment into program tokens. `program` is the model
 * program the function is, for the few spellings whose meaning depends on it.
 */
export interface RecognizeOptions {
  /** The programs the profile has: a call of a function outside them is not modelled. */
  readonly known?: ReadonlySet<string>;
  /** The indentation of a line of the fragment, to close a braceless body it starts inside. */
  readonly indentOf?: (line: number) => number | undefined;
}

export function recognize(items: readonly Item[], program: string, labels: ReadonlySet<string>, opts: RecognizeOptions = {}): Recognized {
  const { known, indentOf } = opts;
  const out: Recognized = { tokens: [], unmodelled: [], inert: [], blocked: [] };
  let i = 0;
  const closeAfter = braceless(items, indentOf);
  // Scope-based locks (`guard(mutex)(&l)`, `scoped_guard(mutex, &l)`): each is released, as the
  // kernel's cleanup attribute does, where control leaves its block. `depth` counts the blocks
  // opened inside the fragment; a block that opened before it closes at depth 0.
  const guards: { depth: number; unlock: Token[] }[] = [];
  const loopDepths: number[] = [];
  let depth = 0;
  /** Unlocks of the guards `which` selects, innermost first; `drop` forgets them (their block closed). */
  const unlocks = (sink: Token[], which: (g: { depth: number }) => boolean, drop: boolean): void => {
    const held = guards.filter(which);
    const last = sink.at(-1)?.t;
    // After a jump, the end of the block is not reached: nothing to release there.
    if (!drop || (last !== 'return' && last !== 'break' && last !== 'goto')) for (const g of [...held].reverse()) sink.push(...g.unlock);
    if (drop) for (const g of held) guards.splice(guards.indexOf(g), 1);
  };
  const closeBlock = (sink: Token[]): void => unlocks(sink, (g) => g.depth >= depth, true);

  /** Parses one statement unit into `sink`. */
  const unit = (sink: Token[]): void => {
    const it = items[i];
    if (!it) return;
    i++;
    switch (it.k) {
      case 'stmt': {
        if (iterator(it, sink)) return;
        const g = guardOf(it.text, program, it.line);
        if (g) {
          sink.push(...g.lock);
          if (!g.scoped) {
            if (g.unlock.length) guards.push({ depth, unlock: g.unlock });
            return;
          }
          // scoped_guard(mutex, &l) { ... }: held for the block (or statement) that follows.
          guards.push({ depth: depth + 1, unlock: g.unlock });
          body(sink);
          return;
        }
        const c = classifyStmt(it.text, program, it.line);
        if (c.kind === 'steps') sink.push(...c.tokens);
        else if (c.kind === 'inert') out.inert.push({ line: it.line, text: it.text, why: c.why });
        else out.unmodelled.push({ line: it.line, text: it.text });
        return;
      }
      case 'open': {
        // A bare block: its statements run in sequence.
        depth++;
        seq(sink, true);
        if (items[i]?.k === 'close') {
          i++;
          closeBlock(sink);
        }
        depth--;
        return;
      }
      case 'close': {
        // The tail of a cmpxchg loop whose head is before the fragment: its fields were read
        // one by one (`__pid_field`), and the loop itself is one step of the program.
        const next = items[i];
        if (next?.k === 'dowhile' && CMPXCHG.test(compact(next.cond))) {
          i++;
          return;
        }
        // A block that opened before the fragment: keep it, the alignment needs it.
        closeBlock(sink);
        depth--;
        sink.push({ t: 'close', line: it.line });
        return;
      }
      case 'else':
        sink.push({ t: 'else', line: it.line });
        body(sink);
        return;
      case 'label':
        // vcpu_enter_guest's exit labels end the program: what follows them is not modelled.
        if (!EXIT_LABELS.has(it.name)) sink.push({ t: 'label', name: it.name, line: it.line });
        return;
      case 'goto': {
        // A jump to an exit label, or to a label the program does not have, leaves the program.
        const inside = labels.has(it.name) && !EXIT_LABELS.has(it.name);
        // Labels sit at function level: a jump there leaves every block-scoped guard.
        unlocks(sink, (g) => (inside ? g.depth > 0 : true), false);
        sink.push(inside ? { t: 'goto', name: it.name, line: it.line } : { t: 'return', line: it.line });
        return;
      }
      case 'return':
        // The returned value is computed first (a call, an error code or a result an area
        // follows), then the guards are released.
        if (it.value !== undefined) {
          const before = rulesFor(program)
            .map((r) => r.returns?.(it.value!, program, it.line))
            .find((x) => x);
          if (before) sink.push(...before);
        }
        unlocks(sink, () => true, false);
        sink.push({ t: 'return', line: it.line });
        return;
      case 'break': {
        const loop = loopDepths.at(-1) ?? -Infinity;
        unlocks(sink, (g) => g.depth > loop, false);
        sink.push({ t: 'break', line: it.line });
        return;
      }
      case 'continue':
        if (rulesFor(program).some((r) => r.continues?.(program))) sink.push({ t: 'return', line: it.line });
        else out.unmodelled.push({ line: it.line, text: 'continue' });
        return;
      case 'if':
        ifStatement(it, sink);
        return;
      case 'for':
      case 'while': {
        const head = compact(it.head);
        if (head === ';;' || head === '1' || head === 'true') {
          sink.push({ t: 'loop', line: it.line });
          loopDepths.push(depth);
          body(sink);
          loopDepths.pop();
        } else {
          const inner: Token[] = [];
          body(inner);
          if (inner.length) out.blocked.push({ line: it.line, text: `${it.k} (${head})` });
          else out.unmodelled.push({ line: it.line, text: `${it.k} (${head})` });
        }
        return;
      }
      case 'do': {
        const start = i;
        const inner: Token[] = [];
        body(inner);
        const tail = items[i];
        if (tail?.k === 'dowhile') {
          i++;
          for (const r of rulesFor(program)) {
            const ts = r.loops?.(items.slice(start, i - 1), compact(tail.cond), program, it.line, inner);
            if (ts) {
              sink.push(...ts);
              return;
            }
          }
          if (CMPXCHG.test(compact(tail.cond))) {
            const upd = cmpxchgLoop(items.slice(start, i), program, it.line);
            if (upd) sink.push(...upd);
            else out.unmodelled.push({ line: it.line, text: 'a cmpxchg loop the model does not know' });
            return;
          }
          if (inner.length) out.blocked.push({ line: it.line, text: `do ... while (${compact(tail.cond)})` });
          else out.unmodelled.push({ line: it.line, text: `do ... while (${compact(tail.cond)})` });
          return;
        }
        // The fragment ends inside the do loop.
        out.blocked.push({ line: it.line, text: 'a do loop cut off by the hunk' });
        return;
      }
      case 'dowhile':
        out.unmodelled.push({ line: it.line, text: `} while (${compact(it.cond)})` });
        return;
    }
  };

  /** `for_each_cpu(cpu, mask) { ... }` and the like: an area's iterator macro heading a block. */
  const iterator = (it: Extract<Item, { k: 'stmt' }>, sink: Token[]): boolean => {
    if (!items[i] || items[i]!.k === 'close') return false;
    for (const r of rulesFor(program)) {
      for (const x of r.iterators ?? []) {
        const m = x.re.exec(it.text);
        if (!m) continue;
        const [name, args] = x.init(m);
        const inner: Token[] = [];
        loopDepths.push(depth);
        body(inner);
        loopDepths.pop();
        const exit: Token[] = [{ t: 'if', cond: { k: 'not', c: { k: 'atom', name: x.next(m) } }, line: it.line }, { t: 'open' }, { t: 'break', line: it.line }, { t: 'close' }];
        sink.push(op(name, args, it.line), { t: 'loop', line: it.line }, inner[0]!, ...exit, ...inner.slice(1));
        return true;
      }
    }
    return false;
  };

  /** A body: `{ ... }` or a single statement, always emitted with braces. */
  const body = (sink: Token[]): void => {
    sink.push({ t: 'open' });
    depth++;
    if (items[i]?.k === 'open') {
      i++;
      seq(sink, true);
      if (items[i]?.k === 'close') {
        i++;
        closeBlock(sink);
        sink.push({ t: 'close' });
      }
      // Otherwise the fragment ends inside the block: leave it open, as the program region is.
      depth--;
      return;
    }
    // The fragment ends before the body: leave the block open, as the program region is.
    if (i >= items.length) return;
    unit(sink);
    closeBlock(sink);
    depth--;
    sink.push({ t: 'close' });
  };

  const seq = (sink: Token[], inBlock: boolean): void => {
    while (i < items.length) {
      if (inBlock && items[i]!.k === 'close') return;
      unit(sink);
    }
  };

  const ifStatement = (it: Extract<Item, { k: 'if' }>, sink: Token[]): void => {
    const condText = compact(it.cond);
    const next = items[i];
    const single = next && next.k === 'stmt' ? next.text : undefined;
    // Old kernels' calls inside conditions, spelled out as the steps they run.
    if (condText === 'r||!kvm_vcpu_trigger_posted_interrupt(vcpu)' && single === 'kvm_vcpu_kick(vcpu)') {
      i++;
      sink.push(
        { t: 'if', cond: { k: 'atom', name: 'r' }, line: it.line },
        { t: 'open' },
        op('kvm_vcpu_kick', [], next!.line),
        { t: 'close' },
        { t: 'else' },
        { t: 'open' },
        ...triggerOrKick(it.line, next!.line),
        { t: 'close' },
      );
      return;
    }
    if (/^!kvm_vcpu_trigger_posted_interrupt\(vcpu(?:,false)?\)$/.test(condText) && single === 'kvm_vcpu_kick(vcpu)') {
      i++;
      sink.push(...triggerOrKick(it.line, next!.line));
      return;
    }
    if (/^!kvm_arch_vcpu_runnable\(vcpu\)&&\(!kvm_x86_ops(?:->|\.)pre_block\|\|(?:kvm_x86_ops(?:->|\.)pre_block|static_call\(kvm_x86_pre_block\))\(vcpu\)==0\)$/.test(condText)) {
      sink.push({ t: 'if', cond: { k: 'not', c: { k: 'atom', name: 'kvm_arch_vcpu_runnable' } }, line: it.line }, { t: 'open' }, op('vmx_pre_block', [], it.line));
      sink.push({ t: 'if', cond: { k: 'not', c: { k: 'atom', name: 'r' } }, line: it.line });
      body(sink);
      sink.push({ t: 'close' });
      return;
    }
    // Old kernels injected events from a call in the condition: the call is the step.
    if (/^inject_pending_event\(vcpu,req_int_win\)(?:!=0)?$/.test(condText)) {
      const skipped: Token[] = [];
      body(skipped);
      if (items[i]?.k === 'else') {
        i++;
        body(skipped);
      }
      sink.push(op('kvm_check_and_inject_events', [], it.line));
      return;
    }
    // `r = vmx_deliver_nested_posted_interrupt(); if (!r) return;`: posting to L2 is not modelled.
    if ((condText === '!r' || condText === 'r==0') && items.slice(0, i - 1).some((x) => x.k === 'stmt' && /vmx_deliver_nested_posted_interrupt/.test(x.text))) {
      const skipped: Token[] = [];
      body(skipped);
      out.unmodelled.push({ line: it.line, text: `if (${condText}) (delivery to a nested guest)` });
      return;
    }
    // A condition that calls a modelled function for its effect: the call is a step, then the
    // result is tested.
    const called = rulesFor(program)
      .map((r) => r.condCalls?.(condText, program, it.line))
      .find((x) => x);
    if (called) sink.push(...called.steps);
    const c: CondResult = called
      ? typeof called.cond === 'boolean'
        ? { kind: 'const', value: called.cond }
        : { kind: 'cond', cond: called.cond.startsWith('!') ? { k: 'not', c: { k: 'atom', name: called.cond.slice(1) } } : { k: 'atom', name: called.cond } }
      : readCondition(it.cond, program);
    const thenTokens: Token[] = [];
    body(thenTokens);
    const elseTokens: Token[] = [];
    let hasElse = false;
    if (items[i]?.k === 'else') {
      i++;
      hasElse = true;
      body(elseTokens);
    }
    const inner = (ts: Token[]) => ts.slice(1, ts.at(-1)?.t === 'close' ? -1 : undefined);
    if (c.kind === 'const') {
      sink.push(...inner(c.value ? thenTokens : elseTokens));
      return;
    }
    if (c.kind === 'unknown') {
      // Steps the condition would decide: the model cannot run them. A body that only leaves the
      // function (an error path such as `if (unlikely(r)) goto out;`) is assumed not taken.
      const decides = [...thenTokens, ...elseTokens].some((t) => t.t === 'op' || t.t === 'if' || t.t === 'loop');
      if (decides) out.blocked.push({ line: it.line, text: `if (${condText})`, ...(c.why ? { why: c.why } : {}) });
      else out.unmodelled.push({ line: it.line, text: `if (${condText})${[...thenTokens, ...elseTokens].some((t) => t.t === 'return') ? ' (an error path, assumed not taken)' : ''}` });
      return;
    }
    sink.push({ t: 'if', cond: c.cond, line: it.line }, ...thenTokens);
    if (hasElse) sink.push({ t: 'else' }, ...elseTokens);
  };

  if (closeAfter >= 0) {
    // The fragment starts in the braceless body of an `if` it does not show: close that body
    // where the indentation drops, as a `}` there would.
    while (i <= closeAfter) unit(out.tokens);
    out.tokens.push({ t: 'close', line: items[closeAfter]!.line });
  }
  seq(out.tokens, false);
  // A call of a function the profile has no program for: the model cannot run it.
  if (known) {
    const calls = new Set(rulesFor(program).flatMap((r) => [...(r.calls ?? [])]));
    for (const t of out.tokens) {
      if (t.t === 'op' && calls.has(t.op) && !known.has(t.op)) {
        out.blocked.push({ line: t.line ?? 0, text: `${t.op}()`, why: 'a call of a function this kernel\'s model does not have (one the patch adds, or a later kernel\'s)' });
      }
    }
  }
  // `pi_test_on(&new)` reads the ON value the preceding descriptor cmpxchg saw.
  const usesOnSeen = out.tokens.some((t) => t.t === 'if' && JSON.stringify(t.cond).includes('"on_seen"'));
  if (usesOnSeen) {
    const k = out.tokens.findIndex((t) => t.t === 'op' && t.op === 'pid_update' && t.args.includes('nv=WAKEUP'));
    const upd = out.tokens[k];
    if (upd?.t === 'op' && !upd.args.includes('capture_on')) out.tokens[k] = { ...upd, args: [...upd.args, 'capture_on'] };
  }
  return out;
}

/**
 * When a fragment starts with simple statements indented deeper than what follows them (the
 * body of a braceless `if` whose head is before the hunk), the index of the last of them; -1
 * otherwise, or without indentation.
 */
function braceless(items: readonly Item[], indentOf?: (line: number) => number | undefined): number {
  if (!indentOf || !items.length) return -1;
  const simple = (it: Item) => it.k === 'stmt' || it.k === 'return' || it.k === 'break' || it.k === 'continue' || it.k === 'goto';
  const d0 = indentOf(items[0]!.line);
  if (d0 === undefined || !simple(items[0]!)) return -1;
  for (let j = 1; j < items.length; j++) {
    const it = items[j]!;
    const d = indentOf(it.line);
    if (d === undefined) return -1;
    if (d < d0) return it.k === 'close' || it.k === 'else' ? -1 : j - 1;
    if (!simple(it) || d > d0) return -1;
  }
  return -1;
}

/** `if (!kvm_vcpu_trigger_posted_interrupt(vcpu)) kvm_vcpu_kick(vcpu);` in kernels whose trigger returned bool. */
function triggerOrKick(ifLine: number, kickLine: number): Token[] {
  return [
    { t: 'if', cond: { k: 'atom', name: 'mode_in_guest' }, line: ifLine },
    { t: 'open' },
    op('send_posted_intr_ipi', [], ifLine),
    { t: 'close' },
    { t: 'else' },
    { t: 'open' },
    op('kvm_vcpu_kick', [], kickLine),
    { t: 'close' },
  ];
}
