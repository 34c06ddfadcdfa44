import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
const origCreate = DuckDBInstance.create.bind(DuckDBInstance);
(DuckDBInstance as any).create = (p: string, o: any = {}) => origCreate(p, { ...o, ...(process.env.CKPT ? { checkpoint_threshold: process.env.CKPT } : {}) });
import { InProcessBus } from '../subgraphs/kit/bus/InProcessBus.js';
import { DataProductRuntime } from '../subgraphs/kit/DataProductRuntime.js';
import { loadTypeDefs } from '../subgraphs/kit/graphql/loadTypeDefs.js';
import { DuckDbStore } from '../subgraphs/kit/store/DuckDbStore.js';
import { ordersProduct } from '../subgraphs/orders/ordersProduct.js';

const stats = new Map<string, { n: number; ms: number }>();
let on = false;
const orig = DuckDBConnection.prototype.run;
DuckDBConnection.prototype.run = async function (this: DuckDBConnection, sql: string, ...rest: unknown[]) {
  const t = performance.now();
  try { return await (orig as any).call(this, sql, ...rest); } finally {
    if (on && sql === "COMMIT" && process.env.SHOWC) console.log("commit", (performance.now() - t).toFixed(0)); if (on) { const k = sql.replace(/\s+/g, ' ').slice(0, 90); const s = stats.get(k) ?? { n: 0, ms: 0 }; s.n++; s.ms += performance.now() - t; stats.set(k, s); }
  }
} as any;
const origApp = DuckDBConnection.prototype.createAppender;
DuckDBConnection.prototype.createAppender = async function (this: any, ...a: any[]) {
  const t = performance.now(); const app = await (origApp as any).apply(this, a);
  const close = app.closeSync.bind(app); const t0 = performance.now();
  if (on) { const s = stats.get('createAppender ' + a[0]) ?? { n: 0, ms: 0 }; s.n++; s.ms += t0 - t; stats.set('createAppender ' + a[0], s); }
  app.closeSync = () => { const t1 = performance.now(); close(); if (on) { const k='appender life+close '+a[0]; const s = stats.get(k) ?? { n: 0, ms: 0 }; s.n++; s.ms += performance.now() - t0; stats.set(k, s);} };
  return app;
} as any;

const DAY = 86_400_000; const end = Math.floor(Date.now() / DAY) * DAY; const start = end - 90 * DAY;
let seed = 0x9e3779b9; const random = () => { seed ^= seed << 13; seed ^= seed >>> 17; seed ^= seed << 5; return (seed >>> 0) / 4294967296; };
const fact = (n: number, time = new Date(start + Math.floor(random() * 90 * DAY))) => ({ specversion: '1.0', id: `bench-${n}`, source: 'urn:bench', type: 'OrderPlaced', time: time.toISOString(),
  data: { orderId: `o${n}`, productId: `p${String(1 + Math.floor(random() * 50)).padStart(3, '0')}`, quantity: 1 + Math.floor(random() * 5), unitPrice: (1 + Math.floor(random() * 20000)) / 100, region: 'eu', channel: 'web', customerEmail: `c${n % 5000}@example.com` } });
const dir = mkdtempSync(path.join(tmpdir(), 'mesh-prof-'));
const store = await DuckDbStore.open({ path: path.join(dir, 'o.duckdb') });
const runtime = await DataProductRuntime.start(ordersProduct(loadTypeDefs(path.resolve('schema'), 'orders')), { store, bus: new InProcessBus({ retain: 10 }), latenessMs: 365 * DAY, retentionIntervalMs: 0 });
const N = Number(process.env.N ?? 20000), B = Number(process.env.B ?? 5000);
for (let n = 0; n < B; n += B) await runtime.ingest(Array.from({ length: B }, (_, i) => fact(n + i)));
on = true; const cpu0 = process.cpuUsage(); const t = performance.now(); let batches = 0;
for (let n = B; n < N; n += B) { await runtime.ingest(Array.from({ length: B }, (_, i) => fact(n + i))); batches++; }
const total = performance.now() - t; const cpu = process.cpuUsage(cpu0); console.log(`cpu µs/fact user ${(cpu.user / (N - B)).toFixed(0)} sys ${(cpu.system / (N - B)).toFixed(0)}`);
console.log(`batches ${batches} of ${B}: ${(total / batches).toFixed(1)} ms/batch, ${Math.round((N - B) / total * 1000)} facts/s`);
for (const [k, s] of [...stats].sort((a, b) => b[1].ms - a[1].ms)) console.log(`${(s.ms / batches).toFixed(1).padStart(8)} ms/batch  n=${s.n}  ${k}`);
stats.clear(); const singles: number[] = []; const t2 = performance.now();
for (let i = 0; i < 30; i++) { const t = performance.now(); await runtime.ingest([fact(N + i, new Date(end - 60000))]); singles.push(performance.now() - t); }
console.log('single fact ms', singles.map((x) => x.toFixed(0)).join(' '));
for (const [k, s] of [...stats].sort((a, b) => b[1].ms - a[1].ms)) console.log(`${(s.ms / 30).toFixed(1).padStart(8)} ms/fact  n=${s.n}  ${k}`);
{ const t = performance.now(); await (store as any).exclusive((c: any) => c.run('CHECKPOINT')); console.log('final checkpoint', (performance.now() - t).toFixed(0)); }
await runtime.close();
