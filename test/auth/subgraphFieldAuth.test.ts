/**
 * Defence in depth: a subgraph enforces its own SDL's @authenticated / @requiresScopes against the
 * identity in the gateway token, so a caller holding a valid gateway token (captured, or minted with a
 * leaked secret) gets no governed field the identity lacks the right to: over HTTP, through `_entities`,
 * and over websockets. Also: the gateway sends identities only to the subgraphs it trusts.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'graphql';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { createGatewayAuth } from '../../gateway/auth/createGatewayAuth.js';
import { createGatewayTokenSigner } from '../../gateway/auth/createGatewayTokenSigner.js';
import { IdentityDataSource } from '../../gateway/auth/IdentityDataSource.js';
import type { Principal } from '../../gateway/auth/Principal.js';
import { startGateway, type RunningGateway } from '../../gateway/index.js';
import { readAuthDirectives } from '../../subgraphs/kit/auth/readAuthDirectives.js';
import { signDevToken } from '../../scripts/devToken.js';
import { startSubgraph, type RunningSubgraph } from '../../subgraphs/startSubgraph.js';
import type { DomainName } from '../../subgraphs/domains.js';
import { deferred, withTimeout } from '../support/asyncWait.js';
import { DEV_PUBLIC_JWKS, TEST_GATEWAY_SECRET, TEST_PRODUCERS, testGatewayAuth } from '../support/startAuthMesh.js';
import { testSubgraphConfig } from '../support/testSubgraphConfig.js';
import { testGatewayConfig } from '../support/testGatewayConfig.js';

const exportDir = mkdtempSync(path.join(os.tmpdir(), 'mesh-subgraph-auth-'));
const secured = (domain: DomainName, enforceDirectives?: boolean) =>
  startSubgraph(
    testSubgraphConfig(domain, exportDir, {
      auth: { gatewaySecret: TEST_GATEWAY_SECRET, producers: TEST_PRODUCERS, ...(enforceDirectives === false && { enforceDirectives }) },
    }),
  );
const signer = createGatewayTokenSigner({ secret: TEST_GATEWAY_SECRET });
const user = (scopes: string[]): Principal => ({ authenticated: true, sub: 'mallory', scopes, claims: {} });
const ANONYMOUS: Principal = { authenticated: false, scopes: [], claims: {} };
const NO_FINANCE = user(['orders:read']);
const FINANCE = user(['orders:read', 'finance:read']);
const range = { from: new Date(Date.now() - 86_400_000).toISOString(), to: new Date(Date.now() + 3_600_000).toISOString() };

let orders: RunningSubgraph;
let unenforced: RunningSubgraph;
let orderPlaced: (id: string, target?: RunningSubgraph) => Promise<void>;
beforeAll(async () => {
  [orders, unenforced] = await Promise.all([secured('orders'), secured('orders', false)]);
  const producer = await signDevToken({ scopes: ['orders:write'], ttlSeconds: 600 });
  orderPlaced = async (id, target = orders) => {
    const fact = {
      specversion: '1.0',
      id,
      source: 'urn:test:subgraph-auth',
      type: 'OrderPlaced',
      time: new Date(Date.now() - 1000).toISOString(),
      data: { orderId: id, productId: 'p1', quantity: 2, unitPrice: 10, region: 'eu', channel: 'web', customerEmail: 'a@example.com' },
    };
    const response = await fetch(target.served.url.replace(/\/graphql$/, '/events'), {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${producer}` },
      body: JSON.stringify(fact),
    });
    if (response.status !== 200) throw new Error(`POST /events answered ${response.status}`);
  };
  await Promise.all([orderPlaced('o-1'), orderPlaced('o-1', unenforced)]);
});
afterAll(async () => {
  await Promise.all([orders?.close(), unenforced?.close()]);
  rmSync(exportDir, { recursive: true, force: true });
});

/** Calls the subgraph directly with a valid gateway token for `principal`. */
async function direct(query: string, principal: Principal, variables: Record<string, unknown> = {}, target = orders) {
  const response = await fetch(target.served.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(await signer.headersFor('orders', principal)) },
    body: JSON.stringify({ query, variables }),
  });
  return (await response.json()) as { data?: any; errors?: Array<{ message: string; path?: Array<string | number>; extensions?: { code?: string } }> };
}

/** The denial errors of a response, as `path: code`. */
const denials = (body: Awaited<ReturnType<typeof direct>>) => (body.errors ?? []).map((e) => `${e.path?.join('.')}: ${e.extensions?.code}`);

