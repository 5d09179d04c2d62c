/**
 * Which function each line of a hunk belongs to: the `@@ ... @@ section` names the function
 * the hunk starts in, a function header inside the hunk starts another, and (when the
 * indentation survived) a closing brace in column 0 ends one.
 */
import { Hunk, PatchLine } from '../patch';

const NOT_A_FUNCTION = new Set(['if', 'for', 'while', 'switch', 'return', 'else', 'do', 'case', 'goto', 'sizeof', 'typeof', 'defined']);

/**
 * The function a definition header declares, or undefined. Kernel style puts headers in
 * column 0: qualifiers and a type, the name, then the parameter list, no `;` or `=`.
 */
export function functionHeader(text: string): string | undefined {
  const t = text.replace(/\s+$/, '');
  if (/[;=]/.test(t) || /^\s*(?:#|\/\/|\/\*|\*)/.test(t)) return undefined;
  const m =
    /^\s*(?:(?:static|inline|noinline|__always_inline|noinstr|__init|__exit|__visible|extern|asmlinkage|__cold|__must_check)\s+)*(?:const\s+)?(?:struct\s+\w+|enum\s+\w+|union\s+\w+|unsigned\s+(?:int|long|char)|unsigned|long\s+long|[A-Za-z_]\w*)(?:\s+|\s*\*+\s*)\**([A-Za-z_]\w*)\s*\(/.exec(t);
  if (!m) return undefined;
  const first = /^\s*([A-Za-z_]\w*)/.exec(t)?.[1] ?? '';
  if (NOT_A_FUNCTION.has(first) || NOT_A_FUNCTION.has(m[1]!)) return undefined;
  return m[1];
}

export interface Fragment {
  /** The function, or null for lines at file scope or in an unknown place. */
  readonly name: string | null;
  readonly lines: readonly PatchLine[];
}

/** Splits a hunk's lines into runs that belong to one function each. */
export function fragments(hunk: Hunk): Fragment[] {
  const indented = hunk.lines.some((l) => /^[\t ]+\S/.test(l.text));
  let current: string | null = functionHeader(hunk.section) ?? null;
  const out: { name: string | null; lines: PatchLine[] }[] = [];
  const push = (name: string | null, l: PatchLine) => {
    const last = out.at(-1);
    if (last && last.name === name) last.lines.push(l);
    else out.push({ name, lines: [l] });
  };
  for (const l of hunk.lines) {
    const header = functionHeader(l.text);
    if (header && !/^\s/.test(l.text)) current = header;
    push(current, l);
    if (indented && /^\}\s*(?:\/\*.*\*\/\s*)?$/.test(l.text)) current = null;
  }
  return out;
}
