/**
 * Supergraph changes: the manager the gateway polls (file source in a temp dir; small inline subgraphs
 * composed with our own composeSubgraphs), and the compose step over a copy of `schema/`.
 */
import { cpSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { deferred, waitFor, withTimeout, type Deferred } from '../support/asyncWait.js';
import { composeSchemaDir } from '../../gateway/supergraph/composeSchemaDir.js';
import { composeSubgraphs, gatewayCompatibleSdl } from '../../core/apollo/index.js';
import { domainUrls } from '../../subgraphs/domains.js';
import { createSupergraphManager, type SupergraphSource } from '../../gateway/supergraph/createSupergraphManager.js';

const LINK = `extend schema @link(url: "https://specs.apollo.dev/federation/v2.6", import: ["@key"])`;
const REVIEWS = `${LINK}
  type Product @key(fields: "id") { id: ID! rating: Float }`;
const productsSdl = (extraFields: string) => `${LINK}
  type Product @key(fields: "id") { id: ID! name: String ${extraFields} }
  type Query { product(id: ID!): Product }`;

/** A supergraph of `products` (with `productFields`) and `reviews`, composed as the compose step does. */
function supergraph(productFields: string): string {
  const composed = composeSubgraphs([
    { name: 'products', url: 'http://127.0.0.1:4101/graphql', sdl: productsSdl(productFields) },
    { name: 'reviews', url: 'http://127.0.0.1:4102/graphql', sdl: REVIEWS },
  ]);
  if (!composed.ok) throw new Error(composed.report);
  return composed.supergraphSdl;
}

const V1 = supergraph('legacyCode: String');
const V2 = supergraph('legacyCode: String description: String');
const V3 = supergraph('description: String');

type LogLine = { level: 'info' | 'warn' | 'error'; message: string };

/** A manager over `source`, recording what it hands over and logs. */
function managerHarness(source: SupergraphSource) {
  const logs: LogLine[] = [];
  const taken: string[] = [];
  const updates: string[] = [];
  const manager = createSupergraphManager({
    source,
    onSupergraph: (snapshot) => void taken.push(snapshot.sdl),
    log: (level, message) => void logs.push({ level, message }),
    initialTimeoutMs: 5000,
  });
  const initialize = () =>
    manager.initialize({
      update: (sdl) => void updates.push(sdl),
      healthCheck: async () => {},
      getDataSource: () => {
        throw new Error('not used by these tests');
      },
    });
  return { manager, logs, taken, updates, initialize };
}

describe('createSupergraphManager with a supergraph file', () => {
  let dir: string;
  let file: string;
  let cleanup: (() => Promise<void>) | undefined;
  /** Replaces the file in one step, so a poll never reads half of it. */
  const writeSupergraph = (sdl: string) => {
    writeFileSync(`${file}.tmp`, sdl);
    renameSync(`${file}.tmp`, file);
  };

  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'supergraph-'));
    file = path.join(dir, 'supergraph.graphql');
  });
  afterEach(async () => {
    await cleanup?.();
    cleanup = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  it('should load the file, take new supergraphs, refuse garbage and warn about breaking changes', async () => {
    writeSupergraph(V1);
    const { manager, logs, taken, updates, initialize } = managerHarness({ kind: 'file', path: file, pollIntervalMs: 20 });

    const initial = await initialize();
    cleanup = initial.cleanup;
    expect(initial.supergraphSdl).toBe(gatewayCompatibleSdl(V1));
    expect(manager.current()?.sdl).toBe(V1);
    expect(taken).toEqual([V1]);

    // A compatible change is handed to the gateway on the next poll.
    writeSupergraph(V2);
    await waitFor(() => updates.length === 1, 'the update to V2', 2000);
    expect(updates).toEqual([gatewayCompatibleSdl(V2)]);
    expect(manager.current()?.sdl).toBe(V2);
    expect(taken).toEqual([V1, V2]);
    expect(logs.filter((l) => l.level !== 'info')).toEqual([]);

    // Garbage is refused with an error; the last good supergraph stays.
    writeSupergraph('this is { not a supergraph');
    await waitFor(() => logs.some((l) => l.level === 'error'), 'the error about the garbage', 2000);
    expect(logs.filter((l) => l.level === 'error')).toEqual([
      { level: 'error', message: expect.stringMatching(/^supergraph not updated, the last good one stays in service: .*Syntax Error/s) },
    ]);
    expect(manager.current()?.sdl).toBe(V2);
    expect(updates).toHaveLength(1);

    // A breaking change is taken (the compose step is where it is refused) but warned about.
    writeSupergraph(V3);
    await waitFor(() => updates.length === 2, 'the update to V3', 2000);
    expect(updates[1]).toBe(gatewayCompatibleSdl(V3));
    expect(manager.current()?.sdl).toBe(V3);
    expect(logs.filter((l) => l.level === 'warn')).toEqual([
      { level: 'warn', message: expect.stringContaining('FIELD_REMOVED: Product.legacyCode was removed.') },
    ]);
    expect(taken).toEqual([V1, V2, V3]);
  });

  it('should wait for a valid file instead of taking garbage as the first supergraph', async () => {
    writeSupergraph('type Query { half');
    const { manager, logs, taken, initialize } = managerHarness({ kind: 'file', path: file, pollIntervalMs: 20 });

    const initializing = initialize();
    await waitFor(() => logs.length > 0, 'the manager to report the bad file', 2000);
    writeSupergraph(V1);
    const initial = await withTimeout(initializing, 'the first supergraph', 4000);
    cleanup = initial.cleanup;

    expect(initial.supergraphSdl).toBe(gatewayCompatibleSdl(V1));
    expect(manager.current()?.sdl).toBe(V1);
    expect(taken).toEqual([V1]);
    expect(logs[0]).toEqual({ level: 'info', message: expect.stringMatching(/^waiting for the supergraph: .*Syntax Error/s) });
  });
});

