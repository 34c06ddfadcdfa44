import path from 'node:path';
import { InProcessBus } from '../../subgraphs/kit/bus/InProcessBus.js';
import { DataProductRuntime } from '../../subgraphs/kit/DataProductRuntime.js';
import { loadTypeDefs } from '../../subgraphs/kit/graphql/loadTypeDefs.js';
import { createIngestBatcher, type IngestBatcherOptions } from '../../subgraphs/kit/ingest/createIngestBatcher.js';
import type { IngestReport } from '../../subgraphs/kit/ingest/ingestEvents.js';
import { DuckDbStore } from '../../subgraphs/kit/store/DuckDbStore.js';
import type { Store, StoredFact } from '../../subgraphs/kit/store/Store.js';
import { ordersProduct } from '../../subgraphs/orders/ordersProduct.js';
import { orderPlaced } from '../subgraphs/cloudEvents.js';

// --- harness -------------------------------------------------------------------------------------------

const NOW = new Date('2025-03-02T00:00:00Z');

/** A DuckDB store that counts its apply transactions and refuses any batch holding a fact with id `poison`. */
async function countingStore(): Promise<{ store: Store; applies: StoredFact[][] }> {
  const store = await DuckDbStore.open({ path: ':memory:', threads: 1 });
  const applies: StoredFact[][] = [];
  const apply = store.apply.bind(store);
  store.apply = async (facts, project) => {
    applies.push(facts);
    if (facts.some((fact) => fact.id === 'poison')) throw new Error('the store cannot hold this batch');
    return apply(facts, project);
  };
  return { store, applies };
}

async function startOrders(store: Store, ingestBatching = {}) {
  return DataProductRuntime.start(ordersProduct(loadTypeDefs(path.resolve('schema'), 'orders')), {
    store,
    bus: new InProcessBus({ retain: 1000 }),
    now: () => NOW,
    ingestBatching,
  });
}

// --- tests ---------------------------------------------------------------------------------------------

describe('micro-batched ingestion', () => {
  let runtime: DataProductRuntime | undefined;
  afterEach(async () => {
    await runtime?.close();
    runtime = undefined;
  });

  it('should apply concurrent single-fact requests in one transaction and answer each with its own report', async () => {
    const { store, applies } = await countingStore();
    runtime = await startOrders(store, { maxWaitMs: 20 });
    const events = Array.from({ length: 20 }, (_, i) => orderPlaced(`2025-03-01T10:${String(i).padStart(2, '0')}:00Z`));

    const reports = await Promise.all(events.map((event) => runtime!.ingest([event])));

    expect(applies).toHaveLength(1);
    expect(applies[0]).toHaveLength(20);
    reports.forEach((report, i) => {
      expect(report).toEqual({ applied: 1, duplicates: 0, rejected: 0, events: [{ index: 0, status: 'applied', source: events[i].source, id: events[i].id }] });
    });
    expect(await store.factCount()).toBe(20);
  });

  it('should report a bad event of a micro-batch as rejected and apply the good ones', async () => {
    const { store, applies } = await countingStore();
    runtime = await startOrders(store, { maxWaitMs: 20 });
    const good = orderPlaced('2025-03-01T10:00:00Z');
    const bad = { ...orderPlaced('2025-03-01T10:00:00Z'), time: 'yesterday' };

    const [first, second] = await Promise.all([runtime.ingest([good]), runtime.ingest([good, bad])]);

    expect(applies).toHaveLength(1);
    expect(first.events).toEqual([{ index: 0, status: 'applied', source: good.source, id: good.id }]);
    expect(second).toMatchObject({ applied: 0, duplicates: 1, rejected: 1 });
    expect(second.events[1]).toMatchObject({ index: 1, status: 'rejected', id: bad.id, field: 'time' });
    expect(await store.factCount()).toBe(1);
    expect(await store.deadLetters(10)).toHaveLength(1);
  });

  it('should fail only the request the store refuses and apply the others of its micro-batch', async () => {
    const { store, applies } = await countingStore();
    runtime = await startOrders(store, { maxWaitMs: 20 });
    const [a, b] = [orderPlaced('2025-03-01T10:00:00Z'), orderPlaced('2025-03-01T10:01:00Z')];
    const poison = { ...orderPlaced('2025-03-01T10:02:00Z'), id: 'poison' };
    const bad = { ...orderPlaced('2025-03-01T10:03:00Z'), time: 'yesterday' };

    const results = await Promise.allSettled([runtime.ingest([a, bad]), runtime.ingest([poison, b]), runtime.ingest([b])]);

    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason).toEqual(new Error('the store cannot hold this batch'));
    expect(applies.map((facts) => facts.map((f) => f.id))).toEqual([[a.id, 'poison', b.id, b.id], [a.id], ['poison', b.id], [b.id]]);
    expect(await store.factCount()).toBe(2);
    expect((await store.deadLetters(10)).map((letter) => letter.id)).toEqual([bad.id]); // kept once, not once per run
  });

  it('should apply a live post while the embedded store holds a bulk load back for its compaction', async () => {
    // Backpressure bound: 2,000 + 2 × 2,000 = 6,000 pending delta rows (twice that for a live apply). The
    // first 8,000 facts leave about 8,000 pending while their one-slice compaction runs.
    const store = await DuckDbStore.open({ path: ':memory:', threads: 1, compactAfterRows: 2_000, compactSliceRows: 2_000, compactIdleMs: 0 });
    runtime = await startOrders(store, { maxWaitMs: 0 });
    const at = (i: number) => new Date(NOW.getTime() - 1_000 - i * 10_000);
    expect((await runtime.ingest(Array.from({ length: 8_000 }, (_, i) => orderPlaced(at(i))))).applied).toBe(8_000);

    const answered: string[] = [];
    const bulk = runtime.ingest(Array.from({ length: 2_000 }, (_, i) => orderPlaced(at(i)))).then((report) => answered.push(`bulk ${report.applied}`));
    const live = runtime.ingest([orderPlaced(at(0))]).then((report) => answered.push(`live ${report.applied}`));
    await Promise.all([bulk, live]);
    // In one lane, the live post waited for the bulk batch, which waited for the compaction's slice.
    expect(answered).toEqual(['live 1', 'bulk 2000']);
    expect(await store.factCount()).toBe(10_001);
  });

  it('should take requests arriving during an apply together into the next batch', async () => {
    const { store, applies } = await countingStore();
    runtime = await startOrders(store, { maxWaitMs: 0 });
    const events = Array.from({ length: 6 }, (_, i) => orderPlaced(`2025-03-01T11:0${i}:00Z`));

    const reports = await Promise.all(events.map((event) => runtime!.ingest([event])));

    expect(applies.map((facts) => facts.length)).toEqual([1, 5]);
    expect(reports.every((report) => report.applied === 1)).toBe(true);
  });
});

