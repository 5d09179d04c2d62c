/**
 * Which function each line of a hunk belongs to: the `@@ ... @@ section` names the function
 * the hunk starts in, a function header inside the hunk starts another, and (when the
 * indentation survived) a closing brace in column 0 ends one.
 */
import { Hunk, PatchLine } from '../patch';

/** Longer than any function header or closing-brace line a kernel file has. */
const MAX_HEADER_CHARS = 1_000;

const NOT_A_FUNCTION = new Set(['if', 'for', 'while', 'switch', 'return', 'else', 'do', 'case', 'goto', 'sizeof', 'typeof', 'defined']);

/**
 * The function a definition header declares, or undefined. Kernel style puts headers in
 * column 0: qualifiers and a type, the name, then the parameter list, no `;` or `=`.
 */
export function functionHeader(text: string): string | undefined {
  // No kernel function header is this long; the patterns below must never see megabyte lines
  // (an unanchored \s+$ over a 1.4 MB line of blanks took 27 minutes).
  if (text.length > MAX_HEADER_CHARS) return undefined;
  const t = text.trimEnd();
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
  /** Every line that belongs to the function on either side, in document order. */
  readonly lines: readonly PatchLine[];
  /** The function's lines before the patch (context and `-`) and after it (context and `+`). */
  readonly base: readonly PatchLine[];
  readonly patched: readonly PatchLine[];
}

/**
 * Splits a hunk's lines into the functions they belong to. The two sides are followed
 * separately, so that a hunk replacing one function with another (git pairs their lines)
 * attributes the removed lines to the old function and the added ones to the new.
 */
export function fragments(hunk: Hunk): Fragment[] {
  const indented = hunk.lines.some((l) => /^[\t ]+\S/.test(l.text));
  const start = functionHeader(hunk.section) ?? null;
  const current = { base: start, patched: start };
  const out: { name: string | null; lines: PatchLine[]; base: PatchLine[]; patched: PatchLine[] }[] = [];
  const frag = (name: string | null) => {
    // Consecutive runs keep their order; a function seen again later continues its fragment.
    const last = out.at(-1);
    if (last && last.name === name) return last;
    const seen = name !== null ? out.find((f) => f.name === name) : undefined;
    if (seen) return seen;
    const f = { name, lines: [], base: [], patched: [] };
    out.push(f);
    return f;
  };
  for (const l of hunk.lines) {
    const header = functionHeader(l.text);
    const sides: ('base' | 'patched')[] = l.kind === '-' ? ['base'] : l.kind === '+' ? ['patched'] : ['base', 'patched'];
    const touched = new Set<ReturnType<typeof frag>>();
    for (const side of sides) {
      if (header && !/^\s/.test(l.text)) current[side] = header;
      const f = frag(current[side]);
      f[side].push(l);
      touched.add(f);
    }
    for (const f of touched) f.lines.push(l);
    if (indented && l.text.length <= MAX_HEADER_CHARS && /^\}\s*(?:\/\*.*\*\/\s*)?$/.test(l.text)) for (const side of sides) current[side] = null;
  }
  return out;
}

/** The switch case a `case X:` / `default:` line opens, and the text after the label. */
function caseLabel(text: string): { name: string; rest: string } | undefined {
  const m = /^(\s*)(?:case\s+([A-Za-z_]\w*)|(default))\s*:(?!:)(.*)$/.exec(text);
  if (!m) return undefined;
  return { name: m[2] ?? 'default', rest: m[1]! + m[4]! };
}

/**
 * Net braces of a line of C, comments and string literals left out. One pass: a comment or a
 * literal that is not closed on the line counts as code, as does every later one of its kind
 * (the regular expressions this replaces rescanned to the end of the line for each, which a
 * line of thousands of unclosed `/*` made quadratic).
 */
function braceDelta(text: string): number {
  const lastClose = text.lastIndexOf('*/');
  const unclosed = new Set<string>();
  let d = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '/' && text[i + 1] === '*' && i + 2 <= lastClose) {
      i = text.indexOf('*/', i + 2) + 1;
      continue;
    }
    if (c === '/' && text[i + 1] === '/') break;
    if ((c === '"' || c === "'") && !unclosed.has(c)) {
      let j = i + 1;
      while (j < text.length && text[j] !== c) j += text[j] === '\\' ? 2 : 1;
      if (j < text.length) {
        i = j;
        continue;
      }
      unclosed.add(c);
    }
    d += c === '{' ? 1 : c === '}' ? -1 : 0;
  }
  return d;
}

/**
 * Splits a fragment of a function whose switch cases are programs of their own (see RuleSet.cases)
 * at its `case` labels: the lines of `case X:` up to the next label, or up to the brace that
 * closes the switch, form a fragment named `function.X`. The label line itself keeps only what
 * follows the label. Lines before the first label the hunk shows belong to the one case whose
 * signature they mention; if none or several do, they stay with the function, as the lines after
 * the switch do: which case they are in is not known.
 */
export function caseFragments(frag: Fragment, signatures: readonly (readonly [RegExp, string])[] = []): Fragment[] {
  if (!frag.name) return [frag];
  const out: { name: string | null; lines: PatchLine[] }[] = [];
  // The lines before the first label: the case whose signature they mention, if only one does.
  const first = frag.lines.findIndex((l) => caseLabel(l.text));
  const prefix = (first < 0 ? frag.lines : frag.lines.slice(0, first)).map((l) => l.text).join('\n');
  const named = [...new Set(signatures.filter(([re]) => re.test(prefix)).map(([, name]) => name))];
  let current: string = named.length === 1 ? `${frag.name}.${named[0]}` : frag.name;
  // Braces opened since the current case label; a `}` below zero closes the switch.
  let depth = 0;
  const push = (name: string, l: PatchLine) => {
    const last = out.at(-1);
    if (last && last.name === name) last.lines.push(l);
    else out.push({ name, lines: [l] });
  };
  for (const l of frag.lines) {
    const label = caseLabel(l.text);
    if (label) {
      current = `${frag.name}.${label.name}`;
      depth = 0;
      push(current, { ...l, text: label.rest });
      depth += braceDelta(label.rest);
      continue;
    }
    if (current !== frag.name) {
      const d = braceDelta(l.text);
      if (depth + d < 0) {
        current = frag.name;
        depth = 0;
        push(current, l);
        continue;
      }
      depth += d;
    }
    push(current, l);
  }
  return out.map((f) => ({ ...f, base: f.lines.filter((l) => l.kind !== '+'), patched: f.lines.filter((l) => l.kind !== '-') }));
}
