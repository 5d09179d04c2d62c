/**
 * Places a hunk inside a program: the stretch of the program's token stream that best matches
 * the hunk's baseline tokens (local alignment on token keys), and splices a replacement in.
 */
import { Token, tokenKey } from './tokens';

export interface Region {
  /** First and last program token covered, inclusive. */
  readonly lo: number;
  readonly hi: number;
  /** Hunk tokens that matched a program token. */
  readonly matched: number;
}

/**
 * Smith-Waterman on token keys (match +2, mismatch and gaps -1). Undefined when nothing of
 * the hunk matches. Ties go to the earliest region, so the result is deterministic.
 */
export function alignRegion(program: readonly Token[], hunk: readonly Token[], from = 0): Region | undefined {
  const n = program.length;
  const m = hunk.length;
  if (!m || from >= n) return undefined;
  const pk = program.map(tokenKey);
  const hk = hunk.map(tokenKey);
  const W = m + 1;
  const score = new Int32Array((n + 1) * W);
  const start = new Int32Array((n + 1) * W).fill(-1);
  const hits = new Int32Array((n + 1) * W);
  let best = 0;
  let bestAt = -1;
  for (let i = from + 1; i <= n; i++) {
    for (let j = 1; j <= m; j++) {
      const match = pk[i - 1] === hk[j - 1];
      const diag = score[(i - 1) * W + j - 1]! + (match ? 2 : -1);
      const up = score[(i - 1) * W + j]! - 1;
      const left = score[i * W + j - 1]! - 1;
      let s = 0;
      let st = -1;
      let h = 0;
      if (diag > s) {
        s = diag;
        st = start[(i - 1) * W + j - 1]! >= 0 ? start[(i - 1) * W + j - 1]! : i - 1;
        h = hits[(i - 1) * W + j - 1]! + (match ? 1 : 0);
      }
      if (up > s) {
        s = up;
        st = start[(i - 1) * W + j]!;
        h = hits[(i - 1) * W + j]!;
      }
      if (left > s) {
        s = left;
        st = start[i * W + j - 1]!;
        h = hits[i * W + j - 1]!;
      }
      score[i * W + j] = s;
      start[i * W + j] = st;
      hits[i * W + j] = h;
      if (s > best) {
        best = s;
        bestAt = i * W + j;
      }
    }
  }
  if (bestAt < 0 || best < 2) return undefined;
  const hi = Math.floor(bestAt / W) - 1;
  return { lo: start[bestAt]!, hi, matched: hits[bestAt]! };
}

export function splice(program: readonly Token[], region: Region, replacement: readonly Token[]): Token[] {
  return [...program.slice(0, region.lo), ...replacement, ...program.slice(region.hi + 1)];
}
