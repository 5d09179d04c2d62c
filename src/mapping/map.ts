/**
 * From hunks to the model: which programs a hunk changes and how, and the baseline and patched
 * programs of a patch. Steps a hunk does not show come from the profile (or, in a series, from
 * the patches before it).
 */
import { diffArrays } from 'diff';
import { BARRIERS, isCompilerBarrier } from '../model/barriers';
import { ModelError } from '../model/errors';
import { AREAS } from '../model/registry';
import { ProgramSet, namesIn } from '../model/program';
import { Hunk, PatchLine } from '../patch';
import { alignRegion, splice } from './align';
import { SourceLine, lex, nestingDepth, structure } from './csource';
import { Fragment, caseFragments, fragments, functionHeader } from './functions';
import { recognize } from './recognize';
import { AREA_RULES } from './rules';
import { Token, flatten, rebuild, tokenKey } from './tokens';

/** Kernel function names that are a program of the model under another name. */
const ALIASES: Readonly<Record<string, string>> = {
  pi_pre_block: 'vmx_pre_block',
  pi_post_block: 'vmx_post_block',
  __pi_post_block: 'vmx_post_block',
  __kvm_vcpu_kick: 'kvm_vcpu_kick',
  kvm_pi_deliver: '__vmx_deliver_posted_interrupt',
};

/** Every area's old spellings of its functions' names. */
const AREA_ALIASES: Readonly<Record<string, string>> = Object.assign({}, ...AREA_RULES.map((r) => r.aliases ?? {}));

/** Functions whose switch cases are programs of their own (`function.CASE`), with their cases' signatures. */
const CASE_FUNCTIONS: ReadonlyMap<string, readonly (readonly [RegExp, string])[]> = new Map(AREA_RULES.flatMap((r) => Object.entries(r.cases ?? {})));

/** Every function some area models in some kernel: a patch that adds one adds its program. */
const KNOWN_PROGRAMS: ReadonlySet<string> = new Set(AREAS.flatMap((a) => a.eras.flatMap((e) => Object.keys(e.programs))));

export function programFor(fn: string | null, programs: ProgramSet): string | undefined {
  if (!fn) return undefined;
  const dot = fn.indexOf('.');
  const base = dot < 0 ? fn : fn.slice(0, dot);
  const name = (ALIASES[base] ?? AREA_ALIASES[base] ?? base) + (dot < 0 ? '' : fn.slice(dot));
  return name in programs ? name : undefined;
}

/** A switch case's program (`function.CASE`): C's `break` leaves the case, i.e. the program. */
function isCaseProgram(program: string): boolean {
  return program.includes('.');
}

/** In a case program, a `break` outside any loop returns. */
function breaksReturn(tokens: readonly Token[]): Token[] {
  const out: Token[] = [];
  // Block depths at which loops were opened.
  const loops: number[] = [];
  let depth = 0;
  let loopNext = false;
  for (const t of tokens) {
    if (t.t === 'open') {
      depth++;
      if (loopNext) loops.push(depth);
      loopNext = false;
    } else if (t.t === 'close') {
      if (loops.at(-1) === depth) loops.pop();
      depth--;
    } else if (t.t === 'loop') loopNext = true;
    out.push(t.t === 'break' && !loops.length ? { t: 'return', ...(t.line !== undefined ? { line: t.line } : {}) } : t);
  }
  return out;
}

/** The fragments of a hunk, switch cases of the functions that have case programs split off. */
function hunkFragments(hunk: Hunk): Fragment[] {
  return fragments(hunk).flatMap((f) => (f.name && CASE_FUNCTIONS.has(f.name) ? caseFragments(f, CASE_FUNCTIONS.get(f.name)) : [f]));
}

/** How a report names where a fragment is. */
function fragmentPlace(name: string | null, file: string): string {
  if (!name) return `file scope of ${file}`;
  const dot = name.indexOf('.');
  return dot < 0 ? `${name}() in ${file}` : `case ${name.slice(dot + 1)} of ${name.slice(0, dot)}() in ${file}`;
}

/**
 * Whether a hunk changes lines of a function some model area covers in some kernel: a cheap
 * test on the hunk's text, before any mapping (review.ts counts a document's modelled patches).
 */
