/** The command line, run as a process from the built bundle (npm test builds it first). */
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const CLI = path.resolve(__dirname, '../../../dist/cli.js');

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('cli', () => {
  it('lists scenarios, as text and as JSON', () => {
    const t = cli('scenarios');
    assert.equal(t.code, 0);
    assert.match(t.out, /entry-vs-device-post/);
    const j = JSON.parse(cli('scenarios', '--json').out);
    assert.equal(j.schema, 1);
    assert.ok(j.scenarios.some((s: { id: string }) => s.id === 'preempt-while-blocking'));
  });

  it('simulate prints verdicts, statistics and the counterexample; exit 1 on a violation', () => {
    const r = cli('simulate', 'entry-vs-device-post', '--profile', '4.10');
    assert.equal(r.code, 1);
    assert.match(r.out, /profile 4\.9 /, '--profile 4.10 picks the newest profile not newer than 4.10');
    assert.match(r.out, /pi-delivery\s+VIOLATED/);
    assert.match(r.out, /explored \d+ states/);
    assert.match(r.out, /\n\s+1\s+guest0/);
  });

  it('simulate --json has the verdicts, stats.states, stats.ms and the counterexample', () => {
    const r = cli('simulate', 'entry-vs-device-post', '--profile', '4.9', '--json');
    assert.equal(r.code, 1);
    const j = JSON.parse(r.out);
    assert.equal(typeof j.stats.states, 'number');
    assert.equal(typeof j.stats.ms, 'number');
    const p = j.properties.find((x: { property: string }) => x.property === 'pi-delivery');
    assert.equal(p.verdict, 'violated');
    assert.ok(p.counterexample.length > 3);
    for (const s of p.counterexample) assert.deepEqual(Object.keys(s).slice(0, 4), ['n', 'actor', 'lane', 'step']);
  });

  it('exit 0 when everything holds, and --set changes a program', () => {
    assert.equal(cli('simulate', 'entry-vs-device-post').code, 0);
    const r = cli('simulate', 'entry-vs-device-post', '--set', 'vmx_sync_pir_to_irr=vmx_set_rvi', '--json');
    assert.equal(r.code, 1, 'a sync that never moves PIR strands the device post');
    assert.match(JSON.parse(r.out).overrides.vmx_sync_pir_to_irr, /vmx_set_rvi/);
  });

  it('exit 3 when a limit makes the result inconclusive', () => {
    const r = cli('simulate', 'migrate-while-blocked', '--max-states', '50');
    assert.equal(r.code, 3);
    assert.match(r.out, /INCONCLUSIVE/);
    assert.match(r.out, /state limit/);
  });

  it('bad usage: exit 2 with one line and no stack', () => {
    for (const args of [['simulate', 'no-such-scenario'], ['simulate'], ['frobnicate'], ['simulate', 'entry-vs-kvm-post', '--profile', '3.2'], ['simulate', 'entry-vs-kvm-post', '--set', 'nope=x'], ['simulate', 'entry-vs-kvm-post', '--max-states', '-4'], ['--bogus']]) {
      const r = cli(...args);
      assert.equal(r.code, 2, args.join(' '));
      assert.equal(r.err.trim().split('\n').length, 1, r.err);
      assert.doesNotMatch(r.err, /at .*\.js:\d+/);
    }
  });
});

describe('cli launcher (V8 code cache)', () => {
  const DIST = path.dirname(CLI);
  const EXAMPLE = path.resolve(DIST, '..', 'examples', '0001-KVM-x86-disable-IRQs-after-syncing-PIR.patch');
  /** The launcher and the bundle in a directory of their own, with `cache` as the code cache (none: no file). */
  function launcherWith(cache: Buffer | undefined) {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'krl-launcher-'));
    for (const f of ['cli.js', 'cli-main.js']) copyFileSync(path.join(DIST, f), path.join(dir, f));
    if (cache) writeFileSync(path.join(dir, 'cli-main.cache'), cache);
    // No baselines next to this copy: both sides explore everything, so the outputs compare.
    const r = spawnSync(process.execPath, [path.join(dir, 'cli.js'), 'check', EXAMPLE, '--json'], { encoding: 'utf8', timeout: 60_000 });
    return { code: r.status, out: r.stdout, err: r.stderr };
  }

  it('the build writes a cache for the bundle it built: the digest of dist/cli-main.js, then V8 data', () => {
    const cache = readFileSync(path.join(DIST, 'cli-main.cache'));
    const digest = createHash('sha256').update(readFileSync(path.join(DIST, 'cli-main.js'), 'utf8')).digest();
    assert.ok(cache.subarray(0, 32).equals(digest));
    assert.ok(cache.length > 100_000, `${cache.length} bytes: the functions a review runs`);
  });

  it('gives the same review with the cache, without it, with a stale one and with garbage', () => {
    const real = readFileSync(path.join(DIST, 'cli-main.cache'));
    const runs = [
      launcherWith(real),
      launcherWith(undefined),
      // Another bundle's cache: the digest differs, so it is not used.
      launcherWith(Buffer.concat([Buffer.alloc(32, 7), real.subarray(32)])),
      // The right digest over data V8 refuses: compiled as usual.
      launcherWith(Buffer.concat([real.subarray(0, 32), Buffer.alloc(4096, 0x5a)])),
    ];
    for (const r of runs) {
      assert.equal(r.code, runs[1]!.code, r.err);
      assert.equal(r.err, '');
      assert.equal(r.out.replace(/"ms": [\d.]+/g, '"ms": 0'), runs[1]!.out.replace(/"ms": [\d.]+/g, '"ms": 0'));
    }
    assert.match(runs[0]!.out, /"findings"/);
  });
});
