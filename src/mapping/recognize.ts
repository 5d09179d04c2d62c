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
import { AREA_RULES, StmtRule } from './rules';
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


const STMT_RULES: readonly StmtRule[] = [
  { re: /^local_irq_(disable|enable)\(\)$/, make: (m) => `local_irq_${m[1]}` },
  { re: /^preempt_(disable|enable)\(\)$/, make: (m) => `preempt_${m[1]}` },
  {
    re: /^(?:vcpu->mode=|smp_store_release\(&vcpu->mode,|WRITE_ONCE\(vcpu->mode,)(IN_GUEST_MODE|OUTSIDE_GUEST_MODE|EXITING_GUEST_MODE)\)?$/,
    make: (m) => ['set_mode', [m[1]!]],
  },
  { re: /^(?:srcu_read_unlock\(&vcpu->kvm->srcu,vcpu->srcu_idx\)|kvm_vcpu_srcu_read_unlock\(vcpu\))$/, make: () => 'srcu_read_unlock' },
  { re: /^(?:vcpu->srcu_idx=srcu_read_lock\(&vcpu->kvm->srcu\)|kvm_vcpu_srcu_read_lock\(vcpu\))$/, make: () => 'srcu_read_lock' },
  { re: /^(smp_mb__after_srcu_read_unlock|smp_mb__after_srcu_read_lock|smp_mb__after_atomic|smp_mb|smp_wmb|smp_rmb)\(\)$/, make: (m) => m[1]! },
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
  for (const rule of [...STMT_RULES, ...AREA_RULES.flatMap((r) => r.statements)]) {
    const m = rule.re.exec(text);
    if (!m) continue;
    const made = rule.make(m, program);
    if (made === null) continue;
    const [name, args] = typeof made === 'string' ? [made, []] : made;
    return { kind: 'steps', tokens: [op(name, args, line)] };
  }
  // An area's inert statements may name a kvm_x86_ops hook (`kvm_x86_ops->vcpu_put(vcpu)` in
  // kvm_arch_vcpu_put): they are inert for the model before the hook table is consulted.
  for (const [re, why] of AREA_RULES.flatMap((r) => r.inert ?? [])) if (re.test(text)) return { kind: 'inert', why };
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

function atomOf(text: string, program: string | undefined): CExpr {
  // kvm_check_request(REQ, vcpu) / kvm_test_request(REQ, vcpu), for requests some area follows.
  const req = /^kvm_(check|test)_request\((KVM_REQ_\w+),vcpu\)$/.exec(text);
  if (req && isModelledRequest(req[2]!)) return { k: 'atom', name: `kvm_${req[1]}_request.${req[2]}` };
  for (const [re, v, where] of [...ATOMS, ...AREA_RULES.flatMap((r) => r.atoms)]) {
    if (!re.test(text)) continue;
    if (where && (program === undefined || !where(program))) continue;
    if (typeof v === 'boolean') return { k: 'const', v };
    return v.startsWith('!') ? { k: 'not', e: { k: 'atom', name: v.slice(1) } } : { k: 'atom', name: v };
  }
  return { k: 'unknown', text };
}

function parseCExpr(tokens: readonly CToken[], program: string | undefined): CExpr {
  let i = 0;
  const peek = () => tokens[i]?.text;
  const or = (): CExpr => {
    const es = [and()];
    while (peek() === '||') {
      i++;
      es.push(and());
    }
    return es.length === 1 ? es[0]! : { k: 'or', es };
  };
  const and = (): CExpr => {
    const es = [unary()];
    while (peek() === '&&') {
      i++;
      es.push(unary());
    }
    return es.length === 1 ? es[0]! : { k: 'and', es };
  };
  const unary = (): CExpr => {
    if (peek() === '!') {
      i++;
      return { k: 'not', e: unary() };
    }
    // likely(x) / unlikely(x) / (x) as a whole operand.
    const wrapped = (peek() === 'likely' || peek() === 'unlikely') && tokens[i + 1]?.text === '(' ? 1 : peek() === '(' ? 0 : -1;
    if (wrapped >= 0) {
      const save = i;
      i += wrapped + 1;
      const inner = or();
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
  const e = or();
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
export type CondResult = { readonly kind: 'cond'; readonly cond: Cond } | { readonly kind: 'const'; readonly value: boolean } | { readonly kind: 'unknown'; readonly parts: readonly string[] };

/** `program` is the model program the condition is in (some atoms exist only in some programs). */
export function readCondition(tokens: readonly CToken[], program?: string): CondResult {
  const e = renameAtom(simplify(parseCExpr(tokens, program)), 'requests_pending', 'kvm_request_pending');
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
  /** Constructs whose meaning the model cannot decide (a condition it does not know, guarding modelled steps). */
  readonly blocked: { readonly line: number; readonly text: string }[];
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
export function recognize(items: readonly Item[], program: string, labels: ReadonlySet<string>): Recognized {
  const out: Recognized = { tokens: [], unmodelled: [], inert: [], blocked: [] };
  let i = 0;

  /** Parses one statement unit into `sink`. */
  const unit = (sink: Token[]): void => {
    const it = items[i];
    if (!it) return;
    i++;
    switch (it.k) {
      case 'stmt': {
        if (iterator(it, sink)) return;
        const c = classifyStmt(it.text, program, it.line);
        if (c.kind === 'steps') sink.push(...c.tokens);
        else if (c.kind === 'inert') out.inert.push({ line: it.line, text: it.text, why: c.why });
        else out.unmodelled.push({ line: it.line, text: it.text });
        return;
      }
      case 'open': {
        // A bare block: its statements run in sequence.
        seq(sink, true);
        if (items[i]?.k === 'close') i++;
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
      case 'goto':
        // A jump to an exit label, or to a label the program does not have, leaves the program.
        sink.push(labels.has(it.name) && !EXIT_LABELS.has(it.name) ? { t: 'goto', name: it.name, line: it.line } : { t: 'return', line: it.line });
        return;
      case 'return':
      case 'break':
        sink.push({ t: it.k, line: it.line });
        return;
      case 'continue':
        out.unmodelled.push({ line: it.line, text: 'continue' });
        return;
      case 'if':
        ifStatement(it, sink);
        return;
      case 'for':
      case 'while': {
        const head = compact(it.head);
        if (head === ';;' || head === '1' || head === 'true') {
          sink.push({ t: 'loop', line: it.line });
          body(sink);
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
          for (const r of AREA_RULES) {
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
    for (const r of AREA_RULES) {
      for (const x of r.iterators ?? []) {
        const m = x.re.exec(it.text);
        if (!m) continue;
        const [name, args] = x.init(m);
        const inner: Token[] = [];
        body(inner);
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
    if (items[i]?.k === 'open') {
      i++;
      seq(sink, true);
      if (items[i]?.k === 'close') {
        i++;
        sink.push({ t: 'close' });
      }
      // Otherwise the fragment ends inside the block: leave it open, as the program region is.
      return;
    }
    unit(sink);
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
    const c = readCondition(it.cond, program);
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
      if (decides) out.blocked.push({ line: it.line, text: `if (${condText})` });
      else out.unmodelled.push({ line: it.line, text: `if (${condText})${[...thenTokens, ...elseTokens].some((t) => t.t === 'return') ? ' (an error path, assumed not taken)' : ''}` });
      return;
    }
    sink.push({ t: 'if', cond: c.cond, line: it.line }, ...thenTokens);
    if (hasElse) sink.push({ t: 'else' }, ...elseTokens);
  };

  seq(out.tokens, false);
  // `pi_test_on(&new)` reads the ON value the preceding descriptor cmpxchg saw.
  const usesOnSeen = out.tokens.some((t) => t.t === 'if' && JSON.stringify(t.cond).includes('"on_seen"'));
  if (usesOnSeen) {
    const k = out.tokens.findIndex((t) => t.t === 'op' && t.op === 'pid_update' && t.args.includes('nv=WAKEUP'));
    const upd = out.tokens[k];
    if (upd?.t === 'op' && !upd.args.includes('capture_on')) out.tokens[k] = { ...upd, args: [...upd.args, 'capture_on'] };
  }
  return out;
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