export function touchesModelledFunction(hunk: Hunk, programs: ProgramSet): boolean {
  return hunkFragments(hunk).some((f) => f.name !== null && f.lines.some((l) => l.kind !== ' ') && (programFor(f.name, programs) !== undefined || KNOWN_PROGRAMS.has(f.name)));
}

export type HunkStatus = 'modelled' | 'partial' | 'no-behavioural-change' | 'not-modelled';

export interface HunkChange {
  readonly program: string;
  /** The `+` line (or the `-` line of a removal). */
  readonly line: number;
  /** For a moved statement, the `-` line it left. */
  readonly from?: number;
  readonly summary: string;
}

/** A hunk's edit of one program: the tokens its two sides show. */
export interface ProgramEdit {
  readonly program: string;
  readonly hunk: number;
  readonly base: readonly Token[];
  readonly patched: readonly Token[];
  /** Placed anywhere in the program, not only after the previous edit (a single descriptor update). */
  readonly anywhere?: boolean;
  /** The hunk adds the whole function (a program the profile lacks) or removes it. */
  readonly whole?: 'added' | 'removed';
}

export interface MappedHunk {
  readonly hunk: Hunk;
  readonly functions: readonly string[];
  readonly status: HunkStatus;
  /** Why the hunk is not (fully) modelled, or why it changes no behaviour. */
  readonly reason: string | null;
  readonly changes: readonly HunkChange[];
  readonly edits: readonly ProgramEdit[];
  /** Changed lines the model does not cover. */
  readonly unmodelled: readonly { readonly line: number; readonly text: string }[];
  readonly notes: readonly string[];
}

function sides(f: Fragment): { base: SourceLine[]; patched: SourceLine[] } {
  return { base: bodyOf(f.name, f.base), patched: bodyOf(f.name, f.patched) };
}

/** A side's lines without the function's own header (up to its `{`), which is no statement. */
function bodyOf(name: string | null, lines: readonly PatchLine[]): SourceLine[] {
  const out = lines.map((l) => ({ text: l.text, line: l.line }));
  const h = name ? out.findIndex((l) => !/^\s/.test(l.text) && functionHeader(l.text) === name) : -1;
  if (h < 0) return out;
  const open = out.findIndex((l, k) => k >= h && l.text.includes('{'));
  if (open < 0) return out.slice(0, h);
  const rest = out[open]!.text.slice(out[open]!.text.indexOf('{') + 1);
  return [...out.slice(0, h), ...(rest.trim() ? [{ text: rest, line: out[open]!.line }] : []), ...out.slice(open + 1)];
}

function labelsOf(programs: ProgramSet, name: string, extra: readonly Token[]): Set<string> {
  const out = new Set<string>();
  for (const t of [...flatten(programs[name] ?? []), ...extra]) if (t.t === 'label') out.add(t.name);
  return out;
}

interface SideResult {
  tokens: Token[];
  unmodelled: { line: number; text: string }[];
  inert: { line: number; text: string; why: string }[];
  blocked: { line: number; text: string; why?: string }[];
  codeLines: Set<number>;
  itemStarts: number[];
}

/** Deeper than any kernel function nests; reading deeper fragments would recurse without bound. */
export const MAX_NESTING = 64;

/**
 * Longer than any modelled kernel function (vcpu_enter_guest, the longest, is a few hundred
 * lines in every era); a side of a function this long is generated or damaged text, and reading
 * it would hold the review for seconds without giving a verdict anyone could use.
 */
export const MAX_FUNCTION_LINES = 2_000;
/** The same bound in characters (a few lines of megabytes each held the lexer for seconds). */
export const MAX_FUNCTION_CHARS = 200_000;

function tooLong(lines: readonly SourceLine[]): string | undefined {
  if (lines.length > MAX_FUNCTION_LINES) return `${lines.length} lines of one function in a hunk, more than any modelled kernel function has (at most ${MAX_FUNCTION_LINES} are read); not read`;
  let chars = 0;
  for (const l of lines) chars += l.text.length;
  if (chars > MAX_FUNCTION_CHARS) return `${chars} characters of one function in a hunk, more than any modelled kernel function has (at most ${MAX_FUNCTION_CHARS} are read); not read`;
  return undefined;
}

