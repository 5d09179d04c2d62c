/** What survives a window reload: the model and the selection, versioned (see protocol.ts). */
import { TIMELINE_STATE_VERSION, TimelineModel, TimelineViewState, RunSide, isTimelineViewState } from '../protocol';

export function viewState(model: TimelineModel, side: RunSide, steps: Partial<Record<RunSide, number>>): TimelineViewState {
  return { version: TIMELINE_STATE_VERSION, model, side, steps };
}

/** Saved state from an older version, or damaged, is dropped: the extension re-sends on 'ready'. */
export function restoredViewState(saved: unknown): TimelineViewState | null {
  return isTimelineViewState(saved) ? saved : null;
}
