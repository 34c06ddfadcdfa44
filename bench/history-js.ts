/**
 * The JavaScript CPU of one history answer alone: `npm run bench`'s 30-day p50/p95 query per product and
 * Europe/Paris day, through the real runtime (`DataProductRuntime.history`: bucket plan, projection and
 * zone-day choice, reads per part, sketch decoding, merging into buckets, groups and totals, quantiles)
 * with the store's reads stubbed. The stub answers each `queryBuckets` with the raw rows DuckDB hands over
 * for that statement (a list of one stored sketch per product and whole Paris day, one hex string of the
 * hours per product for the two partial days) and decodes them with `DuckDbStore`'s own decoders. Its
 * stored sketches are filled as the bench's facts fill them at 100k and at 1M facts (22 and 222 order
 * values per product and day), so the difference between the two columns is what sketch fill costs the
 * query's JavaScript, away from DuckDB and from whatever else shares the machine's cores.
 *
 *   npm run bench:history-js                 # 200 rounds, both fills in alternation
 *   BENCH_ROUNDS=50 npm run bench:history-js
 *   npx tsx --cpu-prof --cpu-prof-dir=/tmp/prof bench/history-js.ts   # then bench/support/summariseCpuProfile.ts
 *
 * Prints the median and quartiles of process CPU per answer (the main thread: nothing else runs here).
 */
import { blobValue, listValue } from '@duckdb/node-api';
import { InProcessBus } from '../subgraphs/kit/bus/InProcessBus.js';
import { DataProductRuntime } from '../subgraphs/kit/DataProductRuntime.js';
import { QuantileSketch } from '../subgraphs/kit/sketches/QuantileSketch.js';
import { storedSketchList } from '../subgraphs/kit/store/duckDbBucketQuery.js';
import type { BucketQuery, Store } from '../subgraphs/kit/store/Store.js';
import { decodeBucketRows } from '../subgraphs/kit/store/storeInputs.js';
import { benchProduct } from './support/benchProduct.js';
import { benchFact } from './support/benchFact.js';
import { parisDayPercentilesRequest } from './support/parisDayPercentiles.js';
import { quantile } from './support/quantile.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 200);
/** Rounds run before any is counted (JIT). */
const WARM_UP = 10;
const DAY = 86_400_000;
const HOUR = 3_600_000;
const end = Math.floor(Date.now() / DAY) * DAY;
const PRODUCTS = Array.from({ length: 50 }, (_, i) => `p${String(i + 1).padStart(3, '0')}`);
/** The numeric columns of the bench product's `sales` rollup, as a bucket statement returns them. */
const COLUMNS = ['orders', 'cancellations', 'units', 'revenue'];

/** The stored bytes of a percentile sketch of `samples` order values, drawn as `benchFact` draws its orders. */
function storedSketch(samples: number): Uint8Array {
  const sketch = QuantileSketch.empty();
  for (let i = 0; i < samples; i++) {
    const { quantity, unitPrice } = benchFact(i, end).data;
    sketch.add(quantity * unitPrice); // the bench product's `order_value` (support/benchProduct.ts)
  }
  return sketch.encode();
}

/**
 * Reads as the DuckDB store answers them once settled, for `facts` bench facts spread over 90 days and 50
 * products: a day row per product holds facts / 4,500 values, an hour row facts / 108,000.
 */
function stubbedReads(facts: number): Store {
  const perDay = facts / (90 * PRODUCTS.length);
  const cells = new Map<string, unknown>();
  /** The raw cell of one product's part of one bucket: built once, handed over as the driver would each time. */
  const cell = (query: BucketQuery, bucket: number, product: string): unknown => {
    const hours = (query.boundaries[bucket + 1].getTime() - query.boundaries[bucket].getTime()) / HOUR;
    const key = `${query.rollup}:${query.grain}:${query.boundaries[bucket].getTime()}:${product}`;
    let made = cells.get(key);
    if (made === undefined) {
      // Whole days: one stored sketch, a list of one BLOB. Hours of a partial day: many stored rows per
      // group, one hex string (`string_agg(hex(...), ',')`, see store/duckDbBucketQuery.ts).
      made =
        query.grain === 'hour'
          ? Array.from({ length: hours }, () =>
              Buffer.from(storedSketch(Math.round(perDay / 24)))
                .toString('hex')
                .toUpperCase(),
            ).join(',')
          : [storedSketch(Math.round(perDay))];
      cells.set(key, made);
    }
    // node-api hands a list of BLOBs over as a list value of blob values, each BLOB copied out of DuckDB.
    return Array.isArray(made) ? listValue(made.map((bytes: Uint8Array) => blobValue(bytes.slice()))) : made;
  };
  const reads: Partial<Store> = {
    init: async () => {},
    close: async () => {},
    watermark: async () => null,
    async queryBuckets(query: BucketQuery) {
      const raw: unknown[][] = [];
      for (let bucket = 0; bucket + 1 < query.boundaries.length; bucket++) {
        for (const product of PRODUCTS) raw.push([bucket, product, 10, 0, 25, 1_000, cell(query, bucket, product)]);
      }
      const sketches = (query.sketches ?? []).map((column) => [column, 'ddsketch'] as [string, 'ddsketch']);
      return decodeBucketRows({ groupBy: query.groupBy, columns: COLUMNS, sketches }, raw, storedSketchList);
    },
  };
  return reads as Store;
}

const request = parisDayPercentilesRequest(end);

const sizes = [100_000, 1_000_000];
const runtimes = await Promise.all(
  sizes.map((facts) =>
    DataProductRuntime.start(benchProduct(), {
      store: stubbedReads(facts),
      bus: new InProcessBus({ retain: 10 }),
      latenessMs: 365 * DAY,
      retentionIntervalMs: 0,
    }),
  ),
);
const cpu: number[][] = sizes.map(() => []);
for (let round = 0; round < WARM_UP + ROUNDS; round++) {
  // Alternate which fill goes first, so neither always follows the other's garbage.
  for (const i of round % 2 === 0 ? [0, 1] : [1, 0]) {
    const before = process.cpuUsage();
    const answer = await runtimes[i].history('sales', request);
    const used = process.cpuUsage(before);
    if (!(Number(answer.total.order_value_p95) >= Number(answer.total.order_value_p50))) throw new Error('p95 below p50');
    if (answer.groups.length !== PRODUCTS.length) throw new Error(`${answer.groups.length} groups, expected ${PRODUCTS.length}`);
    // Every bucket of every group answers from its sketch: a read the stub got wrong would leave them null.
    if (answer.groups.some((group) => group.buckets.some((bucket) => bucket.values.order_value_p50 === null))) throw new Error('a bucket without percentiles');
    if (round >= WARM_UP) cpu[i].push((used.user + used.system) / 1000);
  }
  if ((round + 1) % 50 === 0) console.error(`  ${round + 1}/${WARM_UP + ROUNDS} rounds`);
}
await Promise.all(runtimes.map((runtime) => runtime.close()));

console.log('| sketch fill as at | JS CPU per answer, median | quartiles |');
console.log('|---|---:|---:|');
sizes.forEach((facts, i) =>
  console.log(
    `| ${facts.toLocaleString('en')} facts | ${quantile(cpu[i], 0.5).toFixed(2)} ms | ${quantile(cpu[i], 0.25).toFixed(2)}–${quantile(cpu[i], 0.75).toFixed(2)} ms |`,
  ),
);
console.log(`growth ×10 facts: ${(quantile(cpu[1], 0.5) / quantile(cpu[0], 0.5)).toFixed(2)}×`);
