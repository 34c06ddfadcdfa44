import { DuckDBInstance } from '@duckdb/node-api';
import { mkdtempSync } from 'node:fs'; import path from 'node:path'; import { tmpdir } from 'node:os';
const variant = process.env.V ?? 'pk';
const dir = mkdtempSync(path.join(tmpdir(), 'mesh-micro-'));
const inst = await DuckDBInstance.create(path.join(dir, 'm.duckdb'));
const c = await inst.connect();
const ddl: Record<string, string> = {
  pk: `CREATE TABLE f (source VARCHAR NOT NULL, id VARCHAR NOT NULL, type VARCHAR, time TIMESTAMP, data JSON, PRIMARY KEY (source, id))`,
  hash: `CREATE TABLE f (k UHUGEINT PRIMARY KEY, source VARCHAR NOT NULL, id VARCHAR NOT NULL, type VARCHAR, time TIMESTAMP, data JSON)`,
  none: `CREATE TABLE f (source VARCHAR NOT NULL, id VARCHAR NOT NULL, type VARCHAR, time TIMESTAMP, data JSON)`,
};
await c.run(ddl[variant]);
const N = Number(process.env.N ?? 200000), B = 5000;
const cpu0 = process.cpuUsage(); const t0 = performance.now(); let ins = 0;
for (let n = 0; n < N; n += B) {
  await c.run(`CREATE OR REPLACE TEMP TABLE s AS SELECT 'urn:bench' AS source, 'bench-' || (i + ${n}) AS id, 'OrderPlaced' AS type, make_timestamp((i*7919 % 7776000)::BIGINT * 1000000) AS time,
     '{"orderId":"o' || i || '","productId":"p001","quantity":3,"unitPrice":12.5,"region":"eu","channel":"web","customerEmail":"c1@example.com"}' AS data FROM range(${B}) t(i)`);
  const t = performance.now();
  await c.run('BEGIN');
  if (variant === 'hash') await c.run(`INSERT INTO f SELECT md5_number(length(source)::VARCHAR || ':' || source || id), source, id, type, time, data::JSON FROM s ON CONFLICT DO NOTHING`);
  else if (variant === 'pk') await c.run(`INSERT INTO f SELECT source, id, type, time, data::JSON FROM s ON CONFLICT DO NOTHING`);
  else await c.run(`INSERT INTO f SELECT source, id, type, time, data::JSON FROM s`);
  await c.run('COMMIT');
  ins += performance.now() - t;
}
const t = performance.now(); await c.run('CHECKPOINT'); const ck = performance.now() - t;
const cpu = process.cpuUsage(cpu0);
console.log(variant, `insert+commit ${(ins / (N / B)).toFixed(1)} ms/batch, final checkpoint ${ck.toFixed(0)} ms, total ${(performance.now() - t0).toFixed(0)} ms, cpu ${((cpu.user + cpu.system) / N).toFixed(1)} µs/fact`);
