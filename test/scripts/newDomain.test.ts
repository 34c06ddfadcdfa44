/**
 * `npm run new-domain -- <name>` on a copy of the repository: the scaffold refuses bad and taken names,
 * writes a domain that type-checks, passes its own jest test, composes, and serves through a gateway on
 * first run (the subgraph started as `npm run subgraph` starts it, the supergraph written by compose).
 * The copy starts with the build (`dist/`, built first, a no-op when up to date), so the new-domain command
 * runs compiled as `npm run new-domain` runs it; the new domain itself is not built, so the subgraph and
 * compose then run its sources under tsx (emitting them with the type-check costs more than tsx does).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { parseSupergraph } from '../../core/apollo/index.js';
import { gatewayConfigFromEnv, startGateway, type RunningGateway } from '../../gateway/index.js';
import { signDevToken } from '../../scripts/devToken.js';
import { parseNewDomainArgs, scaffoldDomain } from '../../scripts/newDomainCommand.js';
import { withTimeout } from '../support/asyncWait.js';
import { buildEntryPoints } from '../support/useCompiledEntryPoints.js';

const ROOT = path.resolve(__dirname, '../..');
/** What a domain team's checkout holds that the scaffold, compose, the subgraph and jest need. */
const COPIED = ['core', 'gateway', 'subgraphs', 'schema', 'scripts', 'simulator', 'config', 'test/support', 'package.json', 'tsconfig.json', 'jest.config.cjs'];

let repo: string;
const children: ChildProcess[] = [];

