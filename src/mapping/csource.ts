/**
 * Reads C statements out of a fragment of a function, as a hunk shows it: it may start inside a
 * block or a comment and end anywhere, and a mail client may have eaten its indentation.
 *
 * The output is a flat list of structural items (`if (cond)`, `{`, `}`, statements, labels,
 * jumps, loop heads) with the document line each starts on. No C semantics here: that is
 * `recognize.ts`'s job.
 */

export interface SourceLine {
  readonly text: string;
  /** Line in the patch document. */
  readonly line: number;
}

export interface CToken {
  readonly text: string;
  readonly line: number;
}

export type Item =
  /** An expression statement or declaration; `text` is compact (see `compact`). */
  | { readonly k: 'stmt'; readonly text: string; readonly line: number }
  | { readonly k: 'if'; readonly cond: readonly CToken[]; readonly line: number }
  | { readonly k: 'else'; readonly line: number }
  /** `for (...)` or `while (...)` head; a `do` head; the `} while (...);` of a do loop. */
  | { readonly k: 'for' | 'while'; readonly head: readonly CToken[]; readonly line: number }
  | { readonly k: 'do'; readonly line: number }
  | { readonly k: 'dowhile'; readonly cond: readonly CToken[]; readonly line: number }
  | { readonly k: 'open' | 'close'; readonly line: number }
  | { readonly k: 'label' | 'goto'; readonly name: string; readonly line: number }
  /** `value`: the returned expression, compact, when there is one (`return r;` has `r`). */
  | { readonly k: 'return'; readonly line: number; readonly value?: string }
  | { readonly k: 'break' | 'continue'; readonly line: number };

const PUNCT = ['->', '++', '--', '<<=', '>>=', '<<', '>>', '<=', '>=', '==', '!=', '&&', '||', '+=', '-=', '*=', '/=', '|=', '&=', '^=', '%=', '...', '::'];

