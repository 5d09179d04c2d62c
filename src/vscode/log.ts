/**
 * Errors in the glue: every one is logged to the LogOutputChannel and shown in short; none
 * escapes into the extension host. Commands the user ran get a notification with a way to the
 * log; background work (auto-review, events) gets a status-bar message that goes away.
 */
import * as vscode from 'vscode';
import { RaceLensError } from '../model/errors';
import type { WorkerError } from './workerProtocol';

export const LOG_NAME = 'KVM Race Lens';

/** One line for the user: the core's typed errors are already sentences. */
export function shortMessage(e: unknown): string {
  if (e instanceof RaceLensError) return e.message;
  if (isWorkerError(e)) return e.message;
  if (e instanceof Error) return e.message || e.name;
  return String(e);
}

function isWorkerError(e: unknown): e is WorkerError {
  return typeof e === 'object' && e !== null && 'type' in e && 'message' in e && typeof (e as { message: unknown }).message === 'string';
}

export type Audience = 'user' | 'background';

export class ErrorReporter {
  constructor(readonly log: vscode.LogOutputChannel) {}

  report(what: string, e: unknown, audience: Audience): void {
    const message = shortMessage(e);
    const stack = e instanceof Error ? e.stack : isWorkerError(e) ? e.stack : undefined;
    this.log.error(`${what}: ${message}${stack ? `\n${stack}` : ''}`);
    if (audience === 'background') {
      vscode.window.setStatusBarMessage(`$(error) KVM Race Lens: ${what}: ${message}`, 6000);
      return;
    }
    void vscode.window.showErrorMessage(`KVM Race Lens: ${what}: ${message}`, 'Show Log').then((pick) => {
      if (pick) this.log.show(true);
    });
  }

  /** Wraps an event handler: a throw or a rejected promise is reported, never propagated. */
  guard<A extends unknown[]>(what: string, fn: (...args: A) => unknown): (...args: A) => void {
    return (...args: A) => {
      try {
        const r = fn(...args);
        if (r instanceof Promise) r.catch((e: unknown) => this.report(what, e, 'background'));
      } catch (e) {
        this.report(what, e, 'background');
      }
    };
  }
}
