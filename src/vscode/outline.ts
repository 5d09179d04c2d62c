/**
 * Where the patches and hunks of a document are, per document version. Small documents are read
 * in the extension host (a few milliseconds); large ones in a worker, so that a 20 MB mbox never
 * stalls the host while the editor asks for lenses.
 */
import * as vscode from 'vscode';
import { RaceLensError } from '../model/errors';
import { readPatches } from '../patch';
import { outlineOf } from './jobs';
import { WorkerRunner } from './workerClient';
import type { PatchOutline } from './workerProtocol';

/** Above this many characters the reader runs in a worker. */
export const IN_HOST_MAX_CHARS = 512 * 1024;

interface Cached {
  readonly version: number;
  readonly outline: Promise<PatchOutline | null>;
}

export class Outlines implements vscode.Disposable {
  private readonly cache = new Map<string, Cached>();

  constructor(
    private readonly runner: WorkerRunner,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  /** null: the document holds no hunks (or cannot be read as a patch). */
  get(doc: vscode.TextDocument): Promise<PatchOutline | null> {
    const key = doc.uri.toString();
    const hit = this.cache.get(key);
    if (hit && hit.version === doc.version) return hit.outline;
    const outline = this.read(doc);
    this.cache.set(key, { version: doc.version, outline });
    return outline;
  }

  private async read(doc: vscode.TextDocument): Promise<PatchOutline | null> {
    const text = doc.getText();
    if (text.length <= IN_HOST_MAX_CHARS) {
      try {
        return outlineOf(readPatches(text));
      } catch (e) {
        if (e instanceof RaceLensError) return null;
        throw e;
      }
    }
    const outcome = await this.runner.run({ kind: 'outline', text }, undefined, true);
    if (outcome.status === 'done' && outcome.value.kind === 'outline') return outcome.value.outline;
    if (outcome.status === 'failed' && outcome.error.type === 'internal') this.log.warn(`reading ${doc.uri.toString(true)}: ${outcome.error.message}`);
    return null;
  }

  delete(uri: vscode.Uri): void {
    this.cache.delete(uri.toString());
  }

  dispose(): void {
    this.cache.clear();
  }
}
