import { DuckDBConnection } from '@duckdb/node-api';
const stats = new Map<string, { n: number; ms: number }>();
for (const m of ['run', 'runAndReadAll'] as const) {
  const orig = (DuckDBConnection.prototype as any)[m];
  (DuckDBConnection.prototype as any)[m] = async function (sql: string, ...rest: unknown[]) {
    const t = performance.now();
    try { return await orig.call(this, sql, ...rest); } finally {
      const k = sql.replace(/\s+/g, ' ').slice(0, 70);
      const s = stats.get(k) ?? { n: 0, ms: 0 }; s.n++; s.ms += performance.now() - t; stats.set(k, s);
    }
  };
}
process.on('exit', () => { for (const [k, s] of [...stats].sort((a, b) => b[1].ms - a[1].ms).slice(0, 15)) console.log(s.ms.toFixed(0).padStart(7), String(s.n).padStart(5), k); });
