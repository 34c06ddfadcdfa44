/**
 * The SQL port's statement check alone (`subgraphs/kit/sql/checkSelect.ts`): what it rewrites and what it
 * refuses, without a database. `test/sql/sqlPort.test.ts` runs the same rules end to end on both stores.
 */
import { checkSelect } from '../../subgraphs/kit/sql/checkSelect.js';
import { sqlAccess } from '../../subgraphs/kit/sql/sqlProfile.js';
import { loadTypeDefs } from '../../subgraphs/kit/index.js';
import { ordersProduct } from '../../subgraphs/orders/ordersProduct.js';

const views = new Map([
  ['sales_day', '"v"."sales_day"'],
  ['sales_hour', '"v"."sales_hour"'],
  ['order', '"v"."order"'],
]);
const forbidden = new Map([['revenue', { column: 'revenue', requires: 'SalesBucket.revenue: it requires scope finance:read' }]]);
const check = (sql: string) => checkSelect(sql, { views, forbidden });
const expectCode = async (sql: string, code: string) => expect(check(sql)).rejects.toMatchObject({ extensions: expect.objectContaining({ code }) });

describe('checkSelect', () => {
  it.each([
    ['SELECT units FROM sales_day;', 'SELECT units FROM "v"."sales_day"'],
    ['SELECT units FROM "sales_day" d', 'SELECT units FROM "v"."sales_day" d'],
    ['SELECT units FROM SALES_DAY', 'SELECT units FROM "v"."sales_day"'],
    ["SELECT 'é — ü' AS x, units FROM sales_day", 'SELECT \'é — ü\' AS x, units FROM "v"."sales_day"'],
    ['SELECT value FROM "order" WHERE key = $1', 'SELECT value FROM "v"."order" WHERE key = $1'],
    [
      'WITH sales_day AS (SELECT units FROM sales_hour) SELECT * FROM sales_day',
      'WITH sales_day AS (SELECT units FROM "v"."sales_hour") SELECT * FROM sales_day',
    ],
    [
      'WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 3) SELECT * FROM r, sales_day',
      'WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 3) SELECT * FROM r, "v"."sales_day"',
    ],
    ["SELECT extract(hour FROM bucket), bucket AT TIME ZONE 'UTC', units::int FROM sales_hour", 'FROM "v"."sales_hour"'],
  ])('should rewrite %s to read the views', async (sql, expected) => {
    expect(await check(sql)).toContain(expected);
  });

  it('should not let a non-recursive CTE see a later one, which would reach a table of that name', async () => {
    await expectCode('WITH a AS (SELECT * FROM b), b AS (SELECT 1) SELECT * FROM a', 'SQL_NOT_ALLOWED');
  });

  it.each([
    ['a string literal', "SELECT 'revenue' AS label FROM sales_day", null],
    ['a column', 'SELECT Revenue FROM sales_day', 'FORBIDDEN_COLUMN'],
    ['a CTE column list', 'WITH c(revenue) AS (SELECT units FROM sales_day) SELECT 1 FROM c', 'FORBIDDEN_COLUMN'],
    ['USING', 'SELECT 1 FROM sales_day JOIN sales_hour USING (revenue)', 'FORBIDDEN_COLUMN'],
  ])('should judge revenue in %s by name', async (_case, sql, code) => {
    if (code) await expectCode(sql, code);
    else await expect(check(sql)).resolves.toContain('"v"."sales_day"');
  });

  it.each([
    ['current_user', 'SELECT current_user'],
    ['a qualified function', 'SELECT pg_catalog.now()'],
    ['a qualified operator', 'SELECT 1 OPERATOR(pg_catalog.+) 1'],
    ['a regclass cast', "SELECT 'pg_class'::regclass"],
    ['TABLESAMPLE', 'SELECT * FROM sales_day TABLESAMPLE SYSTEM (10)'],
    ['an empty statement', '-- nothing'],
    ['a table function in a lateral join', 'SELECT * FROM sales_day, LATERAL generate_series(1, 2)'],
    ['DuckDB-only syntax', 'FROM sales_day SELECT units'],
  ])('should refuse %s', async (_case, sql) => {
    await expect(check(sql)).rejects.toMatchObject({
      extensions: expect.objectContaining({ code: expect.stringMatching(/^SQL_(NOT_ALLOWED|PARSE_FAILED)$/) }),
    });
  });

  it("should refuse the embedded store's own sketch merge functions by name (they are in its catalog)", async () => {
    for (const name of ['mesh_merge_hll', 'mesh_merge_ddsketch'])
      await expect(check(`SELECT ${name}(NULL) FROM sales_day`)).rejects.toMatchObject({
        message: `function ${name}() is not allowed in the SQL port`,
        extensions: expect.objectContaining({ code: 'SQL_NOT_ALLOWED' }),
      });
  });
});

describe('sqlAccess', () => {
  const product = ordersProduct(loadTypeDefs('schema', 'orders'));
  const user = (scopes: string[]) => ({ sub: 'u', scopes, claims: { kind: 'user' } });

  it('should withhold revenue without finance:read and mask the governed keys of states', () => {
    const { profile, forbidden } = sqlAccess(product, user(['orders:read']));

    expect(profile.withheld).toEqual(['revenue']);
    expect(profile.maskedKeys).toEqual(expect.arrayContaining(['revenue', 'unitprice', 'customeremail']));
    expect(forbidden.get('unitprice')).toEqual({ column: 'unitPrice', requires: expect.stringMatching(/finance:read/) });
  });

  it('should share one profile between callers denied the same columns, and give another to a caller allowed more', () => {
    const a = sqlAccess(product, user(['orders:read'])).profile;
    const b = sqlAccess(product, user(['inventory:read'])).profile;
    const c = sqlAccess(product, user(['finance:read'])).profile;

    expect(a.id).toBe(b.id);
    expect(c.id).not.toBe(a.id);
    expect(c.withheld).toEqual([]);
    expect(c.id).toMatch(/^[0-9a-f]{12}$/);
  });

  it('should withhold everything governed from an anonymous caller', () => {
    expect(sqlAccess(product, null).profile.withheld).toEqual(['revenue']);
  });
});