describe('createIngestBatcher', () => {
  const report = (events: readonly unknown[]): IngestReport => ({
    applied: events.length,
    duplicates: 0,
    rejected: 0,
    events: events.map((_, index) => ({ index, status: 'applied', source: 's', id: String(index) })),
  });

  /** A batcher whose ingest answers at once and records the size of every batch it was given. */
  const recordingBatcher = (options: Omit<IngestBatcherOptions, 'ingest'>) => {
    const sizes: number[] = [];
    const ingest = createIngestBatcher({
      ...options,
      ingest: async (events) => {
        sizes.push(events.length);
        return report(events);
      },
    });
    return { ingest, sizes };
  };

  it('should never split a request and keep batches within maxEvents', async () => {
    const { ingest, sizes } = recordingBatcher({ maxWaitMs: 50, maxEvents: 3 });

    const reports = await Promise.all([ingest([1, 2]), ingest([3]), ingest([4, 5, 6, 7]), ingest([8])]);

    expect(sizes).toEqual([3, 4, 1]);
    expect(reports.map((r) => r.events.map((e) => e.index))).toEqual([[0, 1], [0], [0, 1, 2, 3], [0]]);
  });

  it('should apply a live request beside a bulk batch in progress, not after it, unless the live lane is off', async () => {
    for (const liveMaxEvents of [16, 0]) {
      const order: string[] = [];
      let releaseBulk!: () => void;
      const bulkHeld = new Promise<void>((resolve) => (releaseBulk = resolve));
      const ingest = createIngestBatcher({
        maxWaitMs: 0,
        liveMaxEvents,
        ingest: async (events) => {
          if (events.length > 16) await bulkHeld; // a bulk batch the store holds back
          order.push(`applied ${events.length}`);
          return report(events);
        },
      });
      const bulk = ingest(Array.from({ length: 500 }, (_, i) => i));
      const live = ingest([1]).then(() => order.push('live answered'));
      await new Promise((resolve) => setTimeout(resolve, 50));
      releaseBulk();
      await Promise.all([bulk, live]);
      expect(order).toEqual(liveMaxEvents > 0 ? ['applied 1', 'live answered', 'applied 500'] : ['applied 500', 'applied 1', 'live answered']);
    }
  });

  it('should batch live requests among themselves and larger ones among themselves', async () => {
    const { ingest, sizes } = recordingBatcher({ maxWaitMs: 30, liveMaxEvents: 2 });
    await Promise.all([ingest([1]), ingest([1, 2, 3]), ingest([1, 2]), ingest([1, 2, 3, 4])]);
    expect(sizes.sort((a, b) => a - b)).toEqual([3, 7]);
  });

  it('should refuse bad options', () => {
    const ingest = async () => report([]);
    expect(() => createIngestBatcher({ ingest, maxWaitMs: -1 })).toThrow(/maxWaitMs/);
    expect(() => createIngestBatcher({ ingest, maxEvents: 0 })).toThrow(/maxEvents/);
    expect(() => createIngestBatcher({ ingest, liveMaxEvents: -1 })).toThrow(/liveMaxEvents/);
    expect(() => createIngestBatcher({ ingest, liveMaxEvents: 1.5 })).toThrow(/liveMaxEvents/);
  });
});
