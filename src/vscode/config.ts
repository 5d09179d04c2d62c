/**
 * The extension's settings, read through one typed class. Values are clamped to what the core
 * accepts, so a hand-edited settings.json cannot hand the explorer a negative limit. Listeners
 * hear about changes to this section only.
 */
import * as vscode from 'vscode';
import { DEFAULT_LIMITS } from '../model/explore';
import type { ExploreLimits } from './workerProtocol';

export const SECTION = 'kvmRaceLens';

export const SETTINGS = {
  profile: 'profile',
  maxStates: 'maxStates',
  timeoutMs: 'timeoutMs',
  autoReview: 'autoReview',
  debounceMs: 'debounceMs',
} as const;

export type SettingName = (typeof SETTINGS)[keyof typeof SETTINGS];

const PROFILE_RE = /^(auto|upstream|\d+\.\d+(\.\d+)?)$/;

function clampInt(v: unknown, min: number, max: number, fallback: number): number {
  return typeof v === 'number' && Number.isFinite(v) ? Math.min(max, Math.max(min, Math.round(v))) : fallback;
}

export class Config implements vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<readonly SettingName[]>();
  /** Fires with the names of the settings that changed. */
  readonly onDidChange = this.changed.event;
  private readonly disposables: vscode.Disposable[] = [this.changed];

  constructor() {
    vscode.workspace.onDidChangeConfiguration(this.configurationChanged, this, this.disposables);
  }

  private configurationChanged(e: vscode.ConfigurationChangeEvent): void {
    const names = Object.values(SETTINGS).filter((n) => e.affectsConfiguration(`${SECTION}.${n}`));
    if (names.length) this.changed.fire(names);
  }

  private get section(): vscode.WorkspaceConfiguration {
    return vscode.workspace.getConfiguration(SECTION);
  }

  /** `auto` (the mail's Date:, else upstream), `upstream`, or a kernel version such as `5.19`. */
  get profile(): string {
    const v = this.section.get<string>(SETTINGS.profile, 'auto');
    return typeof v === 'string' && PROFILE_RE.test(v.trim()) ? v.trim() : 'auto';
  }

  /** The profile to pass to the core: null lets the mail's date decide. */
  get reviewProfile(): string | null {
    const p = this.profile;
    return p === 'auto' ? null : p;
  }

  get maxStates(): number {
    return clampInt(this.section.get(SETTINGS.maxStates), 1_000, 50_000_000, DEFAULT_LIMITS.maxStates);
  }

  get timeoutMs(): number {
    return clampInt(this.section.get(SETTINGS.timeoutMs), 100, 600_000, DEFAULT_LIMITS.maxMs);
  }

  get limits(): ExploreLimits {
    return { maxStates: this.maxStates, timeoutMs: this.timeoutMs };
  }

  get autoReview(): boolean {
    return this.section.get<boolean>(SETTINGS.autoReview, false) === true;
  }

  get debounceMs(): number {
    return clampInt(this.section.get(SETTINGS.debounceMs), 0, 10_000, 500);
  }

  dispose(): void {
    while (this.disposables.length) this.disposables.pop()?.dispose();
  }
}
