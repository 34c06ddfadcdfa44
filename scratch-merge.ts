import { mergeRollupDeltas } from './subgraphs/kit/store/mergeRollupDeltas.js';
import type { RollupDelta } from './subgraphs/kit/store/Store.js';
const layout = { name: 'orders', dimensions: ['region', 'product', 'channel'], columns: { amount: 'sum', count: 'sum', max_amount: 'max' } } as const;
const layouts = new Map([['orders', layout as any]]);
const start = Date.UTC(2024, 0, 1); const trunc = (t: number, ms: number) => new Date(Math.floor(t / ms) * ms);
const deltas: RollupDelta[] = [];
for (let i = 0; i < 100_000; i++) { const t = start + i * 78_000; const dims = { region: 'r' + (i % 5), product: 'p' + (i % 50), channel: 'c' + (i % 3) }; const values = { amount: i % 100, count: 1, max_amount: i % 100 };
  deltas.push({ rollup: 'orders', grain: 'minute', bucket: trunc(t, 60_000), dims, values }, { rollup: 'orders', grain: 'hour', bucket: trunc(t, 3_600_000), dims, values }); }
for (let k = 0; k < 5; k++) { const t0 = performance.now(); for (let o = 0; o < deltas.length; o += 10000) mergeRollupDeltas(deltas.slice(o, o + 10000), layouts); console.log('merge 200k deltas ms', (performance.now() - t0).toFixed(0)); }
