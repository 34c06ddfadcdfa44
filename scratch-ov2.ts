import { DuckDBInstance, listValue, LIST, VARCHAR } from '@duckdb/node-api';
const inst = await DuckDBInstance.create(':memory:'); const c = await inst.connect();
await c.run(`CREATE TABLE st (key VARCHAR PRIMARY KEY, value JSON, updated_at TIMESTAMP)`);
await c.run(`INSERT INTO st SELECT 'p' || i, '{"n":1}', now()::TIMESTAMP FROM range(100000) t(i)`);
const keys = Array.from({ length: 50 }, (_, i) => 'p' + i * 7);
const variants: Record<string, () => Promise<unknown>> = {
  inUnnest: () => c.runAndReadAll(`SELECT key, value, updated_at FROM st WHERE key IN (SELECT unnest($1)) ORDER BY key`, [listValue(keys)], [LIST(VARCHAR)]),
  anyList: () => c.runAndReadAll(`SELECT key, value, updated_at FROM st WHERE key = ANY($1) ORDER BY key`, [listValue(keys)], [LIST(VARCHAR)]),
  listContains: () => c.runAndReadAll(`SELECT key, value, updated_at FROM st WHERE list_contains($1, key) ORDER BY key`, [listValue(keys)], [LIST(VARCHAR)]),
  inParams: () => c.runAndReadAll(`SELECT key, value, updated_at FROM st WHERE key IN (${keys.map((_, i) => '$' + (i + 1)).join(',')}) ORDER BY key`, keys),
  joinUnnest: () => c.runAndReadAll(`SELECT st.key, value, updated_at FROM (SELECT unnest($1) AS key) k JOIN st ON st.key = k.key ORDER BY st.key`, [listValue(keys)], [LIST(VARCHAR)]),
};
for (let r = 0; r < 2; r++) for (const [k, f] of Object.entries(variants)) { const t = performance.now(); let n = 0; for (let i = 0; i < 100; i++) n = (await f() as any).currentRowCount; console.log(k, n, ((performance.now() - t) / 100).toFixed(2), 'ms'); }
