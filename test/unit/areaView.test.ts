/**
 * Programs as one area sees them (model/areaView.ts) and the view key (review/resultCache.ts):
 * program sets with equal view keys build models that explore alike, so a review may answer one
 * with the other's result without building it; a step the area does run changes the key.
 */
import * as assert from 'node:assert/strict';
import { isDeepStrictEqual } from 'node:util';
import { Scenario } from '../../src/model/area';
import { AreaSkips, areaView, skipsOf } from '../../src/model/areaView';
import { AREA_OPS, Area } from '../../src/model/areas';
import { CONDS as IPIV_CONDS, OPS as IPIV_OPS } from '../../src/model/ipiv/semantics';
import { CONDS as TLB_CONDS, OPS as TLB_OPS } from '../../src/model/tlb/semantics';
import { CONDS as PI_CONDS, OPS as PI_OPS } from '../../src/model/pi/semantics';
import { CONDS as PMI_CONDS, OPS as PMI_OPS } from '../../src/model/pmi/semantics';
import { Cond, Program, ProgramSet, Step, atom, namesIn, op, parseProgram } from '../../src/model/program';
import { PROFILES, Profile, UPSTREAM, profileByVersion } from '../../src/model/profiles';
import { areaById } from '../../src/model/registry';
import { SCENARIOS } from '../../src/model/scenarios';
import { underTso } from '../../src/model/scenarioVariants';
import { SimulationResult, buildModel, simulateModel } from '../../src/model/simulate';
import { fromCache, modelKey, viaView, viewKey } from '../../src/review/resultCache';
import { ModelError } from '../../src/model/errors';
import { FALSE, TRUE, eq, ref } from '../../src/model/ir';
import { CondMeaning, Semantics, decidedIn } from '../../src/model/programCompiler';

/** A small deterministic generator (mulberry32), so that a failure can be replayed. */
function random(seed: number): (n: number) => number {
  let a = seed >>> 0;
  return (n) => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) % n) | 0;
  };
}

/** `program` with `step` inserted at a random place, at any depth. */
function insertAnywhere(program: Program, step: Step, pick: (n: number) => number): Program {
  const nested = program.map((s, i) => [s, i] as const).filter(([s]) => s.k === 'if' || s.k === 'loop');
  if (nested.length && pick(2) === 0) {
    const [s, i] = nested[pick(nested.length)]!;
    let inner: Step;
    if (s.k === 'loop') inner = { ...s, body: insertAnywhere(s.body, step, pick) };
    else if (s.k === 'if') inner = pick(2) === 0 ? { ...s, else: insertAnywhere(s.else, step, pick) } : { ...s, then: insertAnywhere(s.then, step, pick) };
    else inner = s;
    return [...program.slice(0, i), inner, ...program.slice(i + 1)];
  }
  const at = pick(program.length + 1);
  return [...program.slice(0, at), step, ...program.slice(at)];
}

/** Every operation some area's semantics knows. */
const KNOWN_OPS = [...new Set([...Object.keys(PI_OPS), ...Object.keys(PMI_OPS), ...Object.keys(TLB_OPS), ...Object.keys(IPIV_OPS), ...(Object.keys(AREA_OPS) as Area[]).flatMap((a) => AREA_OPS[a])])].sort();

/** The operations `area`'s models make nothing of under `programs`: another area's, or inert ones no program is named after. */
function nothingIn(area: Area, programs: ProgramSet): string[] {
  const def = areaById(area);
  return KNOWN_OPS.filter((o) => def.opaque(o) !== undefined || (def.inert(o) && !(o in programs)));
}

/** The conditions `area`'s models decide while building (programCompiler.ts `decidedIn`), and those they read. */
function conditionsOf(area: Area): { decided: string[]; read: string[] } {
  const def = areaById(area);
  return { decided: CONDITIONS.filter((c) => def.decided(c)), read: CONDITIONS.filter((c) => !def.decided(c)) };
}

