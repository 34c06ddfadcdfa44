/**
 * Benchmark: ingest facts into one domain (orders) through the real ingestion path (validation, dedupe,
 * one transaction per batch, rollups, keyed states, change events), on DuckDB and on PostgreSQL side by
 * side, and time a 90-day DAY history query and a 30-day analytics query (previous-period comparison,
 * 7-day rolling window, top 10 of 50 products with others) as the table grows 10×, and the sketch
 * measures: unique customers per day over 90 days (HyperLogLog, checked against an exact count from the raw
 * facts) and p50/p95 of the order value per product over 30 days (DDSketch; a percentiles measure this
 * bench adds to the orders rollup, so both sketch kinds are timed on the same facts).
 *
 * Per store and size: the bulk ingest rate (batches of 5,000), the queries right after the load, and the
 * same DAY aggregation computed by scanning raw facts, the baseline a product without rollups would have.
 * Then the flatness figure: the queries on a second store loaded with the size before the last and on the
 * store at the last size, both settled (compaction, vacuum), in alternation in one process. Then
 * at the final size: single-fact ingestion → its change event (p50/p99, one fact at a time, and again
 * while a bulk load goes on), and the rate of concurrent single-fact requests micro-batched into shared
 * transactions vs one transaction each.
 *
 *   npm run bench                        # 100k then 1M facts, both stores (PostgreSQL when reachable)
 *   BENCH_10M=1 npm run bench            # 100k, 1M, then 10M
 *   BENCH_FACTS=30000 npm run bench      # FACTS/10 then FACTS (a quick check)
 *   BENCH_STORES=duckdb npm run bench    # one store only (duckdb | postgres)
 *   BENCH_POSTGRES_URL=postgres://... npm run bench   # default: the test database on 127.0.0.1
 *   BENCH_DUCKDB_THREADS=1 npm run bench # DuckDB worker threads (default: one per core)
 *   BENCH_DUCKDB_FILE=/tmp/o.duckdb npm run bench  # keep the DuckDB file; a later run on it skips the
 *                                        # ingest of each size the file already holds (queries only)
 *
 * Progress goes to stderr, the tables to stdout.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';
import pg from 'pg';
import { InProcessBus } from '../subgraphs/kit/bus/InProcessBus.js';
import { DataProductRuntime, type DataProductRuntimeOptions } from '../subgraphs/kit/DataProductRuntime.js';
import { DuckDbStore } from '../subgraphs/kit/store/DuckDbStore.js';
import { PostgresStore } from '../subgraphs/kit/store/PostgresStore.js';
import type { Store } from '../subgraphs/kit/store/Store.js';
import { benchFact } from './support/benchFact.js';
import { benchProduct } from './support/benchProduct.js';
import { ingestBenchFacts } from './support/ingestBenchFacts.js';
import { parisDayPercentilesRequest } from './support/parisDayPercentiles.js';
import { quantile } from './support/quantile.js';
import type { ReplicaWriterResult, ReplicaWriterTask } from './support/replicaWriter.js';

const FINAL = Number(process.env.BENCH_FACTS ?? (process.env.BENCH_10M ? 10_000_000 : 1_000_000));
const FIRST = Math.round(FINAL / 10);
/** Table sizes measured in turn: each grows the same table, so a rate is the rate at that size. */
const SIZES = process.env.BENCH_10M && !process.env.BENCH_FACTS ? [100_000, 1_000_000, 10_000_000] : [FIRST, FINAL];
const STORES = (process.env.BENCH_STORES ?? 'duckdb,postgres').split(',');
const POSTGRES_URL = process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
/** A DuckDB file kept after the run and reused by the next one (a 1M-fact load takes minutes); unset: a temporary file. */
const DUCKDB_FILE = process.env.BENCH_DUCKDB_FILE;
/** DuckDB worker threads (`DuckDbStore` option `threads`); unset: DuckDB's default, one per core. */
const DUCKDB_THREADS = process.env.BENCH_DUCKDB_THREADS ? Number(process.env.BENCH_DUCKDB_THREADS) : undefined;
const BATCH = 5_000;
/** Rounds of the flatness series: each runs every query once on each of the two stores. */
const FLATNESS_ROUNDS = 21;
const SINGLE = 300;
const CONCURRENT = 2_000;
/** One transaction per fact is slow: fewer requests measure its rate well enough. */
const UNBATCHED = 200;
/** Facts the two-replica run ingests (half each), at the final size. */
const REPLICA_FACTS = Math.max(BATCH * 2, Math.round(SIZES[0] / 2));
const DAY = 86_400_000;
const end = Math.floor(Date.now() / DAY) * DAY;
const start = end - 90 * DAY;
const fact = (n: number, time?: Date) => benchFact(n, end, time);