describe('a direct call with a valid gateway token', () => {
  const ORDER = '{ order(id: "o-1") { id quantity unitPrice customerEmail } }';
  const HISTORY = 'query($r: TimeRangeInput!) { orderHistory(range: $r, granularity: DAY) { total { orders units revenue } } }';

  it('should give no revenue, unit price or email to an identity lacking finance:read / pii:read', async () => {
    const order = await direct(ORDER, NO_FINANCE);
    expect(order.data).toEqual({ order: { id: 'o-1', quantity: 2, unitPrice: null, customerEmail: null } });
    expect(denials(order).sort()).toEqual(['order.customerEmail: UNAUTHORIZED_FIELD_OR_TYPE', 'order.unitPrice: UNAUTHORIZED_FIELD_OR_TYPE']);
    expect(order.errors![0].message).toMatch(/^Unauthorized field or type Order\.(unitPrice|customerEmail): it requires scope (finance|pii):read\.$/);
    const history = await direct(HISTORY, NO_FINANCE, { r: range });
    expect(history.data.orderHistory.total).toEqual({ orders: 1, units: 2, revenue: null });
    expect(denials(history)).toEqual(['orderHistory.total.revenue: UNAUTHORIZED_FIELD_OR_TYPE']);
  });

  it('should give revenue to an identity with finance:read', async () => {
    const history = await direct(HISTORY, FINANCE, { r: range });
    expect(history).toEqual({ data: { orderHistory: { total: { orders: 1, units: 2, revenue: 20 } } } });
  });

  it('should give nothing @authenticated to the anonymous or the gateway service identity', async () => {
    for (const principal of [ANONYMOUS, undefined]) {
      const response = await fetch(orders.served.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(await signer.headersFor('orders', principal)) },
        body: JSON.stringify({ query: ORDER }),
      });
      const body = (await response.json()) as any;
      expect(body.data).toEqual({ order: null });
      expect(body.errors[0]).toMatchObject({
        path: ['order'],
        message: 'Unauthorized field or type Query.order: it requires an authenticated caller.',
        extensions: { code: 'UNAUTHORIZED_FIELD_OR_TYPE' },
      });
    }
  });

  it('should cover entity fields reached through _entities', async () => {
    const ENTITIES =
      'query($reps: [_Any!]!, $r: TimeRangeInput!) { _entities(representations: $reps) { ... on Product { id sales(range: $r, granularity: DAY) { total { units revenue } } } } }';
    const variables = { reps: [{ __typename: 'Product', id: 'p1' }], r: range };
    const lacking = await direct(ENTITIES, NO_FINANCE, variables);
    expect(lacking.data._entities[0].sales.total).toEqual({ units: 2, revenue: null });
    expect(denials(lacking)).toEqual(['_entities.0.sales.total.revenue: UNAUTHORIZED_FIELD_OR_TYPE']);
    const anonymous = await direct(ENTITIES, ANONYMOUS, variables);
    expect(anonymous.data._entities[0]).toEqual({ id: 'p1', sales: null });
    expect(denials(anonymous)).toEqual(['_entities.0.sales: UNAUTHORIZED_FIELD_OR_TYPE']);
    expect((await direct(ENTITIES, FINANCE, variables)).data._entities[0].sales.total).toEqual({ units: 2, revenue: 20 });
  });

  it('should serve everything when enforcement is switched off (enforceDirectives: false)', async () => {
    expect((await direct(ORDER, NO_FINANCE, {}, unenforced)).data.order).toMatchObject({ unitPrice: 10, customerEmail: 'a@example.com' });
  });
});

describe('a direct subscription with a valid gateway token', () => {
  async function firstEvent(principal: Principal, onSubscribed: () => Promise<void>) {
    const client = createClient({
      url: orders.served.wsUrl,
      webSocketImpl: WebSocket,
      retryAttempts: 0,
      lazy: true,
      connectionParams: await signer.headersFor('orders', principal),
    });
    const outcome = deferred<any>();
    const connected = deferred<void>();
    client.on('connected', () => connected.resolve());
    const stop = client.subscribe(
      { query: 'subscription { orderBucketUpdated(granularity: MINUTE) { bucket { units revenue } } }' },
      { next: (value) => outcome.resolve(value), error: (error) => outcome.resolve({ error }), complete: () => outcome.resolve({ completed: true }) },
    );
    try {
      await withTimeout(Promise.race([connected.promise, outcome.promise]), 'the subscription to start');
      await onSubscribed();
      return await withTimeout(outcome.promise, 'the first event');
    } finally {
      stop();
      await client.dispose();
    }
  }

  it('should null revenue in every event for an identity lacking finance:read', async () => {
    let n = 0;
    const event = await firstEvent(NO_FINANCE, () => orderPlaced(`ws-${process.pid}-${++n}`));
    expect(event.data.orderBucketUpdated.bucket).toEqual({ units: expect.any(Number), revenue: null });
    expect(event.errors.map((e: any) => `${e.path.join('.')}: ${e.extensions.code}`)).toEqual([
      'orderBucketUpdated.bucket.revenue: UNAUTHORIZED_FIELD_OR_TYPE',
    ]);
  });

  it('should refuse the @authenticated subscription to the anonymous identity', async () => {
    const outcome = await firstEvent(ANONYMOUS, async () => {});
    const errors = outcome.error ?? outcome.errors;
    expect(JSON.stringify(errors)).toContain('UNAUTHORIZED_FIELD_OR_TYPE');
  });
});

