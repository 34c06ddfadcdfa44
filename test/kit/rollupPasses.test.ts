import type { MergedRollupTable } from '../../subgraphs/kit/store/mergeRollupDeltas.js';
import { recentBucketsFrom, rollupPasses } from '../../subgraphs/kit/store/postgresWrites.js';
import type { RollupLayout } from '../../subgraphs/kit/store/Store.js';
import { DAY, HOUR, T0 } from '../support/storeFixtures.js';

const layout = (name: string): RollupLayout => ({ name, dimensions: ['region'], columns: { count: 'sum' } });
const orders = layout('orders');
const returns = layout('returns');
const row = (ms: number, region = 'eu') => ({ bucket: new Date(ms), dims: [region], values: [1] });
const names = (tables: MergedRollupTable[]) => tables.map((t) => `${t.layout.name}_${t.grain}:${t.rows.map((r) => r.bucket.getTime() - T0).join(',')}`);

describe('rollupPasses', () => {
  const recentFrom = new Date(T0);

  it('should put settled rows of every table before any recent row, each pass in layout then grain order', () => {
    const tables: MergedRollupTable[] = [
      { layout: returns, grain: 'minute', rows: [row(T0 - 2 * DAY), row(T0 + HOUR)] },
      { layout: orders, grain: 'day', rows: [row(T0 - DAY), row(T0)] },
      { layout: orders, grain: 'minute', rows: [row(T0 + HOUR), row(T0 - 3 * DAY)] },
    ];
    const passes = rollupPasses(tables, [orders, returns], recentFrom);
    expect(names(passes.settled)).toEqual([`orders_minute:${-3 * DAY}`, `orders_day:${-DAY}`, `returns_minute:${-2 * DAY}`]);
    expect(names(passes.recent)).toEqual([`orders_minute:${HOUR}`, 'orders_day:0', `returns_minute:${HOUR}`]);
  });

  it('should keep a table whose rows are all on one side whole, in one pass only', () => {
    const live: MergedRollupTable = { layout: orders, grain: 'minute', rows: [row(T0 + HOUR)] };
    const old: MergedRollupTable = { layout: orders, grain: 'hour', rows: [row(T0 - HOUR)] };
    const passes = rollupPasses([old, live], [orders], recentFrom);
    expect(passes.settled).toEqual([old]);
    expect(passes.recent).toEqual([live]);
    expect(passes.settled[0]).toBe(old);
  });

  it('should start the recent pass at the start of the previous UTC day', () => {
    expect(recentBucketsFrom(T0 + 13 * HOUR).getTime()).toBe(T0 - DAY);
    expect(recentBucketsFrom(T0).getTime()).toBe(T0 - DAY);
    expect(recentBucketsFrom(T0 - 1).getTime()).toBe(T0 - 2 * DAY);
  });
});
