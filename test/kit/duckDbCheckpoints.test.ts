/**
 * The embedded store schedules DuckDB's checkpoints itself (`duckDbCheckpoints.ts`): once the write-ahead
 * log on disk passes `checkpointThreshold`, in a write turn after the write that passed it, and never
 * because DuckDB estimated a transaction large (which made every compaction slice checkpoint). The log's
 * size is read from the file, as DuckDB keeps it next to the database.
 */
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBConnection } from '@duckdb/node-api';
import { DuckDbStore, type DuckDbStoreOptions } from '../../subgraphs/kit/store/DuckDbStore.js';
import { CheckpointSchedule, parseSize, type CheckpointThreshold } from '../../subgraphs/kit/store/duckDbCheckpoints.js';
import type { StoredFact } from '../../subgraphs/kit/store/Store.js';
import { HOUR, LAYOUT, T0, expectedRows, order, orderDeltas, projectOrders, query } from '../support/storeFixtures.js';
import { useTempStores } from '../support/useTempStores.js';

const original = DuckDBConnection.prototype.run;

// --- harness -------------------------------------------------------------------------------------------

const temp = useTempStores('duckdb-checkpoints-');
const { opened } = temp;

async function openStore(options: Partial<DuckDbStoreOptions> = {}, name = 'orders'): Promise<{ store: DuckDbStore; wal: () => number }> {
  const path = join(temp.dir, `${name}.duckdb`);
  // A fixed threshold unless a test sets the share of the database file the log may reach.
  const store = await DuckDbStore.open({ path, compactAfterRows: 1_000_000, compactIdleMs: 0, threads: 1, checkpointLogRatio: 0, ...options });
  opened.push(store);
  await store.init(LAYOUT);
  return { store, wal: () => (existsSync(`${path}.wal`) ? statSync(`${path}.wal`).size : 0) };
}

/** Records the statements `name` names (null: not recorded) as the store runs them; `run.mockRestore()` stops. */
function recordStatements(name: (sql: string) => string | null) {
  const statements: string[] = [];
  const run = jest.spyOn(DuckDBConnection.prototype, 'run').mockImplementation(function (this: DuckDBConnection, sql, ...rest) {
    const named = name(sql);
    if (named !== null) statements.push(named);
    return original.call(this, sql, ...rest);
  });
  return { statements, run };
}

/** `count` orders spread over a day, each its own minute. */
const orders = (count: number, seed: number): StoredFact[] =>
  Array.from({ length: count }, (_, i) => order(`o${seed}-${i}`, T0 + ((i * 7919 + seed * 104_729) % 1440) * 60_000, { amount: 1 + (i % 50) }));

const DAY_QUERY = query(
  Array.from({ length: 25 }, (_, i) => T0 + i * HOUR),
  { grain: 'hour', groupBy: ['region', 'channel'] },
);

// --- tests ---------------------------------------------------------------------------------------------

