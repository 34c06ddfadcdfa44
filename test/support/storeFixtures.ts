/**
 * Fixtures of the store contract suites: an `orders` layout, facts, projectors and a reference
 * aggregation, shared by the contract suite, the repair suite and the implementation-specific tests.
 */
import type { BucketQuery, BucketRow, Projector, RollupDelta, StoreLayout, StoredFact, StoredGrain } from '../../subgraphs/kit/store/Store.js';
import { DistinctSketch } from '../../subgraphs/kit/sketches/DistinctSketch.js';
import { QuantileSketch } from '../../subgraphs/kit/sketches/QuantileSketch.js';

export const T0 = Date.UTC(2024, 2, 1); // a Friday, 00:00 UTC
export const MINUTE = 60_000;
export const HOUR = 3_600_000;

export const LAYOUT: StoreLayout = {
  rollups: [{ name: 'orders', dimensions: ['region', 'channel'], columns: { amount: 'sum', count: 'sum', low: 'min', high: 'max' } }],
  states: ['stock'],
};

export interface OrderData {
  region: string;
  channel: string;
  product: string;
  amount: number;
}

export function order(id: string, atMs: number, data: Partial<OrderData> = {}): StoredFact {
  const full: OrderData = { region: 'eu', channel: 'web', product: 'p1', amount: 10, ...data };
  return { source: 'shop', id, type: 'OrderPlaced', time: new Date(atMs), data: { ...full } };
}

export const DAY = 86_400_000;

const truncate = (ms: number, grain: StoredGrain) => new Date(ms - (ms % (grain === 'minute' ? MINUTE : grain === 'hour' ? HOUR : DAY)));

/** What one order contributes at one grain; the tests compute expectations from these very deltas. */
export function orderDeltas(fact: StoredFact): RollupDelta[] {
  const { region, channel, amount } = fact.data as unknown as OrderData;
  return (['minute', 'hour', 'day'] as const).map((grain) => ({
    rollup: 'orders',
    grain,
    bucket: truncate(fact.time.getTime(), grain),
    dims: { region, channel },
    values: { amount, count: 1, low: amount, high: amount },
  }));
}

/** Orders project into rollup deltas and a running per-product count read through the StateReader. */
export const projectOrders: Projector = async (facts, states) => {
  const productOf = (fact: StoredFact) => (fact.data as unknown as OrderData).product;
  const products = [...new Set(facts.map(productOf))];
  const current = await states.read('stock', products);
  const counts = new Map(products.map((p) => [p, Number(current.get(p)?.sold ?? 0)]));
  for (const fact of facts) counts.set(productOf(fact), counts.get(productOf(fact))! + 1);
  return {
    deltas: facts.flatMap(orderDeltas),
    states: [...counts].map(([key, sold]) => ({ state: 'stock', key, value: { sold, status: sold > 2 ? 'hot' : 'cold' }, updatedAt: facts.at(-1)!.time })),
  };
};

/** A projector that writes exactly the given deltas (and records what it was called with). */
export function deltasProjector(deltas: RollupDelta[], calls: StoredFact[][] = []): Projector {
  return async (facts) => {
    calls.push(facts);
    return { deltas, states: [] };
  };
}

export function delta(bucketMs: number, values: Record<string, number>, dims: Record<string, string> = { region: 'eu', channel: 'web' }): RollupDelta {
  return { rollup: 'orders', grain: 'minute', bucket: new Date(bucketMs), dims, values };
}

/**
 * A fact's minute delta of a rollup with sketch columns `buyers` (hll) and `amounts` (ddsketch): count 1,
 * one buyer and one amount in its sketches.
 */
export function sketchDelta(fact: StoredFact, dims: Record<string, string>, buyer: string, amount: number): RollupDelta {
  const buyers = new DistinctSketch();
  buyers.add(buyer);
  const amounts = QuantileSketch.empty();
  amounts.add(amount);
  const time = fact.time.getTime();
  return { rollup: 'orders', grain: 'minute', bucket: new Date(time - (time % MINUTE)), dims, values: { count: 1 }, sketches: { buyers, amounts } };
}

export function query(boundariesMs: number[], extra: Partial<BucketQuery> = {}): BucketQuery {
  return { rollup: 'orders', grain: 'minute', boundaries: boundariesMs.map((ms) => new Date(ms)), groupBy: [], filter: {}, ...extra };
}

/** Independent reference: aggregates raw deltas into the query's buckets in plain JS. */
export function expectedRows(deltas: RollupDelta[], q: BucketQuery): BucketRow[] {
  const rows = new Map<string, BucketRow>();
  for (const d of deltas) {
    if (d.grain !== q.grain) continue;
    const t = d.bucket.getTime();
    const index = q.boundaries.findIndex((b, i) => i + 1 < q.boundaries.length && t >= b.getTime() && t < q.boundaries[i + 1].getTime());
    if (index < 0) continue;
    if (Object.entries(q.filter).some(([dim, values]) => !values.includes(d.dims[dim] ?? ''))) continue;
    const group = Object.fromEntries(q.groupBy.map((dim) => [dim, d.dims[dim] ?? '']));
    const key = JSON.stringify([index, group]);
    const row = rows.get(key) ?? { bucket: index, group, values: { amount: 0, count: 0, low: null, high: null } };
    const v = row.values;
    v.amount! += d.values.amount ?? 0;
    v.count! += d.values.count ?? 0;
    if (d.values.low !== undefined) v.low = v.low === null ? d.values.low : Math.min(v.low, d.values.low);
    if (d.values.high !== undefined) v.high = v.high === null ? d.values.high : Math.max(v.high, d.values.high);
    rows.set(key, row);
  }
  return sortRows([...rows.values()]);
}

export function sortRows(rows: BucketRow[]): BucketRow[] {
  return [...rows].sort((a, b) => a.bucket - b.bucket || JSON.stringify(a.group).localeCompare(JSON.stringify(b.group)));
}

/** Deterministic pseudo-random numbers (mulberry32), so failures reproduce. */
export function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
