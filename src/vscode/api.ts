/**
 * What activate() returns: enough for the integration tests to observe the extension from
 * inside the extension host (results, running workers, the timeline's messages) without
 * reaching into module state. Other extensions may use it too; it is not a stable contract.
 */
import type * as vscode from 'vscode';
import type { TimelineModel, ToWebview } from '../protocol';
import type { Config } from './config';
import type { DocumentResults } from './results';
import type { RunOutcome } from './reviews';
import type { ScenarioTree } from './scenarioTree';
import type { ReceivedMessage } from './timelinePanel';
import type { ScenarioRun } from './workerProtocol';

export interface TimelineProbe {
  readonly onDidPost: vscode.Event<ToWebview>;
  readonly onDidReceive: vscode.Event<ReceivedMessage>;
  readonly onDidExport: vscode.Event<vscode.Uri>;
  /** The open panel, if any. */
  current(): { readonly model: TimelineModel | null; readonly ready: boolean; readonly visible: boolean } | undefined;
  /** Hands a message to the open panel as if its webview had posted it; false if rejected. */
  deliver(message: unknown): Promise<boolean>;
}

export interface KvmRaceLensApi {
  /** Milliseconds activate() took. */
  readonly activationMs: number;
  readonly config: Config;
  readonly onDidChangeResults: vscode.Event<vscode.Uri>;
  results(uri: vscode.Uri): DocumentResults | undefined;
  /** Jobs running in a worker thread (a cancelled job stops counting at the cancel). */
  runningWorkers(): number;
  /** A background (no notification) simulation of one scenario; any id `simulate` accepts. */
  simulateScenario(scenario: string, profile?: string): Promise<{ outcome: RunOutcome; run?: ScenarioRun }>;
  /** The user's cancel: every run stops and reports `cancelled`. */
  cancelAll(): number;
  readonly scenarios: ScenarioTree;
  readonly timeline: TimelineProbe;
}
