import { DuckDBInstance } from '@duckdb/node-api';
const inst = await DuckDBInstance.create(':memory:'); const c = await inst.connect();
await c.run(`CREATE TABLE r(bucket TIMESTAMP NOT NULL, region VARCHAR NOT NULL, product VARCHAR NOT NULL, channel VARCHAR NOT NULL, amount DOUBLE, count DOUBLE, max_amount DOUBLE, PRIMARY KEY(bucket, region, product, channel))`);
const start = Date.UTC(2024,0,1);
await c.run(`INSERT INTO r SELECT make_timestamp(${start * 1000} + (i // 46) * 3600000000), 'r' || (i % 5), 'p' || (i % 50), 'c' || (i % 3), i % 100, 1, i % 100 FROM range(100000) t(i) ON CONFLICT DO NOTHING`);
console.log((await c.runAndReadAll('select count(*) from r')).getRowsJS());
const lit = (ms: number) => `make_timestamp(${BigInt(ms) * 1000n})`;
const b = Array.from({ length: 91 }, (_, i) => start + i * 86_400_000);
const vals = b.slice(0, -1).map((lo, i) => `(${i}, ${lit(lo)}, ${lit(b[i + 1])})`).join(',');
const variants: Record<string, string> = {
  range: `WITH b(i, lo, hi) AS (VALUES ${vals}) SELECT b.i, SUM(amount), SUM(count), MAX(max_amount) FROM r JOIN b ON r.bucket >= b.lo AND r.bucket < b.hi WHERE r.bucket >= ${lit(b[0])} AND r.bucket < ${lit(b[90])} GROUP BY b.i ORDER BY b.i`,
  asof: `WITH b(i, lo, hi) AS (VALUES ${vals}) SELECT b.i, SUM(amount), SUM(count), MAX(max_amount) FROM r ASOF JOIN b ON r.bucket >= b.lo WHERE r.bucket < b.hi AND r.bucket >= ${lit(b[0])} AND r.bucket < ${lit(b[90])} GROUP BY b.i ORDER BY b.i`,
  preagg: `WITH b(i, lo, hi) AS (VALUES ${vals}), g AS (SELECT bucket, SUM(amount) a, SUM(count) c, MAX(max_amount) m FROM r WHERE r.bucket >= ${lit(b[0])} AND r.bucket < ${lit(b[90])} GROUP BY bucket) SELECT b.i, SUM(a), SUM(c), MAX(m) FROM g JOIN b ON g.bucket >= b.lo AND g.bucket < b.hi GROUP BY b.i ORDER BY b.i`,
  preasof: `WITH b(i, lo, hi) AS (VALUES ${vals}), g AS (SELECT bucket, SUM(amount) a, SUM(count) c, MAX(max_amount) m FROM r WHERE r.bucket >= ${lit(b[0])} AND r.bucket < ${lit(b[90])} GROUP BY bucket) SELECT b.i, SUM(a), SUM(c), MAX(m) FROM g ASOF JOIN b ON g.bucket >= b.lo WHERE g.bucket < b.hi GROUP BY b.i ORDER BY b.i`,
  preaggRegion: `WITH b(i, lo, hi) AS (VALUES ${vals}), g AS (SELECT bucket, region, SUM(amount) a, SUM(count) c, MAX(max_amount) m FROM r WHERE r.bucket >= ${lit(b[0])} AND r.bucket < ${lit(b[90])} GROUP BY bucket, region) SELECT b.i, region, SUM(a), SUM(c), MAX(m) FROM g JOIN b ON g.bucket >= b.lo AND g.bucket < b.hi GROUP BY b.i, region ORDER BY b.i, region`,
  preaggProduct: `WITH b(i, lo, hi) AS (VALUES ${vals}), g AS (SELECT bucket, product, SUM(amount) a, SUM(count) c, MAX(max_amount) m FROM r WHERE r.bucket >= ${lit(b[0])} AND r.bucket < ${lit(b[90])} GROUP BY bucket, product) SELECT b.i, product, SUM(a), SUM(c), MAX(m) FROM g JOIN b ON g.bucket >= b.lo AND g.bucket < b.hi GROUP BY b.i, product ORDER BY b.i, product`,
  asofProduct: `WITH b(i, lo, hi) AS (VALUES ${vals}) SELECT b.i, product, SUM(amount), SUM(count), MAX(max_amount) FROM r ASOF JOIN b ON r.bucket >= b.lo WHERE r.bucket < b.hi AND r.bucket >= ${lit(b[0])} AND r.bucket < ${lit(b[90])} GROUP BY b.i, product ORDER BY b.i, product`,
  preasofProduct: `WITH b(i, lo, hi) AS (VALUES ${vals}), g AS (SELECT bucket, product, SUM(amount) a, SUM(count) c, MAX(max_amount) m FROM r WHERE r.bucket >= ${lit(b[0])} AND r.bucket < ${lit(b[90])} GROUP BY bucket, product) SELECT b.i, product, SUM(a), SUM(c), MAX(m) FROM g ASOF JOIN b ON g.bucket >= b.lo WHERE g.bucket < b.hi GROUP BY b.i, product ORDER BY b.i, product`,
  preasofAll: `WITH b(i, lo, hi) AS (VALUES ${vals}), g AS (SELECT bucket, region, product, channel, SUM(amount) a, SUM(count) c, MAX(max_amount) m FROM r WHERE r.bucket >= ${lit(b[0])} AND r.bucket < ${lit(b[90])} GROUP BY ALL) SELECT b.i, region, product, channel, SUM(a), SUM(c), MAX(m) FROM g ASOF JOIN b ON g.bucket >= b.lo WHERE g.bucket < b.hi GROUP BY ALL ORDER BY ALL`,
  arith: `SELECT (epoch_us(bucket) - ${BigInt(b[0])*1000n}) // ${86_400_000_000} AS i, SUM(amount), SUM(count), MAX(max_amount) FROM r WHERE r.bucket >= ${lit(b[0])} AND r.bucket < ${lit(b[90])} GROUP BY i ORDER BY i`,
  arithProduct: `SELECT (epoch_us(bucket) - ${BigInt(b[0])*1000n}) // ${86_400_000_000} AS i, product, SUM(amount), SUM(count), MAX(max_amount) FROM r WHERE r.bucket >= ${lit(b[0])} AND r.bucket < ${lit(b[90])} GROUP BY i, product ORDER BY i, product`,
  scan: `SELECT SUM(amount), SUM(count), MAX(max_amount) FROM r WHERE r.bucket >= ${lit(b[0])} AND r.bucket < ${lit(b[90])}`,
};
for (const [name, sql] of Object.entries(variants)) { const ts: string[] = []; for (let k = 0; k < 5; k++) { const t = performance.now(); await c.runAndReadAll(sql); ts.push((performance.now() - t).toFixed(1)); } console.log(name, ts.join(',')); }
// c.runAndReadAll('EXPLAIN ' + variants.range); console.log(ex.getRowsJS().map(r => r[1]).join('\n').slice(0, 3000));
