/**
 * Prints a model as Promela, for SPIN: exactly the transition system the explorer explores.
 *
 * - Every variable, program counters included, is a global of the smallest type that holds
 *   its range, with its initial value.
 * - One process loops over one `d_step` per transition: `d_step { pc == from && guard ->
 *   effects; pc = to }`. A d_step is one indivisible transition with no intermediate state,
 *   and its assignments run in order, as the IR's effects do. With a single process the
 *   loop head is the only control location, so SPIN's states are the explorer's states.
 * - The loop head carries an `end` label: a state with no enabled transition is a legal end
 *   (the explorer has no notion of deadlock either).
 * - Each property is a named never claim for `[] !bad` (`pan -N name`), written out rather
 *   than as an `ltl` formula because Promela's `->` (a conditional expression) means
 *   implication inside LTL. `all_states`, the claim of `[] true`, visits every state and so
 *   counts them.
 *
 * The explorer rejects a write outside a variable's range; Promela would wrap it. An
 * `assert` before each such write keeps the two from silently diverging.
 */
import { Expr, Model, VarDecl } from './ir';

/** A Promela identifier for a property id (`pi-delivery` -> `pi_delivery`). */
export function claimName(property: string): string {
  return property.replace(/[^A-Za-z0-9_]/g, '_');
}

export const ALL_STATES_CLAIM = 'all_states';

function ident(v: VarDecl): string {
  return `v${v.id}_${v.name.replace(/[^A-Za-z0-9_]/g, '_')}`;
}

function typeFor(max: number): string {
  if (max <= 1) return 'bit';
  if (max <= 255) return 'byte';
  if (max <= 32767) return 'short';
  return 'int';
}

function expr(e: Expr, names: readonly string[]): string {
  const g = (x: Expr) => expr(x, names);
  switch (e.k) {
    case 'const':
      return String(e.v);
    case 'var':
      return names[e.id]!;
    case 'not':
      return `!(${g(e.e)})`;
    case 'and':
      return e.es.length ? `(${e.es.map(g).join(' && ')})` : '1';
    case 'or':
      return e.es.length ? `(${e.es.map(g).join(' || ')})` : '0';
    case 'ite':
      return `(${g(e.c)} -> ${g(e.t)} : ${g(e.e)})`;
    case 'eq':
      return `(${g(e.a)} == ${g(e.b)})`;
    case 'ne':
      return `(${g(e.a)} != ${g(e.b)})`;
    case 'lt':
      return `(${g(e.a)} < ${g(e.b)})`;
    case 'le':
      return `(${g(e.a)} <= ${g(e.b)})`;
    case 'add':
      return `(${g(e.a)} + ${g(e.b)})`;
    case 'sub':
      return `(${g(e.a)} - ${g(e.b)})`;
    case 'min':
      return `(${g(e.a)} < ${g(e.b)} -> ${g(e.a)} : ${g(e.b)})`;
    case 'max':
      return `(${g(e.a)} > ${g(e.b)} -> ${g(e.a)} : ${g(e.b)})`;
  }
}

/** Keeps a label printable inside a Promela comment. */
function comment(text: string): string {
  return text.replace(/\*\//g, '* /').replace(/[\r\n]+/g, ' ');
}

export function toPromela(model: Model): string {
  const names = model.vars.map(ident);
  const out: string[] = [];
  out.push(`/* ${comment(model.name)}: ${model.vars.length} variables, ${model.transitions.length} transitions (kvm-race-lens export-promela) */`);
  for (const v of model.vars) out.push(`${typeFor(v.max)} ${names[v.id]} = ${v.init};${v.kind === 'pc' ? ' /* program counter */' : ''}`);
  out.push('', 'active proctype system() {', 'end:', '  do');
  for (const t of model.transitions) {
    const actor = model.actors[t.actor]!;
    const pc = names[actor.pcVar]!;
    const body: string[] = [];
    for (const a of t.effects) {
      const max = model.vars[a.id]!.max;
      const value = expr(a.e, names);
      body.push(`assert(${value} >= 0 && ${value} <= ${max})`, `${names[a.id]} = ${value}`);
    }
    body.push(`${pc} = ${t.to}`);
    out.push(`  /* ${t.id} ${comment(actor.name)}: ${comment(t.label)} */`);
    out.push(`  :: d_step { (${pc} == ${t.from} && ${expr(t.guard, names)}) -> ${body.join('; ')} }`);
  }
  out.push('  od', '}', '');
  for (const p of model.properties) {
    const bad = expr(p.bad, names);
    out.push(`never ${claimName(p.id)} { /* [] !bad */`, '  do', `  :: atomic { ${bad} -> assert(!${bad}) }`, '  :: else', '  od', '}');
  }
  out.push(`never ${ALL_STATES_CLAIM} { /* [] true */`, '  do', '  :: skip', '  od', '}', '');
  return out.join('\n');
}
