/**
 * The scenarios and their last verdicts: from a re-run (a plain simulation under the current
 * profile) or from the last review that explored them (baseline -> patched). A violated
 * property of a simulation opens its counterexample in the timeline.
 */
import * as vscode from 'vscode';
import type { PropertyStatus } from '../model/explore';
import { AREAS } from '../model/registry';
import { SCENARIOS } from '../model/scenarios';
import type { Review } from '../review/review';
import { COMMANDS } from './commands';
import type { ScenarioRun } from './workerProtocol';

export const SCENARIO_VIEW = 'kvmRaceLens.scenarios';

export type ScenarioNode =
  | { readonly kind: 'area'; readonly id: string; readonly title: string }
  | { readonly kind: 'scenario'; readonly id: string }
  | { readonly kind: 'property'; readonly scenario: string; readonly property: string };

export interface LastVerdicts {
  /** `simulation`, or `review of <document>`. */
  readonly source: string;
  readonly profile: string;
  readonly properties: readonly { readonly property: string; readonly baseline: PropertyStatus | null; readonly status: PropertyStatus }[];
  /** Kept for simulations, whose traces the timeline can show. */
  readonly run: ScenarioRun | null;
}

function icon(statuses: readonly PropertyStatus[]): vscode.ThemeIcon {
  if (statuses.includes('violated')) return new vscode.ThemeIcon('error', new vscode.ThemeColor('problemsErrorIcon.foreground'));
  if (statuses.includes('inconclusive')) return new vscode.ThemeIcon('warning', new vscode.ThemeColor('problemsWarningIcon.foreground'));
  return new vscode.ThemeIcon('pass', new vscode.ThemeColor('testing.iconPassed'));
}

export class ScenarioTree implements vscode.TreeDataProvider<ScenarioNode>, vscode.Disposable {
  private readonly last = new Map<string, LastVerdicts>();
  private readonly changed = new vscode.EventEmitter<ScenarioNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;

  verdicts(scenario: string): LastVerdicts | undefined {
    return this.last.get(scenario);
  }

  recordSimulation(run: ScenarioRun): void {
    this.last.set(run.scenario, {
      source: 'simulation',
      profile: run.profile,
      properties: run.properties.map((p) => ({ property: p.property, baseline: null, status: p.status })),
      run,
    });
    this.changed.fire(undefined);
  }

  recordReview(name: string, review: Review): void {
    for (const patch of review.patches) {
      for (const s of patch.scenarios) {
        this.last.set(s.scenario, {
          source: `review of ${name}`,
          profile: review.profile,
          properties: Object.entries(s.patched).map(([property, status]) => ({ property, baseline: s.baseline[property] ?? null, status })),
          run: null,
        });
      }
    }
    this.changed.fire(undefined);
  }

  /** Scenarios at the top while there is one model area; grouped by area once there are several. */
  getChildren(node?: ScenarioNode): ScenarioNode[] {
    const areas = AREAS.filter((a) => a.scenarios.length > 0);
    if (!node && areas.length > 1) return areas.map((a) => ({ kind: 'area', id: a.id, title: a.title }));
    if (!node) return SCENARIOS.map((s) => ({ kind: 'scenario', id: s.id }));
    if (node.kind === 'area') return SCENARIOS.filter((s) => s.area === node.id).map((s) => ({ kind: 'scenario', id: s.id }));
    if (node.kind === 'scenario') return (this.last.get(node.id)?.properties ?? []).map((p) => ({ kind: 'property', scenario: node.id, property: p.property }));
    return [];
  }

  getTreeItem(node: ScenarioNode): vscode.TreeItem {
    if (node.kind === 'area') {
      const item = new vscode.TreeItem(node.title, vscode.TreeItemCollapsibleState.Expanded);
      item.id = `area:${node.id}`;
      return item;
    }
    if (node.kind === 'scenario') {
      const scenario = SCENARIOS.find((s) => s.id === node.id);
      const last = this.last.get(node.id);
      const item = new vscode.TreeItem(node.id, last ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.None);
      item.id = `scenario:${node.id}`;
      item.contextValue = 'kvmRaceLens.scenario';
      item.description = last ? `${last.source} · profile ${last.profile}` : scenario?.title ?? '';
      item.tooltip = new vscode.MarkdownString().appendText(`${scenario?.title ?? node.id}\n\n${scenario?.description ?? ''}`);
      item.iconPath = last ? icon(last.properties.map((p) => p.status)) : new vscode.ThemeIcon('circle-outline');
      return item;
    }
    const last = this.last.get(node.scenario);
    const p = last?.properties.find((x) => x.property === node.property);
    const item = new vscode.TreeItem(node.property, vscode.TreeItemCollapsibleState.None);
    item.id = `property:${node.scenario}:${node.property}`;
    item.contextValue = 'kvmRaceLens.property';
    item.description = p ? (p.baseline !== null && p.baseline !== p.status ? `${p.baseline} → ${p.status}` : p.status) : '';
    item.iconPath = icon(p ? [p.status] : []);
    if (p?.status === 'violated' && last?.run) {
      item.command = { title: 'Show counterexample', command: COMMANDS.showScenarioTrace, arguments: [node.scenario, node.property] };
      item.tooltip = 'Show the counterexample in the timeline';
    }
    return item;
  }

  dispose(): void {
    this.changed.dispose();
  }
}