describe('createSupergraphManager polling running subgraphs', () => {
  /** One subgraph answering `_service { sdl }`; each request waits until the test answers it. */
  let server: Server;
  let requests: Array<Deferred<string>>;
  let arrived: Array<Deferred<void>>;

  beforeEach(async () => {
    requests = [];
    arrived = Array.from({ length: 10 }, () => deferred());
    server = createServer((req: IncomingMessage, res: ServerResponse) => {
      const answer = deferred<string>();
      arrived[requests.length]?.resolve();
      requests.push(answer);
      req.resume();
      void answer.promise.then((sdl) => res.setHeader('content-type', 'application/json').end(JSON.stringify({ data: { _service: { sdl } } })));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });
  afterEach(async () => {
    for (const request of requests) request.resolve(productsSdl(''));
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('should stop polling when cleaned up while a poll is in flight', async () => {
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
    const { taken, updates, initialize } = managerHarness({ kind: 'subgraphs', subgraphs: [{ name: 'products', url }], pollIntervalMs: 10 });

    const initializing = initialize();
    await withTimeout(arrived[0].promise, 'the first SDL request');
    requests[0].resolve(productsSdl(''));
    const { cleanup } = await initializing;
    await withTimeout(arrived[1].promise, 'the first poll');

    await cleanup!();
    requests[1].resolve(productsSdl('description: String'));

    // A stopped manager takes nothing and asks nothing more: no request within 20 poll intervals.
    await expect(withTimeout(arrived[2].promise, 'a poll after cleanup', 200)).rejects.toThrow('Timed out');
    expect(updates).toEqual([]);
    expect(taken).toHaveLength(1);
  });
});

describe('composeSchemaDir over a copy of schema/', () => {
  const urls = { ...domainUrls(), pricing: 'http://127.0.0.1:4099/graphql' };
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'schema-'));
    cpSync(path.resolve('schema'), dir, { recursive: true });
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const edit = (file: string, change: (sdl: string) => string) => {
    const target = path.join(dir, file);
    const before = readFileSync(target, 'utf8');
    const after = change(before);
    expect(after).not.toBe(before);
    writeFileSync(target, after);
  };

  it('should compose the schema as checked in, with no breaking change against its supergraph', () => {
    const result = composeSchemaDir({ schemaDir: dir, urls: domainUrls() });

    expect(result).toMatchObject({ ok: true, breaking: '' });
  });

  it('should refuse a subgraph that redefines a non-shareable field, naming the code and the field', () => {
    writeFileSync(
      path.join(dir, 'pricing.graphql'),
      `extend schema @link(url: "https://specs.apollo.dev/federation/v2.6", import: ["@key"])
       type Product @key(fields: "id") { id: ID! name: String! listPrice: Float }`,
    );

    const result = composeSchemaDir({ schemaDir: dir, urls });

    expect(result.ok).toBe(false);
    const report = (result as { report: string }).report;
    expect(report).toMatch(/^the schema does not compose: 1 error\(s\)\n- INVALID_FIELD_SHARING: /);
    expect(report).toContain('"Product.name"');
    expect(report).toContain('"catalog" and "pricing"');
  });

  it('should name the subgraph whose file does not parse', () => {
    writeFileSync(path.join(dir, 'pricing.graphql'), 'type Product {');

    expect(composeSchemaDir({ schemaDir: dir, urls })).toEqual({
      ok: false,
      report: expect.stringMatching(/^the schema does not compose: 1 subgraph\(s\) have syntax errors\n- \[pricing\] GRAPHQL_SYNTAX: Syntax Error/),
    });
  });

  it('should refuse removing a field clients use unless breaking changes are allowed', () => {
    edit('catalog.graphql', (sdl) => sdl.replace(/\n\s*"Categories in use\."\n\s*categories: \[String!\]!/, ''));

    const refused = composeSchemaDir({ schemaDir: dir, urls: domainUrls() });
    expect(refused).toEqual({
      ok: false,
      report: 'the change breaks clients of the current supergraph (pass --allow-breaking to accept):\n- FIELD_REMOVED: Query.categories was removed.',
    });

    const allowed = composeSchemaDir({ schemaDir: dir, urls: domainUrls(), allowBreaking: true });
    expect(allowed).toMatchObject({ ok: true, breaking: '- FIELD_REMOVED: Query.categories was removed.' });
    expect((allowed as { supergraphSdl: string }).supergraphSdl).not.toContain('categories');
  });
});
