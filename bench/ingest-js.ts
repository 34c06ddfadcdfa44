/**
 * The JavaScript CPU of bulk ingestion alone: the orders product (with the `order_value` percentiles
 * measure `npm run bench` adds) through the real runtime path (micro-batcher, validation, derived-measure
 * check, projection into rollup deltas, state fold, change events on an in-process bus) with the store
 * stubbed out. The stub does what both stores do in JavaScript before their drivers take over: it drops
 * duplicate keys, calls the projector as `DuckDbStore` does (finest grains only, no stored state), and
 * turns what it would write into the values a driver takes (facts' and states' JSON text, sketch bytes).
 * So the figure is the part of README "Benchmarks"' CPU per fact that no database change can remove.
 *
 *   npm run bench:ingest-js                      # 100k facts over 90 days, batches of 5,000
 *   BENCH_FACTS=20000 npm run bench:ingest-js
 *   npx tsx --cpu-prof --cpu-prof-dir=/tmp/prof bench/ingest-js.ts   # then bench/support/summariseCpuProfile.ts
 *
 * Prints µs of process CPU per fact (the main thread: nothing else runs here) and the share of it spent
 * in garbage collection (V8's `gc` performance entries), per slice of batches and overall.
 */
import path from 'node:path';
import { PerformanceObserver } from 'node:perf_hooks';
import { InProcessBus } from '../subgraphs/kit/bus/InProcessBus.js';
import { DataProductRuntime } from '../subgraphs/kit/DataProductRuntime.js';
import { loadTypeDefs } from '../subgraphs/kit/graphql/loadTypeDefs.js';
import type { ApplyResult, Projector, StateReader, Store, StoredFact } from '../subgraphs/kit/store/Store.js';
import { ordersProduct } from '../subgraphs/orders/ordersProduct.js';
import { benchFact } from './support/benchFact.js';
import { benchProduct } from './support/benchProduct.js';

const FACTS = Number(process.env.BENCH_FACTS ?? 100_000);
const BATCH = 5_000;
const DAY = 86_400_000;

/** A store that keeps nothing but fact keys and the latest fact time; see the file comment. */
function stubStore(): Store {
  const keys = new Set<string>();
  let watermark: Date | null = null;
  const reader: StateReader = { read: async () => new Map(), rows: async () => new Map() };
  const stub: Partial<Store> = {
    init: async () => {},
    close: async () => {},
    watermark: async () => watermark,
    recordDeadLetter: async () => {},
    async apply(facts: StoredFact[], project: Projector): Promise<ApplyResult> {
      const applied: StoredFact[] = [];
      const duplicates: StoredFact[] = [];
      for (const fact of facts) {
        const key = `${fact.source}\u0000${fact.id}`;
        if (keys.has(key)) duplicates.push(fact);
        else {
          keys.add(key);
          applied.push(fact);
        }
      }
      const projection = await project(applied, reader, { finestGrainOnly: true });
      // What the drivers would be handed: JSON text for facts and states, bytes for sketches.
      let bytes = 0;
      for (const fact of applied) {
        bytes += JSON.stringify(fact.data).length;
        if (watermark === null || fact.time > watermark) watermark = fact.time;
      }
      for (const write of projection.states) bytes += JSON.stringify(write.value).length;
      for (const delta of projection.deltas) for (const column in delta.sketches) bytes += delta.sketches[column].encode().length;
      if (bytes < 0) throw new Error('unreachable');
      return { applied, duplicates, projection };
    },
  };
  return stub as Store;
}

const product = process.env.BENCH_PLAIN_ORDERS ? ordersProduct(loadTypeDefs(path.resolve('schema'), 'orders')) : benchProduct();
const runtime = await DataProductRuntime.start(product, {
  store: stubStore(),
  bus: new InProcessBus({ retain: 10 }),
  latenessMs: 365 * DAY,
  retentionIntervalMs: 0,
});

let gcMs = 0;
const observer = new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) gcMs += entry.duration;
});
observer.observe({ entryTypes: ['gc'] });

const end = Math.floor(Date.now() / DAY) * DAY;
const batch = (from: number) => Array.from({ length: BATCH }, (_, i) => benchFact(from + i, end));
const ingest = async (events: unknown[]) => {
  const report = await runtime.ingest(events);
  if (report.applied !== events.length) throw new Error(`a batch was not applied whole: ${JSON.stringify(report.events.find((e) => e.status !== 'applied'))}`);
};

// Warm-up (JIT, caches), not counted.
for (let n = 0; n < 2 * BATCH; n += BATCH) await ingest(batch(-1_000_000 + n));
await new Promise((resolve) => setImmediate(resolve));
gcMs = 0;

let cpuUs = 0;
let sliceCpuUs = 0;
let sliceGcMs = 0;
let sliceFacts = 0;
const wall = performance.now();
for (let n = 0; n < FACTS; n += BATCH) {
  const events = batch(n);
  const cpu = process.cpuUsage();
  await ingest(events);
  const used = process.cpuUsage(cpu);
  cpuUs += used.user + used.system;
  sliceCpuUs += used.user + used.system;
  sliceFacts += events.length;
  if (sliceFacts >= 20_000 || n + BATCH >= FACTS) {
    // gc entries arrive asynchronously: let the observer catch up before reading its sum.
    await new Promise((resolve) => setImmediate(resolve));
    console.error(
      `  ${n + BATCH}/${FACTS} facts: ${(sliceCpuUs / sliceFacts).toFixed(1)} µs CPU per fact, GC ${((((gcMs - sliceGcMs) * 1000) / sliceCpuUs) * 100).toFixed(0)} %`,
    );
    sliceCpuUs = 0;
    sliceFacts = 0;
    sliceGcMs = gcMs;
  }
}
const wallMs = performance.now() - wall;
observer.disconnect();
await runtime.close();
console.log(
  `JS ingestion path, ${FACTS.toLocaleString('en')} facts in batches of ${BATCH.toLocaleString('en')}, store stubbed: ` +
    `${(cpuUs / FACTS).toFixed(1)} µs CPU per fact, GC ${(((gcMs * 1000) / cpuUs) * 100).toFixed(0)} % of it, ` +
    `${Math.round((FACTS / wallMs) * 1000).toLocaleString('en')} facts/s wall`,
);
