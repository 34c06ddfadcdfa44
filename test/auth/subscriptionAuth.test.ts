/**
 * Field-level authorization on subscriptions through the real gateway: checked at subscribe time
 * (a denied root field opens nothing upstream), denied fields null with errors in every event, and the
 * token watched for the life of the connection (expiry closes it with 4403).
 */
import type { Client } from 'graphql-ws';
import { deferred, nextValue, startOfNextSecond, waitFor, withTimeout } from '../support/asyncWait.js';
import { startAuthMesh, type AuthMesh } from '../support/startAuthMesh.js';

let mesh: AuthMesh;
const clients: Client[] = [];
beforeAll(async () => {
  mesh = await startAuthMesh();
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map(async (c) => c.dispose()));
  await waitFor(() => mesh.gateway.subscriptions()?.stats().upstreams === 0, 'upstream subscriptions to end');
  await waitFor(() => mesh.subgraphs.orders.metrics.openSubscriptions() === 0, 'the orders subgraph to end them');
});
afterAll(() => mesh?.close());

const client = (token?: string, on?: Parameters<AuthMesh['wsClient']>[1]) => {
  const c = mesh.wsClient(token, on);
  clients.push(c);
  return c;
};
const closedWith = (token?: string) => {
  const closed = deferred<{ code: number; reason: string }>();
  const c = client(token, { on: { closed: (event) => closed.resolve(event as { code: number; reason: string }) } });
  return { client: c, closed: closed.promise };
};
const upstreams = () => mesh.gateway.subscriptions()?.stats().upstreams ?? 0;
/** The gateway counts an upstream as it opens it; an event reaches it once the orders subgraph has subscribed to its bus. */
const subscribedUpstreams = async (count: number, what: string) => {
  await waitFor(() => upstreams() === count, what);
  await waitFor(() => mesh.subgraphs.orders.metrics.openSubscriptions() === count, `${what} at the orders subgraph`);
};
let orderNumber = 0;
const placeOrder = () =>
  mesh.post(
    'orders',
    mesh.event(
      'OrderPlaced',
      { orderId: `sub-${++orderNumber}`, productId: 'p1', quantity: 2, unitPrice: 30, region: 'eu', channel: 'web', customerEmail: 'x@example.com' },
      60_000,
    ),
  );

const BUCKET_WITH_MONEY = 'subscription Buckets { orderBucketUpdated(granularity: MINUTE) { bucket { orders revenue } product { name } } }';

it('should refuse an anonymous subscriber an @authenticated subscription without opening anything upstream', async () => {
  mesh.clearReceived();
  const result = await nextValue(client().iterate({ query: BUCKET_WITH_MONEY }), 'the refusal');
  expect(result).toEqual({ errors: [expect.objectContaining({ path: ['orderBucketUpdated'], extensions: { code: 'UNAUTHORIZED_FIELD_OR_TYPE' } })] });
  expect(upstreams()).toBe(0);
  expect(mesh.received.orders).toEqual([]);
});

it('should null a governed field in every event for a subscriber without the scope, and never ask the subgraph for it', async () => {
  mesh.clearReceived();
  const plain = client(await mesh.token({ scopes: ['orders:read'] })).iterate({ query: BUCKET_WITH_MONEY });
  const finance = client(await mesh.token({ scopes: ['finance:read'] })).iterate({ query: BUCKET_WITH_MONEY });
  const plainFirst = plain.next();
  const financeFirst = finance.next();
  // Different identities never share an upstream subscription.
  await subscribedUpstreams(2, 'two upstream subscriptions');
  for (let i = 0; i < 2; i++) {
    await placeOrder();
    const plainEvent = (await withTimeout(i === 0 ? plainFirst : plain.next(), 'an event for the plain subscriber')).value;
    expect(plainEvent.data.orderBucketUpdated).toEqual({ bucket: { orders: expect.any(Number), revenue: null }, product: { name: 'Kettle' } });
    expect(plainEvent.errors).toEqual([
      expect.objectContaining({ path: ['orderBucketUpdated', 'bucket', 'revenue'], extensions: { code: 'UNAUTHORIZED_FIELD_OR_TYPE' } }),
    ]);
    const financeEvent = (await withTimeout(i === 0 ? financeFirst : finance.next(), 'an event for the finance subscriber')).value;
    expect(financeEvent).toEqual({
      data: { orderBucketUpdated: { bucket: { orders: expect.any(Number), revenue: expect.any(Number) }, product: { name: 'Kettle' } } },
    });
  }
  const upstreamOps = mesh.received.orders.filter((op) => op.transport === 'ws').map((op) => op.query);
  expect(upstreamOps).toHaveLength(2);
  expect(upstreamOps.filter((q) => q.includes('revenue'))).toHaveLength(1);
  await plain.return?.();
  await finance.return?.();
});

