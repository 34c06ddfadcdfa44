import { DuckDBInstance, timestampValue } from '@duckdb/node-api';
const N = 100_000, B = 5000;
async function run(name: string, factsDdl: string, insertSql: string) {
  const inst = await DuckDBInstance.create(':memory:'); const c = await inst.connect();
  await c.run(factsDdl);
  await c.run(`CREATE TEMP TABLE stage(source VARCHAR, id VARCHAR, type VARCHAR, time TIMESTAMP, data VARCHAR)`);
  let tApp = 0, tIns = 0, tAll = performance.now();
  for (let o = 0; o < N; o += B) { await c.run('BEGIN'); let t = performance.now();
    const ap = await c.createAppender('stage', 'main', 'temp');
    for (let i = o; i < o + B; i++) { ap.appendVarchar('bench'); ap.appendVarchar('o' + i); ap.appendVarchar('OrderPlaced'); ap.appendTimestamp(timestampValue(BigInt(1704067200000 + i * 78000) * 1000n)); ap.appendVarchar(JSON.stringify({ region: 'r' + (i % 5), product: 'p' + (i % 50), channel: 'c' + (i % 3), amount: i % 100 })); ap.endRow(); }
    ap.closeSync(); tApp += performance.now() - t; t = performance.now();
    const r = await c.runAndReadAll(insertSql); r.getColumns(); await c.run('DELETE FROM stage'); await c.run('COMMIT'); tIns += performance.now() - t; }
  console.log(name, 'append', tApp | 0, 'insert+commit', tIns | 0, 'total', (performance.now() - tAll) | 0);
}
const ddl = `CREATE TABLE facts(source VARCHAR NOT NULL, id VARCHAR NOT NULL, type VARCHAR NOT NULL, time TIMESTAMP NOT NULL, data JSON, PRIMARY KEY(source, id))`;
await run('asis', ddl, `INSERT INTO facts SELECT source, id, type, time, data::JSON FROM stage ON CONFLICT DO NOTHING RETURNING source, id`);
await run('noReturning', ddl, `INSERT INTO facts SELECT source, id, type, time, data::JSON FROM stage ON CONFLICT DO NOTHING`);
await run('noConflict', ddl, `INSERT INTO facts SELECT source, id, type, time, data::JSON FROM stage`);
await run('varcharData', ddl.replace('data JSON', 'data VARCHAR'), `INSERT INTO facts SELECT source, id, type, time, data FROM stage ON CONFLICT DO NOTHING RETURNING source, id`);
await run('noPK', ddl.replace(', PRIMARY KEY(source, id)', ''), `INSERT INTO facts SELECT source, id, type, time, data::JSON FROM stage`);
await run('antijoin', ddl, `INSERT INTO facts SELECT s.source, s.id, s.type, s.time, s.data::JSON FROM stage s ANTI JOIN facts f ON f.source = s.source AND f.id = s.id RETURNING source, id`);
