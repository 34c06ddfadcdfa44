import { DuckDBInstance, timestampValue } from '@duckdb/node-api';
const inst = await DuckDBInstance.create(':memory:'); const c = await inst.connect();
await c.run(`CREATE TEMP TABLE s1(bucket TIMESTAMP, a VARCHAR, b VARCHAR, c VARCHAR, x DOUBLE, y DOUBLE, z DOUBLE)`);
await c.run(`CREATE TEMP TABLE s2(bucket DOUBLE, a VARCHAR, b VARCHAR, c VARCHAR, x DOUBLE, y DOUBLE, z DOUBLE)`);
const rows = Array.from({ length: 200_000 }, (_, i) => ({ b: new Date(1704067200000 + i * 60000), d: ['r' + (i % 5), 'p' + (i % 50), 'c' + (i % 3)], v: [i % 100, 1, i % 100] }));
for (let r = 0; r < 3; r++) {
let t = performance.now();
for (let o = 0; o < rows.length; o += 5000) { const ap = await c.createAppender('s1', 'main', 'temp');
  for (let j = o; j < o + 5000; j++) { const r = rows[j]; ap.appendTimestamp(timestampValue(BigInt(r.b.getTime()) * 1000n)); for (const d of r.d) ap.appendVarchar(d); for (const v of r.v) ap.appendDouble(v); ap.endRow(); } ap.closeSync(); }
console.log('timestamp', performance.now() - t | 0); await c.run('DELETE FROM s1');
t = performance.now();
for (let o = 0; o < rows.length; o += 5000) { const ap = await c.createAppender('s2', 'main', 'temp');
  for (let j = o; j < o + 5000; j++) { const r = rows[j]; ap.appendDouble(r.b.getTime()); for (const d of r.d) ap.appendVarchar(d); for (const v of r.v) ap.appendDouble(v); ap.endRow(); } ap.closeSync(); }
console.log('double', performance.now() - t | 0); await c.run('DELETE FROM s2');
t = performance.now();
for (let o = 0; o < rows.length; o += 5000) { const ap = await c.createAppender('s2', 'main', 'temp');
  for (let j = o; j < o + 5000; j++) { const r = rows[j]; ap.appendDouble(r.b.getTime()); ap.appendDouble(1); ap.appendDouble(1); ap.appendDouble(1); for (const v of r.v) ap.appendDouble(v); ap.endRow(); } ap.closeSync(); }
console.log('all-double (no strings)', performance.now() - t | 0); await c.run('DELETE FROM s2');
}
