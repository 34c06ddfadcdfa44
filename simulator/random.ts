/**
 * A seeded pseudo-random source. The simulator must tell the same story for the same seed on every
 * machine and Node version, so it never touches `Math.random`. sfc32 (Chris Doty-Humphrey's Small Fast
 * Counter) passes PractRand, is four 32-bit words of state and needs only integer ops.
 * See https://pracrand.sourceforge.net/RNG_engines.txt
 */
export interface Random {
  /** Uniform float in [0, 1). */
  next(): number;
  /** Uniform float in [min, max). */
  float(min: number, max: number): number;
  /** Uniform integer in [min, max] (both inclusive). */
  int(min: number, max: number): number;
  /** True with probability `p`. */
  chance(p: number): boolean;
  /** A uniformly chosen element; `items` must not be empty. */
  pick<T>(items: readonly T[]): T;
  /** Approximately normal (Irwin–Hall sum of 4 uniforms, so no tails beyond ±3.5 sd): cheap and bounded. */
  normal(mean: number, sd: number): number;
  /** A Poisson-distributed count with mean `lambda` (Knuth for small means, normal approximation above 30). */
  poisson(lambda: number): number;
}

/** A picker that chooses among `items` in proportion to `weights`, in O(log n) per draw. */
export type WeightedPicker<T> = (random: Random) => T;

/** Creates a deterministic random source from a 32-bit integer seed. */
export function createRandom(seed: number): Random {
  // Seed the four words via splitmix32 so that nearby seeds (1, 2, 3) diverge immediately.
  let s = seed >>> 0;
  const splitmix = () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
  let a = splitmix();
  let b = splitmix();
  let c = splitmix();
  let d = splitmix();
  const next = () => {
    const t = (((a + b) >>> 0) + d) >>> 0;
    d = (d + 1) >>> 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) >>> 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) >>> 0;
    return t / 4_294_967_296;
  };
  for (let i = 0; i < 12; i++) next(); // the first outputs of sfc32 still echo the seed

  const random: Random = {
    next,
    float: (min, max) => min + (max - min) * next(),
    int: (min, max) => min + Math.floor((max - min + 1) * next()),
    chance: (p) => next() < p,
    pick: (items) => items[Math.floor(items.length * next())],
    normal: (mean, sd) => mean + sd * (next() + next() + next() + next() - 2) * Math.sqrt(3),
    poisson: (lambda) => {
      if (lambda <= 0) return 0;
      if (lambda > 30) return Math.max(0, Math.round(random.normal(lambda, Math.sqrt(lambda))));
      const limit = Math.exp(-lambda);
      let count = 0;
      for (let product = next(); product > limit; product *= next()) count++;
      return count;
    },
  };
  return random;
}

/** Builds a weighted picker once, so each draw is a binary search over cumulative weights. */
export function weighted<T>(items: readonly T[], weights: readonly number[]): WeightedPicker<T> {
  if (items.length === 0 || items.length !== weights.length) throw new Error('weighted: need as many weights as items, at least one');
  const cumulative: number[] = [];
  let sum = 0;
  for (const w of weights) cumulative.push((sum += Math.max(0, w)));
  if (sum <= 0) throw new Error('weighted: weights must not all be 0');
  return (random) => {
    const target = random.next() * sum;
    let lo = 0;
    let hi = cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cumulative[mid] > target) hi = mid;
      else lo = mid + 1;
    }
    return items[lo];
  };
}
