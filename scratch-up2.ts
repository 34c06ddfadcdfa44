import { DuckDBInstance, timestampValue } from '@duckdb/node-api';
const B = Number(process.env.B ?? 1000), N = 100_000;
for (const threads of ['1', '2']) for (const variant of ['onconflict', 'prepared']) {
  const inst = await DuckDBInstance.create(':memory:', { threads }); const c = await inst.connect();
  await c.run(`CREATE TABLE r(bucket TIMESTAMP NOT NULL, region VARCHAR NOT NULL, product VARCHAR NOT NULL, channel VARCHAR NOT NULL, amount DOUBLE, count DOUBLE, max_amount DOUBLE, PRIMARY KEY(bucket, region, product, channel))`);
  await c.run(`CREATE TEMP TABLE stage(bucket TIMESTAMP, region VARCHAR, product VARCHAR, channel VARCHAR, amount DOUBLE, count DOUBLE, max_amount DOUBLE)`);
  const UP = `INSERT INTO r SELECT * FROM stage ON CONFLICT (bucket, region, product, channel) DO UPDATE SET amount = COALESCE(r.amount,0) + COALESCE(excluded.amount,0), count = COALESCE(r.count,0) + COALESCE(excluded.count,0), max_amount = GREATEST(COALESCE(r.max_amount, excluded.max_amount), COALESCE(excluded.max_amount, r.max_amount))`;
  const prep = await c.prepare(UP); const del = await c.prepare('DELETE FROM stage');
  let tUp = 0, tAll = performance.now();
  for (let o = 0; o < N; o += B) { await c.run('BEGIN');
    const ap = await c.createAppender('stage', 'main', 'temp');
    for (let i = o; i < o + B; i++) { ap.appendTimestamp(timestampValue(BigInt(1704067200000 + i * 60000) * 1000n)); ap.appendVarchar('r' + (i % 5)); ap.appendVarchar('p' + (i % 50)); ap.appendVarchar('c' + (i % 3)); ap.appendDouble(i % 100); ap.appendDouble(1); ap.appendDouble(i % 100); ap.endRow(); }
    ap.closeSync(); const t = performance.now();
    if (variant === 'prepared') { await prep.run(); tUp += performance.now() - t; await del.run(); } else { await c.run(UP); tUp += performance.now() - t; await c.run('DELETE FROM stage'); } await c.run('COMMIT'); }
  console.log(`threads=${threads} ${variant} B=${B}: upsert ${(tUp / (N / B)).toFixed(2)} ms/batch, total ${(performance.now() - tAll) | 0} ms`);
}
