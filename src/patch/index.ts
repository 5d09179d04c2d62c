/**
 * The patch reader: format-patch files, mbox series, `git diff`/`git show` output, plain unified
 * diffs and patches quoted in mail replies, read into hunks and lines located in the document.
 * Pure: no `vscode`, no DOM.
 */
export { readPatches } from './read';
export { MAX_PATCH_BYTES } from './decode';
export type { FilePatch, Hunk, Patch, PatchFormat, PatchLine, PatchSet, ReadOptions } from './types';
