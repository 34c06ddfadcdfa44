/**
 * The governed SQL port (issue #16 item 2), end to end: `POST /sql` on a real gateway, forwarded to the
 * orders subgraph with the caller's signed identity, on both stores. Facts are posted here, so every
 * expected value is computed from them, not read back from the port.
 */
import { describeIfPostgres } from '../support/postgresAvailable.js';
import { startSqlMesh, type SqlMesh } from '../support/startSqlMesh.js';

// The timeout is generous for a loaded machine: the statements of the other tests finish in milliseconds.
const LIMITS = { timeoutMs: 2000, maxRows: 20, maxBytes: 50_000, concurrency: 4 };
/** A statement that runs until the timeout stops it. */
const ENDLESS = 'WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT count(*) FROM r';
const DAY = 86_400_000;

/** Orders over three whole UTC days before today: a few an hour at chosen hours, with known units and prices. */
function orderFacts(now = Date.now()) {
  const firstDay = Math.floor(now / DAY) * DAY - 3 * DAY;
  const facts: Array<{ time: Date; quantity: number; unitPrice: number; region: string; productId: string; orderId: string }> = [];
  for (let day = 0; day < 3; day++) {
    for (const [i, hour] of [1, 5, 5, 9, 13, 17, 22, 23].entries()) {
      facts.push({
        time: new Date(firstDay + day * DAY + hour * 3_600_000 + i * 60_000),
        quantity: 1 + ((day * 7 + i * 3) % 5),
        unitPrice: 10 + day + i,
        region: i % 2 ? 'EU' : 'US',
        productId: `p${i % 3}`,
        orderId: `sql-${day}-${i}`,
      });
    }
  }
  const events = facts.map((f) => ({
    specversion: '1.0',
    id: f.orderId,
    source: 'urn:test:sql-port',
    type: 'OrderPlaced',
    time: f.time.toISOString(),
    data: {
      orderId: f.orderId,
      productId: f.productId,
      quantity: f.quantity,
      unitPrice: f.unitPrice,
      region: f.region,
      channel: 'web',
      customerEmail: `${f.orderId}@example.com`,
    },
  }));
  const byDay = new Map<string, { units: number; revenue: number }>();
  for (const f of facts) {
    const day = new Date(Math.floor(f.time.getTime() / DAY) * DAY).toISOString();
    const entry = byDay.get(day) ?? { units: 0, revenue: 0 };
    entry.units += f.quantity;
    entry.revenue += f.quantity * f.unitPrice;
    byDay.set(day, entry);
  }
  return { events, byDay, facts };
}

const GRAINS_JOINED = `
  WITH hours AS (SELECT date_trunc('day', bucket) AS day, sum(units) AS units FROM sales_hour GROUP BY 1),
       days AS (SELECT bucket AS day, sum(units) AS units FROM sales_day GROUP BY 1)
  SELECT d.day, d.units AS day_units, h.units AS hour_units FROM days d JOIN hours h ON h.day = d.day ORDER BY d.day`;

