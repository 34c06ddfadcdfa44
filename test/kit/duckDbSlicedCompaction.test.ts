/**
 * The embedded store's background compaction runs in slices (`DuckDbStoreOptions.compactSliceRows`), each
 * a short transaction of its own: applies that come while it runs are committed between slices instead of
 * waiting for the whole compaction, reads stay exact at every step, and the end result is the rollups a
 * fresh ingestion of the same facts gives. Expectations come from the fixtures' deltas or a second store.
 */
import { join } from 'node:path';
import { DuckDbStore, type DuckDbStoreOptions } from '../../subgraphs/kit/store/DuckDbStore.js';
import { DistinctSketch } from '../../subgraphs/kit/sketches/DistinctSketch.js';
import type { BucketQuery, StoreLayout, StoredFact, StoredGrain } from '../../subgraphs/kit/store/Store.js';
import { PROJECTED_ORDERS } from '../support/projectedOrdersProduct.js';
import { createProjector } from '../../subgraphs/kit/rollups/createProjector.js';
import { storeRollupLayouts } from '../../subgraphs/kit/rollups/storeRollupLayouts.js';
import { DAY, HOUR, LAYOUT, MINUTE, T0, expectedRows, order, orderDeltas, projectOrders, query, random } from '../support/storeFixtures.js';
import { useTempStores } from '../support/useTempStores.js';

// --- harness -------------------------------------------------------------------------------------------

const temp = useTempStores('duckdb-sliced-compaction-');
const { opened } = temp;

async function openStore(name: string, options: Partial<DuckDbStoreOptions>, layout: StoreLayout = LAYOUT): Promise<DuckDbStore> {
  const store = await DuckDbStore.open({ path: join(temp.dir, `${name}.duckdb`), compactAfterRows: 1_000_000, compactIdleMs: 0, threads: 1, ...options });
  opened.push(store);
  await store.init(layout);
  return store;
}

/** `count` orders over two days, three regions and two channels, each with a customer. */
function orders(count: number, seed: number): StoredFact[] {
  const next = random(seed);
  return Array.from({ length: count }, (_, i) =>
    order(`o${seed}-${i}`, T0 + Math.floor(next() * 2 * DAY), {
      region: ['eu', 'us', 'apac'][Math.floor(next() * 3)],
      channel: ['web', 'app'][Math.floor(next() * 2)],
      amount: 1 + Math.floor(next() * 100),
      customer: `c${Math.floor(next() * 40)}`,
    } as never),
  );
}

/** Every grain, grouped and filtered. */
const QUERIES: BucketQuery[] = (['minute', 'hour', 'day'] as StoredGrain[]).flatMap((grain) => {
  const step = grain === 'minute' ? 30 * MINUTE : grain === 'hour' ? 6 * HOUR : DAY;
  const boundaries = Array.from({ length: Math.round((2 * DAY) / step) + 1 }, (_, i) => T0 + i * step);
  return [query(boundaries, { grain }), query(boundaries, { grain, groupBy: ['region', 'channel'] }), query(boundaries, { grain, filter: { region: ['us'] } })];
});

async function expectReadsMatch(store: DuckDbStore, facts: StoredFact[]): Promise<void> {
  const deltas = facts.flatMap(orderDeltas);
  for (const q of QUERIES) expect(await store.queryBuckets(q)).toEqual(expectedRows(deltas, q));
}

/** An orders rollup with a distinct-customers sketch and a projection over region (plus the ungrouped one). */
const PRODUCT = PROJECTED_ORDERS;
const PRODUCT_LAYOUT: StoreLayout = { rollups: storeRollupLayouts(PRODUCT.rollups!), states: [] };
const project = createProjector(PRODUCT);

/** What every read of the rollup and its projections answers, sketches as their estimates. */
async function everyRead(store: DuckDbStore): Promise<unknown[]> {
  const reads: unknown[] = [];
  for (const rollup of ['orders', 'orders__by', 'orders__by__region']) {
    for (const grain of ['minute', 'hour', 'day'] as StoredGrain[]) {
      const step = grain === 'minute' ? 30 * MINUTE : grain === 'hour' ? 6 * HOUR : DAY;
      const boundaries = Array.from({ length: Math.round((2 * DAY) / step) + 1 }, (_, i) => T0 + i * step);
      const groupBy = rollup === 'orders__by' ? [] : ['region'];
      const rows = await store.queryBuckets(query(boundaries, { rollup, grain, groupBy, sketches: ['buyers_hll'] }));
      reads.push(rows.map(({ sketches, ...row }) => ({ ...row, buyers: (sketches?.buyers_hll as DistinctSketch | undefined)?.estimate() })));
    }
  }
  return reads;
}

// --- tests ---------------------------------------------------------------------------------------------

