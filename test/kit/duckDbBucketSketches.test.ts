/**
 * How a DuckDB bucket query brings a group's stored sketches back (`duckDbBucketQuery.ts`): as a LIST of
 * BLOBs where a group holds one stored row, as one hex string where it gathers many (one native copy per
 * group instead of one per sketch). Both must give the same merged sketches: checked against sketches
 * merged in JS from the facts, on one store read both ways.
 */
import { join } from 'node:path';
import { DuckDBInstance, blobValue } from '@duckdb/node-api';
import { bucketStatement, storedSketchList } from '../../subgraphs/kit/store/duckDbBucketQuery.js';
import { DuckDbStore } from '../../subgraphs/kit/store/DuckDbStore.js';
import { DistinctSketch } from '../../subgraphs/kit/sketches/DistinctSketch.js';
import { QuantileSketch } from '../../subgraphs/kit/sketches/QuantileSketch.js';
import type { Projector, StoreLayout } from '../../subgraphs/kit/store/Store.js';
import { HOUR, MINUTE, T0, order, query, sketchDelta } from '../support/storeFixtures.js';
import { useTempStores } from '../support/useTempStores.js';

const temp = useTempStores('duckdb-bucket-sketches-');

const LAYOUT: StoreLayout = {
  rollups: [{ name: 'orders', dimensions: ['region', 'channel'], columns: { count: 'sum' }, sketches: { buyers: 'hll', amounts: 'ddsketch' } }],
  states: [],
};
const regions = ['eu', 'us'];
const channels = ['web', 'shop', 'app'];

interface Order {
  region: string;
  channel: string;
  buyer: string;
  amount: number;
}

/** One minute delta per fact with one buyer and one amount in its sketches. */
const project: Projector = async (facts) => ({
  deltas: facts.map((fact) => {
    const data = fact.data as unknown as Order;
    return sketchDelta(fact, { region: data.region, channel: data.channel }, data.buyer, data.amount);
  }),
  states: [],
});

/** 600 orders over 3 hours, every region and channel, each minute many buyers: sketches well past 12 bytes. */
const data: Order[] = Array.from({ length: 600 }, (_, i) => ({
  region: regions[i % 2],
  channel: channels[i % 3],
  buyer: `b${(i * 7) % 211}`,
  amount: 1 + ((i * 13) % 977) / 10,
}));
const facts = data.map((d, i) => order(`s${i}`, T0 + (i % 180) * MINUTE, d as unknown as Record<string, unknown>));

/** The facts' sketches merged in JS per group key, as the estimate, the count and two quantiles. */
function expected(keyOf: (d: Order) => string): Map<string, Array<number | null>> {
  const groups = new Map<string, { buyers: DistinctSketch; amounts: QuantileSketch }>();
  for (const d of data) {
    const key = keyOf(d);
    let group = groups.get(key);
    if (!group) groups.set(key, (group = { buyers: new DistinctSketch(), amounts: QuantileSketch.empty() }));
    group.buyers.add(d.buyer);
    group.amounts.add(d.amount);
  }
  return new Map([...groups].map(([key, g]) => [key, [g.buyers.estimate(), g.amounts.count, g.amounts.quantile(0.5), g.amounts.quantile(0.95)]]));
}

