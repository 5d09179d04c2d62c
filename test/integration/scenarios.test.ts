/** The scenario tree, re-runs in the worker, cancellation of simulations and reviews, responsiveness and settings. */
import * as assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import * as vscode from 'vscode';
import { SCENARIOS } from '../../src/model/scenarios';
import { MAX_MODELLED_PATCHES } from '../../src/review/review';
import type { KvmRaceLensApi } from '../../src/vscode/api';
import type { RunOutcome } from '../../src/vscode/reviews';
import type { ScenarioNode } from '../../src/vscode/scenarioTree';
import type { ScenarioRun } from '../../src/vscode/workerProtocol';
import { barrierSeries } from '../fixtures/barrierSeries';
import { extensionApi, nextEvent, openFixture, review, setSetting, waitFor } from './helpers';

function scenarioNodes(api: KvmRaceLensApi): ScenarioNode[] {
  return api.scenarios.getChildren().flatMap((n) => (n.kind === 'area' ? api.scenarios.getChildren(n) : [n]));
}

describe('scenarios, workers and settings', () => {
  let api: KvmRaceLensApi;

  before(async () => {
    api = await extensionApi();
  });

  after(async () => {
    await setSetting('profile', undefined);
  });

  it('lists every scenario in the tree', () => {
    assert.deepEqual(
      scenarioNodes(api).map((n) => (n.kind === 'scenario' ? n.id : '?')),
      SCENARIOS.map((s) => s.id),
    );
  });

  it('re-runs a scenario under the current profile and shows its verdicts', async () => {
    await setSetting('profile', '4.9');
    const r = await vscode.commands.executeCommand<{ outcome: RunOutcome; run?: ScenarioRun }>('kvmRaceLens.rerunScenario', 'entry-vs-kvm-post');
    assert.equal(r?.outcome.status, 'done');
    assert.equal(r.run?.profile, '4.9');
    const node: ScenarioNode = { kind: 'scenario', id: 'entry-vs-kvm-post' };
    const children = api.scenarios.getChildren(node);
    assert.deepEqual(
      children.map((c) => (c.kind === 'property' ? c.property : '?')).sort(),
      r.run!.properties.map((p) => p.property).sort(),
    );
    const item = api.scenarios.getTreeItem(node);
    assert.equal(item.description, 'simulation · profile 4.9');
    for (const c of children) {
      const property = c.kind === 'property' ? c.property : '?';
      const status: string | undefined = r.run!.properties.find((x) => x.property === property)?.status;
      assert.equal(api.scenarios.getTreeItem(c).description, status);
    }
  });

  it('opens a violated property of a re-run in the timeline', async () => {
    await setSetting('profile', '4.9');
    const r = await vscode.commands.executeCommand<{ outcome: RunOutcome; run?: ScenarioRun }>('kvmRaceLens.rerunScenario', 'l2-running');
    assert.equal(r?.outcome.status, 'done');
    const node: ScenarioNode = { kind: 'property', scenario: 'l2-running', property: 'pi-delivery' };
    const item = api.scenarios.getTreeItem(node);
    assert.equal(item.description, 'violated');
    assert.ok(item.command, 'a violated property has a command');
    const shown = nextEvent(api.timeline.onDidPost, (m) => m.type === 'show' && m.model.runs[0]?.scenario === 'l2-running', 'the simulation\'s timeline');
    await vscode.commands.executeCommand(item.command.command, ...(item.command.arguments ?? []));
    const m = await shown;
    assert.ok(m.type === 'show' && m.model.runs.length === 1 && m.model.runs[0]!.verdict === 'violated' && (m.model.runs[0]!.trace?.steps.length ?? 0) > 3);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('a profile setting changes what a review uses', async () => {
    await setSetting('profile', '5.19');
    const { document: doc } = await openFixture('upstream-comment-only.patch');
    await review(doc.uri);
    assert.equal(api.results(doc.uri)?.review?.review.profile, '5.19');
    await setSetting('profile', undefined);
    await review(doc.uri);
    assert.equal(api.results(doc.uri)?.review?.review.profile, '6.17', 'auto: the mail date picks 6.17');
  });

  it('records a review\'s scenarios in the tree as baseline -> patched', async () => {
    const { document: doc } = await openFixture('upstream-irq-after-sync.patch');
    await review(doc.uri);
    const explored = api.results(doc.uri)!.review!.review.patches[0]!.scenarios.map((s) => s.scenario);
    assert.ok(explored.length > 0);
    const item = api.scenarios.getTreeItem({ kind: 'scenario', id: 'entry-vs-device-post' });
    assert.match(String(item.description), /^review of .*upstream-irq-after-sync\.patch · profile 6\.17$/);
    const pi = api.scenarios.getTreeItem({ kind: 'property', scenario: 'entry-vs-device-post', property: 'pi-delivery' });
    assert.equal(pi.description, 'holds → violated');
  });

  it('keeps the extension host responsive during a long exploration, and cancel stops the worker at once', async function () {
    this.timeout(60_000);
    // A scaled benchmark scenario: millions of states, seconds of work in the worker thread.
    let maxLag = 0;
    let last = performance.now();
    const tick = setInterval(() => {
      const now = performance.now();
      maxLag = Math.max(maxLag, now - last - 10);
      last = now;
    }, 10);
    const running = api.simulateScenario('scale-2-2-2', 'upstream');
    await waitFor('the worker to start', () => api.runningWorkers() > 0, 10_000);
    await new Promise((r) => setTimeout(r, 1_000));
    const t0 = performance.now();
    assert.ok(api.cancelAll() >= 1);
    const { outcome } = await running;
    const settled = performance.now() - t0;
    clearInterval(tick);
    assert.equal(outcome.status, 'cancelled', JSON.stringify(outcome));
    assert.ok(settled < 100, `the run settled ${settled.toFixed(0)} ms after cancel`);
    assert.equal(api.runningWorkers(), 0);
    assert.ok(maxLag < 200, `event-loop lag during the run: ${maxLag.toFixed(0)} ms`);
    console.log(`[kvm-race-lens] cancel: the simulation settled ${settled.toFixed(1)} ms after the request; max event-loop lag during the run ${maxLag.toFixed(0)} ms`);
  });

  it('the Cancel command stops a running review: its command returns cancelled within 100 ms, and nothing is stored', async function () {
    this.timeout(60_000);
    // A series of 128 patches that each explore two dozen scenarios afresh: half a minute of work.
    const doc = await vscode.workspace.openTextDocument({ language: 'kvm-patch', content: barrierSeries(MAX_MODELLED_PATCHES) });
    const reviewing = vscode.commands.executeCommand<RunOutcome>('kvmRaceLens.review', doc.uri);
    await waitFor('the review to run in a worker', () => api.results(doc.uri)?.reviewRunning && api.runningWorkers() > 0, 10_000);
    await new Promise((r) => setTimeout(r, 500));
    const t0 = performance.now();
    const stopped = await vscode.commands.executeCommand<number>('kvmRaceLens.cancel');
    const outcome = await reviewing;
    const settled = performance.now() - t0;
    assert.ok(stopped >= 1, `the command stopped ${stopped} runs`);
    assert.deepEqual(outcome, { status: 'cancelled' });
    assert.ok(settled < 100, `the review settled ${settled.toFixed(1)} ms after the Cancel command`);
    assert.equal(api.runningWorkers(), 0);
    assert.equal(api.results(doc.uri)?.reviewRunning, false);
    assert.equal(api.results(doc.uri)?.review, undefined, 'a cancelled review leaves no result');
    console.log(`[kvm-race-lens] cancel: the review command returned cancelled ${settled.toFixed(1)} ms after kvmRaceLens.cancel`);
  });

  it('reports a bad scenario as a failure, without throwing', async () => {
    const { outcome } = await api.simulateScenario('no-such-scenario', 'upstream');
    assert.equal(outcome.status, 'failed');
    assert.ok(outcome.status === 'failed' && outcome.type === 'model' && /no scenario/.test(outcome.message));
  });

  it('reports a document without hunks as input, not as a crash', async () => {
    const doc = await vscode.workspace.openTextDocument({ language: 'kvm-patch', content: 'Just some prose, no diff.\n' });
    const outcome = await vscode.commands.executeCommand<RunOutcome>('kvmRaceLens.review', doc.uri);
    assert.deepEqual(outcome, { status: 'failed', type: 'input', message: 'no diff hunks found' });
  });
});