function sqlPortSuite(store: 'duckdb' | 'postgres') {
  let mesh: SqlMesh;
  const { events, byDay, facts } = orderFacts();

  beforeAll(async () => {
    mesh = await startSqlMesh({ store, limits: LIMITS });
    await mesh.post('orders', events);
  }, 60_000);
  afterAll(async () => {
    await mesh?.close();
  });

  const expectRefused = async (sql: string, code: string, status: number, scopes: string[] = ['orders:read']) => {
    const answer = await mesh.sql({ sql }, scopes);
    expect({ status: answer.status, code: answer.body?.error?.code }).toEqual({ status, code });
    return answer.body.error as { code: string; message: string; column?: string; requires?: string };
  };

  it('should answer a join of the day and hour grains with the totals computed from the facts', async () => {
    const { status, body } = await mesh.sql({ sql: GRAINS_JOINED }, ['orders:read']);

    expect(status).toBe(200);
    expect(body.columns).toEqual([
      { name: 'day', type: 'TIMESTAMP' },
      { name: 'day_units', type: 'DOUBLE' },
      { name: 'hour_units', type: 'DOUBLE' },
    ]);
    const expected = [...byDay.entries()].sort().map(([day, { units }]) => [day, units, units]);
    expect(body.rows).toEqual(expected);
    expect(body.rowCount).toBe(3);
  });

  it('should bind $n params', async () => {
    const { status, body } = await mesh.sql({ sql: 'SELECT sum(units) AS units FROM sales_hour WHERE region = $1', params: ['EU'] }, ['orders:read']);

    expect(status).toBe(200);
    expect(body.rows).toEqual([[facts.filter((f) => f.region === 'EU').reduce((sum, f) => sum + f.quantity, 0)]]);
  });

  it('should give revenue to a caller with finance:read', async () => {
    const { status, body, headers } = await mesh.sql({ sql: 'SELECT bucket, sum(revenue) AS revenue FROM sales_day GROUP BY bucket ORDER BY bucket' }, [
      'finance:read',
    ]);

    expect(status).toBe(200);
    expect(headers.get('x-mesh-withheld-columns')).toBeNull();
    expect(body.rows).toEqual([...byDay.entries()].sort().map(([day, { revenue }]) => [day, revenue]));
  });

  it.each([
    ['named', 'SELECT revenue FROM sales_day'],
    ['in a subquery', 'SELECT sum(r) FROM (SELECT revenue AS r FROM sales_day) s'],
    ['in a CTE', 'WITH d AS (SELECT * FROM sales_day) SELECT sum(d.revenue) FROM d'],
    ['in a join', 'SELECT a.units FROM sales_day a JOIN sales_hour b ON a.revenue = b.revenue'],
    ['in ORDER BY', 'SELECT units FROM sales_day ORDER BY revenue'],
    ['as a field of a row', 'SELECT (t).revenue FROM sales_day t'],
  ])('should refuse revenue %s without finance:read, naming the column and the scope', async (_case, sql) => {
    const error = await expectRefused(sql, 'FORBIDDEN_COLUMN', 403);

    expect(error.column).toBe('revenue');
    expect(error.requires).toMatch(/finance:read/);
    expect(error.message).toMatch(/"revenue".*finance:read/);
  });

  it('should leave revenue out of SELECT * without finance:read, and say so', async () => {
    const { status, body, headers } = await mesh.sql({ sql: 'SELECT * FROM sales_day ORDER BY bucket, product_id, region' }, ['orders:read']);

    expect(status).toBe(200);
    expect(body.columns.map((c: { name: string }) => c.name)).toEqual(['bucket', 'product_id', 'region', 'channel', 'orders', 'cancellations', 'units']);
    expect(headers.get('x-mesh-withheld-columns')).toBe('revenue');
  });

  it.each([
    ['a star in a CTE', 'WITH d AS (SELECT * FROM sales_day) SELECT * FROM d'],
    ['a star over a join', 'SELECT * FROM sales_day a JOIN sales_hour b ON a.bucket = b.bucket'],
    ['a whole row as JSON', 'SELECT to_json(t) AS row FROM sales_day t'],
  ])('should not leak revenue through %s', async (_case, sql) => {
    const { status, text } = await mesh.sql({ sql }, ['orders:read']);

    expect(status).toBe(200);
    expect(text).not.toMatch(/revenue/i);
  });

  it('should mask governed keys of state values by the caller scopes', async () => {
    const sql = `SELECT key, value FROM "order" WHERE key = $1`;
    const plain = await mesh.sql({ sql, params: ['sql-0-1'] }, ['orders:read']);
    const finance = await mesh.sql({ sql, params: ['sql-0-1'] }, ['finance:read']);
    const all = await mesh.sql({ sql, params: ['sql-0-1'] }, ['finance:read', 'pii:read']);

    const value = (answer: typeof plain) => JSON.parse(answer.body.rows[0][1]) as Record<string, unknown>;
    expect(value(plain)).toMatchObject({ orderId: 'sql-0-1', quantity: facts[1].quantity, status: 'PLACED' });
    expect(Object.keys(value(plain))).not.toEqual(expect.arrayContaining(['unitPrice']));
    expect(Object.keys(value(plain))).not.toContain('customerEmail');
    expect(value(finance)).toMatchObject({ unitPrice: facts[1].unitPrice });
    expect(Object.keys(value(finance))).not.toContain('customerEmail');
    expect(value(all)).toMatchObject({ unitPrice: facts[1].unitPrice, customerEmail: 'sql-0-1@example.com' });
    // Each answer names the keys its state values lost, as the SDL spells them.
    expect(plain.headers.get('x-mesh-masked-value-keys')?.split(',')).toEqual(expect.arrayContaining(['unitPrice', 'customerEmail']));
    expect(finance.headers.get('x-mesh-masked-value-keys')?.split(',')).toEqual(expect.arrayContaining(['customerEmail']));
    expect(finance.headers.get('x-mesh-masked-value-keys')?.split(',')).not.toContain('unitPrice');
    expect(all.headers.get('x-mesh-masked-value-keys')).toBeNull();
  });

  it.each([
    ['INSERT', "INSERT INTO sales_day (bucket) VALUES ('2026-01-01')"],
    ['UPDATE', 'UPDATE sales_day SET units = 0'],
    ['DELETE', 'DELETE FROM sales_day'],
    ['DROP', 'DROP TABLE sales_day'],
    ['CREATE', 'CREATE TABLE x AS SELECT * FROM sales_day'],
    ['COPY', "COPY sales_day TO '/tmp/out.csv'"],
    ['SET', 'SET statement_timeout = 0'],
    ['transaction control', 'BEGIN'],
    ['several statements', 'SELECT 1; DROP TABLE sales_day'],
    ['a table of another schema', 'SELECT * FROM main.rollup_sales_day'],
    ['a stored table by its own name', 'SELECT * FROM rollup_sales_day'],
    ['facts', 'SELECT * FROM facts'],
    ['pg_catalog', 'SELECT * FROM pg_catalog.pg_class'],
    ['a catalog table unqualified', 'SELECT * FROM pg_class'],
    ['information_schema', 'SELECT * FROM information_schema.tables'],
    ['read_csv', "SELECT * FROM read_csv('/etc/passwd')"],
    ['read_parquet', "SELECT * FROM read_parquet('exports/orders/sales_hour.parquet')"],
    ['pg_read_file', "SELECT pg_read_file('/etc/passwd')"],
    ['dblink', "SELECT * FROM dblink('host=x', 'SELECT 1') AS t(a int)"],
    ['set_config', "SELECT set_config('statement_timeout', '0', false)"],
    ['FOR UPDATE', 'SELECT * FROM sales_day FOR UPDATE'],
    ['SELECT INTO', 'SELECT * INTO copy FROM sales_day'],
    ['a CTE name used out of its scope', 'SELECT * FROM (WITH facts AS (SELECT 1) SELECT * FROM facts) x, facts'],
  ])('should refuse %s with SQL_NOT_ALLOWED', async (_case, sql) => {
    await expectRefused(sql, 'SQL_NOT_ALLOWED', 403, ['orders:read', 'finance:read', 'pii:read']);
  });

  it("should answer SQL that does not parse with 400 and the parser's message", async () => {
    const error = await expectRefused('SELECT units FROM sales_day WHERE', 'SQL_PARSE_FAILED', 400);

    expect(error.message).toMatch(/syntax error at end of input/);
  });

  it("should answer a statement the database refuses with 400 and the database's message", async () => {
    const error = await expectRefused('SELECT no_such_column FROM sales_day', 'SQL_EXECUTION_FAILED', 400);

    expect(error.message).toMatch(/no_such_column/);
  });

  it('should stop a statement at the timeout', async () => {
    const started = Date.now();
    const error = await expectRefused(ENDLESS, 'STATEMENT_TIMEOUT', 400);

    expect(error.message).toMatch(/2000 ms/);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it("should answer another caller's statement while a slow one runs", async () => {
    const slow = mesh.sql({ sql: ENDLESS }, ['orders:read']);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const started = Date.now();
    const quick = await mesh.sql({ sql: 'SELECT count(*) AS n FROM sales_day' }, ['orders:read']);
    const quickMs = Date.now() - started;

    expect(quick.status).toBe(200);
    expect(quick.body.rows[0][0]).toBeGreaterThan(0);
    // The slow one is stopped at 2000 ms from its arrival; the quick one did not wait for it.
    expect(quickMs).toBeLessThan(1500);
    expect((await slow).body.error.code).toBe('STATEMENT_TIMEOUT');
  });

  it('should refuse an answer larger than the byte limit before holding it whole, and say which limit', async () => {
    const padding = 'x'.repeat(10_000);
    const { status, body } = await mesh.sql({ sql: 'SELECT bucket, $1 AS padding FROM sales_day', params: [padding] }, ['orders:read']);
    const small = await mesh.sql({ sql: 'SELECT bucket, $1 AS padding FROM sales_day LIMIT 2', params: [padding] }, ['orders:read']);

    expect({ status, code: body.error.code, maxBytes: body.error.maxBytes }).toEqual({ status: 400, code: 'RESULT_TOO_LARGE', maxBytes: 50_000 });
    expect(body.error.message).toMatch(/larger than 50000 bytes/);
    expect(small.status).toBe(200);
    expect(small.body.rows[1][1]).toBe(padding);
  });

  it('should answer in the type Accept prefers, q-values weighed, and 406 when it allows neither JSON nor CSV', async () => {
    const sql = 'SELECT count(*) AS n FROM sales_day';
    const json = await mesh.sql({ sql }, ['orders:read'], 'text/csv;q=0.5, application/json');
    const csv = await mesh.sql({ sql }, ['orders:read'], 'application/json;q=0.1, text/csv');
    const any = await mesh.sql({ sql }, ['orders:read'], '*/*');
    const arrow = await mesh.sql({ sql }, ['orders:read'], 'application/vnd.apache.arrow.stream');

    expect(json.headers.get('content-type')).toMatch(/^application\/json/);
    expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(any.headers.get('content-type')).toMatch(/^application\/json/);
    expect({ status: arrow.status, code: arrow.body.error.code }).toEqual({ status: 406, code: 'NOT_ACCEPTABLE' });
    expect(arrow.body.error.message).toMatch(/answers application\/json or text\/csv/);
  });

  it('should refuse more rows than the limit, and answer within it', async () => {
    const error = await expectRefused('SELECT * FROM sales_minute', 'RESULT_TOO_LARGE', 400);
    const limited = await mesh.sql({ sql: 'SELECT * FROM sales_minute ORDER BY bucket LIMIT 5' }, ['orders:read']);

    expect(facts.length).toBeGreaterThan(LIMITS.maxRows);
    expect(error.message).toMatch(/more than 20 rows/);
    expect(limited.body.rowCount).toBe(5);
  });

  it('should answer CSV when asked', async () => {
    const { status, headers, text } = await mesh.sql({ sql: GRAINS_JOINED }, ['orders:read'], 'text/csv');

    expect(status).toBe(200);
    expect(headers.get('content-type')).toMatch(/^text\/csv/);
    const lines = text.trimEnd().split('\r\n');
    expect(lines[0]).toBe('day,day_units,hour_units');
    expect(lines.slice(1).map((line) => Number(line.split(',')[1]))).toEqual([...byDay.entries()].sort().map(([, { units }]) => units));
  });

  it('should refuse an anonymous caller and a bad token with 401', async () => {
    const anonymous = await mesh.sql({ sql: 'SELECT 1' }, null);
    const response = await fetch(`http://127.0.0.1:${mesh.gateway.port}/sql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer nope' },
      body: JSON.stringify({ product: 'orders', sql: 'SELECT 1' }),
    });

    expect(anonymous.status).toBe(401);
    expect(response.status).toBe(401);
  });

  it('should refuse a direct request to the subgraph without the gateway identity', async () => {
    const response = await fetch(`http://127.0.0.1:${mesh.subgraphs.orders.served.port}/sql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ sql: 'SELECT * FROM sales_day' }),
    });

    expect(response.status).toBe(401);
  });

  it('should take the product by its descriptor id too', async () => {
    const { status, body } = await mesh.sql({ product: 'orders.sales', sql: 'SELECT count(*) AS n FROM sales_day' }, ['orders:read']);

    expect(status).toBe(200);
    expect(body.rows[0][0]).toBeGreaterThan(0);
  });

  it('should answer 404 for an unknown product', async () => {
    const { status, body } = await mesh.sql({ product: 'orders.nothing', sql: 'SELECT 1' }, ['orders:read']);

    expect(status).toBe(404);
    expect(body.error.code).toBe('NOT_FOUND');
    // The products offered, without the gateway's own catalog subgraph (`mesh`), which serves no SQL.
    expect(body.error.message).toMatch(/products: .*orders/);
    expect(body.error.message).not.toMatch(/\bmesh\b/);
  });

  it('should answer 404 for a product without a SQL port', async () => {
    const { status, body } = await mesh.sql({ product: 'inventory', sql: 'SELECT 1' }, ['orders:read']);

    expect(status).toBe(404);
    expect(body.error.code).toBe('NOT_FOUND');
  });

  it('should list the SQL port in the catalog with the gateway URL and the published relations', async () => {
    const response = await fetch(`http://127.0.0.1:${mesh.gateway.port}/catalog.json`);
    const catalog = (await response.json()) as { products: Array<{ domain: string; outputPorts: Array<Record<string, unknown>> }> };
    const orders = catalog.products.find((p) => p.domain === 'orders')!;

    expect(orders.outputPorts.filter((p) => p.kind === 'sql')).toEqual([
      expect.objectContaining({
        url: `http://127.0.0.1:${mesh.gateway.port}/sql`,
        format: store === 'postgres' ? 'postgresql' : 'duckdb',
        fields: ['sales_minute', 'sales_hour', 'sales_day', 'order'],
      }),
    ]);
  });

  describe('the database layer alone (the statement check bypassed)', () => {
    const runDirect = async (sql: string) => {
      const port = mesh.subgraphs.orders.runtime.store.sql!();
      await port.views({ id: 'direct', withheld: [], maskedKeys: [] });
      return port.run({ sql, params: [], maxRows: 10, maxBytes: 100_000, timeoutMs: 2000 });
    };

    it('should refuse a write', async () => {
      // DuckDB: a read-only transaction. PostgreSQL: the statement runs as a cursor, which takes a query only
      // (a data-modifying WITH is refused), in a read-only transaction as a role without write privileges.
      const write =
        store === 'postgres'
          ? `WITH gone AS (DELETE FROM "${mesh.schema}_sql_direct".sales_day RETURNING 1) SELECT count(*) FROM gone`
          : 'CREATE TABLE sqlport_escape (a int)';
      await expect(runDirect(write)).rejects.toThrow(/read-only|data-modifying/i);
    });

    it(store === 'postgres' ? 'should run as a role that cannot read the base tables' : 'should have no access to files', async () => {
      // DuckDB has no privileges: there the statement check alone keeps statements to the views (tested above).
      const sql = store === 'postgres' ? `SELECT count(*) FROM "${mesh.schema}".rollup_sales_day` : "SELECT * FROM read_csv('/etc/passwd')";
      await expect(runDirect(sql)).rejects.toThrow(/permission denied|disabled by configuration/i);
    });

    // PostgreSQL fetches an answer in slices (DuckDB streams it under one interrupt timer).
    const onPostgres = store === 'postgres' ? it : () => undefined;
    onPostgres('should stop a statement whose rows come slowly at the timeout in all, not per fetch of rows', async () => {
      const port = mesh.subgraphs.orders.runtime.store.sql!();
      await port.views({ id: 'direct', withheld: [], maskedKeys: [] });
      const started = Date.now();
      // 10 fetches of 1,000 rows, each ~110 ms (a 1 ms sleep every tenth row): every one within 500 ms, all of them not.
      const run = port.run({
        sql: 'SELECT CASE WHEN g % 10 = 0 THEN pg_sleep(0.001) END AS s, g FROM generate_series(1, 10000) g',
        params: [],
        maxRows: 100_000,
        maxBytes: 10_000_000,
        timeoutMs: 500,
      });

      await expect(run).rejects.toMatchObject({ name: 'SqlLimitError', limit: 'timeout' });
      expect(Date.now() - started).toBeLessThan(1_200);
    });

    it('should not let a statement change the settings for later statements', async () => {
      if (store === 'duckdb') {
        await expect(runDirect('SET enable_external_access = true')).rejects.toThrow(/locked/);
      } else {
        // A session-level change made inside the statement's transaction is rolled back with it.
        await runDirect("SELECT set_config('statement_timeout', '0', false)");
      }
      await expect(runDirect('WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT count(*) FROM r')).rejects.toThrow(/longer than 2000 ms/);
    });
  });
}

describe('SQL port on DuckDB', () => sqlPortSuite('duckdb'));
describeIfPostgres('SQL port on PostgreSQL', () => sqlPortSuite('postgres'));
