/**
 * `npm run compose`: every subgraph routed to its own domain's address (subgraphs/domains.ts), the
 * committed supergraph equal to what compose produces now (the CI check), and a command line that refuses
 * what it does not understand without writing anything.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseSupergraph } from '../../core/apollo/index.js';
import { gatewayConfigFromEnv, startGateway, type RunningGateway } from '../../gateway/index.js';
import { DOMAINS, DOMAIN_NAMES, domainUrls, type DomainName } from '../../subgraphs/domains.js';
import { startSubgraph, type RunningSubgraph } from '../../subgraphs/startSubgraph.js';
import { composeDomains, composeUrls, parseComposeArgs, runCompose } from '../../scripts/composeCommand.js';
import { testSubgraphConfig } from '../support/testSubgraphConfig.js';
import { buildEntryPoints } from '../support/useCompiledEntryPoints.js';

const ROOT = path.resolve(__dirname, '../..');
const SCHEMA = path.join(ROOT, 'schema');

/** The `name → url` of a composed supergraph's subgraphs. */
function routes(supergraphSdl: string): Record<string, string> {
  return Object.fromEntries(parseSupergraph(supergraphSdl).subgraphs.map((s) => [s.name, s.url]));
}

describe('compose routing', () => {
  // Both tests below read the same composition of the committed schema files: compose them once.
  let composed: ReturnType<typeof composeDomains> | undefined;
  const composeCommitted = () => (composed ??= composeDomains(SCHEMA, {}));

  it('should route every demo subgraph to its own default port', () => {
    const result = composeCommitted();
    if (!result.ok) throw new Error(result.report);

    const expected = Object.fromEntries(DOMAIN_NAMES.map((d) => [d, `http://127.0.0.1:${DOMAINS[d].defaultPort}/graphql`]));
    expect(routes(result.supergraphSdl)).toEqual({ ...expected, mesh: 'local://mesh' });
    expect(new Set(DOMAIN_NAMES.map((d) => DOMAINS[d].defaultPort)).size).toBe(DOMAIN_NAMES.length);
  });

  it('should equal the committed schema/supergraph.graphql (run npm run compose when this fails)', () => {
    const result = composeCommitted();
    if (!result.ok) throw new Error(result.report);

    expect(result.breaking).toBe('');
    expect(readFileSync(path.join(SCHEMA, 'supergraph.graphql'), 'utf8')).toBe(result.supergraphSdl);
  });

  it("should agree with the gateway's default MESH_SUBGRAPHS on every domain it names", () => {
    // The gateway may not import subgraphs/, so its default list is a copy: this keeps the copy honest.
    const { supergraph } = gatewayConfigFromEnv({});
    if (supergraph.kind !== 'subgraphs') throw new Error('the default gateway composes from subgraphs');

    const urls = domainUrls() as Record<string, string>;
    expect(supergraph.subgraphs.map((s) => [s.name, s.url])).toEqual(supergraph.subgraphs.map((s) => [s.name, urls[s.name]]));
    expect(supergraph.subgraphs.length).toBeGreaterThanOrEqual(4);
  });

  it('should take MESH_HOST and <DOMAIN>_PORT as the subgraphs do, and MESH_SUBGRAPHS over both', () => {
    const urls = composeUrls({ MESH_HOST: 'orders.internal', ORDERS_PORT: '5002', MESH_SUBGRAPHS: 'shipping=http://ship:9/graphql|http://ship2:9/graphql' });

    expect(urls).toEqual({
      ...domainUrls({ MESH_HOST: 'orders.internal' }),
      orders: 'http://orders.internal:5002/graphql',
      shipping: 'http://ship:9/graphql',
    });
    expect(urls.inventory).toBe(`http://orders.internal:${DOMAINS.inventory.defaultPort}/graphql`);
    expect(() => composeUrls({ MESH_SUBGRAPHS: 'orders' })).toThrow('invalid MESH_SUBGRAPHS entry "orders": use name=url');
  });

  describe('a gateway started from the composed file', () => {
    const subgraphs = {} as Record<DomainName, RunningSubgraph>;
    let dir: string;
    let gateway: RunningGateway | undefined;

    beforeAll(async () => {
      dir = mkdtempSync(path.join(os.tmpdir(), 'compose-'));
      cpSync(SCHEMA, dir, { recursive: true });
      for (const domain of DOMAIN_NAMES) subgraphs[domain] = await startSubgraph(testSubgraphConfig(domain, path.join(dir, 'exports')));
    });
    afterAll(async () => {
      await gateway?.close();
      await Promise.all(Object.values(subgraphs).map((s) => s.close()));
      rmSync(dir, { recursive: true, force: true });
    });

    it('should answer every domain from its own subgraph', async () => {
      const env = Object.fromEntries(DOMAIN_NAMES.map((d) => [`${d.toUpperCase()}_PORT`, String(subgraphs[d].served.port)]));
      expect(runCompose({ help: false, check: false, allowBreaking: false }, dir, env)).toMatchObject({ exitCode: 0, err: [] });
      gateway = await startGateway({
        config: {
          host: '127.0.0.1',
          port: 0,
          supergraph: { kind: 'file', path: path.join(dir, 'supergraph.graphql'), pollIntervalMs: 60_000 },
          subgraphWsUrls: {},
          introspection: false,
          landingPage: false,
        },
        log: () => {},
      });
      const range = '{ from: "2026-01-01T00:00:00Z", to: "2026-01-02T00:00:00Z" }';
      // One root field per domain: a subgraph that got another domain's field answers a validation error.
      const query = `{
        categories
        orderHistory(range: ${range}, granularity: DAY) { __typename }
        inventoryHistory(range: ${range}, granularity: DAY) { __typename }
        deliveryPerformance(range: ${range}, granularity: DAY) { __typename }
      }`;
      const response = await fetch(gateway.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query }) });

      const body = (await response.json()) as { data: unknown; extensions: { dataProducts: Array<{ id: string }> } };
      expect(body.data).toEqual({
        categories: [],
        orderHistory: { __typename: 'OrderHistory' },
        inventoryHistory: { __typename: 'StockHistory' },
        deliveryPerformance: { __typename: 'DeliveryPerformance' },
      });
      // Each domain's own subgraph answered: every product it read is listed with its freshness.
      expect(body.extensions.dataProducts.map((read) => read.id).sort()).toEqual([
        'catalog.products',
        'inventory.stock',
        'orders.sales',
        'shipping.deliveries',
      ]);
      expect(response.status).toBe(200);
    });
  });
});