/** Every condition an area's table names, and every one the profiles' programs test (requests of any area among them). */
const CONDITIONS: readonly string[] = [
  ...new Set([
    ...[PI_CONDS, PMI_CONDS, TLB_CONDS, IPIV_CONDS].flatMap((t) => Object.keys(t)),
    ...PROFILES.flatMap((p) => Object.values(p.programs).flatMap((program) => [...namesIn(program).atoms])),
  ]),
].sort();

/** A condition of `atoms` joined at random with `&&`, `||` and `!`, up to `depth` deep. */
function randomCond(atomsOf: readonly string[], pick: (n: number) => number, depth = 2): Cond {
  const leaf = atom(atomsOf[pick(atomsOf.length)]!);
  if (depth === 0) return leaf;
  switch (pick(4)) {
    case 0:
      return leaf;
    case 1:
      return { k: 'not', c: randomCond(atomsOf, pick, depth - 1) };
    default:
      return { k: pick(2) ? 'and' : 'or', cs: [randomCond(atomsOf, pick, depth - 1), randomCond(atomsOf, pick, depth - 1)] };
  }
}

/** A step `area`'s models make nothing of: one of the operations `none`, or a branch on a decided condition around some of them. */
function nothingStep(area: Area, none: readonly string[], pick: (n: number) => number): Step {
  const nothing = () => op(none[pick(none.length)]!);
  const { decided } = conditionsOf(area);
  if (!decided.length || pick(3) !== 0) return nothing();
  return { k: 'if', cond: randomCond(decided, pick), then: pick(2) ? [nothing()] : [], else: pick(2) ? [nothing(), nothing()] : [] };
}

/** What `area` makes nothing of in a set with no program named after an inert step. */
const skipsIn = (area: Area): AreaSkips => skipsOf(areaById(area), new Set());

function scenariosOf(profile: Profile): Scenario[] {
  return SCENARIOS.filter((s) => profile.areas.includes(s.area)).flatMap((s) => (areaById(s.area).memoryModels.includes('tso') ? [s, underTso(s)] : [s]));
}

