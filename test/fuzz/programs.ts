/**
 * Random program variants, for checking the explorer against SPIN beyond the fixtures: a
 * scenario under a profile, with one to three edits a patch could make to the programs the
 * scenario runs: two adjacent steps swapped, a step moved a few positions (into or out of a
 * block too), a step deleted.
 *
 * - Each edit goes the mapping's own way: it is a ProgramEdit whose two sides are the changed
 *   stretch of the program's token stream with three tokens of context, as a hunk shows it,
 *   placed by `applyEdits`. So a variant is a program set the mapping builds from some hunk,
 *   placement included (an edit whose context also occurs earlier lands there, as a hunk would).
 * - Only `op` steps are swapped, moved or deleted; conditions, loops, labels, gotos, breaks
 *   and returns stay where they are, and a step is never put between an `if`, `loop` or `else`
 *   and its block. So every edit gives a well-formed stream. A variant can still fail to build
 *   (an area that needs the step an edit removed), which the campaign counts apart.
 * - The edited program is drawn uniformly from the programs the scenario's model runs that
 *   offer the edit a site, so edits land where they can change a verdict.
 * - The area is drawn first, uniformly, then the scenario and the profile within it: the
 *   posted-interrupt area has most scenarios and would otherwise crowd out the others.
 *
 * Variant k of a run seeded with S is drawn with fast-check from `caseSeed(S, k)`, so it can be
 * rebuilt alone (`npm run fuzz -- --spin 1 --seed S --from k`).
 */
import fc from 'fast-check';
import { applyEdits } from '../../src/mapping/map';
import { Token, flatten, tokenKey } from '../../src/mapping/tokens';
import { Area, Scenario } from '../../src/model/area';
import { PROFILES, Profile } from '../../src/model/profiles';
import { Program, ProgramSet, formatProgram } from '../../src/model/program';
import { SCENARIOS } from '../../src/model/scenarios';
import { buildModel } from '../../src/model/simulate';
import { caseSeed } from './caseSeed';

export type EditKind = 'swap' | 'move' | 'delete';

/** An edit as drawn: which program and site are resolved against the programs when applied. */
interface EditDraw {
  readonly kind: EditKind;
  /** Picks the program among those with a site for the edit (modulo their number). */
  readonly program: number;
  /** Picks the site in that program (modulo the number of sites). */
  readonly site: number;
  /** For a move: by how many insertion points, either way. */
  readonly shift: number;
}

interface VariantDraw {
  readonly scenario: string;
  readonly profile: string;
  readonly edits: readonly EditDraw[];
}

export interface AppliedEdit {
  readonly kind: EditKind;
  readonly program: string;
  /** The stretch that changed, as step text: `before -> after`. */
  readonly summary: string;
}

export interface ProgramVariant {
  readonly seed: number;
  readonly index: number;
  readonly scenario: Scenario;
  readonly profile: Profile;
  readonly edits: readonly AppliedEdit[];
  /** The programs that differ from the profile's, as `buildModel` takes them. */
  readonly overrides: Readonly<Record<string, Program>>;
}

/** Tokens of context on each side of an edit, as `diff -u` gives three lines of it. */
const CONTEXT = 3;
/** A move goes at most this many insertion points away. */
const MAX_SHIFT = 4;

// ------------------------------------------------------------------------------ drawing

const PICK = fc.nat({ max: 0x3fffffff });

const editDraw: fc.Arbitrary<EditDraw> = fc.record({
  kind: fc.constantFrom<EditKind>('swap', 'move', 'delete'),
  program: PICK,
  site: PICK,
  shift: fc.integer({ min: 1, max: MAX_SHIFT }).chain((n) => fc.constantFrom(n, -n)),
});

/** Per area, its scenarios and the profiles that have it. */
function areaChoices(): { area: Area; scenarios: string[]; profiles: string[] }[] {
  const areas = [...new Set(SCENARIOS.map((s) => s.area))];
  return areas.map((area) => ({
    area,
    scenarios: SCENARIOS.filter((s) => s.area === area).map((s) => s.id),
    profiles: PROFILES.filter((p) => p.areas.includes(area)).map((p) => p.id),
  }));
}

let arbitrary: fc.Arbitrary<VariantDraw> | undefined;

function variantArbitrary(): fc.Arbitrary<VariantDraw> {
  // No bias: fast-check's small-value bias would favour the first scenario, profile and site.
  return fc.noBias(
    fc.constantFrom(...areaChoices()).chain((c) =>
      fc.record({
        scenario: fc.constantFrom(...c.scenarios),
        profile: fc.constantFrom(...c.profiles),
        edits: fc.array(editDraw, { minLength: 1, maxLength: 3 }),
      }),
    ),
  );
}

function drawn(seed: number, index: number): VariantDraw {
  arbitrary ??= variantArbitrary();
  return fc.sample(arbitrary, { seed: caseSeed(seed, index), numRuns: 1 })[0]!;
}

// ------------------------------------------------------------------------------ edits on streams

const same = (a: readonly Token[], b: readonly Token[]) => a.length === b.length && a.every((t, k) => tokenKey(t) === tokenKey(b[k]!));

/** Whether a step may go at gap `g` of `ts` (between `ts[g-1]` and `ts[g]`) and the stream stay well-formed. */
function insertable(ts: readonly Token[], g: number): boolean {
  const before = ts[g - 1]?.t;
  return before !== 'if' && before !== 'loop' && before !== 'else' && ts[g]?.t !== 'else';
}