const progress = (line: string) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);
const rate = (n: number, ms: number) => Math.round((n / ms) * 1000).toLocaleString('en');

/** One store under test: how to open it again on the same data, a raw-fact scan if it has one, cleanup. */
interface Subject {
  name: string;
  open(): Promise<Store>;
  /** Where replicas of one product open it, each in a process of its own (PostgreSQL); null: no replicas. */
  replicaTarget: { url: string; schema: string } | null;
  /** Facts already in the store (a reused file), so sizes it holds are measured without ingesting. */
  factsHeld?(): Promise<number>;
  rawScan?(): Promise<{ ms: number; orders: number; customers: number }>;
  dispose(): Promise<void>;
}

/** `kept`: a file kept after the run (`BENCH_DUCKDB_FILE`); null, a temporary one. */
function duckDbSubject(kept: string | null): Subject {
  const dir = kept ? null : mkdtempSync(path.join(tmpdir(), 'mesh-bench-'));
  const file = kept ?? path.join(dir!, 'orders.duckdb');
  return {
    name: 'DuckDB (file)',
    open: () => DuckDbStore.open({ path: file, threads: DUCKDB_THREADS }),
    replicaTarget: null,
    async factsHeld() {
      if (!existsSync(file)) return 0;
      const instance = await DuckDBInstance.create(file);
      const connection = await instance.connect();
      try {
        const [[count]] = (await connection.runAndReadAll(`SELECT count(*) FROM facts`)).getRows();
        return Number(count);
      } catch {
        return 0; // no facts table yet
      } finally {
        connection.closeSync();
        instance.closeSync();
      }
    },
    async rawScan() {
      const instance = await DuckDBInstance.create(file);
      const connection = await instance.connect();
      const sql = `SELECT date_trunc('day', time) AS day, count(*) AS orders, sum(CAST(json_extract(data, '$.quantity') AS DOUBLE)) AS units
                   FROM facts WHERE type = 'OrderPlaced' AND time >= epoch_ms(${start}) AND time < epoch_ms(${end}) GROUP BY 1`;
      const [[customers]] = (
        await connection.runAndReadAll(
          `SELECT count(DISTINCT lower(json_extract_string(data, '$.customerEmail'))) FROM facts
           WHERE type = 'OrderPlaced' AND time >= epoch_ms(${start}) AND time < epoch_ms(${end})`,
        )
      ).getRows();
      const times: number[] = [];
      let orders = 0;
      for (let i = 0; i < 5; i++) {
        const t = performance.now();
        const rows = (await connection.runAndReadAll(sql)).getRowObjectsJson();
        times.push(performance.now() - t);
        orders = rows.reduce((s, r) => s + Number(r.orders), 0);
      }
      // What the sketches cost on disk: average bytes per rollup row, per grain.
      const bytes = [];
      for (const grain of ['minute', 'hour', 'day']) {
        const sql = `SELECT avg(octet_length(customers_hll)), avg(octet_length(order_value_ddsketch)) FROM rollup_sales_${grain}`;
        const [[hll, dds]] = (await connection.runAndReadAll(sql)).getRows();
        bytes.push(`${grain} ${Math.round(Number(hll))} + ${Math.round(Number(dds))} B`);
      }
      progress(`  sketch bytes per rollup row (customers_hll + order_value_ddsketch): ${bytes.join(', ')}`);
      connection.closeSync();
      instance.closeSync();
      return { ms: quantile(times, 0.5), orders, customers: Number(customers) };
    },
    dispose: async () => void (dir && rmSync(dir, { recursive: true, force: true })),
  };
}

