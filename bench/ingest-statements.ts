/**
 * Where a bulk-ingest batch spends its time, statement by statement, on DuckDB and on PostgreSQL: the
 * profile behind the ingestion figures in README "Benchmarks". Ingests batches of 5,000 orders facts
 * through the real path (validation, one transaction per batch, rollups, keyed states, change events)
 * and times every SQL statement the store sends (DuckDB appender passes included), then reports per
 * batch: wall time, process CPU (DuckDB's worker threads included; PostgreSQL's server CPU is not), and
 * each statement's share. Statement text is cut to its first words.
 *
 *   npm run bench:ingest-statements                          # 30k facts, both stores
 *   BENCH_FACTS=100000 BENCH_STORES=duckdb npm run bench:ingest-statements
 *   BENCH_DUCKDB_THREADS=1 npm run bench:ingest-statements   # DuckDB worker threads (default: one per core)
 *   BENCH_FACTS=1000000 BENCH_WINDOW=100000 BENCH_STORES=duckdb npm run bench:ingest-statements
 *                                   # a report per 100k facts as the table grows (what grows with it)
 *   BENCH_DUCKDB_CHECKPOINT_LOG_RATIO=0 npm run bench:ingest-statements  # the store's `checkpointLogRatio`
 *
 * Timing wraps the drivers' methods in this process only; product code is unchanged. On DuckDB the timed
 * window ends with a compaction of the rollup deltas the batches left (`DuckDbStore.compact`), so the
 * figures include the work the background compaction does for these facts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DuckDBConnection } from '@duckdb/node-api';
import pg from 'pg';
import { InProcessBus } from '../subgraphs/kit/bus/InProcessBus.js';
import { DataProductRuntime } from '../subgraphs/kit/DataProductRuntime.js';
import { loadTypeDefs } from '../subgraphs/kit/graphql/loadTypeDefs.js';
import { DuckDbStore } from '../subgraphs/kit/store/DuckDbStore.js';
import { PostgresStore } from '../subgraphs/kit/store/PostgresStore.js';
import type { Store } from '../subgraphs/kit/store/Store.js';
import { ordersProduct } from '../subgraphs/orders/ordersProduct.js';
import { benchFact } from './support/benchFact.js';

const FACTS = Number(process.env.BENCH_FACTS ?? 30_000);
const STORES = (process.env.BENCH_STORES ?? 'duckdb,postgres').split(',');
const POSTGRES_URL = process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const DUCKDB_THREADS = process.env.BENCH_DUCKDB_THREADS ? Number(process.env.BENCH_DUCKDB_THREADS) : undefined;
const WINDOW = process.env.BENCH_WINDOW ? Number(process.env.BENCH_WINDOW) : undefined;
const CHECKPOINT_LOG_RATIO = process.env.BENCH_DUCKDB_CHECKPOINT_LOG_RATIO ? Number(process.env.BENCH_DUCKDB_CHECKPOINT_LOG_RATIO) : undefined;
const BATCH = 5_000;
if (WINDOW !== undefined && !(Number.isSafeInteger(WINDOW) && WINDOW > 0 && WINDOW % BATCH === 0))
  throw new Error(`BENCH_WINDOW must be a positive multiple of ${BATCH}, got ${process.env.BENCH_WINDOW}`);
const DAY = 86_400_000;

const timings = new Map<string, { count: number; ms: number }>();
let recording = false;
const record = (label: string, ms: number) => {
  if (!recording) return;
  const key = label.replace(/\s+/g, ' ').trim().slice(0, 80);
  const entry = timings.get(key) ?? { count: 0, ms: 0 };
  entry.count++;
  entry.ms += ms;
  timings.set(key, entry);
};

function timeDrivers(): void {
  const run = DuckDBConnection.prototype.run;
  DuckDBConnection.prototype.run = async function (this: DuckDBConnection, ...args: Parameters<typeof run>) {
    const t = performance.now();
    try {
      return await run.apply(this, args);
    } finally {
      record(String(args[0]), performance.now() - t);
    }
  };
  const createAppender = DuckDBConnection.prototype.createAppender;
  DuckDBConnection.prototype.createAppender = async function (this: DuckDBConnection, ...args: Parameters<typeof createAppender>) {
    const t = performance.now();
    const appender = await createAppender.apply(this, args);
    const closeSync = appender.closeSync.bind(appender);
    appender.closeSync = () => {
      closeSync();
      record(`appender into ${args[0]} (rows appended and flushed)`, performance.now() - t);
    };
    return appender;
  };
  const query = pg.Client.prototype.query as (...args: unknown[]) => unknown;
  pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
    const t = performance.now();
    const result = query.apply(this, args);
    const text = typeof args[0] === 'string' ? args[0] : String((args[0] as { text?: string })?.text ?? '');
    if (result instanceof Promise) return result.finally(() => record(text, performance.now() - t));
    return result;
  } as typeof pg.Client.prototype.query;
}

async function profile(name: string, store: Store): Promise<void> {
  const runtime = await DataProductRuntime.start(ordersProduct(loadTypeDefs(path.resolve('schema'), 'orders')), {
    store,
    bus: new InProcessBus({ retain: 10 }),
    latenessMs: 365 * DAY,
    retentionIntervalMs: 0,
  });
  const end = Math.floor(Date.now() / DAY) * DAY;
  const ingest = async (from: number) => {
    const report = await runtime.ingest(Array.from({ length: BATCH }, (_, i) => benchFact(from + i, end)));
    if (report.applied !== BATCH) throw new Error(`batch at ${from} was not applied whole`);
  };
  await ingest(0); // warm-up: schema caches, JIT
  let window = startWindow();
  for (let n = BATCH; n < FACTS; n += BATCH) {
    await ingest(n);
    window.batches++;
    if (WINDOW !== undefined && (n + BATCH) % WINDOW === 0 && n + BATCH < FACTS) {
      report(`${name}, facts ${(n + BATCH - window.batches * BATCH).toLocaleString('en')}–${(n + BATCH).toLocaleString('en')}`, window, 8);
      window = startWindow();
    }
  }
  // DuckDB appends rollup deltas and folds them into the keyed tables later: that work belongs to these facts.
  if (store instanceof DuckDbStore) await store.compact();
  report(WINDOW === undefined ? name : `${name}, the last ${(window.batches * BATCH).toLocaleString('en')} facts and the compaction after them`, window);
  await runtime.close();
}

/** A stretch of batches whose statements are timed together. */
interface Window {
  batches: number;
  cpu: NodeJS.CpuUsage;
  started: number;
}