/** Runs a script of the copy, compiled (`built`) or under tsx, and waits for it to end. */
function run(script: string, args: string[] = [], env: Record<string, string> = {}, built = false) {
  const entry = built ? [`dist/scripts/${script}.js`] : ['--import', 'tsx', `scripts/${script}.ts`];
  const result = spawnSync(process.execPath, [...entry, ...args], {
    cwd: repo,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    encoding: 'utf8',
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

const read = (file: string) => readFileSync(path.join(repo, file), 'utf8');

beforeAll(() => {
  buildEntryPoints();
  repo = mkdtempSync(path.join(os.tmpdir(), 'new-domain-'));
  for (const entry of [...COPIED, 'dist']) cpSync(path.join(ROOT, entry), path.join(repo, entry), { recursive: true });
  symlinkSync(realpathSync(path.join(ROOT, 'node_modules')), path.join(repo, 'node_modules'), 'dir');
}, 250_000);
afterAll(() => {
  for (const child of children) child.kill('SIGKILL');
  rmSync(repo, { recursive: true, force: true });
});

describe('new-domain refusals', () => {
  it.each([
    [['Returns'], /invalid name "Returns": a lowercase letter, then 1-29 lowercase letters or digits/],
    [['re-turns'], /invalid name "re-turns"/],
    [['kit'], /"kit" is reserved/],
    [[], /name the domain, e.g. npm run new-domain -- returns/],
    [['returns', 'again'], /one name only; got returns again/],
    [['returns', '--ownr', 'x'], /Unknown option '--ownr'/],
    [['returns', '--port', '70000'], /invalid --port "70000"/],
    [['returns', '--contact', 'nobody'], /invalid --contact "nobody"/],
    [['returns', '--owner', ' '], /--owner must not be empty/],
  ])('should refuse %j with the usage', (args, why) => {
    expect(() => parseNewDomainArgs(args)).toThrow(why);
    expect(() => parseNewDomainArgs(args)).toThrow('usage: npm run new-domain -- <name>');
  });

  it('should exit 2 on a bad name from the command line, writing nothing', () => {
    const domains = read('subgraphs/domains.ts');

    const result = run('newDomain', ['Returns'], {}, true);

    expect(result).toMatchObject({ status: 2, stdout: '' });
    expect(result.stderr).toMatch(/^new-domain: invalid name "Returns".*\nusage: npm run new-domain -- <name>/s);
    expect(read('subgraphs/domains.ts')).toBe(domains);
  });

  it('should refuse an existing domain and a taken port', () => {
    expect(scaffoldDomain(repo, { help: false, name: 'orders' }, {})).toEqual({
      ok: false,
      refused: true,
      report: 'domain "orders" exists already (subgraphs/domains.ts)',
    });
    expect(scaffoldDomain(repo, { help: false, name: 'returns', port: 4002 }, {})).toEqual({
      ok: false,
      refused: true,
      report: "port 4002 is another domain's default port (subgraphs/domains.ts)",
    });
    expect(scaffoldDomain(repo, { help: false, name: 'returns', port: 4000 }, {})).toEqual({
      ok: false,
      refused: true,
      report: "port 4000 is the gateway's (GATEWAY_PORT, default 4000)",
    });
    expect(scaffoldDomain(repo, { help: false, name: 'returns', port: 4100 }, { GATEWAY_PORT: '4100' })).toMatchObject({ ok: false, refused: true });
    expect(existsSync(path.join(repo, 'schema/returns.graphql'))).toBe(false);
  });

  it('should keep nothing when the new domain does not compose with the others', () => {
    const domains = read('subgraphs/domains.ts');
    const supergraph = read('schema/supergraph.graphql');

    // `order` scaffolds Query.orderHistory, which the orders domain owns.
    const result = scaffoldDomain(repo, { help: false, name: 'order' }, {});

    expect(result).toEqual({
      ok: false,
      refused: false,
      report: expect.stringMatching(/^the new domain does not compose with the others, nothing was kept:\n.*INVALID_FIELD_SHARING.*"Query\.orderHistory"/s),
    });
    expect(read('subgraphs/domains.ts')).toBe(domains);
    expect(read('schema/supergraph.graphql')).toBe(supergraph);
    for (const file of ['schema/order.graphql', 'subgraphs/order', 'test/subgraphs/order.test.ts']) expect(existsSync(path.join(repo, file))).toBe(false);
  });

  it('should refuse a domains.ts without its markers, and parse the options', () => {
    const file = path.join(repo, 'subgraphs/domains.ts');
    const domains = read('subgraphs/domains.ts');
    try {
      writeFileSync(file, domains.replace('// new-domain: entries above this line', ''));
      expect(scaffoldDomain(repo, { help: false, name: 'returns' }, {})).toMatchObject({
        ok: false,
        refused: true,
        report: expect.stringContaining('lost its "new-domain:" marker comments'),
      });
    } finally {
      writeFileSync(file, domains);
    }
    expect(parseNewDomainArgs(['returns', '--owner', ' Returns Desk ', '--contact', 'desk@example.com', '--port', '4100'])).toEqual({
      help: false,
      name: 'returns',
      owner: 'Returns Desk',
      contact: 'desk@example.com',
      port: 4100,
    });
    expect(parseNewDomainArgs(['--help'])).toEqual({ help: true });
  });
});

describe('a scaffolded domain', () => {
  let gateway: RunningGateway | undefined;
  afterAll(async () => {
    await gateway?.close();
  });

  it('should be written, registered and composed at the next free port', () => {
    const result = run('newDomain', ['returns', '--owner', 'Returns Desk'], {}, true);

    expect(result).toMatchObject({ status: 0, stderr: '' });
    expect(result.stdout).toContain('created domain "returns" (default port 4005)');
    expect(read('subgraphs/domains.ts')).toContain('  returns: { define: returnsProduct, defaultPort: 4005, sampleFacts: returnsSampleFacts },\n');
    expect(read('subgraphs/returns/returnsProduct.ts')).toContain("owner: { team: 'Returns Desk', contact: 'returns-team@example.com' }");
    const routes = parseSupergraph(read('schema/supergraph.graphql')).subgraphs.map((s) => [s.name, s.url]);
    expect(routes).toContainEqual(['returns', 'http://127.0.0.1:4005/graphql']);
    expect(routes).toContainEqual(['orders', 'http://127.0.0.1:4002/graphql']);
    // The scaffold imports and composes @classification: its example level survives into the supergraph.
    expect(read('schema/returns.graphql')).toContain('@composeDirective(name: "@classification")');
    expect(read('schema/supergraph.graphql')).toMatch(/type ReturnsBucket[^}]*amount: Float! @classification\(level: INTERNAL\)/);
    expect(scaffoldDomain(repo, { help: false, name: 'returns' }, {})).toMatchObject({
      ok: false,
      refused: true,
      report: 'domain "returns" exists already (subgraphs/domains.ts)',
    });
  });

  it('should type-check and pass its own test', () => {
    writeFileSync(
      path.join(repo, 'tsconfig.scaffold.json'),
      JSON.stringify({
        extends: './tsconfig.json',
        include: ['subgraphs/domains.ts', 'subgraphs/returns', 'scripts/start.ts', 'test/subgraphs/returns.test.ts'],
      }),
    );
    const tsc = spawnSync(process.execPath, [path.join(repo, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.scaffold.json'], {
      cwd: repo,
      encoding: 'utf8',
    });
    expect(tsc.stdout).toBe('');
    expect(tsc.status).toBe(0);

    const jest = spawnSync(process.execPath, [path.join(repo, 'node_modules/jest/bin/jest.js'), '--maxWorkers=1', 'test/subgraphs/returns.test.ts'], {
      cwd: repo,
      encoding: 'utf8',
    });
    expect(jest.stderr).toMatch(/Tests:\s+3 passed, 3 total/);
    expect(jest.status).toBe(0);
  }, 180_000);

  it('should serve through a gateway started from the composed supergraph', async () => {
    const env = {
      MESH_STORE: 'memory',
      MESH_DATA_DIR: path.join(repo, 'data'),
      MESH_EXPORT_DIR: path.join(repo, 'exports'),
      MESH_EXPORT_INTERVAL_MINUTES: '0',
    };
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/subgraph.ts', 'returns'], {
      cwd: repo,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env, RETURNS_PORT: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    const output: string[] = [];
    const ready = new Promise<string>((resolve, reject) => {
      for (const stream of [child.stdout, child.stderr])
        createInterface({ input: stream }).on('line', (line) => {
          output.push(line);
          const match = /^returns subgraph ready at http:\/\/127\.0\.0\.1:(\d+)\/graphql/.exec(line);
          if (match) resolve(match[1]);
        });
      child.once('exit', (code) => reject(new Error(`the subgraph exited (${code}):\n${output.join('\n')}`)));
    });
    const port = await withTimeout(ready, 'the returns subgraph', 60_000);

    expect(run('compose', [], { RETURNS_PORT: port })).toMatchObject({ status: 0, stderr: '' });
    gateway = await startGateway({
      config: gatewayConfigFromEnv({
        GATEWAY_PORT: '0',
        MESH_SUPERGRAPH_FILE: path.join(repo, 'schema/supergraph.graphql'),
        MESH_TRUSTED_SUBGRAPHS: 'returns',
        MESH_AUTH_JWKS_FILE: path.join(ROOT, 'config/dev-jwks.public.json'),
      }),
      log: () => {},
    });

    const { returnsSampleFacts } = (await import(path.join(repo, 'subgraphs/returns/returnsSampleFacts.ts'))) as {
      returnsSampleFacts: (now: Date) => Array<{ time: string; data: { amount: number } }>;
    };
    const facts = returnsSampleFacts(new Date());
    const producer = await signDevToken({ scopes: ['returns:write'], ttlSeconds: 60, privateJwksFile: path.join(ROOT, 'config/dev-jwks.private.json') });
    const posted = await fetch(`http://127.0.0.1:${port}/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${producer}` },
      body: JSON.stringify(facts),
    });
    expect(await posted.json()).toMatchObject({ applied: facts.length });

    const user = await signDevToken({ scopes: [], ttlSeconds: 60, privateJwksFile: path.join(ROOT, 'config/dev-jwks.private.json') });
    const query = `query ($range: TimeRangeInput!) { returnsHistory(range: $range, granularity: DAY) { total { count amount } } }`;
    const range = { from: new Date(Date.parse(facts[0].time) - 86_400_000).toISOString(), to: new Date().toISOString() };
    const response = await fetch(gateway.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${user}` },
      body: JSON.stringify({ query, variables: { range } }),
    });

    const amount = facts.reduce((sum, fact) => sum + fact.data.amount, 0);
    expect(await response.json()).toEqual({
      extensions: { dataProducts: expect.any(Array) },
      data: { returnsHistory: { total: { count: facts.length, amount } } },
    });
  }, 120_000);
});
