/**
 * The embedded store's state row cache (`subgraphs/kit/store/StateRowCache.ts`): a state read again is
 * answered without DuckDB until the next write, and every write makes the next read current, a read
 * overlapping the write included. Counts the prepared statements DuckDB actually runs.
 */
import { join } from 'node:path';
import { DuckDBPreparedStatement, StatementType } from '@duckdb/node-api';
import { DuckDbStore, type DuckDbStoreOptions } from '../../subgraphs/kit/store/DuckDbStore.js';
import { LAYOUT, T0, order, projectOrders } from '../support/storeFixtures.js';
import { useTempStores } from '../support/useTempStores.js';

const temp = useTempStores('duckdb-state-cache-');

async function openStore(options: Partial<DuckDbStoreOptions> = {}): Promise<DuckDbStore> {
  const store = await DuckDbStore.open({ path: join(temp.dir, 'states.duckdb'), compactIdleMs: 0, threads: 1, ...options });
  temp.opened.push(store);
  await store.init(LAYOUT);
  return store;
}

/**
 * Prepared SELECTs DuckDB runs while `work` runs (reads of state rows are prepared; a compaction the apply
 * before started may run prepared writes meanwhile, which are not counted).
 */
async function statementsRun(work: () => Promise<unknown>): Promise<number> {
  const run = jest.spyOn(DuckDBPreparedStatement.prototype, 'run');
  try {
    await work();
    return run.mock.contexts.filter((statement) => statement.statementType === StatementType.SELECT).length;
  } finally {
    run.mockRestore();
  }
}

const sold = async (store: DuckDbStore, key: string) => (await store.readStates('stock', [key]))[0]?.value.sold;

describe('DuckDbStore state row cache', () => {
  it('should answer a state read again from the cache until a write, then read the new value', async () => {
    const store = await openStore();
    await store.apply([order('a', T0, { product: 'p1' }), order('b', T0, { product: 'p2' })], projectOrders);

    expect(await statementsRun(() => sold(store, 'p1'))).toBe(1);
    let again: unknown;
    expect(await statementsRun(async () => (again = await sold(store, 'p1')))).toBe(0);
    expect(again).toBe(1);
    // Keys partly cached: only the missing one is read.
    expect(await statementsRun(() => store.readStates('stock', ['p1', 'p2']))).toBe(1);
    expect(await statementsRun(() => store.readStates('stock', ['p2', 'p1']))).toBe(0);

    await store.apply([order('c', T0 + 1_000, { product: 'p1' })], projectOrders);
    expect(await sold(store, 'p1')).toBe(2);
    expect(await sold(store, 'p2')).toBe(1);
  });

  it('should hand every reader objects of its own', async () => {
    const store = await openStore();
    await store.apply([order('a', T0, { product: 'p1' })], projectOrders);
    const [first] = await store.readStates('stock', ['p1']);
    first.value.sold = 99;
    first.updatedAt.setTime(0);
    const [second] = await store.readStates('stock', ['p1']);
    expect(second.value.sold).toBe(1);
    expect(second.updatedAt).toEqual(new Date(T0));
  });

  it('should not keep what a read overlapping a write saw', async () => {
    const store = await openStore();
    await store.apply([order('a', T0, { product: 'p1' })], projectOrders);
    // The read runs (sees sold = 1), then its answer is held back until a write has committed and the
    // cache was told: what it read is stale by the time it arrives.
    let written!: () => void;
    const writeDone = new Promise<void>((resolve) => (written = resolve));
    const original = DuckDBPreparedStatement.prototype.run;
    let holdNext = true;
    const held = jest.spyOn(DuckDBPreparedStatement.prototype, 'run').mockImplementation(async function (this: DuckDBPreparedStatement) {
      const result = await original.call(this);
      if (holdNext && this.statementType === StatementType.SELECT) {
        holdNext = false;
        await writeDone;
      }
      return result;
    });
    try {
      const stale = sold(store, 'p1');
      await new Promise((resolve) => setTimeout(resolve, 50)); // the read has run
      await store.apply([order('b', T0 + 1_000, { product: 'p1' })], projectOrders);
      written();
      expect(await stale).toBe(1);
    } finally {
      held.mockRestore();
    }
    expect(await sold(store, 'p1')).toBe(2);
  });

  it('should read through DuckDB every time with the cache off, and refuse a bad size', async () => {
    const store = await openStore({ stateCacheRows: 0 });
    await store.apply([order('a', T0, { product: 'p1' })], projectOrders);
    expect(await statementsRun(async () => (await sold(store, 'p1')) && (await sold(store, 'p1')))).toBe(2);
    await expect(DuckDbStore.open({ path: ':memory:', stateCacheRows: -1 })).rejects.toThrow(/maxRows must be a non-negative integer/);
  });
});