describe('DuckDB bucket queries and stored sketches', () => {
  it('should give the same sketches whether a group brings one stored row or many', async () => {
    const store = await DuckDbStore.open({ path: join(temp.dir, 'orders.duckdb'), compactIdleMs: 0 });
    temp.opened.push(store);
    await store.init(LAYOUT);
    await store.apply(facts, project);
    await store.compact();
    const read = async (groupBy: string[], grain: 'hour' | 'day', boundaries: number[]) => {
      const rows = await store.queryBuckets(query(boundaries, { grain, groupBy, sketches: ['buyers', 'amounts'] }));
      return new Map(
        rows.map((row) => {
          const buyers = row.sketches?.buyers as DistinctSketch;
          const amounts = row.sketches?.amounts as QuantileSketch;
          return [
            `${row.bucket}|${groupBy.map((d) => row.group[d]).join('/')}`,
            [buyers.estimate(), amounts.count, amounts.quantile(0.5), amounts.quantile(0.95)],
          ];
        }),
      );
    };
    const threeHours = [T0, T0 + 3 * HOUR];
    const byRegionAndChannel = expected((d) => `0|${d.region}/${d.channel}`);
    const hourOf = new Map(data.map((d, i) => [d, Math.floor((i % 180) / 60)]));

    // Every dimension grouped, buckets of the table's grain: one stored row per group (lists of BLOBs)...
    const hourly = await read(['region', 'channel'], 'hour', [T0, T0 + HOUR, T0 + 2 * HOUR, T0 + 3 * HOUR]);
    expect(hourly.size).toBe(18);
    expect(hourly).toEqual(expected((d) => `${hourOf.get(d)}|${d.region}/${d.channel}`));
    // ...a bucket wider than the grain, or a dimension left out: many rows per group (one hex string).
    expect(await read(['region', 'channel'], 'hour', threeHours)).toEqual(byRegionAndChannel);
    expect(await read(['region'], 'hour', threeHours)).toEqual(expected((d) => `0|${d.region}`));
    expect(await read([], 'day', [T0, T0 + 24 * HOUR])).toEqual(expected(() => '0|'));
    expect(await read(['region', 'channel'], 'day', [T0, T0 + 24 * HOUR])).toEqual(byRegionAndChannel);
  });

  it('should choose one hex string only where groups gather many stored rows', () => {
    const layout = LAYOUT.rollups[0];
    const sql = (groupBy: string[], boundaries: number[]) => bucketStatement(layout, query(boundaries, { grain: 'hour', groupBy, sketches: ['buyers'] })).sql;
    expect(sql(['region', 'channel'], [T0, T0 + HOUR, T0 + 2 * HOUR])).toMatch(/list\(r\."buyers"\)/);
    expect(sql(['channel', 'region'], [T0, T0 + HOUR])).toMatch(/list\(r\."buyers"\)/);
    expect(sql(['region'], [T0, T0 + HOUR])).toMatch(/string_agg\(hex\(r\."buyers"\), ','\)/);
    expect(sql(['region', 'channel'], [T0, T0 + HOUR, T0 + 3 * HOUR])).toMatch(/string_agg\(hex\(r\."buyers"\), ','\)/);
  });

  it('should read back every stored sketch from the hex string, empty and NULL ones included', async () => {
    const sketches = [new Uint8Array([]), new Uint8Array([7]), Uint8Array.from({ length: 300 }, (_, i) => (i * 31) % 256), new Uint8Array(13).fill(255)];
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    try {
      await connection.run('CREATE TABLE parts (k INTEGER, s BLOB)');
      for (const bytes of sketches) await connection.run('INSERT INTO parts VALUES (1, $1)', [blobValue(bytes)]);
      await connection.run('INSERT INTO parts VALUES (1, NULL), (2, NULL)');
      const rows = (await connection.runAndReadAll(`SELECT k, string_agg(hex(s), ',') FROM parts GROUP BY k ORDER BY k`)).getRows();
      const hex = (list: ReadonlyArray<Uint8Array | null>) => list.map((b) => Buffer.from(b!).toString('hex')).sort();

      expect(hex(storedSketchList(rows[0][1]))).toEqual(hex(sketches));
      expect(storedSketchList(rows[1][1])).toEqual([]); // only NULLs: none
      const listed = (await connection.runAndReadAll(`SELECT list(s) FILTER (WHERE s IS NOT NULL) FROM parts WHERE k = 1`)).getRows();
      expect(hex(storedSketchList(listed[0][0]))).toEqual(hex(sketches));
    } finally {
      connection.closeSync();
      instance.closeSync();
    }
  });
});