describe('readAuthDirectives', () => {
  it('should resolve renamed and namespaced federation imports', () => {
    const sdl = parse(`extend schema @link(url: "https://specs.apollo.dev/federation/v2.6", import: ["@key", { name: "@requiresScopes", as: "@scopes" }])
      scalar Money @federation__policy(policies: [["p"]])
      type T @federation__authenticated { a: Int @scopes(scopes: [["x", "y"], ["z"]]) b: Int @requiresScopes(scopes: [["ignored"]]) }
      extend type T { c: Money @scopes(scopes: [["w"]]) }`);
    const { fields, types } = readAuthDirectives(sdl);
    expect(fields.get('T.a')).toEqual({ authenticated: false, scopes: [[['x', 'y'], ['z']]], policies: [] });
    expect(fields.has('T.b')).toBe(false);
    expect(fields.get('T.c')?.scopes).toEqual([[['w']]]);
    expect(types.get('T')).toEqual({ authenticated: true, scopes: [], policies: [] });
    expect(types.get('Money')).toEqual({ authenticated: false, scopes: [], policies: [[['p']]] });
  });
});

describe('trusted subgraphs', () => {
  it('should give an untrusted subgraph no identity: no data source identity, no service headers, no websocket payload', async () => {
    const auth = createGatewayAuth({
      keys: { kind: 'local', jwksFile: DEV_PUBLIC_JWKS },
      issuer: 'mesh-dev',
      audience: 'mesh',
      scopesClaim: 'scope',
      mode: 'filter',
      gatewaySecret: TEST_GATEWAY_SECRET,
      trustedSubgraphs: ['orders'],
    });
    expect(auth.dataSource('orders', 'http://127.0.0.1:1/graphql')).toBeInstanceOf(IdentityDataSource);
    expect(auth.dataSource('partner', 'http://127.0.0.1:1/graphql')).not.toBeInstanceOf(IdentityDataSource);
    expect(await auth.serviceHeaders('partner')).toEqual({});
    expect(Object.keys(await auth.serviceHeaders('orders'))).toEqual(['x-mesh-gateway-token']);
    expect(auth.upstreamConnection({ principal: FINANCE }, 'partner')).toBeUndefined();
    expect(await auth.upstreamConnection({ principal: FINANCE }, 'orders')!.params()).toEqual({ 'x-mesh-gateway-token': expect.any(String) });
  });

  describe('through a gateway', () => {
    let catalog: RunningSubgraph;
    let proxy: Server;
    let gateway: RunningGateway;
    const seenByPartner: Array<string | undefined> = [];
    beforeAll(async () => {
      catalog = await startSubgraph(testSubgraphConfig('catalog', exportDir));
      const producer = await signDevToken({ scopes: ['catalog:write'], ttlSeconds: 600 });
      await fetch(catalog.served.url.replace(/\/graphql$/, '/events'), {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${producer}` },
        body: JSON.stringify({
          specversion: '1.0',
          id: 'c-1',
          source: 'urn:test',
          type: 'ProductListed',
          time: new Date(Date.now() - 1000).toISOString(),
          data: { productId: 'p1', name: 'Kettle', category: 'kitchen', price: 10 },
        }),
      });
      // The partner's side of the wire: records the identity header of every request, then forwards it.
      // Errors end the test through the gateway's answer; the handler's promise is deliberately not awaited.
      proxy = createServer((req, res) => void forward(req, res));
      const forward = async (req: IncomingMessage, res: ServerResponse) => {
        seenByPartner.push(req.headers['x-mesh-gateway-token'] as string | undefined);
        const chunks: Buffer[] = [];
        for await (const chunk of req) chunks.push(chunk as Buffer);
        const answer = await fetch(catalog.served.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: Buffer.concat(chunks) });
        res.writeHead(answer.status, { 'content-type': 'application/json' }).end(await answer.text());
      };
      await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
      gateway = await startGateway({
        config: testGatewayConfig(
          [
            { name: 'partner', url: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}/graphql` },
            { name: 'orders', url: orders.served.url },
          ],
          { introspection: false, auth: testGatewayAuth({ trustedSubgraphs: ['orders'] }) },
        ),
        log: () => {},
      });
    });
    afterAll(async () => {
      await gateway?.close();
      await new Promise((resolve) => proxy?.close(resolve));
      await catalog?.close();
    });

    it('should send the caller identity to the trusted subgraph only, and still join both', async () => {
      seenByPartner.length = 0;
      const token = await signDevToken({ scopes: ['orders:read', 'finance:read'], ttlSeconds: 60 });
      const response = await fetch(gateway.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({
          query: 'query($r: TimeRangeInput!) { product(id: "p1") { name sales(range: $r, granularity: DAY) { total { units revenue } } } }',
          variables: { r: range },
        }),
      });
      expect(await response.json()).toEqual({
        extensions: { dataProducts: expect.any(Array) },
        data: { product: { name: 'Kettle', sales: { total: { units: expect.any(Number), revenue: expect.any(Number) } } } },
      });
      expect(seenByPartner.length).toBeGreaterThan(0);
      expect(seenByPartner.every((header) => header === undefined)).toBe(true);
    });
  });
});
