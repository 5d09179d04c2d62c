/**
 * Kernel functions as programs: ordered lists of primitive steps.
 *
 * A patch that reorders, inserts or drops a statement becomes a different program, which is
 * explored like any other. Programs have a small textual form, used by the kernel profiles,
 * by `--set program=...` and in every report:
 *
 *     local_irq_disable, set_mode(IN_GUEST_MODE), if kvm_lapic_enabled { sync_pir_to_irr },
 *     if kvm_vcpu_exit_request { set_mode(OUTSIDE_GUEST_MODE), local_irq_enable, return },
 *     loop { vmx_vcpu_run, if !fastpath_reenter { break } }
 *
 * Conditions are names of predicates combined with `!`, `&&`, `||` and parentheses.
 */
import { ModelError } from './errors';

export type Cond =
  | { readonly k: 'atom'; readonly name: string }
  | { readonly k: 'not'; readonly c: Cond }
  | { readonly k: 'and' | 'or'; readonly cs: readonly Cond[] };

export type Step =
  | { readonly k: 'op'; readonly op: string; readonly args: readonly string[]; readonly line?: number }
  | { readonly k: 'if'; readonly cond: Cond; readonly then: readonly Step[]; readonly else: readonly Step[]; readonly line?: number }
  | { readonly k: 'loop'; readonly body: readonly Step[]; readonly line?: number }
  | { readonly k: 'label' | 'goto'; readonly name: string; readonly line?: number }
  | { readonly k: 'break' | 'return'; readonly line?: number };

export type Program = readonly Step[];
export type ProgramSet = Readonly<Record<string, Program>>;

// ---------------------------------------------------------------- constructors

export const op = (name: string, ...args: string[]): Step => ({ k: 'op', op: name, args });
export const atom = (name: string): Cond => ({ k: 'atom', name });

// ---------------------------------------------------------------- parser

type Tok = { t: 'name' | 'punct'; v: string; at: number };

function tokenize(text: string): Tok[] {
  const out: Tok[] = [];
  const re = /\s*(?:([A-Za-z_][\w.]*|\d+)|(&&|\|\||[{}(),;!=]))/y;
  let at = 0;
  while (at < text.length) {
    if (/^\s*$/.test(text.slice(at))) break;
    re.lastIndex = at;
    const m = re.exec(text);
    if (!m) throw new ModelError(`cannot read program text at "${text.slice(at, at + 20)}"`);
    if (m[1] !== undefined) out.push({ t: 'name', v: m[1], at });
    else out.push({ t: 'punct', v: m[2]!, at });
    at = re.lastIndex;
  }
  return out;
}

class Parser {
  private i = 0;
  constructor(private readonly toks: Tok[]) {}

  private peek(): Tok | undefined {
    return this.toks[this.i];
  }
  private next(): Tok {
    const t = this.toks[this.i++];
    if (!t) throw new ModelError('program text ends too early');
    return t;
  }
  private expect(v: string): void {
    const t = this.next();
    if (t.v !== v) throw new ModelError(`expected "${v}" in program text, found "${t.v}"`);
  }
  private isPunct(v: string): boolean {
    const t = this.peek();
    return !!t && t.t === 'punct' && t.v === v;
  }

  program(until?: string): Step[] {
    const steps: Step[] = [];
    for (;;) {
      while (this.isPunct(',') || this.isPunct(';')) this.i++;
      const t = this.peek();
      if (!t || (until && t.t === 'punct' && t.v === until)) return steps;
      steps.push(this.step());
    }
  }

  private block(): Step[] {
    this.expect('{');
    const body = this.program('}');
    this.expect('}');
    return body;
  }

  private step(): Step {
    const t = this.next();
    if (t.t !== 'name') throw new ModelError(`expected a step in program text, found "${t.v}"`);
    switch (t.v) {
      case 'if': {
        const cond = this.cond();
        const then = this.block();
        let els: Step[] = [];
        const p = this.peek();
        if (p && p.t === 'name' && p.v === 'else') {
          this.i++;
          const q = this.peek();
          els = q && q.t === 'name' && q.v === 'if' ? [this.step()] : this.block();
        }
        return { k: 'if', cond, then, else: els };
      }
      case 'loop':
        return { k: 'loop', body: this.block() };
      case 'label':
      case 'goto': {
        const n = this.next();
        if (n.t !== 'name') throw new ModelError(`${t.v} needs a name`);
        return { k: t.v, name: n.v };
      }
      case 'break':
      case 'return':
        return { k: t.v };
      default: {
        const args: string[] = [];
        if (this.isPunct('(')) {
          this.i++;
          while (!this.isPunct(')')) {
            const a = this.next();
            if (a.t !== 'name') throw new ModelError(`bad argument "${a.v}" to ${t.v}`);
            let arg = a.v;
            if (this.isPunct('=')) {
              this.i++;
              arg += '=' + this.next().v;
            }
            args.push(arg);
            if (this.isPunct(',')) this.i++;
          }
          this.expect(')');
        }
        return { k: 'op', op: t.v, args };
      }
    }
  }

