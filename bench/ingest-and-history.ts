/**
 * Benchmark: ingest ≥ 1,000,000 facts into one domain (orders) through the real ingestion path
 * (validation, dedupe, one transaction per batch, rollups), and time a 90-day DAY history query.
 *
 * Baseline in the same run: the same DAY aggregation computed by scanning the raw facts table (what a
 * product without rollups would do). The history query must stay flat as facts grow 10×; the raw scan
 * grows with facts.
 *
 *   npm run bench                     # 100k then 1M facts
 *   BENCH_FACTS=2000000 npm run bench # larger final size
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { InProcessBus } from '../subgraphs/kit/bus/InProcessBus.js';
import { DataProductRuntime } from '../subgraphs/kit/DataProductRuntime.js';
import { loadTypeDefs } from '../subgraphs/kit/graphql/loadTypeDefs.js';
import { DuckDbStore } from '../subgraphs/kit/store/DuckDbStore.js';
import { ordersProduct } from '../subgraphs/orders/ordersProduct.js';
import { benchProgress } from './benchProgress.js';

const FINAL = Number(process.env.BENCH_FACTS ?? 1_000_000);
const FIRST = Math.round(FINAL / 10);
const BATCH = 5_000;
const DAY = 86_400_000;
const end = Math.floor(Date.now() / DAY) * DAY;
const start = end - 90 * DAY;
const regions = ['eu', 'na', 'apac', 'latam'];
const channels = ['web', 'mobile', 'store', 'partner'] as const;

/** Deterministic xorshift so runs are comparable. */
let state = 0x9e3779b9;
const random = () => {
  state ^= state << 13;
  state ^= state >>> 17;
  state ^= state << 5;
  return (state >>> 0) / 4294967296;
};

function fact(n: number) {
  const time = new Date(start + Math.floor(random() * 90 * DAY)).toISOString();
  return {
    specversion: '1.0',
    id: `bench-${n}`,
    source: 'urn:bench',
    type: 'OrderPlaced',
    time,
    data: {
      orderId: `o${n}`,
      productId: `p${String(1 + Math.floor(random() * 50)).padStart(3, '0')}`,
      quantity: 1 + Math.floor(random() * 5),
      unitPrice: Math.round(random() * 20000) / 100,
      region: regions[Math.floor(random() * regions.length)],
      channel: channels[Math.floor(random() * channels.length)],
      customerEmail: `c${n % 5000}@example.com`,
    },
  };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function timeHistory(runtime: DataProductRuntime, runs = 15): Promise<{ ms: number; orders: number }> {
  const request = { range: { from: new Date(start), to: new Date(end) }, granularity: 'DAY' as const };
  let orders = 0;
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    const result = await runtime.history('sales', request);
    times.push(performance.now() - t);
    orders = Number(result.total.orders);
  }
  return { ms: median(times), orders };
}

async function timeRawScan(file: string, runs = 5): Promise<{ ms: number; orders: number; rollupRows: number }> {
  const instance = await DuckDBInstance.create(file);
  const connection = await instance.connect();
  const sql = `SELECT date_trunc('day', time) AS day, count(*) AS orders, sum(CAST(json_extract(data, '$.quantity') AS DOUBLE)) AS units
               FROM facts WHERE type = 'OrderPlaced' AND time >= epoch_ms(${start}) AND time < epoch_ms(${end}) GROUP BY 1`;
  const times: number[] = [];
  let orders = 0;
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    const rows = (await connection.runAndReadAll(sql)).getRowObjectsJson();
    times.push(performance.now() - t);
    orders = rows.reduce((s, r) => s + Number(r.orders), 0);
  }
  const rollupRows = Number((await connection.runAndReadAll('SELECT count(*) AS n FROM rollup_sales_hour')).getRowObjectsJson()[0].n);
  connection.closeSync();
  instance.closeSync();
  return { ms: median(times), orders, rollupRows };
}

async function open(file: string) {
  const store = await DuckDbStore.open({ path: file });
  return DataProductRuntime.start(ordersProduct(loadTypeDefs(path.resolve('schema'), 'orders')), {
    store,
    bus: new InProcessBus({ retain: 1000 }),
    latenessMs: 365 * DAY,
  });
}

async function ingest(runtime: DataProductRuntime, from: number, to: number): Promise<number> {
  const t = performance.now();
  const progress = benchProgress(`ingesting facts ${from}–${to}`, to - from);
  for (let n = from; n < to; n += BATCH) {
    const batch = Array.from({ length: Math.min(BATCH, to - n) }, (_, i) => fact(n + i));
    const report = await runtime.ingest(batch);
    if (report.applied !== batch.length) throw new Error(`batch at ${n}: ${JSON.stringify(report.events.find((e) => e.status !== 'applied'))}`);
    progress(n + batch.length - from);
  }
  return ((to - from) / (performance.now() - t)) * 1000;
}

const dir = mkdtempSync(path.join(tmpdir(), 'mesh-bench-'));
const file = path.join(dir, 'orders.duckdb');
try {
  console.log(`orders domain, DuckDB file, batches of ${BATCH}; facts over 90 days, 50 products × 4 regions × 4 channels`);
  const rows: string[] = [];
  let runtime = await open(file);
  const rate1 = await ingest(runtime, 0, FIRST);
  const h1 = await timeHistory(runtime);
  await runtime.close();
  const raw1 = await timeRawScan(file);
  runtime = await open(file);
  const rate2 = await ingest(runtime, FIRST, FINAL);
  const h2 = await timeHistory(runtime);
  await runtime.close();
  const raw2 = await timeRawScan(file);
  if (h1.orders !== raw1.orders || h2.orders !== raw2.orders)
    throw new Error(`rollups disagree with raw facts: ${h1.orders}/${raw1.orders}, ${h2.orders}/${raw2.orders}`);
  rows.push('| facts | ingest facts/s | 90-day DAY history (rollups), median | raw-fact scan baseline, median | hour rollup rows |');
  rows.push('|---:|---:|---:|---:|---:|');
  rows.push(
    `| ${FIRST.toLocaleString('en')} | ${Math.round(rate1).toLocaleString('en')} | ${h1.ms.toFixed(1)} ms | ${raw1.ms.toFixed(1)} ms | ${raw1.rollupRows.toLocaleString('en')} |`,
  );
  rows.push(
    `| ${FINAL.toLocaleString('en')} | ${Math.round(rate2).toLocaleString('en')} | ${h2.ms.toFixed(1)} ms | ${raw2.ms.toFixed(1)} ms | ${raw2.rollupRows.toLocaleString('en')} |`,
  );
  console.log(rows.join('\n'));
  console.log(`\nfacts grew ${(FINAL / FIRST).toFixed(0)}×: history query ×${(h2.ms / h1.ms).toFixed(2)}, raw scan ×${(raw2.ms / raw1.ms).toFixed(2)}`);
  console.log(`history totals match a raw-fact count at both sizes (${h1.orders.toLocaleString('en')} and ${h2.orders.toLocaleString('en')} orders)`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
