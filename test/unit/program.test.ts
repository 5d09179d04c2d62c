/** The program language: text round-trips, malformed text is refused with a reason. */
import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import { ModelError } from '../../src/model/errors';
import { Cond, Program, Step, formatProgram, parseProgram } from '../../src/model/program';
import { PROFILES } from '../../src/model/profiles';

const name = fc.constantFrom('local_irq_disable', 'sync_pir_to_irr', 'pi_set_sn', 'vm_entry', 'x');
const atomName = fc.constantFrom('pi_test_on', 'pir_nonempty', 'preempted', 'kvm_vcpu_is_blocking');
const cond: fc.Arbitrary<Cond> = fc.letrec<{ c: Cond }>((tie) => ({
  c: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    atomName.map((n): Cond => ({ k: 'atom', name: n })),
    tie('c').map((c): Cond => ({ k: 'not', c })),
    fc.array(tie('c'), { minLength: 2, maxLength: 3 }).map((cs): Cond => ({ k: 'and', cs })),
    fc.array(tie('c'), { minLength: 2, maxLength: 3 }).map((cs): Cond => ({ k: 'or', cs })),
  ),
})).c;
const program: fc.Arbitrary<Program> = fc.letrec<{ p: Step[]; s: Step }>((tie) => ({
  p: fc.array(tie('s'), { maxLength: 4 }),
  s: fc.oneof(
    { depthSize: 'small' },
    fc.tuple(name, fc.array(fc.constantFrom('IN_GUEST_MODE', 'nv=WAKEUP', 'capture_on'), { maxLength: 2 })).map(([op, args]): Step => ({ k: 'op', op, args })),
    fc.tuple(cond, tie('p'), tie('p')).map(([c, t, e]): Step => ({ k: 'if', cond: c, then: t, else: e })),
    tie('p').map((body): Step => ({ k: 'loop', body })),
    fc.constantFrom<Step>({ k: 'break' }, { k: 'return' }, { k: 'label', name: 'out' }, { k: 'goto', name: 'out' }),
  ),
})).p;

/** Semantic equality: and/or nesting and not(not(x)) print the same, so compare printed forms. */
describe('program language', () => {
  it('format then parse is the identity on printed text', () => {
    fc.assert(
      fc.property(program, (p) => {
        const text = formatProgram(p);
        assert.equal(formatProgram(parseProgram(text)), text);
      }),
      { seed: 7, numRuns: 500 },
    );
  });

  it('every profile program parses and prints back to the same steps', () => {
    for (const prof of PROFILES) {
      for (const [n, p] of Object.entries(prof.programs)) assert.equal(formatProgram(parseProgram(formatProgram(p))), formatProgram(p), `${prof.id} ${n}`);
    }
  });

  it('refuses malformed text with a ModelError naming the problem', () => {
    for (const bad of ['if { x }', 'loop x', 'a(b', 'if a { b', 'a, }', '!x', 'goto', 'a b c(']) {
      assert.throws(() => parseProgram(bad), ModelError, bad);
    }
  });
});
