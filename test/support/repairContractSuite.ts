/**
 * The repair part of the `Store` contract (retract, restore, rebuild), declared inside the contract suite
 * so it runs against every store. Expectations come from a second store that ingested only the good
 * facts: "repaired" must mean "as if the bad fact had never been applied", at every grain.
 */
import type { BucketRow, Projector, Reprojector, Store, StoredFact, StoredGrain } from '../../subgraphs/kit/store/Store.js';
import { DAY, HOUR, LAYOUT, MINUTE, T0, order, projectOrders, query } from './storeFixtures.js';

const REPROJECT: Reprojector = { project: projectOrders };
const STEP: Record<StoredGrain, number> = { minute: MINUTE, hour: HOUR, day: DAY };

/** Every row of every grain over [fromMs, toMs), one bucket per stored bucket, grouped by both dimensions. */
async function snapshot(store: Store, fromMs: number, toMs: number): Promise<Record<StoredGrain, BucketRow[]>> {
  const rows = async (grain: StoredGrain) => {
    const boundaries = [];
    for (let t = fromMs; t <= toMs; t += STEP[grain]) boundaries.push(t);
    return store.queryBuckets(query(boundaries, { grain, groupBy: ['region', 'channel'] }));
  };
  return { minute: await rows('minute'), hour: await rows('hour'), day: await rows('day') };
}

/** Facts over two UTC days, several per minute, integer amounts (sums exact in any order). */
function goodFacts(): StoredFact[] {
  return Array.from({ length: 120 }, (_, i) =>
    order(`good-${i}`, T0 + 20 * HOUR + i * 17 * MINUTE + (i % 3) * 1000, {
      region: ['eu', 'us', 'apac'][i % 3],
      channel: ['web', 'app'][i % 2],
      product: `p${i % 4}`,
      amount: 1 + (i % 7),
    }),
  );
}

const BAD_AT = T0 + 20 * HOUR + 17 * MINUTE + 5_000; // the minute of good-1
const bad = (product = 'p1') => order('bad', BAD_AT, { region: 'us', channel: 'app', product, amount: 1e12 });

