/**
 * The fuzz campaign's fixed-seed subset ([hardening]): 2,000 cases of `npm run fuzz` (same
 * generators: fixture mutations, generated diff lines, random kernel edits) through the reader and
 * the whole `check` pipeline, with the invariants of test/fuzz/harness.ts: only typed errors, each
 * a sane one-line message; output lines inside the document; a summary that adds up.
 *
 * Deterministic: no deadline and no time limit (the campaign checks timing; a test must not), a
 * state budget instead, inputs cut to 16 KB and four scenarios, one per model area, so the 2,000
 * cases take about a minute.
 */
import * as assert from 'node:assert/strict';
import { LruResultCache } from '../../src/review/resultCache';
import { Budget, CaseResult, runCase } from '../fuzz/harness';

const SEED = 11;
const CASES = 2_000;
const BUDGET: Budget = {
  maxStates: 2_000,
  timeoutMs: Infinity,
  deadlineMs: Infinity,
  scenarios: ['entry-vs-kvm-post', 'pmi-emulated-exit', 'flush-vs-preemption', 'ipiv-two-creates'],
};

describe(`fuzz: ${CASES} fixed-seed cases through the reader and the check pipeline`, function () {
  this.timeout(600_000);
  const results: CaseResult[] = [];

  before(() => {
    const cache = new LruResultCache(256);
    for (let i = 0; i < CASES; i++) results.push(runCase(SEED, i, { cache, budget: BUDGET, maxBytes: 16 * 1024, slowMs: Infinity }));
  });

  it('breaks no invariant', () => {
    const failures = results.flatMap((r) => r.failures);
    const shown = failures.slice(0, 5).map((f) => `case ${f.index} (${f.kind}, ${f.stage}; rebuild: npm run fuzz -- --seed ${SEED} --only ${f.index}): ${f.description}\n  ${f.detail.split('\n')[0]}`);
    assert.equal(failures.length, 0, shown.join('\n'));
  });

  it('reaches every outcome: reviews with findings, refusals and typed errors (so the invariants were exercised)', () => {
    const count = (p: (r: CaseResult) => boolean) => results.filter(p).length;
    const reviewed = count((r) => r.outcome === 'reviewed');
    assert.ok(reviewed > CASES / 2, `${reviewed} reviewed`);
    assert.ok(count((r) => r.outcome === 'refused') > CASES / 20, 'refused by the reader');
    assert.ok(count((r) => r.outcome === 'error') > 0, 'typed errors from the review');
    assert.ok(count((r) => r.exit === 1) > 0, 'a review with an introduced violation');
    assert.ok(count((r) => r.exit === 0) > 0, 'a review with none');
  });
});