function readSide(lines: readonly SourceLine[], program: string, programs: ProgramSet): SideResult {
  const long = tooLong(lines);
  if (long) {
    const first = lines[0]?.line ?? 0;
    return { tokens: [], unmodelled: [], inert: [], blocked: [{ line: first, text: program, why: long }], codeLines: new Set(lines.map((l) => l.line)), itemStarts: [] };
  }
  const toks = lex(lines);
  const items = structure(toks);
  if (nestingDepth(items) > MAX_NESTING) {
    const first = items[0]?.line ?? lines[0]?.line ?? 0;
    return { tokens: [], unmodelled: [], inert: [], blocked: [{ line: first, text: program, why: `nested more than ${MAX_NESTING} blocks deep, which no kernel function is; not read` }], codeLines: new Set(toks.map((t) => t.line)), itemStarts: [] };
  }
  const hunkLabels = items.flatMap((it) => (it.k === 'label' ? [{ t: 'label' as const, name: it.name }] : []));
  const indent = new Map(lines.map((l) => [l.line, indentation(l.text)]));
  const r = recognize(items, program, labelsOf(programs, program, hunkLabels), { known: new Set(Object.keys(programs)), indentOf: (line) => indent.get(line) });
  return {
    tokens: isCaseProgram(program) ? breaksReturn(r.tokens) : r.tokens,
    unmodelled: r.unmodelled,
    inert: r.inert,
    blocked: r.blocked,
    codeLines: new Set(toks.map((t) => t.line)),
    itemStarts: items.map((it) => it.line).sort((a, b) => a - b),
  };
}

/** Columns of leading whitespace (a tab to the next multiple of 8); undefined for a blank line. */
function indentation(text: string): number | undefined {
  let col = 0;
  for (const c of text) {
    if (c === '\t') col = (Math.floor(col / 8) + 1) * 8;
    else if (c === ' ') col++;
    else return col;
  }
  return undefined;
}

/** The statement a line belongs to: the last one starting at or before it (`itemStarts` is sorted). */
function statementStart(side: SideResult, line: number): number | undefined {
  const starts = side.itemStarts;
  let lo = 0;
  let hi = starts.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (starts[mid]! <= line) lo = mid + 1;
    else hi = mid;
  }
  return lo > 0 ? starts[lo - 1] : undefined;
}

/** A reason quotes at most this much of a statement, and this many statements. */
const QUOTED_CHARS = 80;
const QUOTED_STATEMENTS = 10;

/** Statements as a reason quotes them: each shortened, the first few, then how many more. */
function quoted(xs: readonly { readonly line: number; readonly text: string }[]): string {
  const parts = [...new Set(xs.map((x) => `\`${shortened(x.text)}\` (line ${x.line})`))];
  const shown = parts.slice(0, QUOTED_STATEMENTS).join(', ');
  return parts.length > QUOTED_STATEMENTS ? `${shown} and ${parts.length - QUOTED_STATEMENTS} more` : shown;
}

function shortened(text: string): string {
  if (text.length <= QUOTED_CHARS) return text;
  let cut = QUOTED_CHARS - 1;
  // Never split a surrogate pair.
  if (/[\ud800-\udbff]/.test(text[cut - 1]!)) cut--;
  return `${text.slice(0, cut)}…`;
}

