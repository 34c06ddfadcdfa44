/**
 * A seeded xorshift32 generator of numbers in [0, 1): the same sequence on every run, so benchmark inputs
 * and randomized tests are comparable from run to run.
 */
export function xorshift(seed: number): () => number {
  return () => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) / 4294967296;
  };
}