it('should share one upstream subscription between clients of the same identity', async () => {
  const token = await mesh.token({ scopes: ['finance:read'], sub: 'shared' });
  const again = await mesh.token({ scopes: ['finance:read'], sub: 'shared', ttlSeconds: 900 });
  const a = client(token).iterate({ query: BUCKET_WITH_MONEY });
  const b = client(again).iterate({ query: BUCKET_WITH_MONEY });
  const [firstA, firstB] = [a.next(), b.next()];
  await waitFor(() => mesh.gateway.subscriptions()?.stats().clients === 2, 'both clients');
  expect(upstreams()).toBe(1);
  await subscribedUpstreams(1, 'the shared upstream subscription');
  await placeOrder();
  expect((await withTimeout(firstA, 'event a')).value.data.orderBucketUpdated.bucket.revenue).toEqual(expect.any(Number));
  expect((await withTimeout(firstB, 'event b')).value.data.orderBucketUpdated.bucket.revenue).toEqual(expect.any(Number));
  await a.return?.();
  await b.return?.();
});

it('should catch governed fields sneaked in through fragments and aliases', async () => {
  const query =
    'subscription { orderBucketUpdated { ...E } } fragment E on OrderBucketEvent { bucket { money: revenue ... on OrderBucket { avg: averageOrderValue } units } }';
  const events = client(await mesh.token({ scopes: [] })).iterate({ query });
  const first = events.next();
  await subscribedUpstreams(1, 'the upstream subscription');
  await placeOrder();
  const { value } = await withTimeout(first, 'an event');
  expect(value.data.orderBucketUpdated.bucket).toEqual({ money: null, avg: null, units: expect.any(Number) });
  expect(value.errors.map((e: { path: string[] }) => e.path)).toEqual([
    ['orderBucketUpdated', 'bucket', 'money'],
    ['orderBucketUpdated', 'bucket', 'avg'],
  ]);
  await events.return?.();
});

it('should close the connection with 4403 when the token expires mid-subscription', async () => {
  // Almost three seconds to live (tokens carry whole seconds): enough to subscribe on a loaded machine.
  await startOfNextSecond();
  const { client: c, closed } = closedWith(await mesh.token({ scopes: ['finance:read'], ttlSeconds: 3 }));
  const events = c.iterate({ query: BUCKET_WITH_MONEY });
  const ended = events.next().catch((error: unknown) => error);
  await waitFor(() => upstreams() === 1, 'the upstream subscription');
  expect(await withTimeout(closed, 'the close', 5000)).toMatchObject({ code: 4403, reason: 'token expired' });
  expect(await ended).toMatchObject({ code: 4403 });
});

it.each([
  ['a malformed token', async () => 'garbage', 'Forbidden: the token is malformed'],
  ['an expired token', () => mesh.token({ scopes: ['finance:read'], ttlSeconds: -60 }), 'Forbidden: the token has expired'],
  ['a token from another issuer', () => mesh.token({ scopes: [], issuer: 'somebody' }), `Forbidden: the token's issuer is not trusted (expected "mesh-dev")`],
])('should refuse the connection (4403) for %s, saying why as HTTP does', async (_what, mint, reason) => {
  const { client: c, closed } = closedWith(await mint());
  void c
    .iterate({ query: BUCKET_WITH_MONEY })
    .next()
    .catch(() => {});
  expect(await withTimeout(closed, 'the close')).toMatchObject({ code: 4403, reason });
  expect(upstreams()).toBe(0);
});

it('should close with 1013 (try again later), not 4403, when the token signing keys cannot be fetched', async () => {
  // Nothing listens on port 9 of loopback: the key set cannot be fetched, whatever the token.
  const blind = await mesh.startGateway({ keys: { kind: 'jwks-url', url: 'http://127.0.0.1:9/jwks.json' } });
  const closed = deferred<{ code: number; reason: string }>();
  const c = blind.wsClient(await mesh.token({ scopes: ['finance:read'] }), {
    on: { closed: (event) => closed.resolve(event as { code: number; reason: string }) },
  });
  clients.push(c);
  void c
    .iterate({ query: BUCKET_WITH_MONEY })
    .next()
    .catch(() => {});
  expect(await withTimeout(closed.promise, 'the close', 10_000)).toMatchObject({ code: 1013, reason: 'the token signing keys are unavailable; retry later' });
});

it('should refuse governed subscriptions as a whole in reject mode', async () => {
  const strict = await mesh.startGateway({ mode: 'reject' });
  const c = strict.wsClient(await mesh.token({ scopes: [] }));
  clients.push(c);
  const result = await nextValue(c.iterate({ query: BUCKET_WITH_MONEY }), 'the refusal');
  expect(result).toEqual({
    errors: [expect.objectContaining({ path: ['orderBucketUpdated', 'bucket', 'revenue'], extensions: { code: 'UNAUTHORIZED_FIELD_OR_TYPE' } })],
  });
  expect(strict.gateway.subscriptions()?.stats().upstreams ?? 0).toBe(0);
});
