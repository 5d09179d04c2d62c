/**
 * `kvm-race-lens check` as a process: verdicts and exit codes on the fixture files, the JSON
 * and SARIF outputs, and bad input (exit 2 with one line, or a review; never a crash or hang).
 */
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { profileByVersion } from '../../src/model/profiles';
import { scenarioById } from '../../src/model/scenarios';
import { simulate } from '../../src/model/simulate';
import { readPatches } from '../../src/patch';
import { formatCheck } from '../../src/review/output';
import { MAX_HUNKS, reviewPatchSet } from '../../src/review/review';
import { VERSION } from '../../src/version';
import { PATCH_DIR, renderedFixtures } from '../fixtures/write';

const CLI = path.resolve(__dirname, '../../../dist/cli.js');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'krl-cli-'));

function check(...args: string[]) {
  const r = spawnSync(process.execPath, [CLI, 'check', ...args], { encoding: 'utf8', timeout: 120_000, maxBuffer: 64 << 20 });
  return { code: r.status, out: r.stdout, err: r.stderr, signal: r.signal };
}

function file(name: string, content: string | Uint8Array): string {
  const p = path.join(tmp, name);
  writeFileSync(p, content);
  return p;
}

describe('check (CLI)', () => {
  it('the committed fixture files are what the fixtures render (run `npm run fixtures` after a change)', () => {
    for (const [name, text] of renderedFixtures()) assert.equal(readFileSync(path.join(PATCH_DIR, name), 'utf8'), text, name);
  });

  it('exit 1 and the finding when a violation is introduced; text shows numbered steps', () => {
    const r = check(path.join(PATCH_DIR, 'upstream-drop-sync.patch'));
    assert.equal(r.code, 1, r.err);
    assert.match(r.out, /INTRODUCED: pi-delivery/);
    assert.match(r.out, /profile 6\.17 \(from the mail's Date:\)/);
    assert.match(r.out, /\n\s+1\s+\S/);
  });

  it('exit 0 when nothing is introduced (a fix, or no change)', () => {
    assert.equal(check(path.join(PATCH_DIR, '4.9-sync-after-irq-disable.patch')).code, 0);
    assert.equal(check(path.join(PATCH_DIR, 'upstream-comment-only.eml')).code, 0);
  });

  it('--json follows the contract; several files give an array', () => {
    const one = JSON.parse(check('--json', path.join(PATCH_DIR, 'upstream-irq-after-sync.eml')).out);
    assert.equal(one.schema, 1);
    assert.equal(one.patches[0].findings[0].verdict, 'introduced');
    const two = JSON.parse(check('--json', path.join(PATCH_DIR, 'upstream-irq-after-sync.patch'), path.join(PATCH_DIR, '5.19-preempted-skip.patch')).out);
    assert.equal(two.length, 2);
    assert.equal(two[1].profile, '5.19');
  });

  it('--sarif writes SARIF 2.1.0', () => {
    const s = JSON.parse(check('--sarif', path.join(PATCH_DIR, 'series-irq-after-sync-and-revert.mbox')).out);
    assert.equal(s.version, '2.1.0');
    assert.deepEqual(
      s.runs[0].results.map((r: { ruleId: string; level: string }) => `${r.ruleId}:${r.level}`).sort(),
      ['pi-delivery:error', 'pi-delivery:note'],
    );
  });

  it('--profile overrides the Date: header and picks the newest profile not newer than it', () => {
    const r = JSON.parse(check('--json', '--profile', '5.20', path.join(PATCH_DIR, 'upstream-drop-sync.diff')).out);
    assert.equal(r.profile, '5.19');
    assert.equal(r.profileFrom, 'option');
  });

  it('a state limit makes the result inconclusive: exit 3; the findings say each side stopped at the limit, in the bytes the API gives', () => {
    const r = check('--max-states', '10', path.join(PATCH_DIR, 'upstream-drop-sync.patch'));
    assert.equal(r.code, 3, r.out + r.err);
    assert.match(r.out, /INCONCLUSIVE/);
    const file = path.join(PATCH_DIR, '5.19-load-keeps-sn.patch');
    const j = check('--json', '--max-states', '1000', file);
    assert.equal(j.code, 3, j.err);
    const doc = JSON.parse(j.out) as { patches: { findings: { verdict: string; message: string }[]; scenarios: { states: { baseline: number; patched: number } }[] }[] };
    const inconclusive = doc.patches[0]!.findings.filter((f) => f.verdict === 'inconclusive');
    assert.ok(inconclusive.length > 0);
    for (const f of inconclusive) assert.match(f.message, /: the baseline's exploration stopped at the state limit after 1000 states, the patched one's stopped at the state limit after 1000 states$/);
    for (const s of doc.patches[0]!.scenarios) assert.ok(s.states.baseline <= 1000 && s.states.patched <= 1000, JSON.stringify(s));
    // The built baselines answer no exploration the limit cuts short: the CLI says what a review without them says.
    assert.equal(j.out, formatCheck([{ file, review: reviewPatchSet(readPatches(readFileSync(file)), { maxStates: 1000 }) }], 'json', VERSION));
  });

  it('a time limit makes the result inconclusive: exit 3; the patched side stopped at the time limit after so many states', () => {
    // ipiv-cap-resize's patched side takes milliseconds of exploring in a fresh process; the
    // explorer reads the clock every 256 expansions and stops at the first read past 1 ms. How
    // many states it got through depends on the machine: only the shape is pinned. The baseline
    // is the bundled one, as many states as exploring it here gives.
    const r = check('--json', '--timeout-ms', '1', path.join(PATCH_DIR, '5.19-cap-any-time.patch'));
    assert.equal(r.code, 3, r.err);
    const f = (JSON.parse(r.out) as { patches: { findings: { verdict: string; property: string; message: string }[] }[] }).patches[0]!.findings.find((x) => x.verdict === 'inconclusive');
    assert.ok(f, r.out);
    assert.equal(f.property, 'pid-table');
    const stats = simulate(scenarioById('ipiv-cap-resize'), profileByVersion('5.19')).stats;
    const baseline = `${stats.states} states${stats.reduced ? ' after partial-order reduction' : ''}`;
    const shape = new RegExp(`: the baseline's exploration (was complete \\(${baseline}\\)|stopped at the time limit after \\d+ states), the patched one's stopped at the time limit after \\d+ states$`);
    assert.match(f.message, shape);
  });

  describe('bad input', () => {
    const oneLine = (r: ReturnType<typeof check>) => {
      assert.equal(r.code, 2, r.out + r.err);
      assert.equal(r.err.trim().split('\n').length, 1, r.err);
      assert.doesNotMatch(r.err, /\bat .*:\d+:\d+/);
    };

    it('a limit that is not a positive integer', () => {
      const patch = path.join(PATCH_DIR, 'upstream-drop-sync.patch');
      oneLine(check('--max-states', '0', patch));
      oneLine(check('--timeout-ms', '1.5', patch));
      assert.match(check('--timeout-ms', 'soon', patch).err, /^kvm-race-lens: --timeout-ms needs a positive integer, got "soon"\n$/);
    });
    it('an empty file', () => oneLine(check(file('empty.patch', ''))));
    it('binary data', () => oneLine(check(file('bin.patch', Uint8Array.from({ length: 4096 }, (_, k) => (k * 7919) % 256)))));
    it('a diff with no hunks', () => oneLine(check(file('nohunk.patch', 'diff --git a/x.c b/x.c\nindex 1..2 100644\n--- a/x.c\n+++ b/x.c\n'))));
    it('prose only', () => oneLine(check(file('prose.eml', 'Subject: Re: hello\n\nI think this looks fine.\n'))));
    it('a file that does not exist, or a directory', () => {
      oneLine(check(path.join(tmp, 'nope.patch')));
      oneLine(check(tmp));
    });

    it('a truncated hunk is reviewed, and says it was cut', () => {
      const text = readFileSync(path.join(PATCH_DIR, 'upstream-drop-sync.patch'), 'utf8').split('\n');
      const cut = text.slice(0, text.findIndex((l) => l.startsWith('@@')) + 6).join('\n') + '\n';
      const r = check('--json', file('cut.patch', cut));
      assert.ok(r.code === 0 || r.code === 1, r.err);
      const j = JSON.parse(r.out);
      assert.ok(j.patches[0].hunks[0].notes.some((n: string) => /cut off/.test(n)));
    });

    it(`an mbox of ${MAX_HUNKS} hunks, one patch modelled and the others unrelated, is reviewed; a 20 MB one of 48,000 hunks is refused with the count`, () => {
      const unrelated = (k: number) =>
        `From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001\nFrom: Someone <someone@example.org>\nDate: Tue, 14 Oct 2025 10:00:00 +0200\nSubject: [PATCH ${k}] docs: reword section ${k}\n\nReword.\n---\ndiff --git a/Documentation/virt/kvm/api.rst b/Documentation/virt/kvm/api.rst\n--- a/Documentation/virt/kvm/api.rst\n+++ b/Documentation/virt/kvm/api.rst\n@@ -${k},3 +${k},3 @@\n line one\n-line two\n+line 2\n line three\n-- \n2.51.0\n\n`;
      const modelled = readFileSync(path.join(PATCH_DIR, 'upstream-drop-sync.patch'), 'utf8');
      const own = readPatches(modelled).patches.reduce((n, p) => n + p.files.reduce((m, f) => m + f.hunks.length, 0), 0);
      const parts: string[] = [modelled, '\n'];
      for (let k = 1; k <= MAX_HUNKS - own; k++) parts.push(unrelated(k));
      const r = check('--json', file('big.mbox', parts.join('')));
      assert.equal(r.signal, null, 'did not finish');
      assert.equal(r.code, 1, r.err);
      const j = JSON.parse(r.out);
      assert.ok(j.summary.notModelled >= MAX_HUNKS - own, String(j.summary.notModelled));
      assert.equal(j.summary.introduced, 1);
      // 20 MB of them: more hunks than a review takes, refused after reading, with one line.
      let size = parts.reduce((n, p) => n + p.length, 0);
      for (let k = MAX_HUNKS; size < 20 * 1024 * 1024; k++) {
        const p = unrelated(k);
        parts.push(p);
        size += p.length;
      }
      const big = check('--json', file('big.mbox', parts.join('')));
      assert.equal(big.code, 2, big.err);
      assert.equal(big.out, '');
      assert.match(big.err, /^kvm-race-lens: \d+ hunks in this document; a review takes at most 10000: review the series in parts\n$/);
    });
  });
});
