/**
 * Subgraphs trust only the gateway: GraphQL over HTTP and websockets needs the gateway's identity signed
 * for this subgraph (a token signed for another subgraph is refused),
 * `POST /events` a producer token with the domain's write scope; health, readiness and the descriptor
 * stay open. Without an auth config (tests of other features) a subgraph stays open.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generateKeyPair, SignJWT } from 'jose';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { createGatewayTokenSigner } from '../../gateway/auth/createGatewayTokenSigner.js';
import { signDevToken } from '../../scripts/devToken.js';
import { startSubgraph, type RunningSubgraph } from '../../subgraphs/startSubgraph.js';
import type { SubgraphConfig } from '../../subgraphs/subgraphConfig.js';
import { deferred, withTimeout } from '../support/asyncWait.js';
import { TEST_GATEWAY_SECRET, TEST_PRODUCERS } from '../support/startAuthMesh.js';
import { testSubgraphConfig } from '../support/testSubgraphConfig.js';

const exportDir = mkdtempSync(path.join(os.tmpdir(), 'mesh-trust-'));
const config = (withAuth: boolean): SubgraphConfig =>
  testSubgraphConfig('orders', exportDir, {
    ...(withAuth && {
      auth: {
        gatewaySecret: TEST_GATEWAY_SECRET,
        producers: TEST_PRODUCERS,
      },
    }),
  });

let secured: RunningSubgraph;
let open: RunningSubgraph;
beforeAll(async () => {
  [secured, open] = await Promise.all([startSubgraph(config(true)), startSubgraph(config(false))]);
});
afterAll(async () => {
  await Promise.all([secured?.close(), open?.close()]);
  rmSync(exportDir, { recursive: true, force: true });
});

const base = (s: RunningSubgraph) => s.served.url.replace(/\/graphql$/, '');
const signer = createGatewayTokenSigner({ secret: TEST_GATEWAY_SECRET });
const forger = createGatewayTokenSigner({ secret: 'not-the-gateway-secret-but-long-enough' });
const stale = createGatewayTokenSigner({ secret: TEST_GATEWAY_SECRET, now: () => Date.now() - 600_000 });
const alice = { authenticated: true, sub: 'alice', scopes: ['orders:read', 'finance:read'], claims: {} };

async function graphql(s: RunningSubgraph, headers: Record<string, string> = {}) {
  const response = await fetch(s.served.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query: '{ __typename }' }),
  });
  return { status: response.status, body: (await response.json()) as any };
}

describe('GraphQL over HTTP', () => {
  it('should answer 401 to a request without the gateway token', async () => {
    const { status, body } = await graphql(secured);
    expect(status).toBe(401);
    expect(body.errors[0]).toMatchObject({ extensions: { code: 'UNAUTHENTICATED' }, message: expect.stringContaining('only answers the gateway') });
  });

  it.each([
    ['a forged gateway token', () => forger.headersFor('orders')],
    ['an expired gateway token', () => stale.headersFor('orders')],
    ['a gateway token signed for another subgraph (captured there, replayed here)', () => signer.headersFor('inventory', alice)],
    ['a user token in the gateway header', async () => ({ 'x-mesh-gateway-token': await signDevToken({ scopes: ['finance:read'], ttlSeconds: 60 }) })],
  ])('should answer 401 to %s', async (_what, headers) => {
    expect((await graphql(secured, await headers())).status).toBe(401);
  });

  it('should answer the gateway', async () => {
    expect(await graphql(secured, await signer.headersFor('orders', { authenticated: true, sub: 'a', scopes: [], claims: {} }))).toEqual({
      status: 200,
      body: { data: { __typename: 'Query' } },
    });
  });

  it('should keep health, readiness and the descriptor open', async () => {
    for (const route of ['/health', '/ready', '/descriptor']) expect((await fetch(`${base(secured)}${route}`)).status).toBe(200);
  });

  it('should stay open without an auth config', async () => {
    expect((await graphql(open)).status).toBe(200);
  });
});

describe('GraphQL over websockets', () => {
  async function connect(connectionParams?: Record<string, unknown>) {
    const outcome = deferred<string | number>();
    const client = createClient({
      url: secured.served.wsUrl,
      webSocketImpl: WebSocket,
      retryAttempts: 0,
      lazy: false,
      connectionParams,
      on: { connected: () => outcome.resolve('connected'), closed: (event) => outcome.resolve((event as { code: number }).code) },
      onNonLazyError: () => {},
    });
    try {
      return await withTimeout(outcome.promise, 'the connection outcome');
    } finally {
      await client.dispose();
    }
  }

  it('should refuse a connection without the gateway token (4403)', async () => {
    expect(await connect()).toBe(4403);
  });

  it('should refuse a forged or expired gateway token (4403)', async () => {
    expect(await connect(await forger.headersFor('orders'))).toBe(4403);
    expect(await connect(await stale.headersFor('orders'))).toBe(4403);
  });

  it('should refuse a gateway token signed for another subgraph (4403)', async () => {
    expect(await connect(await signer.headersFor('inventory', alice))).toBe(4403);
    expect(await connect(await signer.headersFor('orders', alice))).toBe('connected');
  });

  it('should accept the gateway', async () => {
    expect(await connect(await signer.headersFor('orders'))).toBe('connected');
  });
});

describe('POST /events', () => {
  const fact = (id: string) => ({
    specversion: '1.0',
    id,
    source: 'urn:test:trust',
    type: 'OrderPlaced',
    time: new Date(Date.now() - 60_000).toISOString(),
    data: { orderId: id, productId: 'p1', quantity: 1, unitPrice: 10, region: 'eu', channel: 'web', customerEmail: 'a@example.com' },
  });
  async function post(token?: string, id = `f-${Math.random()}`) {
    const response = await fetch(`${base(secured)}/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/cloudevents+json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(fact(id)),
    });
    return { status: response.status, body: (await response.json()) as any };
  }

  it('should answer 401 without a producer token', async () => {
    expect(await post()).toEqual({ status: 401, body: { error: { code: 'UNAUTHENTICATED', message: expect.stringContaining('orders:write') } } });
  });

  it('should answer 403 to a valid token without orders:write', async () => {
    const { status, body } = await post(await signDevToken({ scopes: ['catalog:write', 'orders:read'], ttlSeconds: 60 }));
    expect(status).toBe(403);
    expect(body.error).toEqual({ code: 'FORBIDDEN', message: 'the producer token lacks the scope orders:write' });
  });

  it.each([
    ['an expired token', () => signDevToken({ scopes: ['orders:write'], ttlSeconds: -60 })],
    ['a token for another audience', () => signDevToken({ scopes: ['orders:write'], ttlSeconds: 60, audience: 'elsewhere' })],
    ['the gateway identity token', () => signer.tokenFor('orders')],
    [
      'a token signed by an unknown key',
      async () =>
        new SignJWT({ scope: 'orders:write' })
          .setProtectedHeader({ alg: 'ES256' })
          .setIssuer('mesh-dev')
          .setAudience('mesh')
          .setExpirationTime('1m')
          .sign((await generateKeyPair('ES256')).privateKey),
    ],
  ])('should answer 401 to %s', async (_what, mint) => {
    expect((await post(await mint())).status).toBe(401);
  });

  it('should apply facts posted with orders:write', async () => {
    const { status, body } = await post(await signDevToken({ scopes: ['orders:write'], ttlSeconds: 60, sub: 'orders-service' }));
    expect(status).toBe(200);
    expect(body).toMatchObject({ applied: 1 });
  });
});
