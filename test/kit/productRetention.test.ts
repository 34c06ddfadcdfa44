import path from 'node:path';
import { InProcessBus } from '../../subgraphs/kit/bus/InProcessBus.js';
import { DataProductRuntime } from '../../subgraphs/kit/DataProductRuntime.js';
import { loadTypeDefs } from '../../subgraphs/kit/graphql/loadTypeDefs.js';
import { productRetention, retentionCutoffs } from '../../subgraphs/kit/repair/productRetention.js';
import { DuckDbStore } from '../../subgraphs/kit/store/DuckDbStore.js';
import { ordersProduct } from '../../subgraphs/orders/ordersProduct.js';
import { orderPlaced } from '../subgraphs/cloudEvents.js';

const DAY = 86_400_000;
const NOW = new Date('2026-06-15T13:45:00Z');
const ago = (days: number) => new Date(NOW.getTime() - days * DAY);

async function startOrders(slos: Record<string, unknown>, latenessMs: number) {
  const product = ordersProduct(loadTypeDefs(path.resolve('schema'), 'orders'));
  const definition = { ...product, descriptor: { ...product.descriptor, slos: { ...product.descriptor.slos, ...slos } } };
  return DataProductRuntime.start(definition, {
    store: await DuckDbStore.open({ path: ':memory:', threads: 1 }),
    bus: new InProcessBus({ retain: 100 }),
    now: () => NOW,
    latenessMs,
    retentionIntervalMs: 0,
  });
}

describe('retention of a data product', () => {
  let runtime: DataProductRuntime | undefined;
  afterEach(async () => {
    await runtime?.close();
    runtime = undefined;
  });

  it('should delete facts and fine grains past the SLO window, keep day rows, and report it in the descriptor', async () => {
    runtime = await startOrders({ retentionDays: 30 }, 2 * DAY);
    const report = await runtime.ingest([orderPlaced(ago(40)), orderPlaced(ago(31)), orderPlaced(ago(29)), orderPlaced(ago(1))]);
    expect(report.applied).toBe(4);
    const history = async (granularity: 'DAY' | 'HOUR') => (await runtime!.history('sales', { range: { from: ago(45), to: NOW }, granularity })).total.orders;

    const lastRun = await runtime.retention.run();

    expect(lastRun.before).toEqual({ facts: '2026-05-16T00:00:00.000Z', minute: '2026-05-16T00:00:00.000Z', hour: '2026-05-16T00:00:00.000Z' });
    expect(lastRun.deleted).toMatchObject({ facts: 2, day: 0 });
    expect(await runtime.store.factCount()).toBe(2);
    expect(await history('DAY')).toBe(4);
    const descriptor = await runtime.describe({ graphqlUrl: 'http://x/graphql', wsUrl: 'ws://x/graphql' });
    expect(descriptor.retention).toEqual({ factDays: 30, grainDays: { minute: 30, hour: 30, day: null }, intervalSeconds: null, lastRun });
  });

  it('should keep facts inside the lateness window so a fact posted again stays a duplicate', async () => {
    runtime = await startOrders({ retentionDays: 5 }, 10 * DAY);
    const old = orderPlaced(ago(8));
    await runtime.ingest([old, orderPlaced(ago(12)), orderPlaced(ago(0.1))]); // the watermark is now

    const lastRun = await runtime.retention.run();

    expect(lastRun.before.facts).toBe('2026-06-05T00:00:00.000Z');
    expect(lastRun.before.minute).toBe('2026-06-10T00:00:00.000Z');
    expect(await runtime.store.factCount()).toBe(2);
    expect((await runtime.ingest([old])).duplicates).toBe(1);
  });

  it('should honour declared grain windows, null keeping a grain forever', () => {
    const cutoffs = retentionCutoffs(
      { freshnessSeconds: 1, availability: 1, retentionDays: 10, rollupRetentionDays: { minute: 2, hour: null, day: 400 } },
      0,
      NOW,
      null,
    );
    expect(cutoffs).toEqual({
      facts: new Date('2026-06-05T00:00:00Z'),
      grains: { minute: new Date('2026-06-13T00:00:00Z'), day: new Date('2025-05-11T00:00:00Z') },
    });
  });

  it('should run on its schedule and report failures without stopping', async () => {
    const errors: unknown[] = [];
    let calls = 0;
    let resolveRan!: () => void;
    const ran = new Promise<void>((resolve) => (resolveRan = resolve));
    const store = {
      watermark: async () => null,
      enforceRetention: async () => {
        if (++calls === 1) throw new Error('store down');
        resolveRan();
        return { facts: 0, deadLetters: 0, rows: { minute: 0, hour: 0, day: 0 } };
      },
    } as never;
    const retention = productRetention({
      store,
      slos: { freshnessSeconds: 1, availability: 1, retentionDays: 1 },
      latenessMs: 0,
      now: () => NOW,
      intervalMs: 5,
      onError: (e) => errors.push(e),
    });
    retention.start();
    retention.start();
    await ran;
    await retention.stop();
    expect(errors).toEqual([new Error('store down')]);
    expect(retention.report().lastRun?.at).toBe(NOW.toISOString());
  });

  it('should refuse windows that are not positive numbers of days', () => {
    const base = { store: {} as never, latenessMs: 0, now: () => NOW };
    expect(() => productRetention({ ...base, slos: { freshnessSeconds: 1, availability: 1, retentionDays: 0 } })).toThrow(/retentionDays must be a positive/);
    expect(() => productRetention({ ...base, slos: { freshnessSeconds: 1, availability: 1, retentionDays: 1, rollupRetentionDays: { hour: -1 } } })).toThrow(
      /hour/,
    );
    expect(() => productRetention({ ...base, slos: { freshnessSeconds: 1, availability: 1, retentionDays: 1 }, intervalMs: -1 })).toThrow(/intervalMs/);
  });
});