describe('DuckDbStore background compaction in slices', () => {
  it('should commit an apply that comes while a compaction runs between its slices, reads exact throughout', async () => {
    // One minute delta row per fact: 40 per batch, and a slice folds one batch's.
    const store = await openStore('sliced', { compactAfterRows: 160, compactSliceRows: 40 });
    const batches = Array.from({ length: 6 }, (_, i) => orders(40, 10 + i));
    for (const batch of batches.slice(0, 4)) await store.apply(batch, projectOrders);
    // The fourth apply reached compactAfterRows: a compaction of four slices is under way.

    await store.apply(batches[4], projectOrders);

    // Committed after the first slice, not after the whole compaction: older deltas are still pending.
    expect(store.pendingDeltaRows).toBeGreaterThan(40);
    expect(store.pendingDeltaRows).toBeLessThan(200);
    await expectReadsMatch(store, batches.slice(0, 5).flat()); // reads go between the slices too
    await store.apply(batches[5], projectOrders);
    await expectReadsMatch(store, batches.flat());
    await store.compact();
    expect(store.pendingDeltaRows).toBe(0);
    await expectReadsMatch(store, batches.flat());
  });

  it('should read every grain exactly while its slices fold the minute and hour grains and the last one the day grain', async () => {
    const store = await openStore('day-last', { compactAfterRows: 120, compactSliceRows: 40 });
    const batches = Array.from({ length: 3 }, (_, i) => orders(40, 30 + i));
    for (const batch of batches) await store.apply(batch, projectOrders);
    // A compaction of three minute-and-hour slices and a day slice is under way. Reads go first; a slice
    // starts once reads paused for 20 ms (`readsQuiet`), so each pause lets the next one run.
    const backlog: number[] = [];
    while (store.pendingDeltaRows > 0 && backlog.length < 100) {
      backlog.push(store.pendingDeltaRows);
      await expectReadsMatch(store, batches.flat());
      await new Promise((resolve) => setTimeout(resolve, 30));
    }
    expect(backlog[0]).toBe(120);
    expect(new Set(backlog).size).toBeGreaterThan(1); // reads ran between slices
    await expectReadsMatch(store, batches.flat()); // the day slice may still be to come
    await store.compact();
    await expectReadsMatch(store, batches.flat());
  });

  it('should fold the applies that committed while a compaction ran, with no apply or idle timer after them', async () => {
    // One minute delta row per fact: 40 per batch, a slice folds one batch's, and the idle compaction is off.
    const store = await openStore('follow-on', { compactAfterRows: 100, compactSliceRows: 40 });
    const batches = Array.from({ length: 5 }, (_, i) => orders(40, 50 + i));
    for (const batch of batches.slice(0, 3)) await store.apply(batch, projectOrders);
    // The third apply passed compactAfterRows: a compaction of the first three is under way, and these two
    // commit between its slices, 80 rows it does not take, fewer than compactAfterRows.
    await Promise.all(batches.slice(3).map((batch) => store.apply(batch, projectOrders)));
    // No apply and no timer from here: the compaction that follows it takes them (before, they waited for
    // compactAfterRows more rows).
    const deadline = Date.now() + 10_000;
    while (store.pendingDeltaRows > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(store.pendingDeltaRows).toBe(0);
    await expectReadsMatch(store, batches.flat());
  });

  it('should keep the backlog near compactAfterRows through a long run of applies, day folds included', async () => {
    const store = await openStore('bounded', { compactAfterRows: 100, compactSliceRows: 40 });
    const batches = Array.from({ length: 40 }, (_, i) => orders(40, 200 + i));
    const backlog: number[] = [];
    for (const batch of batches) {
      await store.apply(batch, projectOrders);
      backlog.push(store.pendingDeltaRows);
    }
    // Applies and slices take turns; each compaction's day fold took a turn that folded no apply, so the
    // backlog grew by about an apply per compaction for as long as the applies went on. Double slices
    // while over compactAfterRows (`sliceLimit`) hold it.
    expect(Math.max(...backlog)).toBeLessThanOrEqual(100 + 3 * 40);
    await expectReadsMatch(store, batches.flat());
  });

  it('should end with the rollups of a fresh ingestion when slices run while ingestion goes on, sketches and projections included', async () => {
    const batches = Array.from({ length: 16 }, (_, i) => orders(60, 100 + i));
    // A compaction starts after nearly every apply and folds about one apply's deltas per slice.
    const sliced = await openStore('sliced', { compactAfterRows: 100, compactSliceRows: 50 }, PRODUCT_LAYOUT);
    const fresh = await openStore('fresh', {}, PRODUCT_LAYOUT);
    const backlog: number[] = [];
    await Promise.all(
      batches.map(async (facts) => {
        await sliced.apply(facts, project);
        backlog.push(sliced.pendingDeltaRows);
      }),
    );
    // Some applies committed while earlier deltas were still being folded.
    expect(Math.max(...backlog)).toBeGreaterThan(0);
    await fresh.apply(batches.flat(), project);

    const expected = await everyRead(fresh);
    expect(await everyRead(sliced)).toEqual(expected);
    await sliced.compact();
    await fresh.compact();
    expect(await everyRead(fresh)).toEqual(expected);
    expect(await everyRead(sliced)).toEqual(expected);
  });
});
