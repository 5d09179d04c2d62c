/**
 * Runs asynchronous jobs a few at a time: SPIN's work (spin -a, gcc, pan) happens in child
 * processes, so one job per core keeps the machine busy without oversubscribing it.
 */
import { cpus } from 'node:os';

/** One job per core by default. */
export const CORES = Math.max(1, cpus().length);

/** `f` over `items`, at most `width` at a time; results in the order of `items`. */
export async function inParallel<T, R>(items: readonly T[], f: (x: T, i: number) => Promise<R>, width = CORES): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(width, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await f(items[i]!, i);
      }
    }),
  );
  return out;
}
