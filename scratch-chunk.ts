import { DuckDBInstance, DuckDBDataChunk, timestampValue, TIMESTAMP, VARCHAR, DOUBLE, listValue, LIST } from '@duckdb/node-api';
const inst = await DuckDBInstance.create(':memory:'); const c = await inst.connect();
await c.run(`CREATE TEMP TABLE stage(bucket TIMESTAMP, region VARCHAR, product VARCHAR, channel VARCHAR, amount DOUBLE, count DOUBLE, max_amount DOUBLE)`);
const rows = Array.from({ length: 200_000 }, (_, i) => ({ b: 1704067200000 + i * 60000, d: ['r' + (i % 5), 'p' + (i % 50), 'c' + (i % 3)], v: [i % 100, 1, i % 100] }));
let t = performance.now();
for (let o = 0; o < rows.length; o += 5000) { const ap = await c.createAppender('stage', 'main', 'temp');
  for (const r of rows.slice(o, o + 5000)) { ap.appendTimestamp(timestampValue(BigInt(r.b) * 1000n)); for (const d of r.d) ap.appendVarchar(d); for (const v of r.v) ap.appendDouble(v); ap.endRow(); } ap.closeSync(); }
console.log('appender', performance.now() - t | 0); await c.run('DELETE FROM stage');
t = performance.now();
for (let o = 0; o < rows.length; o += 5000) { const ap = await c.createAppender('stage', 'main', 'temp'); const part = rows.slice(o, o + 5000);
  for (let k = 0; k < part.length; k += 2048) { const p = part.slice(k, k + 2048); const ch = DuckDBDataChunk.create([TIMESTAMP, VARCHAR, VARCHAR, VARCHAR, DOUBLE, DOUBLE, DOUBLE], p.length);
    ch.setColumns([p.map(r => timestampValue(BigInt(r.b) * 1000n)), p.map(r => r.d[0]), p.map(r => r.d[1]), p.map(r => r.d[2]), p.map(r => r.v[0]), p.map(r => r.v[1]), p.map(r => r.v[2])]); ap.appendDataChunk(ch); }
  ap.closeSync(); }
console.log('chunk', performance.now() - t | 0); await c.run('DELETE FROM stage');
t = performance.now();
for (let o = 0; o < rows.length; o += 5000) { const p = rows.slice(o, o + 5000);
  await c.run(`INSERT INTO stage SELECT make_timestamp(unnest($1)), unnest($2), unnest($3), unnest($4), unnest($5), unnest($6), unnest($7)`, [listValue(p.map(r => BigInt(r.b) * 1000n)), listValue(p.map(r => r.d[0])), listValue(p.map(r => r.d[1])), listValue(p.map(r => r.d[2])), listValue(p.map(r => r.v[0])), listValue(p.map(r => r.v[1])), listValue(p.map(r => r.v[2]))], [LIST((await import('@duckdb/node-api')).BIGINT), LIST(VARCHAR), LIST(VARCHAR), LIST(VARCHAR), LIST(DOUBLE), LIST(DOUBLE), LIST(DOUBLE)]); }
console.log('lists', performance.now() - t | 0);
