/**
 * The baselines `npm run build` wrote to dist/baselines, with the model fingerprint they carry:
 * the benchmarks read them as the bundles do, whatever the fingerprint of tsc's output.
 */
import { readFileSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import type { HelperBaselines } from '../../src/review/scenarioPool';

export function distBaselines(root: string): HelperBaselines | undefined {
  const dir = path.join(root, 'dist', 'baselines');
  const sample = readdirSync(dir).find((f) => f.endsWith('.json'));
  if (!sample) return undefined;
  return { dir, fingerprint: (JSON.parse(readFileSync(path.join(dir, sample), 'utf8')) as { fingerprint: string }).fingerprint };
}
