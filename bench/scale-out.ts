/**
 * Benchmark: the orders data product on the embedded adapters (DuckDB file + in-process bus) and on the
 * scale-out adapters (PostgreSQL + NATS JetStream), same facts, same code (docs/architecture.md "Scale-out").
 *
 * - Ingestion: `BENCH_FACTS` OrderPlaced facts (default 50,000, over the last 24 hours) through
 *   `DataProductRuntime.ingest` in batches of 1,000: validation, dedupe, one store transaction per batch,
 *   rollups, and the change events of every batch published (awaited) on the bus.
 * - Event→subscriber latency: `BENCH_LATENCY_FACTS` single facts (default 300) at `BENCH_RATE` facts/s
 *   (default 50), each `runtime.ingest([fact])`; measured from just before that call to the arrival of
 *   the fact's bucket event (a) at a bus subscriber (`runtime.bucketUpdates`) and (b) at a graphql-ws
 *   client of the subgraph (`orderBucketUpdated`, which also reads the bucket from the store).
 *
 * The PostgreSQL run uses a schema of its own (`mesh_bench_<random>`) and the JetStream run a domain of
 * its own (stream `MESH_BENCH_<RANDOM>`), both removed at the end, so it never touches `mesh_orders` or
 * `MESH_ORDERS`. Servers: `MESH_BENCH_POSTGRES_URL` (default postgres://postgres@127.0.0.1:5432/test) and
 * `MESH_BENCH_NATS_URL` (default nats://127.0.0.1:4222); without them only the embedded run is made.
 *
 *   npm run bench:scale-out
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { createClient } from 'graphql-ws';
import pg from 'pg';
import WebSocket from 'ws';
import type { Bus } from '../subgraphs/kit/bus/Bus.js';
import { InProcessBus } from '../subgraphs/kit/bus/InProcessBus.js';
import { JetStreamBus } from '../subgraphs/kit/bus/JetStreamBus.js';
import { DataProductRuntime } from '../subgraphs/kit/DataProductRuntime.js';
import { loadTypeDefs } from '../subgraphs/kit/graphql/loadTypeDefs.js';
import { serveDataProduct } from '../subgraphs/kit/serveDataProduct.js';
import { DuckDbStore } from '../subgraphs/kit/store/DuckDbStore.js';
import { PostgresStore } from '../subgraphs/kit/store/PostgresStore.js';
import type { Store } from '../subgraphs/kit/store/Store.js';
import { ordersProduct } from '../subgraphs/orders/ordersProduct.js';
import { benchProgress } from './benchProgress.js';

const FACTS = Number(process.env.BENCH_FACTS ?? 50_000);
const BATCH = 1_000;
const LATENCY_FACTS = Number(process.env.BENCH_LATENCY_FACTS ?? 300);
const RATE = Number(process.env.BENCH_RATE ?? 50);
const POSTGRES_URL = process.env.MESH_BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const NATS_URL = process.env.MESH_BENCH_NATS_URL ?? 'nats://127.0.0.1:4222';
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const regions = ['eu', 'na', 'apac', 'latam'];
const channels = ['web', 'mobile', 'store', 'partner'] as const;

/** What one configuration is made of, and how to remove what it created. */
interface Setup {
  name: string;
  store: Store;
  bus: Bus;
  domain: string;
  cleanup(): Promise<void>;
}

interface Result {
  name: string;
  factsPerSecond: number;
  busLatency: number[];
  wsLatency: number[];
}

/** Deterministic xorshift so runs are comparable. */
function randomSource(seed: number) {
  let state = seed;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 4294967296;
  };
}

