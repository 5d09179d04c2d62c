/**
 * The webview's side of the host connection. `acquireVsCodeApi` is injected by VS Code (and by
 * the test page's stand-in) and may be called only once per page, so main.ts calls `connectHost` once.
 */
import { FromWebview } from '../protocol';

interface VsCodeWebviewApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): unknown;
}

declare function acquireVsCodeApi(): VsCodeWebviewApi;

export interface Host {
  post(message: FromWebview): void;
  /** Whatever was saved last; callers validate it before use. */
  savedState(): unknown;
  saveState(state: unknown): void;
}

export function connectHost(): Host {
  const api = acquireVsCodeApi();
  return {
    post: (message) => api.postMessage(message),
    savedState: () => api.getState(),
    saveState: (state) => void api.setState(state),
  };
}