/** Tokens of the fragment: comments and preprocessor lines removed. */
export function lex(lines: readonly SourceLine[]): CToken[] {
  const out: CToken[] = [];
  // A fragment that starts inside a block comment shows " * text" or " */" lines first.
  let inComment = startsInsideComment(lines);
  for (const { text, line } of lines) {
    let i = 0;
    const s = text;
    if (!inComment && /^\s*#/.test(s)) continue;
    while (i < s.length) {
      if (inComment) {
        const end = s.indexOf('*/', i);
        if (end < 0) {
          i = s.length;
          break;
        }
        inComment = false;
        i = end + 2;
        continue;
      }
      const c = s[i]!;
      if (c === ' ' || c === '\t' || c === '\r' || c === '\f' || c === '\v') {
        i++;
        continue;
      }
      if (s.startsWith('/*', i)) {
        inComment = true;
        i += 2;
        continue;
      }
      if (s.startsWith('//', i)) break;
      if (c === '"' || c === "'") {
        let j = i + 1;
        while (j < s.length && s[j] !== c) j += s[j] === '\\' ? 2 : 1;
        out.push({ text: s.slice(i, j + 1), line });
        i = j + 1;
        continue;
      }
      const word = /^[A-Za-z_]\w*|^\d[\w.]*/.exec(s.slice(i));
      if (word) {
        out.push({ text: word[0], line });
        i += word[0].length;
        continue;
      }
      const p = PUNCT.find((x) => s.startsWith(x, i)) ?? c;
      out.push({ text: p, line });
      i += p.length;
    }
  }
  return out;
}

function startsInsideComment(lines: readonly SourceLine[]): boolean {
  for (const { text } of lines) {
    const t = text.trim();
    if (!t) continue;
    if (t.startsWith('/*')) return false;
    return t === '*' || t.startsWith('* ') || t.startsWith('*/') || (t.startsWith('*') && !/^\*\s*\w+\s*=/.test(t));
  }
  return false;
}

/** Joins tokens with the fewest spaces that keep words apart: `vcpu->mode=IN_GUEST_MODE`. */
export function compact(tokens: readonly CToken[]): string {
  let out = '';
  let prevWord = false;
  for (const t of tokens) {
    const word = /^\w/.test(t.text);
    if (word && prevWord) out += ' ';
    out += t.text;
    prevWord = word;
  }
  return out;
}

/** Index just after the parenthesis that closes the one at `open`, or tokens.length. */
function closeParen(tokens: readonly CToken[], open: number): number {
  let depth = 0;
  for (let i = open; i < tokens.length; i++) {
    if (tokens[i]!.text === '(') depth++;
    else if (tokens[i]!.text === ')' && --depth === 0) return i + 1;
  }
  return tokens.length;
}

const JUMPS = new Set(['return', 'break', 'continue']);

/** Splits tokens into structural items. */
export function structure(tokens: readonly CToken[]): Item[] {
  const items: Item[] = [];
  let i = 0;
  while (i < tokens.length) {
    const t = tokens[i]!;
    const line = t.line;
    switch (t.text) {
      case '{':
        items.push({ k: 'open', line });
        i++;
        continue;
      case '}': {
        // `} while (cond);` closes a do loop: we saw its `do`, or the `;` after the condition
        // says so when the `do` is before the fragment.
        if (tokens[i + 1]?.text === 'while' && (lastOpenIsDo(items) || tokens[closeParen(tokens, i + 2)]?.text === ';')) {
          const end = closeParen(tokens, i + 2);
          items.push({ k: 'close', line });
          items.push({ k: 'dowhile', cond: tokens.slice(i + 3, end - 1), line: tokens[i + 1]!.line });
          i = tokens[end]?.text === ';' ? end + 1 : end;
          continue;
        }
        items.push({ k: 'close', line });
        i++;
        continue;
      }
      case ';':
        i++;
        continue;
      case 'if':
      case 'for':
      case 'while':
      case 'switch': {
        if (tokens[i + 1]?.text !== '(') break;
        const end = closeParen(tokens, i + 1);
        const inner = tokens.slice(i + 2, end - 1);
        if (t.text === 'if') items.push({ k: 'if', cond: inner, line });
        else if (t.text === 'switch') items.push({ k: 'stmt', text: `switch(${compact(inner)})`, line });
        else items.push({ k: t.text, head: inner, line });
        i = end;
        continue;
      }
      case 'else':
        items.push({ k: 'else', line });
        i++;
        continue;
      case 'do':
        items.push({ k: 'do', line });
        i++;
        continue;
      case 'goto': {
        const name = tokens[i + 1]?.text ?? '';
        items.push({ k: 'goto', name, line });
        i = skipPast(tokens, i, ';');
        continue;
      }
      default:
        break;
    }
    if (JUMPS.has(t.text)) {
      const end = skipPast(tokens, i, ';');
      if (t.text === 'return') {
        const value = compact(tokens.slice(i + 1, tokens[end - 1]?.text === ';' ? end - 1 : end));
        items.push(value ? { k: 'return', line, value } : { k: 'return', line });
      } else items.push({ k: t.text as 'break' | 'continue', line });
      i = end;
      continue;
    }
    // `label:` (not `a ? b : c`, not `case X:`).
    if (/^[A-Za-z_]\w*$/.test(t.text) && tokens[i + 1]?.text === ':' && t.text !== 'default' && t.text !== 'case') {
      items.push({ k: 'label', name: t.text, line });
      i += 2;
      continue;
    }
    // An expression statement or a declaration, up to `;` outside parentheses, or up to a `{`
    // that opens a block (a function header or an initializer the fragment cut).
    const start = i;
    let depth = 0;
    while (i < tokens.length) {
      const x = tokens[i]!.text;
      if (x === '(' || x === '[') depth++;
      else if (x === ')' || x === ']') depth--;
      else if (depth <= 0 && (x === ';' || x === '{' || x === '}')) break;
      i++;
    }
    const stmt = tokens.slice(start, i);
    if (tokens[i]?.text === ';') i++;
    if (stmt.length) items.push({ k: 'stmt', text: compact(stmt), line: stmt[0]!.line });
  }
  return items;
}

/**
 * How deep the items nest: open blocks, plus the control heads (`if`, `else`, loops, `do`) in
 * a row whose bodies are braceless. Reading a fragment recurses once per level, so a hunk
 * nesting deeper than any kernel function does is refused before it is read.
 */
export function nestingDepth(items: readonly Item[]): number {
  let blocks = 0;
  let heads = 0;
  let max = 0;
  for (const it of items) {
    if (it.k === 'open') blocks++;
    else if (it.k === 'close') blocks = Math.max(0, blocks - 1);
    if (it.k === 'if' || it.k === 'else' || it.k === 'for' || it.k === 'while' || it.k === 'do') heads++;
    else if (it.k !== 'open') heads = 0;
    max = Math.max(max, blocks + heads);
  }
  return max;
}

function lastOpenIsDo(items: readonly Item[]): boolean {
  let depth = 0;
  for (let j = items.length - 1; j >= 0; j--) {
    const it = items[j]!;
    if (it.k === 'close') depth++;
    else if (it.k === 'open') {
      if (depth === 0) return items[j - 1]?.k === 'do';
      depth--;
    }
  }
  return false;
}

function skipPast(tokens: readonly CToken[], i: number, text: string): number {
  let depth = 0;
  for (let j = i; j < tokens.length; j++) {
    const x = tokens[j]!.text;
    if (x === '(') depth++;
    else if (x === ')') depth--;
    else if (depth <= 0 && x === text) return j + 1;
    else if (depth <= 0 && (x === '}' || x === '{')) return j;
  }
  return tokens.length;
}
