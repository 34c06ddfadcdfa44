import { DuckDBInstance, timestampValue } from '@duckdb/node-api';
for (const threads of [2, 1]) {
const inst = await DuckDBInstance.create(':memory:', { threads: String(threads) }); const c = await inst.connect();
await c.run(`CREATE TABLE meta (id INTEGER PRIMARY KEY CHECK (id = 1), watermark TIMESTAMP)`);
const sqls: Record<string, string> = {
  upsert: `INSERT INTO meta (id, watermark) VALUES (1, $1) ON CONFLICT (id) DO UPDATE SET watermark = GREATEST(COALESCE(meta.watermark, excluded.watermark), excluded.watermark)`,
  update: `UPDATE meta SET watermark = GREATEST(COALESCE(watermark, $1), $1) WHERE id = 1`,
  select: `SELECT $1::TIMESTAMP`,
};
for (const [k, sql] of Object.entries(sqls)) { const t = performance.now(); for (let i = 0; i < 200; i++) await c.run(sql, [timestampValue(BigInt(i) * 1000000n)]); console.log(threads, k, ((performance.now() - t) / 200).toFixed(2), 'ms'); }
const p = await c.prepare(sqls.upsert); let t = performance.now(); for (let i = 0; i < 200; i++) { p.bindTimestamp(1, timestampValue(BigInt(i))); await p.run(); } console.log(threads, 'prepared upsert', ((performance.now() - t) / 200).toFixed(2));
t = performance.now(); for (let i = 0; i < 200; i++) { await c.run('BEGIN'); await c.run('COMMIT'); } console.log(threads, 'begin+commit', ((performance.now() - t) / 200).toFixed(2));
}