describe('programs as an area sees them', () => {
  it('drops the steps of other areas at any depth, and nothing else', () => {
    const opaque = skipsIn('pi');
    const program = parseProgram('local_irq_disable, record_steal_time, if kvm_lapic_enabled { kvm_pmu_deliver_pmi, sync_pir_to_irr } else { process_nmi }, loop { kvm_steal_time_vmexit, vmx_vcpu_run, if !fastpath_reenter { break } }');
    const view = areaView(program, opaque);
    assert.deepEqual(view, parseProgram('local_irq_disable, if kvm_lapic_enabled { sync_pir_to_irr }, loop { vmx_vcpu_run, if !fastpath_reenter { break } }'));
    // The PMI model runs process_nmi and kvm_pmu_deliver_pmi, and makes nothing of the PIR sync.
    assert.deepEqual(areaView(program, skipsIn('pmi')), parseProgram('local_irq_disable, if kvm_lapic_enabled { kvm_pmu_deliver_pmi } else { process_nmi }, loop { vmx_vcpu_run, if !fastpath_reenter { break } }'));
    // The PV TLB model runs neither branch's steps, and decides kvm_lapic_enabled while
    // building: that branch is nothing. fastpath_reenter it decides too, but its branch breaks.
    assert.deepEqual(areaView(program, skipsIn('tlb')), parseProgram('local_irq_disable, record_steal_time, loop { kvm_steal_time_vmexit, vmx_vcpu_run, if !fastpath_reenter { break } }'));
    // A branch left empty on a condition read from the state stays: the read is a step.
    const exitCheck = parseProgram('local_irq_disable, if kvm_vcpu_exit_request { sync_pir_to_irr }, if kvm_lapic_enabled && !is_guest_mode { smp_mb }');
    assert.deepEqual(areaView(exitCheck, skipsIn('tlb')), parseProgram('local_irq_disable, if kvm_vcpu_exit_request { }'));
    assert.deepEqual(areaView(exitCheck, skipsIn('pi')), exitCheck);
    // Every atom must be decided: the PI model reads is_guest_mode from the state.
    const mixed = parseProgram('local_irq_disable, if kvm_lapic_enabled && !is_guest_mode { kvm_pmu_deliver_pmi }, if !kvm_lapic_enabled || kvm_vcpu_exit_request { }');
    assert.deepEqual(areaView(mixed, skipsIn('pi')), parseProgram('local_irq_disable, if kvm_lapic_enabled && !is_guest_mode { }, if !kvm_lapic_enabled || kvm_vcpu_exit_request { }'));
    // Another area's request is never raised in the posted-interrupt model: its check is decided
    // there, and the PMI step it guards is nothing. A request the model follows is a step.
    const requests = parseProgram('if kvm_check_request.KVM_REQ_PMU { kvm_pmu_handle_event }, if kvm_check_request.KVM_REQ_EVENT { }, if kvm_check_request.KVM_REQ_NMI { process_nmi }');
    assert.deepEqual(areaView(requests, skipsIn('pi')), parseProgram('if kvm_check_request.KVM_REQ_EVENT { }'));
    // Both branches must be nothing: a kept step in either keeps the if.
    const kept = parseProgram('if kvm_lapic_enabled { smp_mb } else { record_steal_time }, if !kvm_lapic_enabled { record_steal_time } else { smp_mb }, if kvm_lapic_enabled || is_guest_mode { smp_mb } else { sync_pir_to_irr }');
    assert.deepEqual(areaView(kept, skipsIn('tlb')), parseProgram('if kvm_lapic_enabled { } else { record_steal_time }, if !kvm_lapic_enabled { record_steal_time } else { }'));
  });

  it('is the program itself when the program has no step of another area', () => {
    const program = parseProgram('local_irq_disable, if kvm_lapic_enabled { sync_pir_to_irr }, loop { vmx_vcpu_run }');
    assert.equal(areaView(program, skipsIn('pi')), program);
  });

  it('the PMI, PV TLB and IPIv models make nothing of barriers and of posted-interrupt steps they have no rule for', () => {
    for (const area of ['pmi', 'tlb', 'ipiv'] as const) {
      const none = nothingIn(area, UPSTREAM.programs);
      assert.ok(none.includes('smp_mb'), area);
      assert.ok(none.includes('pi_test_and_set_on') || none.includes('sync_pir_to_irr'), area);
    }
    // Under x86-TSO a posted-interrupt barrier is a step: that area makes nothing only of others' steps.
    assert.ok(!nothingIn('pi', UPSTREAM.programs).includes('smp_mb'));
  });

  // The claim the review relies on, checked on every profile and scenario: programs that run
  // steps the area makes nothing of (other areas' steps, inert ones) in random places, nested in
  // branches and loops too, build a model that explores like the profile's own, and have the
  // same view key given the programs that model ran.
  it('equal view keys: models that explore alike, in every profile and scenario', () => {
    let checked = 0;
    for (const profile of PROFILES) {
      for (const scenario of scenariosOf(profile)) {
        const pick = random(checked + 1);
        const own = buildModel(scenario, profile);
        const moved: Record<string, Program> = { ...profile.programs };
        const none = nothingIn(scenario.area, profile.programs);
        for (let k = 0; k < 4; k++) {
          const name = own.programs[pick(own.programs.length)]!;
          if (!moved[name]) continue;
          moved[name] = insertAnywhere(moved[name], nothingStep(scenario.area, none, pick), pick);
        }
        const programs: ProgramSet = moved;
        assert.equal(viewKey(profile, scenario, programs, own.programs), viewKey(profile, scenario, profile.programs, own.programs), `${profile.id} ${scenario.id}`);
        const built = buildModel(scenario, { ...profile, programs });
        assert.equal(modelKey(profile, scenario, built), modelKey(profile, scenario, own), `${profile.id} ${scenario.id}: equal views, but models that explore differently`);
        assert.deepEqual(built.programs, own.programs);
        checked++;
      }
    }
    assert.ok(checked > 100, `${checked} scenarios checked`);
  });

  // Each operation once, at the top of a program every model of the scenario runs.
  it('every operation an area makes nothing of leaves its models as they are', () => {
    for (const area of ['pi', 'pmi', 'tlb', 'ipiv'] as const) {
      const scenario = SCENARIOS.find((s) => s.area === area)!;
      const own = buildModel(scenario, UPSTREAM);
      const entry = own.programs.find((p) => UPSTREAM.programs[p])!;
      for (const o of nothingIn(area, UPSTREAM.programs)) {
        const programs = { ...UPSTREAM.programs, [entry]: [op(o), ...UPSTREAM.programs[entry]!] };
        assert.equal(viewKey(UPSTREAM, scenario, programs, own.programs), viewKey(UPSTREAM, scenario, UPSTREAM.programs, own.programs), `${area}: ${o}`);
        assert.equal(modelKey(UPSTREAM, scenario, buildModel(scenario, { ...UPSTREAM, programs })), modelKey(UPSTREAM, scenario, own), `${area}: ${o}`);
      }
    }
  });

  // Each condition once, in an empty branch at the top of a program every model of the scenario
  // runs: one the area decides leaves its models as they are; one it reads adds a step.
  it('a branch on a condition the area decides, with nothing in it, leaves its models as they are', () => {
    for (const area of ['pi', 'pmi', 'tlb', 'ipiv'] as const) {
      const scenario = SCENARIOS.find((s) => s.area === area)!;
      const own = buildModel(scenario, UPSTREAM);
      const entry = own.programs.find((p) => UPSTREAM.programs[p])!;
      const ownKey = modelKey(UPSTREAM, scenario, own);
      const ownView = viewKey(UPSTREAM, scenario, UPSTREAM.programs, own.programs);
      const { decided, read } = conditionsOf(area);
      assert.ok(decided.length > 0 && read.length > 0, area);
      const branch = (cond: string): ProgramSet => ({ ...UPSTREAM.programs, [entry]: [{ k: 'if', cond: atom(cond), then: [], else: [] }, ...UPSTREAM.programs[entry]!] });
      for (const cond of decided) {
        assert.equal(viewKey(UPSTREAM, scenario, branch(cond), own.programs), ownView, `${area}: ${cond}`);
        assert.equal(modelKey(UPSTREAM, scenario, buildModel(scenario, { ...UPSTREAM, programs: branch(cond) })), ownKey, `${area}: ${cond}`);
      }
      // The conditions read from the state: the branch is a step, the model and the key change.
      let stepped = 0;
      for (const cond of read) {
        let model;
        try {
          model = buildModel(scenario, { ...UPSTREAM, programs: branch(cond) });
        } catch {
          continue; // a condition this actor cannot ask (another actor's, or one that must stand alone)
        }
        assert.notEqual(viewKey(UPSTREAM, scenario, branch(cond), own.programs), ownView, `${area}: ${cond}`);
        if (modelKey(UPSTREAM, scenario, model) !== ownKey) stepped++;
      }
      assert.ok(stepped > 0, `${area}: no condition read from the state changed the model`);
    }
  });

  it('a condition is decided only when its meaning is a constant read without the context, with no prelude and no counted events', () => {
    const meaning: Record<string, CondMeaning> = {
      constant: { kind: 'pure', rule: 'r', expr: TRUE },
      counted: { kind: 'pure', rule: 'r', expr: FALSE, events: { scans: 1 } },
      countedIfTrue: { kind: 'pure', rule: 'r', expr: TRUE, eventsIfTrue: { cancels: 1 } },
      withPrelude: { kind: 'pure', rule: 'r', expr: TRUE, prelude: 'sync' },
      read: { kind: 'pure', rule: 'r', expr: eq(ref(0), 1) },
      rmw: { kind: 'rmw', rule: 'r', whenTrue: { guard: TRUE, label: 't' }, whenFalse: { guard: TRUE, label: 'f' } },
    };
    const semantics: Semantics<{ on: boolean }> = {
      op: () => ({ kind: 'noop', why: '' }),
      cond: (ctx, name) => {
        if (name === 'fromContext') return { kind: 'pure', rule: 'r', expr: ctx.on ? TRUE : FALSE };
        if (name === 'inOperator') return { kind: 'pure', rule: 'r', expr: 'on' in ctx ? TRUE : FALSE };
        const m = meaning[name];
        if (!m) throw new ModelError(`unknown condition ${name}`);
        return m;
      },
    };
    const decided = decidedIn(semantics);
    const names = [...Object.keys(meaning), 'fromContext', 'inOperator', 'unknown'];
    assert.deepEqual(names.filter(decided), ['constant']);
  });

  // A result taken through equal views carries its traces over: every step moves to the same
  // step of the other programs. Checked against exploring the model built from them.
  it('a result re-pointed through equal views is the result of the model those programs build', () => {
    let moved = 0;
    let shifted = 0;
    for (const profile of [profileByVersion('4.9'), profileByVersion('5.15'), UPSTREAM]) {
      for (const scenario of scenariosOf(profile)) {
        const own = buildModel(scenario, profile);
        const base = simulateModel(own, scenario, profile, {});
        if (!base.properties.some((p) => p.trace)) continue;
        const pick = random(moved + 7);
        const programs: Record<string, Program> = { ...profile.programs };
        const none = nothingIn(scenario.area, profile.programs);
        for (const name of own.programs) if (programs[name]) programs[name] = insertAnywhere(programs[name], nothingStep(scenario.area, none, pick), pick);
        assert.equal(viewKey(profile, scenario, programs, own.programs), viewKey(profile, scenario, profile.programs, own.programs));
        const taken = viaView(base, profile.programs, programs, scenario.area);
        if (!taken) continue;
        const explored = simulateModel(buildModel(scenario, { ...profile, programs }), scenario, profile, {});
        const comparable = (r: SimulationResult) => ({ ...fromCache(r, programs), stats: { ...r.stats, ms: 0 } });
        assert.deepEqual(comparable(taken), comparable(explored), `${profile.id} ${scenario.id}`);
        if (!isDeepStrictEqual(comparable(base).properties, comparable(explored).properties)) shifted++;
        moved++;
      }
    }
    console.log(`      [views] ${moved} results re-pointed, ${shifted} with traces that moved`);
    assert.ok(moved >= 10, `${moved} results re-pointed`);
    assert.ok(shifted > 0, 'no trace moved: the comparison could not fail');
  });

  it('a step the area runs, or a program added, changes the view key', () => {
    const profile = UPSTREAM;
    for (const scenario of SCENARIOS.filter((s) => profile.areas.includes(s.area))) {
      const own = buildModel(scenario, profile);
      const base = viewKey(profile, scenario, profile.programs, own.programs);
      const entry = own.programs.find((p) => (profile.programs[p]?.length ?? 0) > 1)!;
      const steps = profile.programs[entry]!;
      // Two of the area's own steps swapped: the model may change, and the key does.
      const swapped = { ...profile.programs, [entry]: [steps[1]!, steps[0]!, ...steps.slice(2)] };
      assert.notEqual(viewKey(profile, scenario, swapped, own.programs), base, `${scenario.id}: ${entry} reordered`);
      // A new function, which no program calls: the area might ask whether it exists.
      assert.notEqual(viewKey(profile, scenario, { ...profile.programs, new_helper: [op('smp_mb')] }, own.programs), base, scenario.id);
      // A program the model does not run is not part of the key.
      const unused = Object.keys(profile.programs).find((p) => !own.programs.includes(p));
      if (unused) assert.equal(viewKey(profile, scenario, { ...profile.programs, [unused]: [op('smp_mb')] }, own.programs), base, `${scenario.id}: ${unused}`);
    }
  });
});