  private cond(): Cond {
    const first = this.condAnd();
    const cs = [first];
    while (this.isPunct('||')) {
      this.i++;
      cs.push(this.condAnd());
    }
    return cs.length === 1 ? first : { k: 'or', cs };
  }
  private condAnd(): Cond {
    const first = this.condUnary();
    const cs = [first];
    while (this.isPunct('&&')) {
      this.i++;
      cs.push(this.condUnary());
    }
    return cs.length === 1 ? first : { k: 'and', cs };
  }
  private condUnary(): Cond {
    if (this.isPunct('!')) {
      this.i++;
      return { k: 'not', c: this.condUnary() };
    }
    if (this.isPunct('(')) {
      this.i++;
      const c = this.cond();
      this.expect(')');
      return c;
    }
    const t = this.next();
    if (t.t !== 'name') throw new ModelError(`expected a condition, found "${t.v}"`);
    return { k: 'atom', name: t.v };
  }

  done(): void {
    const t = this.peek();
    if (t) throw new ModelError(`unexpected "${t.v}" in program text`);
  }
}

/** Parsed programs by text: profiles share most of their programs, and programs are immutable. */
const parsedByText = new Map<string, Program>();
const PARSED_KEPT = 4096;

export function parseProgram(text: string): Program {
  const known = parsedByText.get(text);
  if (known) return known;
  const p = new Parser(tokenize(text));
  const steps = p.program();
  p.done();
  if (parsedByText.size >= PARSED_KEPT) parsedByText.clear();
  parsedByText.set(text, steps);
  return steps;
}

export function parseCond(text: string): Cond {
  const p = new Parser(tokenize(`if ${text} {}`));
  const [s] = p.program();
  p.done();
  if (!s || s.k !== 'if') throw new ModelError(`not a condition: ${text}`);
  return s.cond;
}

// ---------------------------------------------------------------- formatting

export function formatCond(c: Cond, parent: 'and' | 'or' | 'top' = 'top'): string {
  switch (c.k) {
    case 'atom':
      return c.name;
    case 'not':
      return '!' + formatCond(c.c, 'and').replace(/^(.*(&&|\|\|).*)$/, '($1)');
    case 'and':
    case 'or': {
      const s = c.cs.map((x) => formatCond(x, c.k)).join(c.k === 'and' ? ' && ' : ' || ');
      return parent !== 'top' && parent !== c.k ? `(${s})` : s;
    }
  }
}

export function formatStep(s: Step): string {
  switch (s.k) {
    case 'op':
      return s.args.length ? `${s.op}(${s.args.join(', ')})` : s.op;
    case 'if': {
      const head = `if ${formatCond(s.cond)} { ${formatProgram(s.then)} }`;
      return s.else.length ? `${head} else { ${formatProgram(s.else)} }` : head;
    }
    case 'loop':
      return `loop { ${formatProgram(s.body)} }`;
    case 'label':
    case 'goto':
      return `${s.k} ${s.name}`;
    case 'break':
    case 'return':
      return s.k;
  }
}

export function formatProgram(p: Program): string {
  return p.map(formatStep).join(', ');
}

/** Every `op` and condition atom used in a program, for validation and display. */
export function namesIn(p: Program): { ops: Set<string>; atoms: Set<string> } {
  const ops = new Set<string>();
  const atoms = new Set<string>();
  const cond = (c: Cond): void => {
    if (c.k === 'atom') atoms.add(c.name);
    else if (c.k === 'not') cond(c.c);
    else c.cs.forEach(cond);
  };
  const walk = (steps: Program): void => {
    for (const s of steps) {
      if (s.k === 'op') ops.add(s.op);
      else if (s.k === 'if') {
        cond(s.cond);
        walk(s.then);
        walk(s.else);
      } else if (s.k === 'loop') walk(s.body);
    }
  };
  walk(p);
  return { ops, atoms };
}
