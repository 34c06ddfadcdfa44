import { stableKey } from '../../../gateway/subscriptions/stableKey.js';

describe('stableKey', () => {
  it('should not depend on object key order, at any depth', () => {
    expect(stableKey({ a: 1, b: { c: [1, { d: 2, e: 3 }] } })).toBe(stableKey({ b: { c: [1, { e: 3, d: 2 }] }, a: 1 }));
  });

  it('should tell different values apart', () => {
    expect(stableKey({ id: 'p1' })).not.toBe(stableKey({ id: 'p2' }));
    expect(stableKey([1, 2])).not.toBe(stableKey([2, 1]));
    expect(stableKey(undefined)).not.toBe(stableKey(null));
  });
});