function orderFact(n: number, time: Date, random: () => number, productId = `p${String(1 + Math.floor(random() * 50)).padStart(3, '0')}`) {
  return {
    specversion: '1.0',
    id: `bench-${n}`,
    source: 'urn:bench:scale-out',
    type: 'OrderPlaced',
    time: time.toISOString(),
    data: {
      orderId: `o${n}`,
      productId,
      quantity: 1 + Math.floor(random() * 5),
      unitPrice: Math.round(random() * 20000) / 100,
      region: regions[Math.floor(random() * regions.length)],
      channel: channels[Math.floor(random() * channels.length)],
      customerEmail: `c${n % 5000}@example.com`,
    },
  };
}

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
};
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function embedded(dir: string): Promise<Setup> {
  const store = await DuckDbStore.open({ path: path.join(dir, 'orders.duckdb') });
  return { name: 'embedded: DuckDB file + in-process bus', store, bus: new InProcessBus({ retain: 1_000 }), domain: 'orders', cleanup: async () => {} };
}

async function scaledOut(): Promise<Setup> {
  const suffix = randomBytes(4).toString('hex');
  const schema = `mesh_bench_${suffix}`;
  // A domain of its own: its subjects (`mesh.<domain>.>`) and stream never meet the demo's.
  const domain = `bench_${suffix}`;
  const store = await PostgresStore.open({ url: POSTGRES_URL, schema });
  const bus = await JetStreamBus.connect({ servers: NATS_URL, domain });
  return {
    name: 'scale-out: PostgreSQL + NATS JetStream',
    store,
    bus,
    domain,
    async cleanup() {
      const client = new pg.Client({ connectionString: POSTGRES_URL });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS ${pg.escapeIdentifier(schema)} CASCADE`).finally(() => client.end());
      const connection = await connect({ servers: NATS_URL });
      await (await jetstreamManager(connection)).streams.delete(bus.stream).finally(() => connection.close());
    },
  };
}

/** Whether PostgreSQL and NATS answer (the scale-out run needs both). */
async function serversAvailable(): Promise<string | null> {
  const client = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
  } catch (error) {
    return `PostgreSQL at ${POSTGRES_URL}: ${(error as Error).message}`;
  } finally {
    await client.end().catch(() => {});
  }
  try {
    const connection = await connect({ servers: NATS_URL, timeout: 2000 });
    await jetstreamManager(connection);
    await connection.close();
  } catch (error) {
    return `NATS JetStream at ${NATS_URL}: ${(error as Error).message}`;
  }
  return null;
}

async function run(setup: Setup): Promise<Result> {
  const base = ordersProduct(loadTypeDefs(path.resolve('schema'), 'orders'));
  const definition = { ...base, descriptor: { ...base.descriptor, domain: setup.domain } };
  const runtime = await DataProductRuntime.start(definition, { store: setup.store, bus: setup.bus, latenessMs: 2 * 24 * HOUR });
  const served = await serveDataProduct(runtime, { port: 0 });
  const ws = createClient({ url: served.wsUrl, webSocketImpl: WebSocket, retryAttempts: 0 });
  try {
    // Ingestion: facts spread over the last 24 hours, in batches.
    const random = randomSource(0x9e3779b9);
    const now = Date.now();
    const started = performance.now();
    const progress = benchProgress('ingesting', FACTS);
    for (let n = 0; n < FACTS; n += BATCH) {
      const batch = Array.from({ length: Math.min(BATCH, FACTS - n) }, (_, i) =>
        orderFact(n + i, new Date(now - 24 * HOUR + Math.floor(random() * 23 * HOUR)), random),
      );
      const report = await runtime.ingest(batch);
      if (report.applied !== batch.length) throw new Error(`batch at ${n}: ${JSON.stringify(report.events.find((e) => e.status !== 'applied'))}`);
      progress(n + batch.length);
    }
    const factsPerSecond = (FACTS / (performance.now() - started)) * 1000;

    // Latency: each single fact is for a product of its own, so its bucket event names it.
    const arrivals = { bus: new Map<string, number>(), ws: new Map<string, number>() };
    const busEvents = runtime.bucketUpdates('sales');
    const busReader = (async () => {
      for await (const message of busEvents) arrivals.bus.set(message.data.dims.product_id, performance.now());
    })();
    const wsDone = new Promise<void>((resolve, reject) => {
      ws.subscribe<{ orderBucketUpdated: { product: { id: string } } }>(
        { query: 'subscription { orderBucketUpdated(granularity: MINUTE) { cursor product { id } } }' },
        { next: ({ data }) => void (data && arrivals.ws.set(data.orderBucketUpdated.product.id, performance.now())), error: reject, complete: resolve },
      );
    });
    wsDone.catch((error: unknown) => console.error('graphql-ws subscription failed', error));
    let n = FACTS;
    const latencyFact = (productId: string) => orderFact(++n, new Date(Date.now() - 1_000), random, productId);
    // Subscriptions become live asynchronously (a JetStream consumer, a websocket): warm up until both see events.
    for (let i = 0; !(arrivals.bus.has(`warm-${i - 1}`) && arrivals.ws.has(`warm-${i - 1}`)); i += 1) {
      if (i > 200) throw new Error('the subscribers never received a warm-up event');
      await runtime.ingest([latencyFact(`warm-${i}`)]);
      await sleep(50);
    }
    const sentAt = new Map<string, number>();
    const interval = 1000 / RATE;
    const first = performance.now();
    for (let i = 0; i < LATENCY_FACTS; i += 1) {
      const id = `lat-${i}`;
      const wait = first + i * interval - performance.now();
      if (wait > 0) await sleep(wait);
      sentAt.set(id, performance.now());
      await runtime.ingest([latencyFact(id)]);
    }
    const deadline = Date.now() + 30_000;
    while ([...sentAt.keys()].some((id) => !arrivals.bus.has(id) || !arrivals.ws.has(id))) {
      if (Date.now() > deadline) throw new Error('some latency events never arrived');
      await sleep(10);
    }
    await busEvents.return?.();
    await busReader;
    const latencies = (seen: Map<string, number>) => [...sentAt].map(([id, at]) => seen.get(id)! - at);
    return { name: setup.name, factsPerSecond, busLatency: latencies(arrivals.bus), wsLatency: latencies(arrivals.ws) };
  } finally {
    await ws.dispose();
    await served.close();
    await runtime.close();
  }
}

const dir = mkdtempSync(path.join(tmpdir(), 'mesh-bench-scale-out-'));
const results: Result[] = [];
try {
  results.push(await run(await embedded(dir)));
  const missing = await serversAvailable();
  if (missing) {
    console.warn(`⚠ skipping the scale-out run: ${missing}`);
  } else {
    const setup = await scaledOut();
    try {
      results.push(await run(setup));
    } finally {
      await setup.cleanup();
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

const ms = (value: number) => `${value.toFixed(1)} ms`;
console.log(
  `orders domain; ${FACTS.toLocaleString('en')} facts ingested with DataProductRuntime.ingest in batches of ${BATCH.toLocaleString('en')}; latency over ${LATENCY_FACTS} single facts at ${RATE}/s, from the ingest call to the bucket event's arrival\n`,
);
console.log('| configuration | ingestion (facts/s) | bus subscriber p50 | bus subscriber p99 | graphql-ws subscriber p50 | graphql-ws subscriber p99 |');
console.log('|---|---:|---:|---:|---:|---:|');
for (const r of results) {
  console.log(
    `| ${r.name} | ${Math.round(r.factsPerSecond).toLocaleString('en')} | ${ms(percentile(r.busLatency, 50))} | ${ms(percentile(r.busLatency, 99))} | ${ms(percentile(r.wsLatency, 50))} | ${ms(percentile(r.wsLatency, 99))} |`,
  );
}
console.log(
  `\nnode ${process.version}; bus subscriber = runtime.bucketUpdates('sales'); graphql-ws subscriber = the subgraph's orderBucketUpdated over a websocket (resolves the bucket from the store)`,
);
