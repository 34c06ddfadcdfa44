import { DuckDBInstance, DuckDBDataChunk, VARCHAR, DOUBLE, TIMESTAMP, timestampValue } from '@duckdb/node-api';
const inst = await DuckDBInstance.create(':memory:');
const c = await inst.connect();
await c.run(`CREATE TEMP TABLE s (_grain VARCHAR, bucket TIMESTAMP, p VARCHAR, r VARCHAR, ch VARCHAR, a DOUBLE, b DOUBLE, c DOUBLE, d DOUBLE, e DOUBLE, f DOUBLE, g DOUBLE, h DOUBLE)`);
const N = 15000;
const rows = Array.from({ length: N }, (_, i) => ({ grain: 'minute', bucket: new Date(1.7e12 + i * 60000), dims: ['p' + (i % 50), 'eu', 'web'], values: [1, i, 2, 3, i / 3, 5, 6, 7] }));
const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
for (let round = 0; round < 3; round++) {
  let t = performance.now(); let c0 = cpu();
  const app = await c.createAppender('s', 'main', 'temp');
  for (const row of rows) { app.appendVarchar(row.grain); app.appendTimestamp(timestampValue(BigInt(row.bucket.getTime()) * 1000n)); for (const d of row.dims) app.appendVarchar(d); for (const v of row.values) app.appendDouble(v); app.endRow(); }
  app.closeSync();
  console.log('appender', (performance.now() - t).toFixed(1), 'ms cpu', (cpu() - c0).toFixed(1)); await c.run('DELETE FROM s');
  t = performance.now(); c0 = cpu();
  const app2 = await c.createAppender('s', 'main', 'temp');
  const types = [VARCHAR, TIMESTAMP, VARCHAR, VARCHAR, VARCHAR, DOUBLE, DOUBLE, DOUBLE, DOUBLE, DOUBLE, DOUBLE, DOUBLE, DOUBLE];
  for (let s = 0; s < N; s += 2048) {
    const part = rows.slice(s, s + 2048);
    const chunk = DuckDBDataChunk.create(types, part.length);
    chunk.setColumns([part.map((r) => r.grain), part.map((r) => timestampValue(BigInt(r.bucket.getTime()) * 1000n)), ...[0, 1, 2].map((d) => part.map((r) => r.dims[d])), ...[0, 1, 2, 3, 4, 5, 6, 7].map((v) => part.map((r) => r.values[v]))]);
    app2.appendDataChunk(chunk);
  }
  app2.closeSync();
  console.log('datachunk', (performance.now() - t).toFixed(1), 'ms cpu', (cpu() - c0).toFixed(1)); await c.run('DELETE FROM s');
  t = performance.now(); c0 = cpu();
  const json = JSON.stringify(rows.map((r) => [r.grain, r.bucket.getTime() * 1000, ...r.dims, ...r.values]));
  await c.run(`INSERT INTO s SELECT j[1]::VARCHAR, make_timestamp(j[2]::BIGINT), j[3]::VARCHAR, j[4]::VARCHAR, j[5]::VARCHAR, j[6]::DOUBLE, j[7]::DOUBLE, j[8]::DOUBLE, j[9]::DOUBLE, j[10]::DOUBLE, j[11]::DOUBLE, j[12]::DOUBLE, j[13]::DOUBLE FROM (SELECT unnest(json_transform($1, '["JSON"]')) AS j) WHERE true`, [json]).catch(e=>console.log(String(e).slice(0,300)));
  console.log('json param', (performance.now() - t).toFixed(1), 'ms cpu', (cpu() - c0).toFixed(1), (await c.runAndReadAll('select count(*) from s')).getRows()[0]); await c.run('DELETE FROM s');
}
