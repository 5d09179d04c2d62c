/**
 * A program as a flat stream of tokens, the common ground of profile programs and patch text.
 *
 * `if c { a } else { b }` becomes `if c`, `{`, `a`, `}`, `else`, `{`, `b`, `}`. Hunks show a
 * contiguous stretch of a function, so once both sides are token streams, a hunk is a region of
 * the program's stream: alignment and splicing work on streams, and `rebuild` turns a stream
 * back into a program. Tokens remember the patch line they came from.
 */
import { ModelError } from '../model/errors';
import { Cond, Program, Step, formatCond } from '../model/program';

export type Token =
  | { readonly t: 'op'; readonly op: string; readonly args: readonly string[]; readonly line?: number }
  | { readonly t: 'if'; readonly cond: Cond; readonly line?: number }
  | { readonly t: 'else' | 'loop' | 'open' | 'close' | 'return' | 'break'; readonly line?: number }
  | { readonly t: 'label' | 'goto'; readonly name: string; readonly line?: number };

/** The identity of a token for alignment: the same statement, whatever line it sits on. */
export function tokenKey(t: Token): string {
  switch (t.t) {
    case 'op':
      return t.args.length ? `${t.op}(${t.args.join(', ')})` : t.op;
    case 'if':
      return `if ${formatCond(t.cond)}`;
    case 'label':
    case 'goto':
      return `${t.t} ${t.name}`;
    case 'open':
      return '{';
    case 'close':
      return '}';
    default:
      return t.t;
  }
}

const withLine = (line: number | undefined) => (line !== undefined ? { line } : {});

export function flatten(p: Program): Token[] {
  const out: Token[] = [];
  const walk = (steps: Program) => {
    for (const s of steps) {
      switch (s.k) {
        case 'op':
          out.push({ t: 'op', op: s.op, args: s.args, ...withLine(s.line) });
          break;
        case 'if':
          out.push({ t: 'if', cond: s.cond, ...withLine(s.line) }, { t: 'open' });
          walk(s.then);
          out.push({ t: 'close' });
          if (s.else.length) {
            out.push({ t: 'else' }, { t: 'open' });
            walk(s.else);
            out.push({ t: 'close' });
          }
          break;
        case 'loop':
          out.push({ t: 'loop', ...withLine(s.line) }, { t: 'open' });
          walk(s.body);
          out.push({ t: 'close' });
          break;
        case 'label':
        case 'goto':
          out.push({ t: s.k, name: s.name, ...withLine(s.line) });
          break;
        case 'break':
        case 'return':
          out.push({ t: s.k, ...withLine(s.line) });
          break;
      }
    }
  };
  walk(p);
  return out;
}

/** Turns a token stream back into a program; unbalanced blocks are a ModelError. */
export function rebuild(tokens: readonly Token[]): Program {
  let i = 0;
  const block = (): Step[] => {
    const open = tokens[i++];
    if (open?.t !== 'open') throw new ModelError(`expected a block, found ${open ? tokenKey(open) : 'the end'}`);
    const body = seq(true);
    const close = tokens[i++];
    if (close?.t !== 'close') throw new ModelError('a block is not closed');
    return body;
  };
  const seq = (inBlock: boolean): Step[] => {
    const out: Step[] = [];
    while (i < tokens.length) {
      const t = tokens[i]!;
      if (t.t === 'close') {
        if (!inBlock) throw new ModelError('a block is closed that was never opened');
        return out;
      }
      i++;
      switch (t.t) {
        case 'op':
          out.push({ k: 'op', op: t.op, args: t.args, ...withLine(t.line) });
          break;
        case 'if': {
          const then = block();
          let els: Step[] = [];
          if (tokens[i]?.t === 'else') {
            i++;
            els = block();
          }
          out.push({ k: 'if', cond: t.cond, then, else: els, ...withLine(t.line) });
          break;
        }
        case 'loop':
          out.push({ k: 'loop', body: block(), ...withLine(t.line) });
          break;
        case 'label':
        case 'goto':
          out.push({ k: t.t, name: t.name, ...withLine(t.line) });
          break;
        case 'return':
        case 'break':
          out.push({ k: t.t, ...withLine(t.line) });
          break;
        case 'else':
          throw new ModelError('an else without an if');
        case 'open':
          // A bare block: its statements belong to the enclosing sequence.
          i--;
          out.push(...block());
          break;
      }
    }
    if (inBlock) throw new ModelError('a block is not closed');
    return out;
  };
  return seq(false);
}
