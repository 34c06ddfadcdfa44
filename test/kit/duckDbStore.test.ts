import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { DuckDbStore } from '../../subgraphs/kit/store/DuckDbStore.js';
import { HOUR, LAYOUT, MINUTE, T0, describeStoreContract, order, projectOrders, query } from '../support/storeContractSuite.js';

// --- harness -------------------------------------------------------------------------------------------

async function withTempDir<T>(use: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'duckdb-store-'));
  try {
    return await use(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function readBack(sql: string): Promise<Record<string, unknown>[]> {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    return (await connection.runAndReadAll(sql)).getRowObjectsJS();
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

// --- tests ---------------------------------------------------------------------------------------------

describeStoreContract('DuckDbStore', () => DuckDbStore.open({ path: ':memory:', threads: 1 }));

describe('DuckDbStore', () => {
  describe('init', () => {
    it('should be idempotent and keep data across reopening a file', async () => {
      await withTempDir(async (dir) => {
        const path = join(dir, 'nested', 'folder', 'product.duckdb'); // the folder does not exist yet
        const first = await DuckDbStore.open({ path });
        await first.init(LAYOUT);
        await first.init(LAYOUT);
        await first.apply([order('a', T0 + 5 * MINUTE)], projectOrders);
        await first.close();

        const second = await DuckDbStore.open({ path });
        await second.init(LAYOUT);
        expect(await second.factCount()).toBe(1);
        expect(await second.watermark()).toEqual(new Date(T0 + 5 * MINUTE));
        expect(await second.queryBuckets(query([T0, T0 + HOUR]))).toEqual([{ bucket: 0, group: {}, values: { amount: 10, count: 1, low: 10, high: 10 } }]);
        await second.close();
      });
    });
  });

  describe('watermark', () => {
    /** Sets `meta.watermark` of a closed file, as files written before the watermark was taken from the facts hold it. */
    async function setStoredWatermark(path: string, watermark: string | null): Promise<void> {
      const instance = await DuckDBInstance.create(path);
      const connection = await instance.connect();
      try {
        await connection.run(`UPDATE meta SET watermark = ${watermark === null ? 'NULL' : `TIMESTAMP '${watermark}'`}`);
      } finally {
        connection.closeSync();
        instance.closeSync();
      }
    }

    it('should take the watermark from the newest stored fact at init, or from the meta of an older file when that is later', async () => {
      await withTempDir(async (dir) => {
        const path = join(dir, 'product.duckdb');
        const first = await DuckDbStore.open({ path });
        await first.init(LAYOUT);
        await first.apply([order('a', T0 + 5 * MINUTE), order('b', T0 + 2 * MINUTE)], projectOrders);
        await first.close();

        // Nothing but the facts says how far ingestion got.
        await setStoredWatermark(path, null);
        const second = await DuckDbStore.open({ path });
        await second.init(LAYOUT);
        expect(await second.watermark()).toEqual(new Date(T0 + 5 * MINUTE));
        await second.apply([order('c', T0 + 9 * MINUTE)], projectOrders);
        expect(await second.watermark()).toEqual(new Date(T0 + 9 * MINUTE));
        await second.close();

        // An older file whose newest facts were deleted by retention kept a later watermark in meta.
        await setStoredWatermark(path, new Date(T0 + HOUR).toISOString().replace('T', ' ').replace('Z', ''));
        const third = await DuckDbStore.open({ path });
        await third.init(LAYOUT);
        expect(await third.watermark()).toEqual(new Date(T0 + HOUR));
        await third.close();
      });
    });
  });

  describe('exportRollup', () => {
    let store: DuckDbStore;
    beforeEach(async () => {
      store = await DuckDbStore.open({ path: ':memory:', threads: 1 });
      await store.init(LAYOUT);
      await store.apply(
        [order('a', T0, { region: 'eu' }), order('b', T0 + 90_000, { region: 'us', amount: 4 }), order('c', T0 + 30_000, { region: 'us', amount: 6 })],
        projectOrders,
      );
    });
    afterEach(async () => {
      await store.close();
    });

    it('should write Parquet that reads back with the same rows', async () => {
      await withTempDir(async (dir) => {
        const file = join(dir, 'out', 'orders_minute.parquet');
        expect(await store.exportRollup('orders', 'minute', file, 'parquet')).toBe(3);
        const rows = await readBack(`SELECT * FROM read_parquet('${file}') ORDER BY bucket, region`);
        expect(rows).toEqual([
          { bucket: new Date(T0), region: 'eu', channel: 'web', amount: 10, count: 1, low: 10, high: 10 },
          { bucket: new Date(T0), region: 'us', channel: 'web', amount: 6, count: 1, low: 6, high: 6 },
          { bucket: new Date(T0 + MINUTE), region: 'us', channel: 'web', amount: 4, count: 1, low: 4, high: 4 },
        ]);
      });
    });

    it('should write CSV with a header', async () => {
      await withTempDir(async (dir) => {
        const file = join(dir, 'orders_hour.csv');
        expect(await store.exportRollup('orders', 'hour', file, 'csv')).toBe(2);
        const [header, ...lines] = (await readFile(file, 'utf8')).trim().split('\n');
        expect(header).toBe('bucket,region,channel,amount,count,low,high');
        expect(lines).toEqual(['2024-03-01 00:00:00,eu,web,10.0,1.0,10.0,10.0', '2024-03-01 00:00:00,us,web,10.0,2.0,4.0,6.0']);
        const rows = await readBack(`SELECT sum(count) AS n FROM read_csv('${file}', header = true)`);
        expect(rows).toEqual([{ n: 3 }]);
      });
    });

    it('should refuse a path that could break out of the SQL literal', async () => {
      await expect(store.exportRollup('orders', 'minute', "/tmp/x'; DROP TABLE facts; --.csv", 'csv')).rejects.toThrow(/must not contain quotes/);
      expect(await store.factCount()).toBe(3);
    });
  });
});
