import { DuckDbStore } from './subgraphs/kit/store/DuckDbStore.js';
import type { Projector, StoredFact, RollupDelta } from './subgraphs/kit/store/Store.js';
const N = Number(process.env.N ?? 100_000), B = Number(process.env.B ?? 5000);
const path = process.env.DB ?? ':memory:';
const store = await DuckDbStore.open({ path });
await store.init({ rollups: [{ name: 'orders', dimensions: ['region', 'product', 'channel'], columns: { amount: 'sum', count: 'sum', max_amount: 'max' } }], states: ['stock'] });
const start = Date.UTC(2024, 0, 1);
const facts: StoredFact[] = Array.from({ length: N }, (_, i) => ({ source: 'bench', id: 'o' + i, type: 'OrderPlaced', time: new Date(start + i * 78_000), data: { region: 'r' + (i % 5), product: 'p' + (i % 50), channel: 'c' + (i % 3), amount: (i % 100) + 0.5 } }));
const trunc = (t: Date, ms: number) => new Date(Math.floor(t.getTime() / ms) * ms);
const project: Projector = async (fs, states) => {
  const deltas: RollupDelta[] = [];
  for (const f of fs) { const d = f.data as any; const dims = { region: d.region, product: d.product, channel: d.channel }; const values = { amount: d.amount, count: 1, max_amount: d.amount };
    deltas.push({ rollup: 'orders', grain: 'minute', bucket: trunc(f.time, 60_000), dims, values }, { rollup: 'orders', grain: 'hour', bucket: trunc(f.time, 3_600_000), dims, values }); }
  const keys = [...new Set(fs.map((f) => (f.data as any).product))];
  const current = await states.read('stock', keys);
  return { deltas, states: keys.map((k) => ({ state: 'stock', key: k, value: { n: ((current.get(k)?.n as number) ?? 0) + 1 }, updatedAt: fs[fs.length - 1].time })) };
};
const t0 = performance.now();
for (let o = 0; o < N; o += B) await store.apply(facts.slice(o, o + B), project);
const dt = performance.now() - t0;
console.log(`${N} facts in batches of ${B}: ${(dt / 1000).toFixed(2)}s = ${Math.round(N / dt * 1000)} facts/s; count=${await store.factCount()}`);
const t1 = performance.now(); const dup = await store.apply(facts.slice(0, B), project); console.log('dup batch ms', (performance.now() - t1).toFixed(1), dup.duplicates.length);
for (const [grain, step] of [['hour', 86_400_000], ['hour', -1], ['minute', 3_600_000], ['minute', 60_000]] as const) {
  const boundaries = Array.from({ length: 91 }, (_, i) => new Date(start + i * (step > 0 ? step : 86_400_000) + (step < 0 && i > 45 ? 3_600_000 : 0)));
  for (const groupBy of [[], ['region']]) {
    const times: number[] = []; let rows = 0;
    for (let k = 0; k < 5; k++) { const q0 = performance.now(); rows = (await store.queryBuckets({ rollup: 'orders', grain, boundaries, groupBy, filter: {} })).length; times.push(performance.now() - q0); }
    console.log(`90 buckets of ${step / 60000} min from ${grain}, groupBy=${groupBy}: rows=${rows} ms=${times.map((t) => t.toFixed(1)).join(',')}`);
  }
}
await store.close();
