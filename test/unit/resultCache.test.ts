/**
 * Stored exploration results: a review that takes its baselines from a store says exactly what
 * a review that explores them says, down to the patch lines its traces point at; a store never
 * answers a run it cannot answer (a smaller state limit, other model code, a damaged file).
 */
import * as assert from 'node:assert/strict';
import { profileByVersion } from '../../src/model/profiles';
import { SCENARIOS } from '../../src/model/scenarios';
import { SimulationResult, buildModel, simulateModel } from '../../src/model/simulate';
import { readPatches } from '../../src/patch';
import { reviewJson } from '../../src/review/output';
import { LruResultCache, PrecomputedBaselines, ResultCache, fromModel, modelKey, precompute, programsHash } from '../../src/review/resultCache';
import { reviewPatchSet } from '../../src/review/review';
import { FIXTURES, render } from '../fixtures/fixtures';

/** A store of every profile's own programs, counting its hits. */
class Counting implements ResultCache {
  hits = 0;
  private readonly files = new Map<string, ReturnType<typeof precompute>>();
  private readonly inner = new PrecomputedBaselines((id) => {
    let f = this.files.get(id);
    if (!f) {
      const profile = profileByVersion(id);
      f = precompute(profile, SCENARIOS, 'test');
      this.files.set(id, f);
    }
    return JSON.parse(JSON.stringify(f)) as unknown;
  }, 'test');
  get(key: string): SimulationResult | undefined {
    const r = this.inner.get(key);
    if (r) this.hits++;
    return r;
  }
  set(): void {}
}

describe('stored exploration results', () => {
  const store = new Counting();

  for (const f of FIXTURES.filter((x) => !x.seriesOnly)) {
    it(`${f.id}: the same review with stored baselines as with explored ones`, () => {
      const text = render(f, 'mail-reply');
      const explored = reviewJson(reviewPatchSet(readPatches(text), {})) as { patches: { scenarios: unknown[] }[] };
      const before = store.hits;
      const stored = reviewJson(reviewPatchSet(readPatches(text), { cache: store }));
      assert.deepEqual(stored, explored);
      const modelled = explored.patches.some((p) => p.scenarios.length > 0);
      if (modelled) assert.ok(store.hits > before, 'the store was never used: its keys do not match the review\'s');
    });
  }

  // A patched model that explores like the baseline's (the patch changes what its area does
  // not run) takes the baseline's result: the review says exactly what exploring it says.
  it('a review that takes the results of models that explore alike says what exploring them says', () => {
    let explored = 0;
    let matched = 0;
    for (const f of FIXTURES.filter((x) => !x.seriesOnly)) {
      const text = render(f, 'format-patch');
      const without = reviewJson(reviewPatchSet(readPatches(text), { matchModels: false, observe: () => explored++ }));
      const within = reviewJson(reviewPatchSet(readPatches(text), { observe: () => matched++ }));
      assert.deepEqual(within, without, f.id);
      assert.deepEqual(reviewJson(reviewPatchSet(readPatches(text), { cache: store })), without, `${f.id}, with stored baselines`);
    }
    // The fixtures include patches that add calls other areas do not run (a PV TLB patch's
    // hook in vcpu_enter_guest): those explorations are saved.
    assert.ok(matched < explored, `${matched} explorations with matching, ${explored} without`);
  });

  it('a result taken from a model that explores alike points at the steps of the model that takes it', () => {
    // Under 4.9 a posted-interrupt scenario has a counterexample through vcpu_enter_guest; a
    // PMI step added at its top is not run by the posted-interrupt model, but moves every
    // step after it one place down the program.
    const profile = profileByVersion('4.9');
    const steps = profile.programs['vcpu_enter_guest']!;
    const moved = { ...profile.programs, vcpu_enter_guest: [{ k: 'op' as const, op: 'kvm_pmu_deliver_pmi', args: [] }, ...steps] };
    let checked = 0;
    for (const scenario of SCENARIOS.filter((s) => s.area === 'pi')) {
      const base = buildModel(scenario, profile);
      const baseResult = simulateModel(base, scenario, profile, {});
      if (!baseResult.properties.some((p) => p.trace)) continue;
      const model = buildModel(scenario, { ...profile, programs: moved });
      assert.equal(modelKey(profile, scenario, model), modelKey(profile, scenario, base), scenario.id);
      const own = simulateModel(model, scenario, profile, {});
      const taken = fromModel(baseResult, model);
      const withoutTime = (r: SimulationResult) => ({ ...r, stats: { ...r.stats, ms: 0 } });
      assert.deepEqual(withoutTime(taken), withoutTime(own), scenario.id);
      // The baseline's own trace points elsewhere: the comparison above could fail.
      assert.notDeepEqual(baseResult.properties, own.properties, scenario.id);
      checked++;
    }
    assert.ok(checked > 0, 'no posted-interrupt scenario has a counterexample under 4.9');
  });

  // A barrier patch is explored under x86-TSO: its baselines are stored too, so a review with
  // the store explores the patched programs only, whatever the memory model.
  for (const id of ['upstream-add-smp-mb', 'upstream-drop-sync']) {
    it(`${id}: with the store, only the patched programs are explored`, () => {
      const f = FIXTURES.find((x) => x.id === id)!;
      const runs: { scenario: string; programs: string }[] = [];
      const review = reviewPatchSet(readPatches(render(f, 'format-patch')), {
        cache: store,
        observe: (r) => runs.push({ scenario: r.scenario.id, programs: programsHash(r.programs) }),
      });
      const own = programsHash(profileByVersion(review.profile).programs);
      assert.ok(runs.length > 0);
      assert.deepEqual(runs.filter((r) => r.programs === own).map((r) => r.scenario), []);
    });
  }

  it('a stored result is not used for a run with a smaller state limit', () => {
    const text = render(FIXTURES.find((x) => x.id === 'upstream-drop-sync')!, 'format-patch');
    const limited = reviewPatchSet(readPatches(text), { maxStates: 50, cache: store });
    assert.ok(limited.patches[0]!.findings.some((x) => x.verdict === 'inconclusive'));
  });

  it('a file from other model code, for another profile, or damaged, is ignored', () => {
    const profile = profileByVersion('upstream');
    const good = precompute(profile, SCENARIOS.slice(0, 1), 'A');
    const key = Object.keys(good.results)[0]!;
    assert.ok(new PrecomputedBaselines(() => good, 'A').get(key));
    assert.equal(new PrecomputedBaselines(() => good, 'B').get(key), undefined);
    assert.equal(new PrecomputedBaselines(() => ({ ...good, profile: '4.9' }), 'A').get(key), undefined);
    assert.equal(new PrecomputedBaselines(() => 'garbage', 'A').get(key), undefined);
    assert.equal(
      new PrecomputedBaselines(() => {
        throw new SyntaxError('Unexpected end of JSON input');
      }, 'A').get(key),
      undefined,
    );
  });

  it('the in-memory store keeps the most recently used results', () => {
    const lru = new LruResultCache(2);
    const r = { stats: { complete: true, states: 1 } } as SimulationResult;
    lru.set('a', r);
    lru.set('b', r);
    lru.get('a');
    lru.set('c', r);
    assert.equal(lru.size, 2);
    assert.ok(lru.get('a'));
    assert.equal(lru.get('b'), undefined);
  });
});