export function describeRepairContract(open: () => Promise<Store>): void {
  describe('repair', () => {
    let store: Store;
    let reference: Store;
    const range: [number, number] = [T0, T0 + 3 * DAY];

    beforeEach(async () => {
      store = await open();
      reference = await open();
      const facts = goodFacts();
      await reference.apply(facts, projectOrders);
      await store.apply([...facts.slice(0, 50), bad(), ...facts.slice(50)], projectOrders);
    });

    it('should retract a fact: every grain and the states it set equal a store that never had it', async () => {
      expect(await snapshot(store, ...range)).not.toEqual(await snapshot(reference, ...range));

      const result = await store.retract({ source: 'shop', id: 'bad' }, 'unitPrice typo', new Date(T0 + 5 * DAY), REPROJECT);

      expect(result.status).toBe('retracted');
      expect(result.fact).toEqual(bad());
      expect(result.retraction).toEqual({ source: 'shop', id: 'bad', reason: 'unitPrice typo', retractedAt: new Date(T0 + 5 * DAY) });
      expect(result.revised).toEqual([{ rollup: 'orders', bucket: new Date(BAD_AT - (BAD_AT % MINUTE)), dims: { region: 'us', channel: 'app' } }]);
      expect(await snapshot(store, ...range)).toEqual(await snapshot(reference, ...range));
      const p1 = await reference.readStates('stock', ['p1']);
      expect(await store.readStates('stock', ['p1'])).toEqual(p1);
      expect(result.states).toEqual([{ state: 'stock', key: 'p1', value: p1[0].value, previous: { sold: 31, status: 'hot' }, updatedAt: p1[0].updatedAt }]);
      expect(await store.retractions(10)).toEqual([result.retraction]);
      // Kept for audit (still a duplicate), but no longer one of the facts the product holds.
      expect(await store.factCount()).toBe(120);
    });

    it('should keep a retracted fact deduplicated, retract it once, and restore it only when asked', async () => {
      const before = await snapshot(store, ...range);
      await store.retract({ source: 'shop', id: 'bad' }, 'typo', new Date(T0 + 5 * DAY), REPROJECT);
      const repaired = await snapshot(store, ...range);

      const again = await store.apply([bad()], projectOrders);
      expect(again.applied).toEqual([]);
      expect(again.duplicates).toEqual([bad()]);
      const twice = await store.retract({ source: 'shop', id: 'bad' }, 'again', new Date(T0 + 6 * DAY), REPROJECT);
      expect(twice).toMatchObject({ status: 'already-retracted', revised: [], states: [], retraction: { reason: 'typo' } });
      expect(await snapshot(store, ...range)).toEqual(repaired);

      const restored = await store.restore({ source: 'shop', id: 'bad' }, REPROJECT);
      expect(restored.status).toBe('restored');
      expect(restored.revised).toHaveLength(1);
      expect(await snapshot(store, ...range)).toEqual(before);
      expect(await store.retractions(10)).toEqual([]);
      expect(await store.factCount()).toBe(121);
      expect((await store.restore({ source: 'shop', id: 'bad' }, REPROJECT)).status).toBe('not-retracted');
    });

    it('should answer not-found for an unknown key and change nothing', async () => {
      const before = await snapshot(store, ...range);
      const result = await store.retract({ source: 'shop', id: 'nope' }, 'typo', new Date(), REPROJECT);
      expect(result).toEqual({ status: 'not-found', fact: null, retraction: null, revised: [], states: [] });
      expect(await snapshot(store, ...range)).toEqual(before);
      await expect(store.retract({ source: '', id: 'x' }, 'typo', new Date(), REPROJECT)).rejects.toThrow(/non-empty source and id/);
      await expect(store.retract({ source: 'shop', id: 'bad' }, ' ', new Date(), REPROJECT)).rejects.toThrow(/needs a reason/);
    });

    it('should delete a state that only the retracted fact set', async () => {
      await store.apply([{ ...bad('p9'), id: 'bad-p9' }], projectOrders);
      const result = await store.retract({ source: 'shop', id: 'bad-p9' }, 'typo', new Date(), REPROJECT);
      expect(result.states).toEqual([{ state: 'stock', key: 'p9', value: null, previous: { sold: 1, status: 'cold' }, updatedAt: null }]);
      expect(await store.readStates('stock', ['p9'])).toEqual([]);
    });

    it('should write nothing of a retraction whose projector throws', async () => {
      const before = await snapshot(store, ...range);
      const failing: Projector = async () => {
        throw new Error('projector failed');
      };
      await expect(store.retract({ source: 'shop', id: 'bad' }, 'typo', new Date(), { project: failing })).rejects.toThrow('projector failed');
      expect(await store.retractions(10)).toEqual([]);
      expect(await snapshot(store, ...range)).toEqual(before);
    });

    it('should rebuild to exactly the rollups of incremental ingestion, idempotently, one day per batch at most', async () => {
      const incremental = await snapshot(reference, ...range);
      const batches: Array<{ from: Date; to: Date }> = [];
      const result = await reference.rebuild({}, REPROJECT, async ({ from, to }) => void batches.push({ from, to }));

      expect(await snapshot(reference, ...range)).toEqual(incremental);
      expect(result).toEqual({ from: new Date(T0 + 20 * HOUR), to: new Date(T0 + 2 * DAY + 6 * HOUR), batches: 3, facts: 120, revised: 0 });
      expect(batches).toEqual([
        { from: new Date(T0 + 20 * HOUR), to: new Date(T0 + DAY) },
        { from: new Date(T0 + DAY), to: new Date(T0 + 2 * DAY) },
        { from: new Date(T0 + 2 * DAY), to: new Date(T0 + 2 * DAY + 6 * HOUR) },
      ]);
      expect((await reference.rebuild({ from: new Date(T0 + DAY), to: new Date(T0 + DAY + 1) }, REPROJECT)).revised).toBe(0);
      // Hours without facts hold nothing to rebuild: a range from the epoch starts at the first fact.
      expect(await reference.rebuild({ from: new Date(0), to: new Date(T0 + DAY) }, REPROJECT)).toMatchObject({ from: new Date(T0 + 20 * HOUR), batches: 1 });
    });

    it('should rebuild a range with a changed projection and leave the rest alone', async () => {
      const doubled: Projector = async (facts, states) => {
        const projection = await projectOrders(facts, states);
        return { ...projection, deltas: projection.deltas.map((d) => ({ ...d, values: { ...d.values, amount: d.values.amount * 2 } })) };
      };
      const from = T0 + DAY + 30 * MINUTE; // floored to the hour
      const result = await reference.rebuild({ from: new Date(from), to: new Date(T0 + DAY + 2 * HOUR) }, { project: doubled });
      expect(result).toMatchObject({ from: new Date(T0 + DAY), to: new Date(T0 + DAY + 2 * HOUR), batches: 1 });

      const facts = goodFacts();
      const inRange = facts.filter((f) => f.time.getTime() >= T0 + DAY && f.time.getTime() < T0 + DAY + 2 * HOUR);
      const amountOf = (list: StoredFact[]) => list.reduce((sum, f) => sum + Number(f.data.amount), 0);
      const [day] = await reference.queryBuckets(query([T0 + DAY, T0 + 2 * DAY], { grain: 'day' }));
      const dayFacts = facts.filter((f) => f.time.getTime() >= T0 + DAY && f.time.getTime() < T0 + 2 * DAY);
      expect(day.values.amount).toBe(amountOf(dayFacts) + amountOf(inRange));
      const [first] = await reference.queryBuckets(query([T0, T0 + DAY], { grain: 'day' }));
      expect(first.values.amount).toBe(amountOf(facts.filter((f) => f.time.getTime() < T0 + DAY)));
      expect(result.revised).toBe(new Set(inRange.map((f) => Math.floor(f.time.getTime() / MINUTE))).size);

      await expect(store.rebuild({ from: new Date(T0 + DAY), to: new Date(T0) }, REPROJECT)).rejects.toThrow(/before to/);
    });

    it('should rebuild only the named rollup, e.g. one added after its facts were ingested', async () => {
      const orders = await snapshot(reference, ...range);
      await reference.init({ ...LAYOUT, rollups: [...LAYOUT.rollups, { name: 'regions', dimensions: ['region'], columns: { amount: 'sum' } }] });
      const withRegions: Projector = async (facts, states) => {
        const projection = await projectOrders(facts, states);
        const regions = projection.deltas.map((d) => ({ ...d, rollup: 'regions', dims: { region: d.dims.region }, values: { amount: d.values.amount } }));
        const doubled = projection.deltas.map((d) => ({ ...d, values: { ...d.values, amount: d.values.amount * 2 } }));
        return { ...projection, deltas: [...doubled, ...regions] };
      };

      const result = await reference.rebuild({ rollup: 'regions' }, { project: withRegions });

      expect(result).toMatchObject({ batches: 3, facts: 120 });
      expect(await snapshot(reference, ...range)).toEqual(orders); // the orders rollup was left alone
      const [total] = await reference.queryBuckets({ ...query([T0, T0 + 3 * DAY], { grain: 'day' }), rollup: 'regions' });
      expect(total.values.amount).toBe(goodFacts().reduce((sum, f) => sum + Number(f.data.amount), 0));
      await expect(reference.rebuild({ rollup: 'nope' }, REPROJECT)).rejects.toThrow(RangeError);
    });

    it('should leave a retracted fact out of a rebuild', async () => {
      await store.retract({ source: 'shop', id: 'bad' }, 'typo', new Date(), REPROJECT);
      await store.rebuild({}, REPROJECT);
      expect(await snapshot(store, ...range)).toEqual(await snapshot(reference, ...range));
    });
  });
}
