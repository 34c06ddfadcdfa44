/**
 * The gateway when a subgraph hangs, is slow, or keeps failing: real subgraphs (products, inventory)
 * behind loopback proxies the test scripts, a real gateway in front. A hanging subgraph is cut off at its
 * timeout and the rest of the answer arrives; the request deadline bounds a slow chain; an open breaker
 * fails fast (no request reaches the subgraph), shows in /ready, and closes once the subgraph recovers.
 */
import { createClient } from 'graphql-ws';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startGateway, type RunningGateway } from '../../gateway/index.js';
import { DEFAULT_SUBGRAPH_CLIENT_CONFIG, type SubgraphClientConfig } from '../../gateway/upstream/SubgraphClientConfig.js';
import WebSocket from 'ws';
import { deferred, nextValue, waitFor, withTimeout, type Deferred } from '../support/asyncWait.js';
import { createEventFeed } from '../support/eventFeed.js';
import {
  buildInventorySubgraph,
  buildPricesSubgraph,
  buildProductsSubgraph,
  composeProductMesh,
  inventoryContext,
  type PriceEvent,
} from '../support/productMeshSubgraphs.js';
import { forwardTo, hang, json, startScriptedServer, type ScriptedHandler, type ScriptedServer } from '../support/startScriptedServer.js';
import { startSubgraphServer, type SubgraphServer } from '../support/startSubgraphServer.js';

const QUERY = '{ product(id: "p1") { name stock } }';

/** A handler that forwards to `target` after `ms`. */
const slowly =
  (target: string, ms: number): ScriptedHandler =>
  (request, response, body) =>
    new Promise<void>((resolve) => setTimeout(resolve, ms)).then(() => forwardTo(target)(request, response, body));

