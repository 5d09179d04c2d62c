/**
 * Stored exploration results: a review that takes its baselines from a store says exactly what
 * a review that explores them says, down to the patch lines its traces point at; a store never
 * answers a run it cannot answer (a smaller state limit, other model code, a damaged file).
 */
import * as assert from 'node:assert/strict';
import { profileByVersion } from '../../src/model/profiles';
import { SCENARIOS } from '../../src/model/scenarios';
import { SimulationResult, simulate } from '../../src/model/simulate';
import { readPatches } from '../../src/patch';
import { reviewJson } from '../../src/review/output';
import { LruResultCache, PrecomputedBaselines, ResultCache, precompute, programsHash } from '../../src/review/resultCache';
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
      f = precompute(profile, SCENARIOS, (s) => simulate(s, profile), 'test');
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
    const good = precompute(profile, SCENARIOS.slice(0, 1), (s) => simulate(s, profile), 'A');
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