describe('compose command line', () => {
  let dir: string;
  // The supergraph as committed before issue #14: orders and inventory routed to each other's port.
  const committed = readFileSync(path.join(SCHEMA, 'supergraph.graphql'), 'utf8');
  const STALE = committed
    .replace(`:${DOMAINS.orders.defaultPort}/`, ':PORT_A/')
    .replace(`:${DOMAINS.inventory.defaultPort}/`, `:${DOMAINS.orders.defaultPort}/`)
    .replace(':PORT_A/', `:${DOMAINS.inventory.defaultPort}/`);
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'compose-cli-'));
    cpSync(SCHEMA, dir, { recursive: true });
    writeFileSync(path.join(dir, 'supergraph.graphql'), STALE);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  // Compiled, as `npm run compose` runs it (the build is a no-op when up to date).
  beforeAll(buildEntryPoints, 250_000);

  /** Runs `dist/scripts/compose.js` as `npm run compose` does, on the copy. */
  const compose = (...args: string[]) => {
    const env = { PATH: process.env.PATH, HOME: process.env.HOME, MESH_SCHEMA_DIR: dir };
    const run = spawnSync(process.execPath, [path.join(ROOT, 'dist/scripts/compose.js'), ...args], { cwd: ROOT, env, encoding: 'utf8' });
    return { status: run.status, stdout: run.stdout, stderr: run.stderr, written: readFileSync(path.join(dir, 'supergraph.graphql'), 'utf8') };
  };

  it('should print the usage for --help and write nothing', () => {
    const run = compose('--help');

    expect(run).toMatchObject({ status: 0, stderr: '', written: STALE });
    expect(run.stdout).toMatch(/^usage: npm run compose/);
  });

  it('should refuse a misspelt flag with the usage, exit 2 and write nothing', () => {
    const run = compose('--chek');

    expect(run).toMatchObject({ status: 2, stdout: '', written: STALE });
    expect(run.stderr).toMatch(/^compose: Unknown option '--chek'.*\nusage: npm run compose/s);
  });

  it.each([['--allow-breaking', 'extra'], ['--check=yes'], ['-x']])('should refuse %j with the usage', (...args) => {
    expect(() => parseComposeArgs(args)).toThrow(/\nusage: npm run compose/);
  });

  it('should fail --check on a stale file, write it without flags, then pass --check', () => {
    const stale = compose('--check');
    expect(stale).toMatchObject({ status: 1, written: STALE });
    expect(stale.stderr).toContain('is not what compose produces: run npm run compose and commit it');

    const written = compose();
    expect(written).toMatchObject({ status: 0, stderr: '' });
    expect(written.written).toBe(committed);
    expect(routes(written.written)).toMatchObject({ orders: domainUrls().orders, inventory: domainUrls().inventory });

    // The two processes above show how an outcome becomes an exit code and output; the passing check needs no third.
    expect(runCompose({ help: false, check: true, allowBreaking: false }, dir, {})).toMatchObject({
      exitCode: 0,
      out: [expect.stringMatching(/supergraph\.graphql is up to date/)],
      err: [],
    });
  });

  it('should parse flags into what compose does', () => {
    expect(parseComposeArgs([])).toEqual({ help: false, check: false, allowBreaking: false });
    expect(parseComposeArgs(['--check', '--allow-breaking'])).toEqual({ help: false, check: true, allowBreaking: true });
    expect(parseComposeArgs(['-h'])).toEqual({ help: true });
  });

  it('should refuse a schema file no domain routes, naming it', () => {
    writeFileSync(path.join(dir, 'pricing.graphql'), 'type Query { price: Float }');

    const run = runCompose({ help: false, check: false, allowBreaking: false }, dir, {});

    expect(run.exitCode).toBe(1);
    expect(run.err[0]).toMatch(/^the subgraphs and their URLs do not match:\n- NO_ROUTING_URL: subgraph "pricing" \(.*pricing\.graphql\) has no URL$/);
    expect(readFileSync(path.join(dir, 'supergraph.graphql'), 'utf8')).toBe(STALE);
  });

  it('should refuse a URL for a subgraph without a schema file, and report what does not compose', () => {
    const unknown = runCompose({ help: false, check: true, allowBreaking: false }, dir, { MESH_SUBGRAPHS: 'ghost=http://127.0.0.1:1/graphql' });
    expect(unknown.err[0]).toContain('- NO_SCHEMA_FILE: subgraph "ghost" has a URL (http://127.0.0.1:1/graphql) but no');

    writeFileSync(path.join(dir, 'orders.graphql'), 'type Query {');
    expect(runCompose({ help: false, check: true, allowBreaking: false }, dir, {})).toMatchObject({
      exitCode: 1,
      err: [expect.stringContaining('[orders] GRAPHQL_SYNTAX')],
    });
  });

  it('should refuse to replace a current supergraph it cannot read unless breaking changes are allowed', () => {
    cpSync(path.join(SCHEMA, 'orders.graphql'), path.join(dir, 'orders.graphql'));
    writeFileSync(path.join(dir, 'supergraph.graphql'), 'type Query {');

    const refused = runCompose({ help: false, check: false, allowBreaking: false }, dir, {});
    expect(refused).toMatchObject({
      exitCode: 1,
      err: [expect.stringMatching(/^the current supergraph .* is not a supergraph \(Syntax Error.*\); pass --allow-breaking to replace it$/)],
    });
    expect(readFileSync(path.join(dir, 'supergraph.graphql'), 'utf8')).toBe('type Query {');

    expect(runCompose({ help: false, check: false, allowBreaking: true }, dir, {})).toMatchObject({ exitCode: 0 });
    expect(readFileSync(path.join(dir, 'supergraph.graphql'), 'utf8')).toBe(committed);
  });
});