async function postgresSubject(): Promise<Subject | null> {
  const schema = `bench_${Math.random().toString(36).slice(2, 10)}`;
  const client = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 2_000 });
  try {
    await client.connect();
  } catch (error) {
    progress(`PostgreSQL skipped: ${POSTGRES_URL} unreachable (${(error as Error).message})`);
    return null;
  }
  return {
    name: 'PostgreSQL',
    open: () => PostgresStore.open({ url: POSTGRES_URL, schema }),
    replicaTarget: { url: POSTGRES_URL, schema },
    async rawScan() {
      const sql = `SELECT date_trunc('day', "time", 'UTC') AS day, count(*) AS orders, sum((data->>'quantity')::float8) AS units
                   FROM ${schema}.facts WHERE type = 'OrderPlaced' AND "time" >= to_timestamp(${start / 1000}) AND "time" < to_timestamp(${end / 1000}) GROUP BY 1`;
      const times: number[] = [];
      let orders = 0;
      for (let i = 0; i < 5; i++) {
        const t = performance.now();
        const { rows } = await client.query<{ orders: string }>(sql);
        times.push(performance.now() - t);
        orders = rows.reduce((s, r) => s + Number(r.orders), 0);
      }
      const { rows } = await client.query<{ n: string }>(
        `SELECT count(DISTINCT lower(data->>'customerEmail')) AS n FROM ${schema}.facts
         WHERE type = 'OrderPlaced' AND "time" >= to_timestamp(${start / 1000}) AND "time" < to_timestamp(${end / 1000})`,
      );
      return { ms: quantile(times, 0.5), orders, customers: Number(rows[0].n) };
    },
    async dispose() {
      await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await client.end();
    },
  };
}

async function open(subject: Subject, options: Partial<DataProductRuntimeOptions> = {}) {
  return DataProductRuntime.start(benchProduct(), {
    store: await subject.open(),
    bus: new InProcessBus({ retain: 1000 }),
    latenessMs: 365 * DAY,
    retentionIntervalMs: 0,
    ...options,
  });
}

/** Wall time and process CPU (the Node process: JS plus DuckDB's threads, not PostgreSQL's server). */
async function timed(work: () => Promise<unknown>): Promise<{ ms: number; cpuMs: number }> {
  const cpu = process.cpuUsage();
  const t = performance.now();
  await work();
  const { user, system } = process.cpuUsage(cpu);
  return { ms: performance.now() - t, cpuMs: (user + system) / 1000 };
}

async function bulkIngest(runtime: DataProductRuntime, from: number, to: number): Promise<number> {
  const t = performance.now();
  let reported = performance.now();
  await ingestBenchFacts(runtime, { from, to, end, batch: BATCH }, (ingested) => {
    if (performance.now() - reported <= 5_000) return;
    reported = performance.now();
    progress(`  ${(from + ingested).toLocaleString('en')} facts, ${rate(ingested, performance.now() - t)} facts/s`);
  });
  return performance.now() - t;
}

async function timeHistory(runtime: DataProductRuntime, runs = 15): Promise<{ ms: number; orders: number }> {
  // No sketch measure: the figure stays comparable with runs before sketches existed.
  const request = { range: { from: new Date(start), to: new Date(end) }, granularity: 'DAY' as const, sketchMeasures: [] };
  let orders = 0;
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    const result = await runtime.history('sales', request);
    times.push(performance.now() - t);
    orders = Number(result.total.orders);
  }
  return { ms: quantile(times, 0.5), orders };
}

/** The last 30 days by product: top 10 by units with others, against the 30 days before, with a 7-day window. */
async function timeAnalytics(runtime: DataProductRuntime, runs = 15): Promise<number> {
  const request = {
    range: { from: new Date(end - 30 * DAY), to: new Date(end) },
    granularity: 'DAY' as const,
    groupBy: ['product_id'],
    compareTo: 'PREVIOUS_PERIOD' as const,
    rolling: { buckets: 7 },
    top: { by: 'units', limit: 10 },
    sketchMeasures: [],
  };
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    const result = await runtime.history('sales', request);
    times.push(performance.now() - t);
    // Top groups and others must add up to the totals, or the "others" remainder is wrong.
    const units = result.groups.reduce((sum, g) => sum + Number(g.total.units), Number(result.others?.total.units ?? 0));
    if (units !== result.total.units) throw new Error(`top 10 + others = ${units} units, totals say ${result.total.units}`);
  }
  return quantile(times, 0.5);
}

