import pg from 'pg';
const c = new pg.Client({ connectionString: 'postgres://postgres@127.0.0.1:5432/test' });
await c.connect();
const schema = `ingestprof_${Math.random().toString(36).slice(2, 8)}`;
await c.query(`CREATE SCHEMA ${schema}`);
try {
  await c.query(`CREATE TABLE ${schema}.facts (source text COLLATE "C" NOT NULL, id text COLLATE "C" NOT NULL, type text NOT NULL, "time" timestamptz NOT NULL, data jsonb NOT NULL, PRIMARY KEY (source, id))`);
  const mk = (n: number) => ({ source: 'urn:bench', id: `bench-${n}`, type: 'OrderPlaced', time: new Date(1.7e12 + n * 1000).toISOString(), data: { orderId: `o${n}`, productId: 'p001', quantity: 3, unitPrice: 12.5, region: 'eu', channel: 'web', customerEmail: `c${n}@example.com` } });
  for (let r = 0; r < 6; r++) {
    const facts = Array.from({ length: 5000 }, (_, i) => mk(r * 10000 + i));
    let t = performance.now();
    await c.query(`INSERT INTO ${schema}.facts (source, id, type, "time", data) SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[], $5::jsonb[]) ON CONFLICT DO NOTHING RETURNING source, id`,
      [facts.map((f) => f.source), facts.map((f) => f.id), facts.map((f) => f.type), facts.map((f) => f.time), facts.map((f) => JSON.stringify(f.data))]);
    const a = performance.now() - t;
    const facts2 = Array.from({ length: 5000 }, (_, i) => mk(r * 10000 + 5000 + i));
    t = performance.now();
    await c.query(`INSERT INTO ${schema}.facts (source, id, type, "time", data) SELECT x.source, x.id, x.type, x."time", x.data FROM jsonb_to_recordset($1::jsonb) AS x(source text, id text, type text, "time" timestamptz, data jsonb) ON CONFLICT DO NOTHING RETURNING source, id`,
      [JSON.stringify(facts2)]);
    const b = performance.now() - t;
    const facts3 = Array.from({ length: 5000 }, (_, i) => mk(r * 10000 + 100000 + i));
    t = performance.now();
    await c.query(`INSERT INTO ${schema}.facts (source, id, type, "time", data) SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[], (SELECT array_agg(e) FROM jsonb_array_elements($5::jsonb) e)) ON CONFLICT DO NOTHING RETURNING source, id`,
      [facts3.map((f) => f.source), facts3.map((f) => f.id), facts3.map((f) => f.type), facts3.map((f) => f.time), JSON.stringify(facts3.map((f) => f.data))]);
    const d = performance.now() - t;
    console.log(`unnest jsonb[] ${a.toFixed(0)} ms   jsonb_to_recordset ${b.toFixed(0)} ms   unnest + one jsonb array ${d.toFixed(0)} ms`);
  }
} finally {
  await c.query(`DROP SCHEMA ${schema} CASCADE`);
  await c.end();
}
