import { restartDelay } from '../../scripts/restartDelay.js';

describe('restartDelay', () => {
  it('should double from the initial delay and stop at the cap', () => {
    const noJitter = { initialDelayMs: 100, maxDelayMs: 1_000, jitter: 0 };
    expect([1, 2, 3, 4, 5, 6].map((n) => restartDelay(n, noJitter))).toEqual([100, 200, 400, 800, 1_000, 1_000]);
  });

  it('should draw the jitter share at random, never above the capped delay', () => {
    const policy = { initialDelayMs: 1_000, jitter: 0.5 };
    expect(restartDelay(1, policy, () => 0)).toBe(500);
    expect(restartDelay(1, policy, () => 0.9)).toBe(950);
    expect(restartDelay(30, { ...policy, maxDelayMs: 4_000 }, () => 1)).toBe(4_000);
  });
});