/** Unique customers per day over the 90 days, and over the whole range (a merge of 90 days of sketches). */
async function timeDistinct(runtime: DataProductRuntime, runs = 15): Promise<{ ms: number; customers: number }> {
  const request = { range: { from: new Date(start), to: new Date(end) }, granularity: 'DAY' as const, sketchMeasures: ['customers'] };
  const times: number[] = [];
  let customers = 0;
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    const result = await runtime.history('sales', request);
    times.push(performance.now() - t);
    customers = Number(result.total.customers);
  }
  return { ms: quantile(times, 0.5), customers };
}

/** p50/p95 of the order value per product and day over the last 30 days, in Europe/Paris days. */
async function timePercentiles(runtime: DataProductRuntime, runs = 15): Promise<number> {
  const request = parisDayPercentilesRequest(end);
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    const result = await runtime.history('sales', request);
    times.push(performance.now() - t);
    if (!(Number(result.total.order_value_p95) >= Number(result.total.order_value_p50))) throw new Error('p95 below p50');
  }
  return quantile(times, 0.5);
}

/** One fact at a time: from the ingest call to its state-changed event reaching a subscriber. */
async function singleFactLatency(runtime: DataProductRuntime, firstId: number): Promise<{ p50: number; p99: number }> {
  const arrived = new Map<string, number>();
  const events = runtime.stateChanges('order');
  const reading = (async () => {
    for await (const message of events) arrived.set(message.data.key, performance.now());
  })();
  const latencies: number[] = [];
  for (let i = 0; i < SINGLE; i++) {
    const one = fact(firstId + i, new Date(end - 60_000));
    const t = performance.now();
    await runtime.ingest([one]);
    while (!arrived.has(one.data.orderId)) await new Promise((resolve) => setImmediate(resolve));
    latencies.push(arrived.get(one.data.orderId)! - t);
  }
  await events.return?.();
  await reading;
  return { p50: quantile(latencies, 0.5), p99: quantile(latencies, 0.99) };
}

/**
 * Single facts, one every 50 ms (posted on time, not after the previous one's event), while a bulk load of
 * `bulkCount` facts (batches of 5,000) goes on in the same runtime: from the ingest call to the fact's
 * state-changed event, as `singleFactLatency`. What a live
 * producer sees while a backfill runs (its posts have a lane of their own, `ingest/createIngestBatcher.ts`).
 */