describe('DuckDbStore checkpoints', () => {
  it('should leave applies and compaction slices in the log while it is under the threshold', async () => {
    const { store, wal } = await openStore({ checkpointThreshold: '1GB', compactSliceRows: 100 });
    for (let i = 0; i < 5; i++) await store.apply(orders(100, i), projectOrders);
    const logged = wal();
    expect(logged).toBeGreaterThan(0);

    await store.compact();

    // The compaction's writes went to the log too: nothing checkpointed (the log only grew).
    expect(wal()).toBeGreaterThan(logged);
  });

  it('should checkpoint once the log passes the threshold, after the write that passed it, and keep every row', async () => {
    const kept = await openStore({ checkpointThreshold: '1GB' }, 'kept');
    const checkpointed = await openStore({ checkpointThreshold: '1KB' }, 'checkpointed');
    const facts = [...orders(200, 1), ...orders(200, 2)];
    for (const { store } of [kept, checkpointed]) {
      await store.apply(facts.slice(0, 200), projectOrders);
      await store.apply(facts.slice(200), projectOrders);
      await store.compact();
      // The checkpoint after the compaction runs before this write: the log holds the dead letter alone.
      await store.recordDeadLetter({ receivedAt: new Date(T0), source: null, id: null, type: null, reason: 'x', event: {} });
    }

    expect(checkpointed.wal()).toBeGreaterThan(0);
    expect(checkpointed.wal() * 10).toBeLessThan(kept.wal());
    await checkpointed.store.close();
    const reopened = await openStore({}, 'checkpointed');
    expect(await reopened.store.queryBuckets(DAY_QUERY)).toEqual(expectedRows(facts.flatMap(orderDeltas), DAY_QUERY));
    expect(await reopened.store.deadLetters(10)).toHaveLength(1);
  });

  it('should settle: fold every pending delta and resolve only once the checkpoint due after it has run', async () => {
    const { store, wal } = await openStore({ checkpointThreshold: '1KB' }, 'settling');
    const { statements, run } = recordStatements((sql) => (sql === 'CHECKPOINT' ? sql : null));
    const facts = [...orders(200, 7), ...orders(200, 8)];
    await store.apply(facts.slice(0, 200), projectOrders);
    await store.apply(facts.slice(200), projectOrders);
    statements.length = 0;

    await store.settle();
    run.mockRestore();

    // `compact` alone answers before the checkpoint it makes due; `settle` waits for it.
    expect(store.pendingDeltaRows).toBe(0);
    expect(statements).toEqual(['CHECKPOINT']);
    expect(wal()).toBe(0);
    expect(await store.queryBuckets(DAY_QUERY)).toEqual(expectedRows(facts.flatMap(orderDeltas), DAY_QUERY));
  });

  it('should checkpoint when settling even with the log under its threshold, and leave the next write in the log', async () => {
    const { store, wal } = await openStore({ checkpointThreshold: '1GB' }, 'settling-under');
    const { statements, run } = recordStatements((sql) => (sql === 'CHECKPOINT' ? sql : null));
    const facts = orders(200, 9);
    await store.apply(facts, projectOrders);
    await store.compact();
    expect(wal()).toBeGreaterThan(0); // under 1 GB: nothing checkpointed

    await store.settle();
    expect(statements).toEqual(['CHECKPOINT']);
    expect(wal()).toBe(0);
    await store.settle(); // nothing logged since: nothing to checkpoint, and the request is answered
    await store.apply(orders(10, 10), projectOrders); // so this write stays in the log
    await store.recordDeadLetter({ receivedAt: new Date(T0), source: null, id: null, type: null, reason: 'x', event: {} }); // a later write turn
    run.mockRestore();

    expect(statements).toEqual(['CHECKPOINT']);
    expect(wal()).toBeGreaterThan(0);
    expect(await store.queryBuckets(DAY_QUERY)).toEqual(expectedRows([...facts, ...orders(10, 10)].flatMap(orderDeltas), DAY_QUERY));
  });

  it('should checkpoint what the compaction of a settle wrote, though a write queued before it takes a checkpoint turn first', async () => {
    const { store, wal } = await openStore({ checkpointThreshold: '1GB' }, 'settling-behind');
    const facts = [...orders(200, 16), ...orders(200, 17)];
    await store.apply(facts.slice(0, 200), projectOrders);

    // The apply's turn comes first and checks for a checkpoint after it; the settle's must come after its own compaction.
    await Promise.all([store.apply(facts.slice(200), projectOrders), store.settle()]);

    expect(store.pendingDeltaRows).toBe(0);
    expect(wal()).toBe(0);
    expect(await store.queryBuckets(DAY_QUERY)).toEqual(expectedRows(facts.flatMap(orderDeltas), DAY_QUERY));
  });

  it('should let an apply already waiting for the connection go before a due checkpoint', async () => {
    const { store } = await openStore({ checkpointThreshold: '1KB' }, 'waiting');
    // A commit runs the apply's held INSERTs before it (DeferredInserts.ts).
    const { statements, run } = recordStatements((sql) => (sql === 'CHECKPOINT' ? sql : sql === 'COMMIT' || sql.endsWith('\nCOMMIT') ? 'COMMIT' : null));

    // The second apply is queued while the first runs: the checkpoint due after the first waits for it.
    await Promise.all([store.apply(orders(200, 5), projectOrders), store.apply(orders(200, 6), projectOrders)]);
    await store.recordDeadLetter({ receivedAt: new Date(T0), source: null, id: null, type: null, reason: 'x', event: {} }); // a later write turn
    run.mockRestore();

    expect(statements.slice(0, 3)).toEqual(['COMMIT', 'COMMIT', 'CHECKPOINT']);
    expect(await store.queryBuckets(DAY_QUERY)).toEqual(expectedRows([...orders(200, 5), ...orders(200, 6)].flatMap(orderDeltas), DAY_QUERY));
  });

  it('should let the log grow to a share of the database file, and checkpoint at the cap whatever the share', async () => {
    const facts = [...orders(200, 11), ...orders(200, 12)];
    const fixed = await openStore({ checkpointThreshold: '1KB' }, 'fixed');
    const growing = await openStore({ checkpointThreshold: '1KB', checkpointLogRatio: 1_000 }, 'growing');
    const capped = await openStore({ checkpointThreshold: '1KB', checkpointLogRatio: 1_000, checkpointMaxThreshold: '2KB' }, 'capped');
    for (const { store } of [fixed, growing, capped]) {
      await store.apply(facts.slice(0, 200), projectOrders);
      await store.apply(facts.slice(200), projectOrders);
      await store.compact();
      await store.recordDeadLetter({ receivedAt: new Date(T0), source: null, id: null, type: null, reason: 'x', event: {} });
    }

    // 1,000 × the database file is far more than these writes logged: no checkpoint, the log kept all.
    expect(growing.wal()).toBeGreaterThan(statSync(join(temp.dir, 'growing.duckdb')).size / 10);
    expect(fixed.wal() * 10).toBeLessThan(growing.wal());
    expect(capped.wal() * 10).toBeLessThan(growing.wal());
    for (const { store } of [fixed, growing, capped]) expect(await store.queryBuckets(DAY_QUERY)).toEqual(expectedRows(facts.flatMap(orderDeltas), DAY_QUERY));
  });

  it('should checkpoint a log past the threshold once writes pause, however far it is from its share of the database', async () => {
    const { store, wal } = await openStore({ checkpointThreshold: '1KB', checkpointLogRatio: 1_000, compactIdleMs: 1_500 }, 'quiet');
    const facts = [...orders(200, 13), ...orders(200, 14)];
    await store.apply(facts.slice(0, 200), projectOrders);
    await store.apply(facts.slice(200), projectOrders);
    expect(wal()).toBeGreaterThan(1_000); // writes just ended: the share holds

    // The idle compaction folds the deltas; the log is checkpointed once writes have paused.
    const deadline = Date.now() + 10_000;
    while (wal() > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(wal()).toBe(0);
    expect(store.pendingDeltaRows).toBe(0);
    expect(await store.queryBuckets(DAY_QUERY)).toEqual(expectedRows(facts.flatMap(orderDeltas), DAY_QUERY));
  });

  it('should checkpoint a quiet log that no compaction is left to fold', async () => {
    const { store, wal } = await openStore(
      { checkpointThreshold: '1KB', checkpointLogRatio: 1_000, compactIdleMs: 1_500, compactAfterRows: 10 },
      'quiet-folded',
    );
    await store.apply(orders(200, 15), projectOrders); // past compactAfterRows: folded at once, no idle compaction left
    await store.compact();
    expect(store.pendingDeltaRows).toBe(0);
    expect(wal()).toBeGreaterThan(1_000);

    const deadline = Date.now() + 10_000;
    while (wal() > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(wal()).toBe(0);
  });

  it('should refuse a negative log share and a cap below the threshold', async () => {
    const path = join(temp.dir, 'refused.duckdb');
    await expect(DuckDbStore.open({ path, checkpointLogRatio: -0.5 })).rejects.toThrow(/checkpointLogRatio must be a non-negative number/);
    await expect(DuckDbStore.open({ path, checkpointLogRatio: Number.NaN })).rejects.toThrow(/checkpointLogRatio/);
    await expect(DuckDbStore.open({ path, checkpointThreshold: '64MB', checkpointMaxThreshold: '16MB' })).rejects.toThrow(
      /checkpointMaxThreshold \(16MB\) must not be below checkpointThreshold \(64MB\)/,
    );
    await expect(DuckDbStore.open({ path, checkpointMaxThreshold: 'lots' })).rejects.toThrow(/checkpointMaxThreshold must be a size/);
    expect(existsSync(path)).toBe(false);
  });

  it('should keep an in-memory store reading the same after the checkpoints that reclaim folded deltas', async () => {
    const store = await DuckDbStore.open({ path: ':memory:', compactAfterRows: 1_000_000, compactIdleMs: 0, compactSliceRows: 100 });
    opened.push(store);
    await store.init(LAYOUT);
    const facts = [...orders(150, 3), ...orders(150, 4)];
    await store.apply(facts.slice(0, 150), projectOrders);
    await store.compact();
    await store.apply(facts.slice(150), projectOrders);

    expect(await store.queryBuckets(DAY_QUERY)).toEqual(expectedRows(facts.flatMap(orderDeltas), DAY_QUERY));
  });
});

describe('parseSize', () => {
  it('should read sizes as DuckDB writes them', () => {
    expect(parseSize('16MB')).toBe(16_000_000);
    expect(parseSize('1.5 GiB')).toBe(1.5 * 2 ** 30);
    expect(parseSize('512kb')).toBe(512_000);
    expect(parseSize('100B')).toBe(100);
  });

  it('should refuse what is not a size', () => {
    for (const text of ['16', 'MB', '16 IB', '-1MB', '1e3MB']) expect(() => parseSize(text)).toThrow(/checkpointThreshold must be a size/);
  });
});

describe('CheckpointSchedule', () => {
  const threshold: CheckpointThreshold = { minBytes: 1_000, logRatio: 0.25, maxBytes: 100_000 };

  it('should put the threshold at the share of the database, within the minimum and the cap', () => {
    expect(CheckpointSchedule.thresholdFor(threshold, 0)).toBe(1_000);
    expect(CheckpointSchedule.thresholdFor(threshold, 2_000)).toBe(1_000);
    expect(CheckpointSchedule.thresholdFor(threshold, 40_000)).toBe(10_000);
    expect(CheckpointSchedule.thresholdFor(threshold, 10_000_000)).toBe(100_000);
  });

  it('should read both sizes from the files on disk', () => {
    const database = join(temp.dir, 'sizes.duckdb');
    const schedule = new CheckpointSchedule(database, threshold);
    const sizes = (db: number | null, log: number | null) => {
      if (db !== null) writeFileSync(database, Buffer.alloc(db));
      if (log !== null) writeFileSync(`${database}.wal`, Buffer.alloc(log));
      return schedule.pending();
    };

    expect(schedule.pending()).toBeNull(); // neither file yet
    expect(sizes(null, 999)).toBeNull(); // no database file: the minimum applies
    expect(sizes(null, 1_000)).toBe('now');
    expect(sizes(40_000, 9_999)).toBe('quiet'); // past the minimum, under a quarter of 40 kB: due once writes pause
    expect(sizes(40_000, 10_000)).toBe('now');
    expect(sizes(10_000_000, 99_999)).toBe('quiet'); // the cap
    expect(sizes(10_000_000, 100_000)).toBe('now');
  });
});
