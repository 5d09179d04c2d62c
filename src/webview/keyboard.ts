/**
 * Keys on a steps listbox. Up/Down and Left/Right (and vi-style j/k) step through the trace;
 * Home/End jump to the initial state and the violating step; Enter or Space reveals the patch
 * line. Tab goes from the baseline to the patched steps and Shift+Tab back, and otherwise
 * leaves focus to the browser, so keyboard users are never trapped.
 */
import { RunSide } from '../protocol';

export type KeyAction =
  | { readonly kind: 'move'; readonly by: number }
  | { readonly kind: 'first' }
  | { readonly kind: 'last' }
  | { readonly kind: 'activate' }
  | { readonly kind: 'switchSide'; readonly to: RunSide };

export interface KeyInput {
  readonly key: string;
  readonly shiftKey: boolean;
  readonly ctrlKey: boolean;
  readonly altKey: boolean;
  readonly metaKey: boolean;
}

const PAGE = 10;

export function keyAction(e: KeyInput, side: RunSide, otherSideHasSteps: boolean): KeyAction | null {
  if (e.ctrlKey || e.altKey || e.metaKey) return null;
  switch (e.key) {
    case 'ArrowDown':
    case 'ArrowRight':
    case 'j':
      return { kind: 'move', by: 1 };
    case 'ArrowUp':
    case 'ArrowLeft':
    case 'k':
      return { kind: 'move', by: -1 };
    case 'PageDown':
      return { kind: 'move', by: PAGE };
    case 'PageUp':
      return { kind: 'move', by: -PAGE };
    case 'Home':
      return { kind: 'first' };
    case 'End':
      return { kind: 'last' };
    case 'Enter':
    case ' ':
      return { kind: 'activate' };
    case 'Tab':
      if (!otherSideHasSteps) return null;
      if (!e.shiftKey && side === 'baseline') return { kind: 'switchSide', to: 'patched' };
      if (e.shiftKey && side === 'patched') return { kind: 'switchSide', to: 'baseline' };
      return null;
    default:
      return null;
  }
}
