import { parse } from 'graphql';
import { copyWithout, csvToParquet } from '../../subgraphs/kit/exports/duckDbFiles.js';
import { parseExportFileName } from '../../subgraphs/kit/exports/exportFiles.js';
import { withheldColumns } from '../../subgraphs/kit/exports/withheldColumns.js';

const SDL = parse(`
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.6", import: ["@authenticated", "@requiresScopes", "@policy"])
  type Query { units: Int @requiresScopes(scopes: [["admin"]]) }
  type Bucket { units: Int, revenue: Float @requiresScopes(scopes: [["finance:read"]]), margin: Float @policy(policies: [["controller"]]) }
  type Secret @authenticated { customerEmail: String }
`);
const COLUMNS = ['bucket', 'units', 'revenue', 'margin', 'customer_email'];
const user = (scopes: string[]) => ({ sub: 'ada', scopes, claims: { kind: 'user' } });
const names = (withheld: Array<{ column: string }>) => withheld.map((w) => w.column);

describe('withheldColumns', () => {
  it('should withhold every governed column from the anonymous caller, and say why', () => {
    const withheld = withheldColumns(COLUMNS, SDL, null);

    expect(names(withheld)).toEqual(['revenue', 'margin', 'customer_email']);
    expect(withheld[0].reason).toBe('Bucket.revenue: it requires an authenticated caller');
  });

  it('should judge scopes, policies and type-level directives like GraphQL fields', () => {
    expect(names(withheldColumns(COLUMNS, SDL, user([])))).toEqual(['revenue', 'margin']);
    expect(names(withheldColumns(COLUMNS, SDL, user(['finance:read'])))).toEqual(['margin']);
    expect(names(withheldColumns(COLUMNS, SDL, user(['finance:read']), { controller: () => true }))).toEqual([]);
  });

  it('should not take a root field guard for a column of the same name', () => {
    expect(names(withheldColumns(['units'], SDL, null))).toEqual([]);
  });

  it('should refuse a service identity (not a user) governed columns', () => {
    expect(names(withheldColumns(COLUMNS, SDL, { sub: 'mesh-gateway', scopes: ['finance:read'], claims: { kind: 'service' } }))).toContain('revenue');
  });
});

describe('export file names', () => {
  it('should know only the exports of declared rollups', () => {
    expect(parseExportFileName('sales_hour.csv', ['sales'])).toEqual({ rollup: 'sales', format: 'csv' });
    expect(parseExportFileName('sales_hour.json', ['sales'])).toBeNull();
    expect(parseExportFileName('../sales_hour.csv', ['sales'])).toBeNull();
  });

  it('should refuse a path that could end the SQL literal', async () => {
    await expect(copyWithout("/tmp/x'.csv", 'csv', '/tmp/y.csv', [])).rejects.toThrow(/must not contain quotes/);
    await expect(csvToParquet("/tmp/x'.csv", '/tmp/y.parquet', [])).rejects.toThrow(/must not contain quotes/);
  });
});
