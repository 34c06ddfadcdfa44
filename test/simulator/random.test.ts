import { createRandom, weighted } from '../../simulator/random.js';

describe('createRandom', () => {
  it('should repeat the same sequence for the same seed and differ for another', () => {
    const draw = (seed: number) => {
      const random = createRandom(seed);
      return Array.from({ length: 5 }, () => random.next());
    };
    expect(draw(42)).toEqual(draw(42));
    expect(draw(42)).not.toEqual(draw(43));
  });

  it('should keep int within both bounds and reach each of them', () => {
    const random = createRandom(1);
    const seen = new Set<number>();
    for (let i = 0; i < 2000; i++) {
      const n = random.int(3, 7);
      expect(n).toBeGreaterThanOrEqual(3);
      expect(n).toBeLessThanOrEqual(7);
      seen.add(n);
    }
    expect([...seen].sort()).toEqual([3, 4, 5, 6, 7]);
  });

  it('should draw normal and poisson values around their means', () => {
    const random = createRandom(2);
    const mean = (draw: () => number) => Array.from({ length: 20_000 }, draw).reduce((s, v) => s + v, 0) / 20_000;
    expect(mean(() => random.normal(10, 2))).toBeCloseTo(10, 1);
    expect(mean(() => random.poisson(4))).toBeCloseTo(4, 1);
    expect(mean(() => random.poisson(60))).toBeCloseTo(60, 0);
  });
});

describe('weighted', () => {
  it('should pick in proportion to the weights and never pick a zero weight', () => {
    const random = createRandom(3);
    const pick = weighted(['a', 'b', 'c', 'd'], [1, 0, 3, 6]);
    const counts: Record<string, number> = { a: 0, b: 0, c: 0, d: 0 };
    for (let i = 0; i < 10_000; i++) counts[pick(random)]++;
    expect(counts.b).toBe(0);
    expect(counts.a / 10_000).toBeCloseTo(0.1, 1);
    expect(counts.c / 10_000).toBeCloseTo(0.3, 1);
    expect(counts.d / 10_000).toBeCloseTo(0.6, 1);
  });
});
