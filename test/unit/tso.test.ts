/**
 * x86-TSO (src/model/tso.ts): the store-buffering litmus test on its own, then through the two
 * pairings of seed 002 (the vCPU's mode store against PID.ON, and against ->requests), and a
 * barrier that changes nothing on x86.
 */
import * as assert from 'node:assert/strict';
import { ModelBuilder } from '../../src/model/builder';
import { compile } from '../../src/model/compile';
import { explore, findState } from '../../src/model/explore';
import { Model, TRUE, eq, lit, ref } from '../../src/model/ir';
import { formatProgram } from '../../src/model/program';
import { profileByVersion } from '../../src/model/profiles';
import { toPromela } from '../../src/model/promela';
import { scenarioById } from '../../src/model/scenarios';
import { buildModel } from '../../src/model/simulate';
import { withStoreBuffers } from '../../src/model/tso';
import { lex, structure } from '../../src/mapping/csource';
import { recognize } from '../../src/mapping/recognize';
import { tokenKey } from '../../src/mapping/tokens';
import { programs, property, run, verdicts } from './helpers';

/**
 * SB: P0 stores x=1 then loads y; P1 stores y=1 then loads x. `fence` puts a full barrier
 * between each store and its load.
 */
function litmus(fence: boolean, forwardTo?: 'self'): Model {
  const b = new ModelBuilder(`SB${fence ? '+mfence' : ''}`);
  const x = b.declare('x', 1);
  const y = b.declare('y', 1);
  const r0 = b.declare('r0', 1);
  const r1 = b.declare('r1', 1);
  const procs = [
    { name: 'P0', mine: x, other: forwardTo === 'self' ? x : y, r: r0 },
    { name: 'P1', mine: y, other: forwardTo === 'self' ? y : x, r: r1 },
  ].map(({ name, mine, other, r }) => {
    const a = b.actor(name, 'cpu');
    const [p0, p1, p2, p3] = [a.pc('start'), a.pc('stored'), a.pc('fenced'), a.pc('done')];
    b.start(a, p0);
    a.add({ from: p0, to: p1, guard: TRUE, effects: [{ id: mine, e: lit(1) }], label: `${name}: store 1` });
    if (fence) a.add({ from: p1, to: p2, guard: TRUE, label: `${name}: mfence`, fence: true });
    else a.alias(p1, p2);
    a.add({ from: p2, to: p3, guard: TRUE, effects: [{ id: r, e: ref(other) }], label: `${name}: load` });
    return { a, done: p3, mine };
  });
  const done = (k: number) => b.at(procs[k]!.a, procs[k]!.done);
  b.property('both-zero', { k: 'and', es: [done(0), done(1), eq(ref(r0), 0), eq(ref(r1), 0)] });
  const m = b.build();
  return withStoreBuffers(
    m,
    procs.map((p, k) => ({ name: `CPU${k}`, actors: [p.a.id], locations: [{ id: p.mine, c: k ? 'y' : 'x' }], depth: 1 })),
  );
}