export function mapHunk(hunk: Hunk, programs: ProgramSet): MappedHunk {
  const frags = hunkFragments(hunk).filter((f) => f.lines.some((l) => l.kind !== ' '));
  const functions = [...new Set(frags.map((f) => f.name).filter((n): n is string => !!n))];
  const edits: ProgramEdit[] = [];
  const changes: HunkChange[] = [];
  const unmodelled: { line: number; text: string }[] = [];
  const unmodelledLines = new Set<number>();
  const notes: string[] = [];
  const reasons: string[] = [];
  let behavioural = false;
  let outside = false;

  if (hunk.truncated) notes.push('the hunk is cut off: only the lines that arrived are read');
  for (const f of frags) {
    const program = programFor(f.name, programs);
    const changedHere = f.lines.filter((l) => l.kind !== ' ');
    const file = hunk.file || 'a file the hunk does not name';
    const where = fragmentPlace(f.name, file);
    const whole = wholeFunction(f);
    if (whole && ((whole.kind === 'added' && !program && KNOWN_PROGRAMS.has(f.name!)) || (whole.kind === 'removed' && program === f.name))) {
      // A function added or removed as a whole: its program appears or goes.
      const side = readSide(whole.body, f.name!, programs);
      if (side.blocked.length) {
        outside = true;
        reasons.push(`${where}: ${quoted(side.blocked)} guards modelled steps but is not in the model`);
        continue;
      }
      for (const u of side.unmodelled) {
        if (unmodelledLines.has(u.line)) continue;
        unmodelledLines.add(u.line);
        unmodelled.push(u);
      }
      behavioural = true;
      const tokens = side.tokens;
      edits.push({ program: f.name!, hunk: hunk.index, base: whole.kind === 'removed' ? tokens : [], patched: whole.kind === 'added' ? tokens : [], whole: whole.kind });
      const steps = tokens.filter((t) => t.t !== 'open' && t.t !== 'close' && t.t !== 'else').map(tokenKey);
      changes.push({ program: f.name!, line: whole.header, summary: `${f.name}() ${whole.kind}${steps.length ? `: ${steps.join(', ')}` : ''}` });
      continue;
    }
    if (!program) {
      // Code outside the model is not read further; past the length bound, not even lexed to
      // tell comments from code (a 1.8 MB line took the lexer 0.7 s).
      if (tooLong(changedHere)) {
        outside = true;
        reasons.push(`${where} is not in the model`);
        continue;
      }
      const code = lex(changedHere.map((l) => ({ text: l.text, line: l.line })));
      // Blank lines, comments or symbol exports between functions change nothing.
      if (!f.name && changedHere.every((l) => /^\s*EXPORT_SYMBOL\w*\(\w+\);\s*$/.test(l.text) || !lex([{ text: l.text, line: l.line }]).length)) continue;
      if (code.length === 0 && f.name) {
        notes.push(`${where}: only comments change, in a function the model does not cover`);
      }
      // Comments and blank lines between functions (the comment above a new function) change
      // nothing.
      if (code.length === 0 && !f.name) continue;
      outside = true;
      reasons.push(`${where} is not in the model`);
      continue;
    }
    const { base, patched } = sides(f);
    const b = readSide(base, program, programs);
    const p = readSide(patched, program, programs);
    if (b.blocked.length || p.blocked.length) {
      outside = true;
      const all = [...b.blocked, ...p.blocked];
      const guards = all.filter((x) => !x.why);
      if (guards.length) reasons.push(`${where}: ${quoted(guards)} guards modelled steps but is not in the model`);
      for (const why of new Set(all.filter((x) => x.why).map((x) => x.why!))) reasons.push(`${where}: ${quoted(all.filter((x) => x.why === why))}: ${why}`);
      continue;
    }
    // Classify each changed line by the statement it belongs to.
    const unmodelledAt = (side: SideResult) => new Map(side.unmodelled.map((u) => [u.line, u] as const).reverse());
    const byStart = { base: unmodelledAt(b), patched: unmodelledAt(p) };
    for (const l of changedHere) {
      const side = l.kind === '-' ? b : p;
      if (!side.codeLines.has(l.line)) continue;
      const start = statementStart(side, l.line);
      const um = start === undefined ? undefined : (l.kind === '-' ? byStart.base : byStart.patched).get(start);
      if (um && !unmodelledLines.has(l.line)) {
        unmodelledLines.add(l.line);
        unmodelled.push({ line: l.line, text: um.text });
      }
    }
    const fieldEdit = pidFieldEdit(program, programs, b.tokens, p.tokens, hunk.index);
    if (fieldEdit) {
      behavioural = true;
      edits.push(fieldEdit);
      changes.push(...describeChanges(program, fieldEdit.base, fieldEdit.patched, changedHere[0]?.line ?? hunk.startLine));
    }
    const bk = b.tokens.map(tokenKey);
    const pk = p.tokens.map(tokenKey);
    if (hunk.truncated) {
      // A reply cut the hunk inside blocks it opened: close them where the text ends.
      const closed = closeCutBlocks(b.tokens, p.tokens);
      if (closed) notes.push(`${program}: the hunk is cut off inside ${closed} block${closed > 1 ? 's' : ''} it opens; the model closes ${closed > 1 ? 'them' : 'it'} where the text ends`);
    }
    // Compiler-only barriers (smp_wmb(), smp_mb__after_atomic(), ...) order nothing on x86.
    const onX86 = (ts: readonly Token[]) => ts.filter((t) => !(t.t === 'op' && isCompilerBarrier(t.op))).map(tokenKey).join('\n');
    const barriersOnly = bk.join('\n') !== pk.join('\n') && onX86(b.tokens) === onX86(p.tokens);
    if (barriersOnly) {
      const onChangedLine = (t: Token) => changedHere.some((l) => l.line === t.line);
      const moved = [...new Set([...b.tokens, ...p.tokens].flatMap((t) => (t.t === 'op' && isCompilerBarrier(t.op) && onChangedLine(t) ? [t.op] : [])))];
      notes.push(`${program}: no behavioural change on x86: ${moved.map((op) => BARRIERS[op]!.why).join('; ')}`);
    } else if (bk.join('\n') !== pk.join('\n')) {
      behavioural = true;
      edits.push({ program, hunk: hunk.index, base: b.tokens, patched: p.tokens });
      changes.push(...describeChanges(program, b.tokens, p.tokens, changedHere[0]?.line ?? hunk.startLine));
    } else if (!unmodelled.length && !fieldEdit) {
      const inert = [...b.inert, ...p.inert].filter((x) => changedHere.some((l) => l.line === x.line));
      notes.push(
        inert.length
          ? `${program}: no behavioural change: ${[...new Set(inert.map((x) => x.why))].join('; ')} (and comments or names) only`
          : `${program}: no behavioural change: only comments, blank lines or names change`,
      );
    }
  }
  if (unmodelled.length) reasons.push(`changed statements outside the model: ${quoted(unmodelled)}`);
  let status: HunkStatus;
  if (!frags.length || (!behavioural && (outside || unmodelled.length))) status = 'not-modelled';
  else if (behavioural && (outside || unmodelled.length)) status = 'partial';
  else if (behavioural) status = 'modelled';
  else status = 'no-behavioural-change';
  if (!frags.length) reasons.push('no line of the hunk changes');
  const reason = status === 'modelled' ? null : status === 'no-behavioural-change' ? notes.join('; ') : reasons.join('; ');
  return { hunk, functions, status, reason, changes, edits, unmodelled, notes };
}

