import { DuckDBInstance, timestampValue } from '@duckdb/node-api';
const N = 100_000, B = 5000;
const start = 1704067200000;
// rows per batch: minute-level rows: one per fact (distinct), keys overlap across batches only at edges; hour rows overlap more
async function run(name: string, gran: number, stmts: string[]) {
  const inst = await DuckDBInstance.create(':memory:'); const c = await inst.connect();
  await c.run(`CREATE TABLE r(bucket TIMESTAMP NOT NULL, region VARCHAR NOT NULL, product VARCHAR NOT NULL, channel VARCHAR NOT NULL, amount DOUBLE, count DOUBLE, max_amount DOUBLE, PRIMARY KEY(bucket, region, product, channel))`);
  await c.run(`CREATE TEMP TABLE stage(bucket TIMESTAMP, region VARCHAR, product VARCHAR, channel VARCHAR, amount DOUBLE, count DOUBLE, max_amount DOUBLE)`);
  let tApp = 0, tIns = 0;
  for (let rep = 0; rep < 2; rep++) // second pass = all conflicts
  for (let o = 0; o < N; o += B) { await c.run('BEGIN'); let t = performance.now();
    const ap = await c.createAppender('stage', 'main', 'temp'); const seen = new Set<string>();
    for (let i = o; i < o + B; i++) { const b = Math.floor((start + i * 78000) / gran) * gran; const k = `${b}|${i % 5}|${i % 50}|${i % 3}`; if (seen.has(k)) continue; seen.add(k);
      ap.appendTimestamp(timestampValue(BigInt(b) * 1000n)); ap.appendVarchar('r' + (i % 5)); ap.appendVarchar('p' + (i % 50)); ap.appendVarchar('c' + (i % 3)); ap.appendDouble(i % 100); ap.appendDouble(1); ap.appendDouble(i % 100); ap.endRow(); }
    ap.closeSync(); tApp += performance.now() - t; t = performance.now();
    for (const s of stmts) await c.run(s); await c.run('DELETE FROM stage'); await c.run('COMMIT'); tIns += performance.now() - t; }
  console.log(name, gran, 'append', tApp | 0, 'upsert+commit', tIns | 0, (await c.runAndReadAll('select count(*), sum(count) from r')).getRowsJS());
}
const onConflict = `INSERT INTO r SELECT * FROM stage ON CONFLICT (bucket, region, product, channel) DO UPDATE SET amount = COALESCE(r.amount,0) + COALESCE(excluded.amount,0), count = COALESCE(r.count,0) + COALESCE(excluded.count,0), max_amount = GREATEST(COALESCE(r.max_amount, excluded.max_amount), COALESCE(excluded.max_amount, r.max_amount))`;
const upd = [`UPDATE r SET amount = COALESCE(r.amount,0) + COALESCE(s.amount,0), count = COALESCE(r.count,0) + COALESCE(s.count,0), max_amount = GREATEST(COALESCE(r.max_amount, s.max_amount), COALESCE(s.max_amount, r.max_amount)) FROM stage s WHERE r.bucket = s.bucket AND r.region = s.region AND r.product = s.product AND r.channel = s.channel`,
  `INSERT INTO r SELECT s.* FROM stage s ANTI JOIN r ON r.bucket = s.bucket AND r.region = s.region AND r.product = s.product AND r.channel = s.channel`];
const updRange = [`UPDATE r SET amount = COALESCE(r.amount,0) + COALESCE(s.amount,0), count = COALESCE(r.count,0) + COALESCE(s.count,0), max_amount = GREATEST(COALESCE(r.max_amount, s.max_amount), COALESCE(s.max_amount, r.max_amount)) FROM stage s WHERE r.bucket = s.bucket AND r.region = s.region AND r.product = s.product AND r.channel = s.channel AND r.bucket >= (SELECT min(bucket) FROM stage) AND r.bucket <= (SELECT max(bucket) FROM stage)`,
  `INSERT INTO r SELECT s.* FROM stage s ANTI JOIN (SELECT * FROM r WHERE bucket >= (SELECT min(bucket) FROM stage) AND bucket <= (SELECT max(bucket) FROM stage)) r ON r.bucket = s.bucket AND r.region = s.region AND r.product = s.product AND r.channel = s.channel`];
for (const g of [60_000, 3_600_000]) { await run('onConflict', g, [onConflict]); await run('update+insert', g, upd); await run('updRange', g, updRange); }