async function singleFactLatencyDuringBulk(
  runtime: DataProductRuntime,
  firstSingleId: number,
  firstBulkId: number,
  bulkCount: number,
): Promise<{ p50: number; p99: number; count: number }> {
  // Open loop: a fact every 50 ms whether or not the one before has had its event, as a live producer
  // posts, so a fact stuck behind the bulk load does not hold back (and hide) the ones after it.
  const waiting = new Map<string, { arrived(at: number): void; failed(error: unknown): void }>();
  // The first failure (a post refused, the event stream ended) ends the measurement and is thrown.
  let failure: Error | undefined;
  const fail = (error: unknown) => {
    failure ??= error instanceof Error ? error : new Error('the single-fact measurement failed', { cause: error });
    for (const waiter of waiting.values()) waiter.failed(error);
  };
  const events = runtime.stateChanges('order');
  let measuring = true;
  const reading = (async () => {
    for await (const message of events) waiting.get(message.data.key)?.arrived(performance.now());
  })().then(() => {
    if (measuring) fail(new Error('the state-changed events ended during the bulk load'));
  }, fail);
  let bulkDone = false;
  const bulk = bulkIngest(runtime, firstBulkId, firstBulkId + bulkCount).then(
    () => undefined,
    (error: unknown) => fail(error),
  );
  void bulk.finally(() => (bulkDone = true));
  const latencies: number[] = [];
  const posted: Promise<void>[] = [];
  for (let i = 0; !bulkDone && failure === undefined; i++) {
    const one = fact(firstSingleId + i, new Date(end - 60_000));
    const t = performance.now();
    const arrived = new Promise<number>((resolve, reject) => waiting.set(one.data.orderId, { arrived: resolve, failed: reject }));
    arrived.catch(() => undefined); // seen by the post below, or by `failure`
    posted.push(
      runtime
        .ingest([one])
        .then(async (report) => {
          if (report.applied !== 1) throw new Error(`a single fact during the bulk load was not applied: ${JSON.stringify(report.events[0])}`);
          latencies.push((await arrived) - t);
        })
        .catch(fail)
        .finally(() => waiting.delete(one.data.orderId)),
    );
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  await bulk;
  await Promise.all(posted);
  measuring = false;
  await events.return?.();
  await reading;
  if (failure !== undefined) throw failure;
  return { p50: quantile(latencies, 0.5), p99: quantile(latencies, 0.99), count: latencies.length };
}

/** `count` single-fact requests, 200 in flight at once. */
async function concurrentSingles(runtime: DataProductRuntime, firstId: number, count: number): Promise<number> {
  const t = performance.now();
  for (let wave = 0; wave < count; wave += 200) {
    const reports = await Promise.all(Array.from({ length: 200 }, (_, i) => runtime.ingest([fact(firstId + wave + i, new Date(end - 60_000))])));
    if (reports.some((r) => r.applied !== 1)) throw new Error('a single-fact request was not applied');
  }
  return performance.now() - t;
}

/**
 * Two replicas of the product on the same store, each in a process of its own as in production
 * (`support/replicaWriter.ts`), ingest disjoint facts in batches at the same time, into rollup rows and
 * state keys both touch: the rate with row locks contended. Timed from the moment both are open and warm
 * (one batch each) and told to go until both are done; the CPU figure is the two processes' own (not the server's).
 */
async function twoReplicas(target: { url: string; schema: string }, firstId: number, count: number): Promise<{ ms: number; cpuMs: number }> {
  progress(`two replicas (separate processes) writing ${count.toLocaleString('en')} facts`);
  const half = Math.floor(count / 2);
  const writers = [0, 1].map((i) => {
    const task: ReplicaWriterTask = {
      ...target,
      from: firstId + i * half,
      to: firstId + (i + 1) * half,
      end,
      batch: BATCH,
      warmFrom: firstId + 2 * half + i * BATCH,
    };
    return fork(fileURLToPath(new URL('./support/replicaWriter.ts', import.meta.url)), [JSON.stringify(task)], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
  });
  const outcome = (writer: ChildProcess) =>
    new Promise<ReplicaWriterResult>((resolve, reject) => {
      writer.on('message', (message) => {
        if (typeof message === 'object') resolve(message as ReplicaWriterResult);
      });
      writer.once('exit', (code) => reject(new Error(`a replica writer exited with code ${code} before it answered`)));
    });
  try {
    const ready = writers.map(
      (writer) =>
        new Promise<void>((resolve, reject) => {
          writer.on('message', (message) => message === 'ready' && resolve());
          writer.once('exit', (code) => reject(new Error(`a replica writer exited with code ${code} before it was ready`)));
        }),
    );
    await Promise.all(ready);
    const results = writers.map(outcome);
    const t = performance.now();
    for (const writer of writers) writer.send('go');
    const answers = await Promise.all(results);
    const ms = performance.now() - t;
    const cpuMs = answers.reduce((sum, answer) => sum + answer.cpuMs, 0);
    progress(`  two replicas: ${rate(2 * half, ms)} facts/s, their processes' CPU ${Math.round((cpuMs * 1000) / (2 * half))} µs per fact`);
    return { ms, cpuMs };
  } finally {
    for (const writer of writers) if (writer.exitCode === null) writer.kill();
  }
}

/** Medians of the four timed queries, ms. */
interface QueryMedians {
  history: number;
  analytics: number;
  distinct: number;
  percentiles: number;
}

/**
 * Brings the store to the state its background upkeep keeps it in, and returns how long that took:
 * DuckDB folds every pending rollup delta and checkpoints (`DuckDbStore.settle`); PostgreSQL vacuums the
 * tables the load upserted (`PostgresStore.settle`: what autovacuum does, and this machine's PostgreSQL
 * runs without it).
 */
async function settle(store: Store): Promise<number> {
  const t = performance.now();
  await store.settle();
  return performance.now() - t;
}

type Query = keyof QueryMedians;
const QUERIES: readonly Query[] = ['history', 'analytics', 'distinct', 'percentiles'];

/** The flatness figure of one store: query medians at the size before the last and at the last. */
interface Flatness {
  sizes: [smaller: number, larger: number];
  medians: [smaller: QueryMedians, larger: QueryMedians];
}

/**
 * The four queries on a second store of the same kind, loaded with the size before the last, and on the
 * store at the last size, both settled (`settle`: what a product whose upkeep keeps pace serves), one query
 * on each in turn for `FLATNESS_ROUNDS` rounds, the order flipped every round. Measured one size after the
 * other, a table's figures also differed by the process's state (its heap, the JIT, the background work
 * the load left): the same query at 100k moved by ±40 % between runs. Alternating in one process leaves
 * the tables' sizes as the one difference.
 */
async function flatness(subject: Subject, baseline: Subject): Promise<Flatness> {
  const smaller = SIZES[SIZES.length - 2];
  const larger = SIZES[SIZES.length - 1];
  progress(`${subject.name}: flatness: a second store with ${smaller.toLocaleString('en')} facts against this one's ${larger.toLocaleString('en')}`);
  const small = await open(baseline);
  await bulkIngest(small, 0, smaller);
  const large = await open(subject);
  for (const runtime of [small, large]) {
    const ms = await settle(runtime.store);
    progress(`  settled in ${(ms / 1000).toFixed(1)} s (DuckDB: compaction and checkpoint; PostgreSQL: vacuum)`);
  }
  const times = [small, large].map(() => Object.fromEntries(QUERIES.map((q) => [q, [] as number[]])) as Record<Query, number[]>);
  const once: Record<Query, (runtime: DataProductRuntime) => Promise<number>> = {
    history: async (runtime) => (await timeHistory(runtime, 1)).ms,
    analytics: (runtime) => timeAnalytics(runtime, 1),
    distinct: async (runtime) => (await timeDistinct(runtime, 1)).ms,
    percentiles: (runtime) => timePercentiles(runtime, 1),
  };
  for (let round = 0; round < FLATNESS_ROUNDS; round++) {
    const order = round % 2 === 0 ? [0, 1] : [1, 0];
    for (const query of QUERIES) for (const i of order) times[i][query].push(await once[query]([small, large][i]));
  }
  await small.close();
  await large.close();
  const medians = times.map((series) => Object.fromEntries(QUERIES.map((q) => [q, quantile(series[q], 0.5)])) as unknown as QueryMedians);
  return { sizes: [smaller, larger], medians: [medians[0], medians[1]] };
}

interface Figures {
  store: string;
  sizes: Array<{
    facts: number;
    ingestMs: number;
    cpuMs: number;
    added: number;
    history: number;
    analytics: number;
    distinct: number;
    percentiles: number;
    /** Distinct-count error against the raw facts, relative. */
    distinctError: number | null;
    raw: number | null;
  }>;
  /** Bulk rate with two replicas (processes) writing disjoint facts at once (stores that allow replicas). */
  replicas: { ms: number; cpuMs: number } | null;
  /** Null with one size only. */
  flatness: Flatness | null;
  latency: { p50: number; p99: number };
  /** Single facts posted while a bulk load goes on (`singleFactLatencyDuringBulk`). */
  duringBulk: { p50: number; p99: number; count: number };
  batchedMs: number;
  unbatchedMs: number;
}

/** `baseline`: a fresh store of the same kind for the flatness figure. */
async function measure(subject: Subject, baseline: () => Promise<Subject | null>): Promise<Figures> {
  const sizes: Figures['sizes'] = [];
  const held = (await subject.factsHeld?.()) ?? 0;
  for (const [i, to] of SIZES.entries()) {
    const from = i === 0 ? 0 : SIZES[i - 1];
    if (held > to && SIZES[i + 1] !== undefined && held >= SIZES[i + 1]) continue; // the file is past this size
    const ingest = held < to;
    progress(`${subject.name}: ${ingest ? `ingesting ${from > 0 ? 'up to ' : ''}` : 'reusing '}${to.toLocaleString('en')} facts`);
    if (ingest && held > from) throw new Error(`the DuckDB file holds ${held} facts, between sizes ${from} and ${to}`);
    const runtime = await open(subject);
    let ingestMs = 0;
    const { cpuMs } = ingest ? await timed(async () => (ingestMs = await bulkIngest(runtime, from, to))) : { cpuMs: 0 };
    const pending = (runtime.store as Partial<DuckDbStore>).pendingDeltaRows;
    if (pending !== undefined) progress(`  rollup delta rows not yet compacted when the queries start: ${pending.toLocaleString('en')}`);
    const history = await timeHistory(runtime);
    const analytics = await timeAnalytics(runtime);
    const distinct = await timeDistinct(runtime);
    const before = (runtime.store as Partial<DuckDbStore>).pendingDeltaRows;
    const percentiles = await timePercentiles(runtime);
    if (before !== undefined)
      progress(
        `  delta rows not yet compacted around the percentiles query: ${before.toLocaleString('en')} → ${(runtime.store as DuckDbStore).pendingDeltaRows.toLocaleString('en')}`,
      );
    await runtime.close();
    const raw = subject.rawScan ? await subject.rawScan() : null;
    if (raw && raw.orders !== history.orders) throw new Error(`rollups disagree with raw facts: ${history.orders} vs ${raw.orders}`);
    const distinctError = raw ? Math.abs(distinct.customers - raw.customers) / raw.customers : null;
    if (distinctError !== null && distinctError > 0.05) throw new Error(`unique customers ${distinct.customers}, raw facts ${raw!.customers}`);
    sizes.push({
      facts: to,
      ingestMs,
      cpuMs,
      added: to - from,
      history: history.ms,
      analytics,
      distinct: distinct.ms,
      percentiles,
      distinctError,
      raw: raw?.ms ?? null,
    });
  }
  let flat: Flatness | null = null;
  const second = SIZES.length > 1 ? await baseline() : null;
  if (second) {
    try {
      flat = await flatness(subject, second);
    } finally {
      await second.dispose();
    }
  }
  progress(`${subject.name}: single-fact latency and concurrent single-fact requests`);
  let runtime = await open(subject);
  // A reused file already holds the facts an earlier run posted here: these take ids past all of them.
  const next = Math.max(FINAL, held);
  const latency = await singleFactLatency(runtime, next);
  progress(`  single fact → change event p50 ${latency.p50.toFixed(1)} ms, p99 ${latency.p99.toFixed(1)} ms`);
  // Ids past the replicas' facts and their warm-up batches.
  const duringFirst = next + SINGLE + CONCURRENT + UNBATCHED + REPLICA_FACTS + 2 * BATCH;
  progress(`${subject.name}: single facts while ${REPLICA_FACTS.toLocaleString('en')} more are bulk-loaded`);
  const duringBulk = await singleFactLatencyDuringBulk(runtime, duringFirst, duringFirst + 100_000, REPLICA_FACTS);
  progress(`  ${duringBulk.count} single facts during the load: p50 ${duringBulk.p50.toFixed(1)} ms, p99 ${duringBulk.p99.toFixed(1)} ms`);
  const batchedMs = await concurrentSingles(runtime, next + SINGLE, CONCURRENT);
  progress(`  micro-batched: ${rate(CONCURRENT, batchedMs)} facts/s`);
  await runtime.close();
  runtime = await open(subject, { ingestBatching: { maxEvents: 1 } });
  const unbatchedMs = await concurrentSingles(runtime, next + SINGLE + CONCURRENT, UNBATCHED);
  progress(`  one transaction each: ${rate(UNBATCHED, unbatchedMs)} facts/s`);
  await runtime.close();
  const replicas = subject.replicaTarget ? await twoReplicas(subject.replicaTarget, next + SINGLE + CONCURRENT + UNBATCHED, REPLICA_FACTS) : null;
  return { store: subject.name, sizes, flatness: flat, latency, duringBulk, batchedMs, unbatchedMs, replicas };
}

const results: Figures[] = [];
for (const kind of STORES) {
  const subject = kind === 'duckdb' ? duckDbSubject(DUCKDB_FILE ?? null) : kind === 'postgres' ? await postgresSubject() : null;
  if (!subject) continue;
  // The flatness figure's second store is always a fresh one, never the kept file.
  const baseline = async () => (kind === 'duckdb' ? duckDbSubject(null) : postgresSubject());
  try {
    results.push(await measure(subject, baseline));
  } finally {
    await subject.dispose();
  }
}

const table: string[] = [
  `orders domain, batches of ${BATCH.toLocaleString('en')}; facts over 90 days, 50 products × 4 regions × 4 channels`,
  '',
  'Queries right after each bulk load (on DuckDB the compaction of its delta rows still runs beside them):',
  '',
  '| store | facts in the table | ingest facts/s | process CPU per fact | 90-day DAY history (rollups), median | 30-day analytics (compare, rolling 7, top 10), median | 90-day unique customers per day, median (error vs raw) | 30-day p50/p95 per product and Paris day, median | raw-fact scan, median |',
  '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
];
for (const r of results) {
  for (const s of r.sizes) {
    table.push(
      `| ${r.store} | ${s.facts.toLocaleString('en')} | ${s.ingestMs ? rate(s.added, s.ingestMs) : '— (reused)'} | ${s.ingestMs ? `${((s.cpuMs * 1000) / s.added).toFixed(0)} µs` : '—'} | ${s.history.toFixed(1)} ms | ${s.analytics.toFixed(1)} ms | ` +
        `${s.distinct.toFixed(1)} ms (${s.distinctError === null ? '—' : `${(s.distinctError * 100).toFixed(2)} %`}) | ${s.percentiles.toFixed(1)} ms | ` +
        `${s.raw === null ? '—' : `${s.raw.toFixed(1)} ms`} |`,
    );
  }
}
table.push(
  '',
  'Flatness: the same queries on two stores of the same kind, the size before the last and the last, both settled (DuckDB: deltas compacted and checkpointed; PostgreSQL: the upserted tables vacuumed), one query on each in turn, medians of ' +
    `${FLATNESS_ROUNDS} rounds:`,
  '',
  '| store | facts | 90-day DAY history | 30-day analytics | 90-day unique customers per day | 30-day p50/p95 per product and Paris day |',
  '|---|---:|---:|---:|---:|---:|',
);
for (const r of results) {
  if (!r.flatness) continue;
  const { sizes, medians } = r.flatness;
  sizes.forEach((facts, i) =>
    table.push(`| ${r.store} | ${facts.toLocaleString('en')} | ${QUERIES.map((q) => `${medians[i][q].toFixed(1)} ms`).join(' | ')} |`),
  );
  table.push(`| ${r.store} | growth ×${sizes[1] / sizes[0]} | ${QUERIES.map((q) => `${(medians[1][q] / medians[0][q]).toFixed(2)}×`).join(' | ')} |`);
}
table.push(
  '',
  `| store | single fact → change event p50 | p99 | during a bulk load p50 / p99 | concurrent single-fact requests (200 in flight), micro-batched | one transaction each | bulk, two replicas (processes) writing (their CPU per fact) |`,
  '|---|---:|---:|---:|---:|---:|---:|',
);
for (const r of results) {
  table.push(
    `| ${r.store} | ${r.latency.p50.toFixed(1)} ms | ${r.latency.p99.toFixed(1)} ms | ${r.duringBulk.p50.toFixed(1)} / ${r.duringBulk.p99.toFixed(1)} ms (${r.duringBulk.count} facts) | ${rate(CONCURRENT, r.batchedMs)} facts/s | ${rate(UNBATCHED, r.unbatchedMs)} facts/s | ${r.replicas === null ? '—' : `${rate(2 * Math.floor(REPLICA_FACTS / 2), r.replicas.ms)} facts/s (${Math.round((r.replicas.cpuMs * 1000) / (2 * Math.floor(REPLICA_FACTS / 2)))} µs)`} |`,
  );
}
console.log(table.join('\n'));