function startWindow(): Window {
  timings.clear();
  recording = true;
  return { batches: 0, cpu: process.cpuUsage(), started: performance.now() };
}

/** Prints a window's rate and its statements, the costliest first (`top` of them, or all). */
function report(title: string, { batches, cpu, started }: Window, top = Infinity): void {
  const wall = performance.now() - started;
  const { user, system } = process.cpuUsage(cpu);
  const facts = batches * BATCH;
  const accounted = [...timings.values()].reduce((sum, s) => sum + s.ms, 0);
  console.log(`\n${title}: ${batches} batches of ${BATCH.toLocaleString('en')}, ${Math.round((facts / wall) * 1000).toLocaleString('en')} facts/s`);
  console.log(`  per batch: ${(wall / batches).toFixed(0)} ms wall, ${((user + system) / 1000 / batches).toFixed(0)} ms process CPU`);
  console.log(
    `  ${(accounted / batches).toFixed(0).padStart(6)} ms  in SQL statements (below), the rest is JS: validation, projection, merging, change events`,
  );
  for (const [sql, { count, ms }] of [...timings].sort((a, b) => b[1].ms - a[1].ms).slice(0, top)) {
    console.log(`  ${(ms / batches).toFixed(1).padStart(6)} ms  ×${(count / batches).toFixed(1)}  ${sql}`);
  }
}

timeDrivers();
for (const kind of STORES) {
  if (kind === 'duckdb') {
    const dir = mkdtempSync(path.join(tmpdir(), 'mesh-bench-'));
    try {
      await profile(
        'DuckDB (file)',
        await DuckDbStore.open({ path: path.join(dir, 'orders.duckdb'), threads: DUCKDB_THREADS, checkpointLogRatio: CHECKPOINT_LOG_RATIO }),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  } else if (kind === 'postgres') {
    const schema = `bench_${Math.random().toString(36).slice(2, 10)}`;
    const admin = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 2_000 });
    try {
      await admin.connect();
    } catch (error) {
      console.error(`PostgreSQL skipped: ${POSTGRES_URL} unreachable (${(error as Error).message})`);
      continue;
    }
    try {
      await profile('PostgreSQL', await PostgresStore.open({ url: POSTGRES_URL, schema }));
    } finally {
      await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await admin.end();
    }
  }
}
