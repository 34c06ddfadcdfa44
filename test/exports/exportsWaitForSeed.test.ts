/**
 * The first export waits for the seed: a product back-filling its history is not exported half-way
 * (issue #14: the first export used to run 10 s after start, in the middle of seeding).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { scheduleExports } from '../../subgraphs/kit/exports/exportRollups.js';
import { waitForSeed } from '../../subgraphs/kit/exports/waitForSeed.js';
import { startSubgraph, type RunningSubgraph } from '../../subgraphs/startSubgraph.js';
import { orderPlaced } from '../subgraphs/cloudEvents.js';
import { testSubgraphConfig } from '../support/testSubgraphConfig.js';

const DAY = 86_400_000;
let exportDir: string;
let orders: RunningSubgraph;

async function post(...events: unknown[]): Promise<void> {
  const response = await fetch(`http://127.0.0.1:${orders.served.port}/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(events),
  });
  expect(response.status).toBe(200);
}

/** The runtime's store, counting looks at its fact count: `looked(n)` settles at the n-th. */
function countingStore() {
  const { store } = orders.runtime;
  let looks = 0;
  const waiting: Array<{ n: number; resolve: () => void }> = [];
  const factCount = async () => {
    looks++;
    for (const w of waiting.filter((w) => looks >= w.n)) w.resolve();
    return store.factCount();
  };
  return {
    store: new Proxy(store, {
      get: (target, key) => {
        if (key === 'factCount') return factCount;
        const value = Reflect.get(target, key, target) as unknown;
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      },
    }),
    looked: (n: number) => new Promise<void>((resolve) => waiting.push({ n, resolve })),
  };
}

beforeEach(async () => {
  exportDir = await mkdtemp(path.join(tmpdir(), 'mesh-seed-wait-'));
  orders = await startSubgraph(testSubgraphConfig('orders', exportDir));
});
afterEach(async () => {
  await orders.close();
  await rm(exportDir, { recursive: true, force: true });
});

describe('waitForSeed', () => {
  it('should wait while the history is behind, and end when the watermark reaches now', async () => {
    await post(orderPlaced(new Date(Date.now() - 3 * DAY)));
    const { store, looked } = countingStore();
    let settled: string | null = null;
    const waiting = waitForSeed(store, { caughtUpMs: 60_000, quietMs: 60_000, pollMs: 5 }).then((why) => (settled = why));

    await looked(5);
    expect(settled).toBeNull();
    await post(orderPlaced(new Date(Date.now() - 1000)));

    expect(await waiting).toBe('caught-up');
  });

  it('should end after a quiet spell when the latest facts are old (a sparse domain)', async () => {
    await post(orderPlaced(new Date(Date.now() - 3 * DAY)));

    expect(await waitForSeed(orders.runtime.store, { caughtUpMs: 60_000, quietMs: 50, pollMs: 5 })).toBe('quiet');
  });

  it('should not count an empty product as seeded, and end with null when aborted', async () => {
    const { store, looked } = countingStore();
    const stop = new AbortController();
    const waiting = waitForSeed(store, { caughtUpMs: 60_000, quietMs: 1, pollMs: 5, signal: stop.signal });

    await looked(5);
    stop.abort();

    expect(await waiting).toBeNull();
  });

  it('should keep waiting through a store that does not answer, saying so once', async () => {
    let failures = 0;
    const lines: string[] = [];
    const store = {
      watermark: async () => new Date(),
      factCount: async () => {
        if (++failures <= 3) throw new Error('connection refused');
        return 1;
      },
    };

    expect(await waitForSeed(store, { caughtUpMs: 60_000, pollMs: 1, log: (line) => lines.push(line) })).toBe('caught-up');
    expect(lines).toEqual(['waiting for the seed: the store did not answer (connection refused)']);
  });
});

describe('scheduleExports', () => {
  it('should write the first export only once the seed is complete', async () => {
    await post(orderPlaced(new Date(Date.now() - 2 * DAY)));
    const { store, looked } = countingStore();
    const runtime = Object.create(orders.runtime, { store: { value: store } }) as typeof orders.runtime;
    const schedule = scheduleExports(runtime, { exportDir, intervalMs: 3_600_000, quietMs: 60_000, pollMs: 5, log: () => {} });
    try {
      await looked(5);
      const before = (await (await fetch(`http://127.0.0.1:${orders.served.port}/descriptor`)).json()) as { outputPorts: Array<{ kind: string }> };
      expect(before.outputPorts.filter((p) => p.kind === 'file')).toEqual([]);

      await post(orderPlaced(new Date(Date.now() - 1000)));
      const report = await schedule.firstRun;

      expect(report?.problems).toEqual([]);
      expect(report?.files.map((f) => path.basename(f.file))).toEqual(['sales_hour.parquet', 'sales_hour.csv']);
    } finally {
      schedule.stop();
    }
  });

  it('should settle its first run with null when stopped before the seed completes', async () => {
    const schedule = scheduleExports(orders.runtime, { exportDir, intervalMs: 3_600_000, pollMs: 5, log: () => {} });
    schedule.stop();

    expect(await schedule.firstRun).toBeNull();
  });
});