/**
 * A function the hunk adds or removes whole: every changed line is on one side, and the
 * fragment runs from the function's header to its closing brace. Returns the body's lines.
 */
function wholeFunction(f: Fragment): { kind: 'added' | 'removed'; header: number; body: SourceLine[] } | undefined {
  if (!f.name) return undefined;
  // One side has none of the function's lines: it is added (or removed) whole.
  const kind = f.base.length === 0 ? 'added' : f.patched.length === 0 ? 'removed' : undefined;
  if (!kind) return undefined;
  const lines = kind === 'added' ? f.patched : f.base;
  const first = lines[0]!;
  if (functionHeader(first.text) !== f.name || /^\s/.test(first.text)) return undefined;
  const open = lines.findIndex((l) => l.text.includes('{'));
  const close = lines.map((l) => /^\}\s*$/.test(l.text)).lastIndexOf(true);
  if (open < 0 || close <= open) return undefined;
  const after = lines[open]!.text.slice(lines[open]!.text.indexOf('{') + 1);
  const body = [...(after.trim() ? [{ text: after, line: lines[open]!.line }] : []), ...lines.slice(open + 1, close).map((l) => ({ text: l.text, line: l.line }))];
  return { kind, header: first.line, body };
}

/**
 * A hunk that shows only the inside of a descriptor cmpxchg loop (`new.sn = 1;`) changes the
 * program's `pid_update`. Takes the field tokens out of both sides and returns that edit.
 */
