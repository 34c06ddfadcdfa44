/**
 * Retention in the store contract: `enforceRetention` deletes exactly the rows before each cutoff, in
 * every store. Expectations come from a second store that ingested only the facts inside the window.
 */
import type { Store, StoredGrain } from '../../subgraphs/kit/store/Store.js';
import { DAY, HOUR, MINUTE, T0, order, projectOrders, query } from './storeFixtures.js';

const STEP: Record<StoredGrain, number> = { minute: MINUTE, hour: HOUR, day: DAY };

/** Every stored row of a grain over [fromMs, toMs), grouped by both dimensions. */
function rows(store: Store, grain: StoredGrain, fromMs: number, toMs: number) {
  const boundaries = [];
  for (let t = fromMs; t <= toMs; t += STEP[grain]) boundaries.push(t);
  return store.queryBuckets(query(boundaries, { grain, groupBy: ['region', 'channel'] }));
}

/** Orders every 7 hours over six days, the first and last second of a day included. */
const facts = () => [
  ...Array.from({ length: 21 }, (_, i) => order(`o${i}`, T0 + i * 7 * HOUR, { amount: i + 1, region: i % 2 ? 'eu' : 'us' })),
  order('edge-last', T0 + 3 * DAY - 1000),
  order('edge-first', T0 + 3 * DAY),
];

export function describeRetentionContract(open: () => Promise<Store>): void {
  describe('enforceRetention', () => {
    it('should delete exactly the facts and rows before each cutoff and keep the rest', async () => {
      const store = await open();
      const kept = await open();
      await store.apply(facts(), projectOrders);
      await kept.apply(
        facts().filter((f) => f.time.getTime() >= T0 + 3 * DAY),
        projectOrders,
      );
      await store.retract({ source: 'shop', id: 'o1' }, 'wrong', new Date(T0 + 7 * DAY), { project: projectOrders });
      await store.retract({ source: 'shop', id: 'o20' }, 'wrong', new Date(T0 + 7 * DAY), { project: projectOrders });
      await kept.retract({ source: 'shop', id: 'o20' }, 'wrong', new Date(T0 + 7 * DAY), { project: projectOrders });
      const dayRowsBefore = await rows(store, 'day', T0, T0 + 7 * DAY);

      const result = await store.enforceRetention({ facts: new Date(T0 + 3 * DAY), grains: { minute: new Date(T0 + 3 * DAY), hour: new Date(T0 + 2 * DAY) } });

      expect(result.facts).toBe(12); // o0..o10 (up to 70 h) and edge-last
      expect(result.rows.day).toBe(0);
      expect(await store.factCount()).toBe(await kept.factCount());
      expect((await store.retractions(10)).map((r) => r.id)).toEqual(['o20']);
      expect(await rows(store, 'minute', T0, T0 + 7 * DAY)).toEqual(await rows(kept, 'minute', T0, T0 + 7 * DAY));
      expect(await rows(store, 'hour', T0, T0 + 2 * DAY)).toEqual([]);
      expect(await rows(store, 'hour', T0 + 2 * DAY, T0 + 3 * DAY)).toHaveLength(5); // o7..o10 and edge-last stay as hour rows
      expect(await rows(store, 'hour', T0 + 3 * DAY, T0 + 7 * DAY)).toEqual(await rows(kept, 'hour', T0 + 3 * DAY, T0 + 7 * DAY));
      expect(await rows(store, 'day', T0, T0 + 7 * DAY)).toEqual(dayRowsBefore);
      expect(result.rows.minute).toBeGreaterThan(0);

      // A fact past the window is gone for good; one inside it is still a duplicate.
      const again = await store.apply([order('o0', T0), order('edge-first', T0 + 3 * DAY)], projectOrders);
      expect(again.applied.map((f) => f.id)).toEqual(['o0']);
      expect(await store.enforceRetention({ facts: new Date(T0 + 3 * DAY), grains: {} })).toEqual({
        facts: 1,
        deadLetters: 0,
        rows: { minute: 0, hour: 0, day: 0 },
      });
    });

    it('should delete dead letters received before the facts cutoff', async () => {
      const store = await open();
      for (const at of [T0, T0 + DAY, T0 + 2 * DAY]) {
        await store.recordDeadLetter({ receivedAt: new Date(at), source: 's', id: String(at), type: 't', reason: 'bad', event: {} });
      }

      const result = await store.enforceRetention({ facts: new Date(T0 + DAY), grains: {} });

      expect(result.deadLetters).toBe(1);
      expect((await store.deadLetters(10)).map((d) => d.receivedAt.getTime())).toEqual([T0 + 2 * DAY, T0 + DAY]);
    });

    it('should refuse cutoffs that are not whole UTC days or name an unknown grain', async () => {
      const store = await open();
      await expect(store.enforceRetention({ facts: new Date(T0 + HOUR), grains: {} })).rejects.toThrow(/whole UTC day/);
      await expect(store.enforceRetention({ facts: new Date(NaN), grains: {} })).rejects.toThrow(/not a valid date/);
      await expect(store.enforceRetention({ facts: new Date(T0), grains: { week: new Date(T0) } as never })).rejects.toThrow(/unknown grain/);
    });
  });
}
