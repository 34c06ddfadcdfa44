/**
 * The embedded store's background compaction runs in slices (`DuckDbStoreOptions.compactSliceRows`), each
 * a short transaction of its own on a connection of its own: applies that come while it runs commit beside
 * its slices instead of waiting for them, reads stay exact at every step, the backlog stays bounded, and
 * the end result (rollups, states, duplicates) is what a fresh ingestion of the same facts gives.
 * Expectations come from the fixtures' deltas or a second store.
 */
import { existsSync, statSync } from 'node:fs';
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

/** `count` orders over two days, three regions, two channels and five products, each with a customer. */
function orders(count: number, seed: number): StoredFact[] {
  const next = random(seed);
  return Array.from({ length: count }, (_, i) =>
    order(`o${seed}-${i}`, T0 + Math.floor(next() * 2 * DAY), {
      region: ['eu', 'us', 'apac'][Math.floor(next() * 3)],
      channel: ['web', 'app'][Math.floor(next() * 2)],
      product: `p${Math.floor(next() * 5)}`,
      amount: 1 + Math.floor(next() * 100),
      customer: `c${Math.floor(next() * 40)}`,
    } as never),
  );
}

/** The per-product counts `projectOrders` keeps, as stored. */
async function stock(store: DuckDbStore): Promise<unknown[]> {
  const rows = await store.readStates('stock', ['p0', 'p1', 'p2', 'p3', 'p4']);
  return rows.map(({ key, value }) => ({ key, value })).sort((a, b) => String(a.key).localeCompare(String(b.key)));
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

/** The size of a database file's write-ahead log (0 when there is none: everything is checkpointed). */
function walBytes(file: string): number {
  return existsSync(`${file}.wal`) ? statSync(`${file}.wal`).size : 0;
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
  it('should commit an apply that comes while a compaction runs before the compaction ends, reads exact throughout', async () => {
    // One minute delta row per fact: 40 per batch, and a slice folds one batch's.
    const store = await openStore('sliced', { compactAfterRows: 160, compactSliceRows: 40 });
    const batches = Array.from({ length: 6 }, (_, i) => orders(40, 10 + i));
    for (const batch of batches.slice(0, 4)) await store.apply(batch, projectOrders);
    // The fourth apply reached compactAfterRows: a compaction of four slices is under way.

    await store.apply(batches[4], projectOrders);

    // Committed before the compaction ended: older deltas are still pending besides its own.
    expect(store.pendingDeltaRows).toBeGreaterThan(40);
    expect(store.pendingDeltaRows).toBeLessThanOrEqual(200);
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

  it('should commit an apply beside a running slice, not after it', async () => {
    // One slice folds the whole backlog: 8,000 facts are 8,000 minute and up to 8,000 hour rows to upsert,
    // against one fact's few rows for the apply that comes meanwhile. No checkpoint comes due: one takes the
    // compactor's turn from the write queue (DuckDB refuses it beside an open transaction), so the apply
    // would wait for it and it for the slice.
    const store = await openStore('beside', { compactAfterRows: 8_000, compactSliceRows: 8_000, checkpointThreshold: '1GB' });
    await store.apply(orders(8_000, 60), projectOrders);
    // That apply reached compactAfterRows: a one-slice compaction of its 8,000 rows has started.
    await store.apply(orders(1, 61), projectOrders);

    // The slice has not committed yet (it would have taken its 8,000 rows off the backlog): the apply did
    // not wait for it. Before, the slice held the write turn and the apply committed after it.
    expect(store.pendingDeltaRows).toBe(8_001);
    const deadline = Date.now() + 10_000;
    while (store.pendingDeltaRows > 1 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(store.pendingDeltaRows).toBe(1);
    await expectReadsMatch(store, [...orders(8_000, 60), ...orders(1, 61)]);
  });

  it('should commit an apply beside a running slice while a checkpoint is due, and checkpoint after the slice', async () => {
    // As above, but the first apply leaves a log past the threshold. A checkpoint needs the compactor's turn
    // (DuckDB refuses it beside an open transaction): taken from the write queue it waited for the slice,
    // and the apply behind it for both. It now waits for the slice's end and takes both turns there.
    const file = join(temp.dir, 'beside-checkpoint.duckdb');
    const store = await openStore('beside-checkpoint', { compactAfterRows: 8_000, compactSliceRows: 8_000, checkpointThreshold: '1KB', checkpointLogRatio: 0 });
    await store.apply(orders(8_000, 70), projectOrders);
    await store.apply(orders(1, 71), projectOrders);
    expect(store.pendingDeltaRows).toBe(8_001);

    const deadline = Date.now() + 10_000;
    while ((store.pendingDeltaRows > 1 || walBytes(file) > 0) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(store.pendingDeltaRows).toBe(1);
    expect(walBytes(file)).toBe(0); // checkpointed at the end of the slices, with no write after them
    await expectReadsMatch(store, [...orders(8_000, 70), ...orders(1, 71)]);
  });

  it('should let a live apply past a bulk apply that backpressure holds back', async () => {
    // Backpressure bound: 2,000 + 2 × 2,000 = 6,000 pending rows (twice that for a live apply of a few
    // facts). 8,000 pending while their one-slice compaction runs hold a bulk apply back, not a live one.
    const store = await openStore('live-lane', { compactAfterRows: 2_000, compactSliceRows: 2_000, checkpointThreshold: '1GB' });
    await store.apply(orders(8_000, 80), projectOrders);
    expect(store.pendingDeltaRows).toBe(8_000);

    const committed: string[] = [];
    const bulk = store.apply(orders(2_000, 81), projectOrders).then(() => committed.push('bulk'));
    const live = store.apply(orders(1, 82), projectOrders).then(() => committed.push('live'));
    await Promise.all([bulk, live]);
    // Before, the bulk apply waited for the slice holding the write turn, and the live one behind it.
    expect(committed).toEqual(['live', 'bulk']);
    await expectReadsMatch(store, [...orders(8_000, 80), ...orders(2_000, 81), ...orders(1, 82)]);
  });

  it('should keep states, duplicates and rollups exact when applies of new and re-posted facts commit beside slices', async () => {
    const batches = Array.from({ length: 12 }, (_, i) => orders(50, 300 + i));
    // A compaction after every other apply, slices of about an apply each; every batch is posted twice.
    const sliced = await openStore('beside-states', { compactAfterRows: 90, compactSliceRows: 50 });
    const fresh = await openStore('beside-states-fresh', {});
    const results = await Promise.all([...batches, ...batches].map((facts) => sliced.apply(facts, projectOrders)));
    expect(results.map((result) => result.applied.length)).toEqual([...batches.map(() => 50), ...batches.map(() => 0)]);
    expect(results.slice(12).every((result, i) => result.duplicates.length === batches[i].length)).toBe(true);
    await fresh.apply(batches.flat(), projectOrders);

    expect(await stock(sliced)).toEqual(await stock(fresh));
    await expectReadsMatch(sliced, batches.flat());
    await sliced.compact();
    expect(sliced.pendingDeltaRows).toBe(0);
    await expectReadsMatch(sliced, batches.flat());
    expect(await stock(sliced)).toEqual(await stock(fresh));
  });

  it('should keep the backlog near compactAfterRows through a long run of applies, day folds included', async () => {
    const store = await openStore('bounded', { compactAfterRows: 100, compactSliceRows: 40 });
    const batches = Array.from({ length: 40 }, (_, i) => orders(40, 200 + i));
    const backlog: number[] = [];
    for (const batch of batches) {
      await store.apply(batch, projectOrders);
      backlog.push(store.pendingDeltaRows);
    }
    // Applies commit beside slices; past compactAfterRows and a double slice (`sliceLimit`) an apply waits
    // for the slices, so the backlog stays under that bound and an apply's rows, day folds included.
    expect(Math.max(...backlog)).toBeLessThanOrEqual(100 + 2 * 40 + 40);
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
