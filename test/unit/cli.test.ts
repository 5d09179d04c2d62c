/** The command line, run as a process from the built bundle (npm test builds it first). */
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
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
