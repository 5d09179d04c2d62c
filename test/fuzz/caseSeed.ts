/**
 * The seed of case `index` of a run seeded with `seed`: every fuzz case (an input document,
 * a program variant) is drawn from its own seed, so case k of a run can be rebuilt alone.
 */
export function caseSeed(seed: number, index: number): number {
  // splitmix32-style mixing: neighbouring indexes get unrelated seeds.
  let z = (seed ^ Math.imul(index + 1, 0x9e3779b9)) >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
  return (z ^ (z >>> 16)) | 0;
}