function pidFieldEdit(program: string, programs: ProgramSet, base: Token[], patched: Token[], hunk: number): ProgramEdit | undefined {
  let line: number | undefined;
  const take = (ts: Token[], note: boolean) => {
    const fields: string[] = [];
    for (let k = ts.length - 1; k >= 0; k--) {
      const t = ts[k]!;
      if (t.t === 'op' && t.op === '__pid_field') {
        fields.unshift(...t.args);
        if (note && t.line !== undefined) line = t.line;
        ts.splice(k, 1);
      }
    }
    return fields;
  };
  const bf = take(base, false);
  const pf = take(patched, true);
  if (!bf.length && !pf.length) return undefined;
  if ([...bf].sort().join() === [...pf].sort().join()) return undefined;
  const key = (a: string) => a.split('=')[0]!;
  const updates = flatten(programs[program] ?? []).filter((t): t is Extract<Token, { t: 'op' }> => t.t === 'op' && t.op === 'pid_update');
  const target = updates.find((t) => bf.every((f) => t.args.includes(f))) ?? updates[0];
  if (!target) throw new ModelError(`hunk ${hunk}: it edits a descriptor update, but ${program} has none`);
  const changedKeys = new Set([...bf, ...pf].map(key));
  const kept = target.args.filter((a) => !changedKeys.has(key(a)) || !a.includes('='));
  const order = (args: string[]) => ['ndst', 'nv', 'sn'].flatMap((k) => args.filter((a) => key(a) === k)).concat(args.filter((a) => !a.includes('=')));
  const after: Token = { t: 'op', op: 'pid_update', args: order([...kept.filter((a) => a.includes('=')), ...pf, ...kept.filter((a) => !a.includes('='))]), ...(line !== undefined ? { line } : {}) };
  return { program, hunk, base: [target], patched: [after], anywhere: true };
}

/** Drops the closing braces of blocks that opened before the tokens (a function's own `}`). */
function withoutUnmatchedCloses(tokens: readonly Token[]): Token[] {
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
  return out;
}

/** Net blocks opened by a token stream. */
function openBlocks(tokens: readonly Token[]): number {
  return tokens.reduce((n, t) => n + (t.t === 'open' ? 1 : t.t === 'close' ? -1 : 0), 0);
}

/** Appends closing braces to the side that opened more blocks; returns how many. */
function closeCutBlocks(base: Token[], patched: Token[]): number {
  const d = openBlocks(patched) - openBlocks(base);
  const side = d > 0 ? patched : base;
  for (let k = 0; k < Math.abs(d); k++) side.push({ t: 'close' });
  return Math.abs(d);
}

/**
 * What changed between two token lists, in words, each at its line. A token with no line of its
 * own (a descriptor update rebuilt from the programs, not read from the hunk) is placed at
 * `fallbackLine`, the fragment's first changed line.
 */
export function describeChanges(program: string, base: readonly Token[], patched: readonly Token[], fallbackLine: number): HunkChange[] {
  const significant = (t: Token) => t.t !== 'open' && t.t !== 'close' && t.t !== 'else';
  const b = base.filter(significant);
  const p = patched.filter(significant);
  const parts = diffArrays(
    b.map((t) => tokenKey(t)),
    p.map((t) => tokenKey(t)),
  );
  const removed: { key: string; line: number; after: string | undefined }[] = [];
  const added: { key: string; line: number; before: string | undefined }[] = [];
  let bi = 0;
  let pi = 0;
  for (const part of parts) {
    for (let k = 0; k < part.value.length; k++) {
      if (part.removed) {
        const t = b[bi]!;
        removed.push({ key: part.value[k]!, line: t.line ?? fallbackLine, after: b[bi - 1] ? tokenKey(b[bi - 1]!) : undefined });
        bi++;
      } else if (part.added) {
        const t = p[pi]!;
        added.push({ key: part.value[k]!, line: t.line ?? fallbackLine, before: p[pi + 1] ? tokenKey(p[pi + 1]!) : undefined });
        pi++;
      } else {
        bi++;
        pi++;
      }
    }
  }
  const out: HunkChange[] = [];
  for (const a of added) {
    const r = removed.findIndex((x) => x.key === a.key);
    if (r >= 0) {
      const x = removed.splice(r, 1)[0]!;
      out.push({ program, line: a.line, ...(x.line ? { from: x.line } : {}), summary: `${a.key} moved${a.before ? ` before ${a.before}` : ' to the end'}` });
      continue;
    }
    const sameOp = removed.findIndex((x) => x.key.split('(')[0] === a.key.split('(')[0] && (a.key.startsWith('if ') === x.key.startsWith('if ')) && !a.key.startsWith('if '));
    if (sameOp >= 0) {
      const x = removed.splice(sameOp, 1)[0]!;
      out.push({ program, line: a.line, summary: `${x.key} changed to ${a.key}` });
      continue;
    }
    out.push({ program, line: a.line, summary: `${a.key} added${a.before ? ` before ${a.before}` : ''}` });
  }
  for (const r of removed) out.push({ program, line: r.line, summary: `${r.key} removed` });
  return out.sort((x, y) => x.line - y.line);
}