describe('x86-TSO', () => {
  describe('the store-buffering litmus test', () => {
    it('both loads can miss both stores (the one reordering x86 allows)', () => {
      const ex = explore(compile(litmus(false)));
      assert.equal(ex.outcomes[0]!.status, 'violated');
    });

    it('a full barrier between each store and load forbids it', () => {
      const ex = explore(compile(litmus(true)));
      assert.equal(ex.outcomes[0]!.status, 'holds');
      assert.ok(ex.stats.complete);
    });

    it('a CPU reads its own buffered store', () => {
      const ex = explore(compile(litmus(false, 'self')));
      const m = ex.compiled.model;
      const [r0, r1] = ['r0', 'r1'].map((n) => m.vars.findIndex((v) => v.name === n));
      const done = m.actors.slice(0, 2).map((a) => ({ pc: a.pcVar, end: a.pcLabels.indexOf('done') }));
      // Every state where a CPU has loaded its own location shows the 1 it stored.
      assert.equal(
        findState(ex, (v) => (v[done[0]!.pc] === done[0]!.end && v[r0!] === 0) || (v[done[1]!.pc] === done[1]!.end && v[r1!] === 0)),
        -1,
      );
    });
  });

  // Today's vcpu_enter_guest without the full barrier between the mode store and the reads.
  const UPSTREAM = profileByVersion('upstream');
  const enter = formatProgram(UPSTREAM.programs['vcpu_enter_guest']!);
  const noBarrier = enter.replace('srcu_read_unlock, smp_mb__after_srcu_read_unlock, ', '');
  const NO_BARRIER = { vcpu_enter_guest: noBarrier };

  it('the override really removes the barrier, and only it', () => {
    assert.notEqual(noBarrier, enter);
    assert.ok(!/srcu_read_unlock/.test(noBarrier));
  });

  describe('the vCPU-mode / PID.ON pairing (entry-vs-kvm-post)', () => {
    it('holds today under TSO', () => {
      assert.equal(verdicts(run('entry-vs-kvm-post-tso', 'upstream'))['pi-delivery'], 'holds');
    });

    it('without the full barrier: holds under SC, violated under TSO', () => {
      assert.equal(verdicts(run('entry-vs-kvm-post', 'upstream', NO_BARRIER))['pi-delivery'], 'holds');
      const r = run('entry-vs-kvm-post-tso', 'upstream', NO_BARRIER);
      const p = property(r, 'pi-delivery');
      assert.equal(p.status, 'violated');
      // The store-buffering shape: IN_GUEST_MODE enters the store buffer; the vCPU reads ON (0)
      // and the sender reads the old mode while it is still there; only then does it drain.
      const steps = p.trace!.steps;
      const at = (pred: (s: (typeof steps)[number]) => boolean) => steps.findIndex(pred);
      const stored = at((s) => s.step === 'vcpu->mode = IN_GUEST_MODE');
      const readOn = at((s) => s.step === 'pi_test_on: false');
      const senderRead = at((s) => s.step === 'mode_in_guest: false');
      const drained = at((s) => /vcpu0->mode = IN_GUEST_MODE becomes visible/.test(s.step));
      assert.ok(stored >= 0 && readOn > stored && senderRead > stored && drained > Math.max(readOn, senderRead), JSON.stringify(steps.map((s) => s.step)));
      assert.equal(p.trace!.states[senderRead + 1]!['vCPU0\'s pCPU.store buffer'], 'vcpu0->mode = IN_GUEST_MODE');
      assert.equal(p.trace!.states[senderRead + 1]!['vCPU0.mode'], 'OUTSIDE_GUEST_MODE');
    });
  });

  describe('the ->requests / ->mode pairing (entry-vs-request)', () => {
    it('holds today under TSO', () => {
      assert.equal(verdicts(run('entry-vs-request-tso', 'upstream'))['request-before-entry'], 'holds');
    });

    it('without the full barrier: holds under SC, violated under TSO', () => {
      assert.equal(verdicts(run('entry-vs-request', 'upstream', NO_BARRIER))['request-before-entry'], 'holds');
      const p = property(run('entry-vs-request-tso', 'upstream', NO_BARRIER), 'request-before-entry');
      assert.equal(p.status, 'violated');
      // IN_GUEST_MODE is buffered, the vCPU sees no request, and the request is raised while the
      // sender can only see OUTSIDE_GUEST_MODE (so a kick would not send an IPI); then it drains.
      const steps = p.trace!.steps.map((s) => s.step);
      const stored = steps.indexOf('vcpu->mode = IN_GUEST_MODE');
      const noRequest = steps.indexOf('kvm_vcpu_exit_request: false');
      const raised = steps.findIndex((x) => /^kvm_make_request\(/.test(x));
      const drained = steps.findIndex((x) => /vcpu0->mode = IN_GUEST_MODE becomes visible/.test(x));
      assert.ok(stored >= 0 && noRequest > stored && raised > noRequest && drained > raised, JSON.stringify(steps));
      assert.equal(p.trace!.states[raised + 1]!['vCPU0.mode'], 'OUTSIDE_GUEST_MODE');
      assert.equal(p.trace!.states[raised + 1]!['vCPU0\'s pCPU.store buffer'], 'vcpu0->mode = IN_GUEST_MODE');
    });
  });

  it('the mapping reads every spelling of the barriers and of the calls that hide one', () => {
    const read = (text: string) => recognize(structure(lex([{ text, line: 1 }])), 'vcpu_enter_guest', new Set()).tokens.map(tokenKey);
    const cases: [string, string][] = [
      ['smp_mb();', 'smp_mb'],
      ['mb();', 'mb'],
      ['barrier();', 'barrier'],
      ['smp_wmb();', 'smp_wmb'],
      ['smp_rmb();', 'smp_rmb'],
      ['smp_mb__after_atomic();', 'smp_mb__after_atomic'],
      ['smp_mb__before_atomic();', 'smp_mb__before_atomic'],
      ['smp_mb__after_srcu_read_unlock();', 'smp_mb__after_srcu_read_unlock'],
      ['kvm_vcpu_srcu_read_unlock(vcpu);', 'srcu_read_unlock'],
      ['srcu_read_unlock(&vcpu->kvm->srcu, vcpu->srcu_idx);', 'srcu_read_unlock'],
      ['smp_store_release(&vcpu->mode, IN_GUEST_MODE);', 'set_mode(IN_GUEST_MODE)'],
      ['WRITE_ONCE(vcpu->mode, IN_GUEST_MODE);', 'set_mode(IN_GUEST_MODE)'],
      ['vcpu->mode = IN_GUEST_MODE;', 'set_mode(IN_GUEST_MODE)'],
    ];
    for (const [text, op] of cases) assert.deepEqual(read(text), [op], text);
  });

  it('a moved smp_wmb() builds the same TSO model: it is a compiler barrier on x86', () => {
    const moved = enter.replace('set_mode(OUTSIDE_GUEST_MODE), smp_wmb, handle_exit_irqoff,', 'set_mode(OUTSIDE_GUEST_MODE), handle_exit_irqoff, smp_wmb,');
    assert.notEqual(moved, enter);
    const text = (o: Record<string, string>) => toPromela({ ...buildModel(scenarioById('entry-vs-kvm-post-tso'), UPSTREAM, programs(o)), name: '' });
    assert.equal(text({ vcpu_enter_guest: moved }), text({}));
  });

  it('a moved smp_mb() does not: it drains the store buffer', () => {
    const moved = enter.replace('set_mode(OUTSIDE_GUEST_MODE), smp_wmb, handle_exit_irqoff,', 'set_mode(OUTSIDE_GUEST_MODE), smp_wmb, handle_exit_irqoff, smp_mb,');
    assert.notEqual(moved, enter);
    const text = (o: Record<string, string>) => toPromela({ ...buildModel(scenarioById('entry-vs-kvm-post-tso'), UPSTREAM, programs(o)), name: '' });
    assert.notEqual(text({ vcpu_enter_guest: moved }), text({}));
  });
});
