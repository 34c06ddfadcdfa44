import { DuckDBConnection } from '@duckdb/node-api';
const T: Record<string, [number, number]> = {};
for (const m of ['run', 'runAndReadAll', 'createAppender'] as const) {
  const orig = (DuckDBConnection.prototype as any)[m];
  (DuckDBConnection.prototype as any)[m] = async function (this: any, sql: string, ...rest: any[]) {
    const t = performance.now(); try { return await orig.call(this, sql, ...rest); } finally { const k = m + ' ' + sql.replace(/\s+/g, ' ').slice(0, 50); const e = (T[k] ??= [0, 0]); e[0] += performance.now() - t; e[1]++; } };
}
process.on('beforeExit', () => { const list = Object.entries(T).sort((a, b) => b[1][0] - a[1][0]).slice(0, 14); for (const [k, [ms, n]] of list) console.log(ms.toFixed(0).padStart(6), String(n).padStart(5), k); });
await import('./scratch-store-bench.js');