/**
 * Applies hunks' edits to a program set, on the baseline side or the patched side. Edits of one
 * program are placed in order, each after the one before. Returns the programs and notes on
 * where a hunk's baseline differs from the programs it was placed in.
 */
export function applyEdits(programs: ProgramSet, edits: readonly ProgramEdit[], side: 'base' | 'patched'): { programs: ProgramSet; notes: string[] } {
  const streams = new Map<string, { tokens: Token[]; from: number }>();
  const notes: string[] = [];
  const added = new Map<string, readonly Token[]>();
  const removed = new Set<string>();
  for (const e of edits) {
    if (e.whole) {
      // A whole function: only the patched side differs (the baseline has it or lacks it as is).
      if (side === 'patched' && e.whole === 'added') added.set(e.program, e.patched);
      if (side === 'patched' && e.whole === 'removed') removed.add(e.program);
      continue;
    }
    let s = streams.get(e.program);
    if (!s) {
      s = { tokens: flatten(programs[e.program] ?? []), from: 0 };
      streams.set(e.program, s);
    }
    if (!s.tokens.length && !e.base.some((t) => t.t !== 'open' && t.t !== 'close')) {
      // A program with no step in this kernel (a hook that does nothing the model follows), and a
      // hunk whose baseline side shows none either: the hunk's statements are the whole program.
      s.tokens = withoutUnmatchedCloses(side === 'base' ? e.base : e.patched);
      continue;
    }
    const region = alignRegion(s.tokens, e.base, e.anywhere ? 0 : s.from);
    if (!region) throw new ModelError(`hunk ${e.hunk}: cannot place its statements in ${e.program}: none of them is in that program`);
    // A hunk that reaches the end of the function shows its closing brace, which the program
    // has no token for: drop the closes the region does not have.
    const extra = openBlocks(s.tokens.slice(region.lo, region.hi + 1)) - openBlocks(e.base);
    // Likewise a hunk can start with the `}` of a block the program has as one step (the
    // request block at the top of vcpu_enter_guest): drop leading closes the region lacks.
    const leading = (ts: readonly Token[]) => ts.findIndex((t) => t.t !== 'close') < 0 ? ts.length : ts.findIndex((t) => t.t !== 'close');
    const lead = Math.max(0, leading(e.base) - leading(s.tokens.slice(region.lo, region.hi + 1)));
    const trim = (ts: readonly Token[]) => {
      const out = [...ts];
      for (let k = 0; k < lead && out[0]?.t === 'close'; k++) out.shift();
      for (let k = 0; k < extra - lead && out.at(-1)?.t === 'close'; k++) out.pop();
      return out;
    };
    const shown = e.base.filter((t) => t.t !== 'open' && t.t !== 'close').length;
    // Trailing returns (the end of the function) change nothing and are not counted.
    let trailing = 0;
    while (trailing < e.base.length && e.base[e.base.length - 1 - trailing]!.t === 'return') trailing++;
    const missing = e.base.length - region.matched - Math.max(0, extra) - trailing;
    if (missing > 0 && shown) {
      notes.push(`hunk ${e.hunk}: ${missing} of its ${e.base.length} baseline steps of ${e.program} differ from the profile; the hunk's text is used`);
    }
    const replacement = trim(side === 'base' ? e.base : e.patched);
    s.tokens = splice(s.tokens, region, replacement);
    if (!e.anywhere) s.from = region.lo + replacement.length;
  }
  const out: Record<string, ReturnType<typeof rebuild>> = { ...programs };
  for (const [name, s] of streams) {
    try {
      out[name] = rebuild(s.tokens);
    } catch (err) {
      throw new ModelError(`cannot rebuild ${name} after the hunk: ${(err as Error).message}`);
    }
  }
  for (const [name, tokens] of added) {
    try {
      out[name] = rebuild(tokens);
    } catch (err) {
      throw new ModelError(`cannot read the added function ${name}: ${(err as Error).message}`);
    }
  }
  // A removed function goes, unless a program still calls it: then it runs as an empty body.
  const called = removed.size ? new Set(Object.values(out).flatMap((p) => [...namesIn(p).ops])) : new Set<string>();
  for (const name of removed) {
    if (called.has(name)) {
      out[name] = [];
      notes.push(`${name}() is removed but still called: it runs as an empty function`);
    } else delete out[name];
  }
  return { programs: out, notes };
}