describe('gateway with failing subgraphs', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mesh-subgraph-failures-'));
  let products: SubgraphServer;
  let inventory: SubgraphServer;
  let prices: SubgraphServer;
  const feed = createEventFeed<PriceEvent>();
  let productsProxy: ScriptedServer;
  let inventoryProxy: ScriptedServer;
  let supergraphFile: string;
  let gateway: RunningGateway | undefined;
  const logs: string[] = [];
  let logged: { pattern: RegExp; seen: Deferred<void> } | undefined;

  beforeAll(async () => {
    products = await startSubgraphServer(buildProductsSubgraph());
    inventory = await startSubgraphServer(buildInventorySubgraph(), { context: inventoryContext({ batches: [] }) });
    prices = await startSubgraphServer(buildPricesSubgraph(feed));
    productsProxy = await startScriptedServer(forwardTo(products.url));
    inventoryProxy = await startScriptedServer(forwardTo(inventory.url));
    supergraphFile = path.join(dir, 'supergraph.graphql');
    writeFileSync(supergraphFile, composeProductMesh({ products: productsProxy, inventory: inventoryProxy, prices }));
  });
  afterEach(async () => {
    await gateway?.close();
    gateway = undefined;
    productsProxy.handle(forwardTo(products.url));
    inventoryProxy.handle(forwardTo(inventory.url));
  });
  afterAll(async () => {
    await Promise.all([products, inventory, prices, productsProxy, inventoryProxy].map((server) => server.close()));
    rmSync(dir, { recursive: true, force: true });
  });

  const start = async (subgraphClient: Partial<SubgraphClientConfig>, readiness?: 'subgraphs' | 'supergraph') => {
    gateway = await startGateway({
      config: {
        ...(readiness && { readiness }),
        host: '127.0.0.1',
        port: 0,
        supergraph: { kind: 'file', path: supergraphFile, pollIntervalMs: 60_000 },
        subgraphWsUrls: {},
        introspection: false,
        landingPage: false,
        subgraphClient: { ...DEFAULT_SUBGRAPH_CLIENT_CONFIG, ...subgraphClient },
      },
      log: (_level, message) => {
        logs.push(message);
        if (logged?.pattern.test(message)) logged.seen.resolve();
      },
    });
    await waitFor(() => gateway?.supergraph() != null, 'the supergraph');
    return gateway;
  };
  const logLine = (pattern: RegExp) => (logged = { pattern, seen: deferred() }).seen.promise;
  const query = async (running: RunningGateway) => {
    const started = Date.now();
    const response = await fetch(running.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: QUERY }) });
    return { status: response.status, body: (await response.json()) as Record<string, unknown>, elapsed: Date.now() - started };
  };
  const ready = async (running: RunningGateway) => {
    const response = await fetch(running.url.replace(/\/graphql$/, '/ready'));
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  it('should cut off a hanging subgraph at its timeout and still answer with the other subgraphs’ data', async () => {
    const running = await start({ timeoutMs: 5_000, subgraphs: { inventory: { timeoutMs: 300 } } });
    inventoryProxy.handle(hang);

    const { status, body, elapsed } = await query(running);

    expect(status).toBe(200);
    expect(body).toEqual({
      data: { product: { name: 'Kettle', stock: null } },
      errors: [
        {
          message: 'Subgraph "inventory" did not answer within 300 ms.',
          path: ['product', 'stock'],
          extensions: { code: 'GATEWAY_TIMEOUT', serviceName: 'inventory' },
        },
      ],
    });
    expect(elapsed).toBeGreaterThanOrEqual(295);
    expect(elapsed).toBeLessThan(3_000);
  });

  it('should refuse a subgraph answer over the byte limit with an error naming the subgraph, and still answer with the other subgraphs’ data', async () => {
    const running = await start({ maxResponseBytes: 4_096, retry: { ...DEFAULT_SUBGRAPH_CLIENT_CONFIG.retry, retries: 0 } });
    inventoryProxy.handle((_request, response) => json(response, { data: { _entities: [{ stock: 1, padding: 'x'.repeat(100_000) }] } }));

    const { status, body } = await query(running);

    expect(status).toBe(200);
    expect(body).toEqual({
      data: { product: { name: 'Kettle', stock: null } },
      errors: [
        {
          message: 'Subgraph "inventory" answered more than 4096 bytes, the gateway\'s limit for one subgraph answer.',
          path: ['product', 'stock'],
          extensions: { code: 'DOWNSTREAM_SERVICE_ERROR', serviceName: 'inventory' },
        },
      ],
    });
  });

  it('should quote a subgraph that refuses the request as GraphQL (HTTP 400), sanitised, with its code, at the fields it was asked for', async () => {
    const running = await start({ retry: { ...DEFAULT_SUBGRAPH_CLIENT_CONFIG.retry, retries: 0 } });
    const refusal = 'Variable "$representations" got invalid value "x" at "representations[0].sku"; Sku must be 8 digits';
    inventoryProxy.handle((_request, response) =>
      json(response, { errors: [{ message: refusal, extensions: { code: 'BAD_USER_INPUT', stacktrace: ['at /srv/inventory/sku.js:1'] } }] }, 400),
    );

    const { status, body } = await query(running);

    expect(status).toBe(200);
    expect(body).toEqual({
      data: { product: { name: 'Kettle', stock: null } },
      errors: [{ message: refusal, path: ['product', 'stock'], extensions: { code: 'BAD_USER_INPUT', serviceName: 'inventory' } }],
    });
    expect(logs).toContainEqual(expect.stringContaining(`subgraph inventory failed to answer: 400: Bad Request (${refusal})`));
  });

  it('should not quote an HTTP error whose body is not GraphQL, and log what the subgraph said when it is (a 401 says why)', async () => {
    const running = await start({ retry: { ...DEFAULT_SUBGRAPH_CLIENT_CONFIG.retry, retries: 0 } });
    inventoryProxy.handle((_request, response) => {
      response.writeHead(400, { 'content-type': 'text/plain' }).end('bad request');
    });
    expect((await query(running)).body.errors).toEqual([
      {
        message: 'Subgraph "inventory" failed to answer (HTTP 400).',
        path: ['product', 'stock'],
        extensions: { code: 'DOWNSTREAM_SERVICE_ERROR', serviceName: 'inventory' },
      },
    ]);

    // A validation error is not quoted: for a query valid against the API schema it is the subgraph disagreeing
    // with its published schema, and its text may name fields clients cannot see.
    inventoryProxy.handle((_request, response) =>
      json(
        response,
        { errors: [{ message: 'Cannot query field "stock". Did you mean "costPrice"?', extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }] },
        400,
      ),
    );
    expect((await query(running)).body.errors).toEqual([
      {
        message: 'Subgraph "inventory" failed to answer (HTTP 400).',
        path: ['product', 'stock'],
        extensions: { code: 'DOWNSTREAM_SERVICE_ERROR', serviceName: 'inventory' },
      },
    ]);

    inventoryProxy.handle((_request, response) =>
      json(response, { errors: [{ message: 'the gateway token is not trusted', extensions: { code: 'UNAUTHENTICATED' } }] }, 401),
    );
    expect((await query(running)).body.errors).toEqual([
      {
        message: 'Subgraph "inventory" failed to answer (HTTP 401).',
        path: ['product', 'stock'],
        extensions: { code: 'DOWNSTREAM_SERVICE_ERROR', serviceName: 'inventory' },
      },
    ]);
    expect(logs).toContainEqual(expect.stringContaining('subgraph inventory failed to answer: 401: Unauthorized (the gateway token is not trusted)'));
  });

  it('should bound a chain of slow subgraphs by the request deadline', async () => {
    // Each subgraph answers in 1 s, well within its 5 s timeout; the chain would take 2 s. The deadline
    // falls while inventory is asked, or (on a loaded machine, products late) before it is asked: either
    // way inventory's part is cut off at the deadline, not after the chain.
    const running = await start({ timeoutMs: 5_000, requestDeadlineMs: 1_400 });
    productsProxy.handle(slowly(products.url, 1_000));
    inventoryProxy.handle(slowly(inventory.url, 1_000));

    const { body, elapsed } = await query(running);

    expect(body).toEqual({
      data: { product: { name: 'Kettle', stock: null } },
      errors: [
        {
          message: expect.stringMatching(/^Subgraph "inventory" (did not answer within \d+ ms|was not asked: the request deadline was spent)\.$/),
          path: ['product', 'stock'],
          extensions: { code: 'GATEWAY_TIMEOUT', serviceName: 'inventory' },
        },
      ],
    });
    expect(elapsed).toBeGreaterThanOrEqual(1_000);
    expect(elapsed).toBeLessThan(2_000);
  });

  it("should cut off a subscription event's entity fetch to a hanging subgraph at the request deadline, and keep the subscription", async () => {
    // The fetch timeout is far off: what ends the event's wait is its request deadline, as for a query.
    const running = await start({ timeoutMs: 60_000, requestDeadlineMs: 300, retry: { ...DEFAULT_SUBGRAPH_CLIENT_CONFIG.retry, retries: 0 } });
    const client = createClient({ url: running.wsUrl, webSocketImpl: WebSocket, retryAttempts: 0 });
    const events = client.iterate({ query: 'subscription { priceChanged(id: "p1") { price product { id name stock } } }' });
    try {
      const first = events.next(); // graphql-ws subscribes at the first next()
      await waitFor(() => feed.active === 1, 'the upstream subscription');
      logs.length = 0;
      inventoryProxy.handle(hang);
      feed.publish({ productId: 'p1', price: 1 });
      expect((await withTimeout(first, 'the event cut off at its deadline')).value).toEqual({
        data: { priceChanged: { price: 1, product: { id: 'p1', name: 'Kettle', stock: null } } },
        errors: [
          {
            message: expect.stringMatching(/^Subgraph "inventory" (did not answer within \d+ ms|was not asked: the request deadline was spent)\.$/),
            path: ['priceChanged', 'product', 'stock'],
            extensions: { code: 'GATEWAY_TIMEOUT', serviceName: 'inventory' },
          },
        ],
      });
      // Its detail goes to the gateway's log (JSON lines in production), not to bare stderr.
      expect(logs).toContainEqual(expect.stringMatching(/^subgraph inventory failed to answer: /));

      // The subscription goes on; the next event's fetch has a deadline of its own.
      inventoryProxy.handle(forwardTo(inventory.url));
      feed.publish({ productId: 'p1', price: 2 });
      expect(await nextValue(events, 'the next event')).toEqual({ data: { priceChanged: { price: 2, product: { id: 'p1', name: 'Kettle', stock: 20 } } } });
    } finally {
      await events.return?.();
      await client.dispose();
    }
  });

  it('should fail fast while a breaker is open, report it in /ready, and close it once the subgraph recovers', async () => {
    const running = await start({
      breaker: { errorPercent: 50, minRequests: 2, windowMs: 10_000, resetMs: 500 },
      retry: { ...DEFAULT_SUBGRAPH_CLIENT_CONFIG.retry, retries: 0 },
    });
    inventoryProxy.handle((_request, response) => json(response, { errors: [{ message: 'overloaded' }] }, 503));
    const opened = logLine(/^subgraph inventory: circuit breaker open/);
    const before = inventoryProxy.requests;

    for (let i = 0; i < 2; i += 1)
      expect((await query(running)).body).toMatchObject({
        data: { product: { name: 'Kettle', stock: null } },
        errors: [{ message: 'Subgraph "inventory" failed to answer (HTTP 503).', extensions: { code: 'DOWNSTREAM_SERVICE_ERROR', serviceName: 'inventory' } }],
      });
    await opened;
    const halfOpen = logLine(/^subgraph inventory: circuit breaker half-open/);
    const refused = await query(running);

    expect(refused.body).toEqual({
      data: { product: { name: 'Kettle', stock: null } },
      errors: [
        {
          message: 'Subgraph "inventory" is failing and is not asked for now (circuit breaker open).',
          path: ['product', 'stock'],
          extensions: { code: 'CIRCUIT_BREAKER_OPEN', serviceName: 'inventory' },
        },
      ],
    });
    expect(inventoryProxy.requests - before).toBe(2);

    // The subgraph is back, but the breaker has not let a request through yet: still not ready.
    inventoryProxy.handle(forwardTo(inventory.url));
    expect(await ready(running)).toEqual({
      status: 503,
      body: { status: 'degraded', problems: ['inventory: circuit breaker open (its fetches fail fast until a probe request succeeds)'] },
    });

    await halfOpen;
    const closed = logLine(/^subgraph inventory: circuit breaker closed/);
    expect((await query(running)).body).toEqual({ data: { product: { name: 'Kettle', stock: 20 } } });
    await closed;
    expect(await ready(running)).toEqual({ status: 200, body: { status: 'ready', subgraphs: 3 } });
  });

  it('should stay ready with MESH_READINESS=supergraph while a subgraph is down, naming it in a 200 answer', async () => {
    const running = await start({ retry: { ...DEFAULT_SUBGRAPH_CLIENT_CONFIG.retry, retries: 0 } }, 'supergraph');
    expect(await ready(running)).toEqual({ status: 200, body: { status: 'ready', subgraphs: 3 } });
    inventoryProxy.handle((_request, response) => void response.socket?.destroy());

    const { status, body } = await ready(running);

    expect(status).toBe(200);
    expect(body).toEqual({ status: 'degraded', subgraphs: 3, problems: [expect.stringMatching(/^inventory: /)] });
    // Queries still get every other subgraph's data.
    expect((await query(running)).body).toMatchObject({ data: { product: { name: 'Kettle', stock: null } } });
  });
});