/** The stream after the edit at `site`, or undefined when it would not change the stream. */
function edited(ts: readonly Token[], kind: EditKind, site: number, shift: number): Token[] | undefined {
  let out: Token[];
  switch (kind) {
    case 'swap':
      out = [...ts.slice(0, site), ts[site + 1]!, ts[site]!, ...ts.slice(site + 2)];
      break;
    case 'delete':
      out = [...ts.slice(0, site), ...ts.slice(site + 1)];
      break;
    case 'move': {
      const rest = [...ts.slice(0, site), ...ts.slice(site + 1)];
      const gaps = Array.from({ length: rest.length + 1 }, (_, g) => g).filter((g) => insertable(rest, g));
      const here = gaps.indexOf(site);
      const to = gaps[Math.max(0, Math.min(gaps.length - 1, here + shift))]!;
      out = [...rest.slice(0, to), ts[site]!, ...rest.slice(to)];
      break;
    }
  }
  return same(out, ts) ? undefined : out;
}

/** Where an edit of `kind` can apply: adjacent op pairs for a swap, op steps otherwise. */
function sites(ts: readonly Token[], kind: EditKind): number[] {
  const out: number[] = [];
  for (let k = 0; k < ts.length; k++) {
    if (ts[k]!.t !== 'op') continue;
    if (kind === 'swap' && ts[k + 1]?.t !== 'op') continue;
    if (kind === 'move' && ts.length < 2) continue;
    out.push(k);
  }
  return out;
}

/**
 * The edit as a hunk carries it: the stretch of `before` and `after` that differs, with
 * CONTEXT tokens on each side (`base`, `patched`), and without them (`removed`, `added`).
 */
function asHunk(before: readonly Token[], after: readonly Token[]): { base: Token[]; patched: Token[]; removed: Token[]; added: Token[] } {
  let lo = 0;
  while (lo < before.length && lo < after.length && tokenKey(before[lo]!) === tokenKey(after[lo]!)) lo++;
  let tail = 0;
  while (tail < before.length - lo && tail < after.length - lo && tokenKey(before[before.length - 1 - tail]!) === tokenKey(after[after.length - 1 - tail]!)) tail++;
  const from = Math.max(0, lo - CONTEXT);
  const keep = Math.max(0, tail - CONTEXT);
  return {
    base: before.slice(from, before.length - keep),
    patched: after.slice(from, after.length - keep),
    removed: before.slice(lo, before.length - tail),
    added: after.slice(lo, after.length - tail),
  };
}

/** Tokens as one line of step text (`if c { a } b`), braces included: a move into a block shows. */
function shown(ts: readonly Token[]): string {
  return ts.length ? ts.map(tokenKey).join(' ') : '(nothing)';
}

/** Applies one drawn edit to `programs` through applyEdits; undefined when no site changes anything. */
function applyDraw(programs: ProgramSet, candidates: readonly string[], d: EditDraw, hunk: number): { programs: ProgramSet; edit: AppliedEdit } | undefined {
  const streams = candidates.map((name) => ({ name, tokens: flatten(programs[name] ?? []) })).filter((s) => sites(s.tokens, d.kind).length > 0);
  if (!streams.length) return undefined;
  const { name, tokens } = streams[d.program % streams.length]!;
  const at = sites(tokens, d.kind);
  // The drawn site first, then the next ones: a swap of two equal steps changes nothing.
  for (let k = 0; k < at.length; k++) {
    const after = edited(tokens, d.kind, at[(d.site + k) % at.length]!, d.shift);
    if (!after) continue;
    const { base, patched, removed, added } = asHunk(tokens, after);
    const placed = applyEdits(programs, [{ program: name, hunk, base, patched }], 'patched').programs;
    return { programs: placed, edit: { kind: d.kind, program: name, summary: `${shown(removed)} -> ${shown(added)}` } };
  }
  return undefined;
}

/** The programs a scenario's model runs under a profile, by (scenario, profile). */
const runPrograms = new Map<string, readonly string[]>();

function programsRun(scenario: Scenario, profile: Profile): readonly string[] {
  const key = `${scenario.id}@${profile.id}`;
  let names = runPrograms.get(key);
  if (!names) {
    names = buildModel(scenario, profile).programs.filter((n) => n in profile.programs);
    runPrograms.set(key, names);
  }
  return names;
}

// ------------------------------------------------------------------------------ variants

/** Variant `index` of a run seeded with `seed`. */
export function drawVariant(seed: number, index: number): ProgramVariant {
  const d = drawn(seed, index);
  const scenario = SCENARIOS.find((s) => s.id === d.scenario)!;
  const profile = PROFILES.find((p) => p.id === d.profile)!;
  const candidates = programsRun(scenario, profile);
  let programs: ProgramSet = profile.programs;
  const edits: AppliedEdit[] = [];
  d.edits.forEach((e, k) => {
    const r = applyDraw(programs, candidates, e, k);
    if (!r) return;
    programs = r.programs;
    edits.push(r.edit);
  });
  const overrides: Record<string, Program> = {};
  for (const [name, p] of Object.entries(programs)) {
    if (formatProgram(p) !== formatProgram(profile.programs[name] ?? [])) overrides[name] = p;
  }
  return { seed, index, scenario, profile, edits, overrides };
}

/** One line: where, and what each edit did. */
export function describeVariant(v: ProgramVariant): string {
  const edits = v.edits.map((e) => `${e.kind} in ${e.program}: ${e.summary}`).join('; ');
  return `${v.scenario.id}@${v.profile.id}: ${edits || 'no edit changed anything'}`;
}

/** The CLI command that exports the variant's model to Promela, to rebuild it outside the fuzzer. */
export function exportCommand(v: ProgramVariant): string {
  const sets = Object.entries(v.overrides).map(([name, p]) => ` --set '${name}=${formatProgram(p)}'`);
  return `kvm-race-lens export-promela ${v.scenario.id} --profile ${v.profile.id}${sets.join('')}`;
}
