/**
 * Operation limits through a real gateway on loopback: each limit refuses an operation just over it
 * and admits one just under, over POST, GET and websocket alike, with no subgraph call for a refusal;
 * the README's queries pass under the default limits and the attacks of issue #8 do not.
 */
import { getIntrospectionQuery, Lexer, Source, TokenKind } from 'graphql';
import WebSocket from 'ws';
import { deferred, nextValue, waitFor, withTimeout } from '../support/asyncWait.js';
import { startAuthMesh, type AuthMesh } from '../support/startAuthMesh.js';
import { startLimitsGateway, type LimitsGateway } from './limitsGateway.js';

let mesh: AuthMesh;
let tight: LimitsGateway;
let defaults: LimitsGateway;
let reader: string;
/** Waits until the orders subgraph holds `count` bus subscriptions: an upstream gets events only from then on. */
const ordersSubscribed = (count: number) =>
  waitFor(() => mesh.subgraphs.orders.metrics.openSubscriptions() === count, `${count} subscription(s) at the orders subgraph`);
beforeAll(async () => {
  mesh = await startAuthMesh();
  tight = await startLimitsGateway(mesh, {
    operations: { maxTokens: 60, maxDepth: 4, maxAliases: 10, maxRootFields: 3, maxSelections: 15, maxCost: 25 },
    maxBodyBytes: 64 * 1024,
    maxWebsocketMessageBytes: 64 * 1024,
    maxSubscriptionsPerSocket: 2,
  });
  defaults = await startLimitsGateway(mesh);
  reader = await mesh.token({ scopes: ['orders:read', 'finance:read'], sub: 'reader' });
});
afterAll(async () => {
  await tight?.close();
  await defaults?.close();
  await mesh?.close();
});

const HOUR = 3_600_000;
const hours = (n: number) => ({ from: '2026-01-01T00:00:00Z', to: new Date(Date.parse('2026-01-01T00:00:00Z') + n * HOUR).toISOString() });
const aliases = (n: number) => Array.from({ length: n }, (_, i) => `a${i}: id`).join(' ');
/** `{ orderHistory(... filter: { productIds: [...] }) { total { orders } } }` with exactly `n` tokens. */
function withTokens(n: number): string {
  const text = (ids: number) =>
    `{ orderHistory(range: { from: "2026-01-01T00:00:00Z", to: "2026-01-01T01:00:00Z" }, granularity: HOUR, filter: { productIds: [${Array.from({ length: ids }, () => '"p1"').join(' ')}] }) { total { orders } } }`;
  const count = (source: string) => {
    const lexer = new Lexer(new Source(source));
    let tokens = 0;
    while (lexer.advance().kind !== TokenKind.EOF) tokens++;
    return tokens;
  };
  const base = count(text(0));
  return text(n - base);
}

/** [limit code, query just under, query just over, variables] */
const CASES: Array<[string, string, string, Record<string, unknown>?]> = [
  ['GRAPHQL_PARSE_FAILED', withTokens(60), withTokens(61)],
  ['MAX_DEPTH_LIMIT', '{ products(first: 1) { edges { node { id } } } }', '{ products(first: 1) { edges { node { stock { onHand } } } } }'],
  ['MAX_ALIASES_LIMIT', `{ product(id: "p1") { ${aliases(10)} } }`, `{ product(id: "p1") { ${aliases(11)} } }`],
  ['MAX_ROOT_FIELDS_LIMIT', '{ a: categories b: categories c: categories }', '{ a: categories b: categories c: categories d: categories }'],
  [
    'MAX_RECURSIVE_SELECTIONS_EXCEEDED',
    'query { product(id: "p1") { ...P ...P } } fragment P on Product { id id id id id id id }',
    'query { product(id: "p1") { name ...P ...P } } fragment P on Product { id id id id id id id }',
  ],
  // 12 HOUR buckets × (OrderHistory 1 + buckets 1) = 24; 13 buckets = 26 > 25.
  [
    'COST_ESTIMATED_TOO_EXPENSIVE',
    'query($r: TimeRangeInput!) { orderHistory(range: $r, granularity: HOUR) { buckets { start } } }',
    'query($r: TimeRangeInput!) { orderHistory(range: $r, granularity: HOUR) { buckets { start } } }',
  ],
];
const variablesFor = (code: string, over: boolean) => (code === 'COST_ESTIMATED_TOO_EXPENSIVE' ? { r: hours(over ? 13 : 12) } : undefined);

const codes = (body: { errors?: Array<{ extensions?: { code?: string } }> }) => (body.errors ?? []).map((e) => e.extensions?.code);
const nothingReceived = () => Object.values(mesh.received).every((ops) => ops.length === 0);

describe.each(CASES)('%s', (code, under, over) => {
  it('should refuse the operation just over the limit with 400 and no subgraph call, over POST and GET', async () => {
    mesh.clearReceived();
    const post = await tight.post({ query: over, variables: variablesFor(code, true) }, reader);
    expect(post.status).toBe(400);
    expect(codes(post.body)).toEqual([code]);
    expect(post.body.data).toBeUndefined();
    const get = await tight.get({ query: over, ...(variablesFor(code, true) && { variables: JSON.stringify(variablesFor(code, true)) }) }, reader);
    expect(get.status).toBe(400);
    expect(codes(get.body)).toEqual([code]);
    expect(nothingReceived()).toBe(true);
  });

  it('should admit the operation just under the limit', async () => {
    const post = await tight.post({ query: under, variables: variablesFor(code, false) }, reader);
    expect(post.status).toBe(200);
    expect(post.body.errors).toBeUndefined();
    expect(post.body.data).toBeTruthy();
  });

  it('should refuse it over websocket too, and admit the one under', async () => {
    mesh.clearReceived();
    const client = tight.ws(reader);
    const refused = await tight.wsOnce(client, { query: over, variables: variablesFor(code, true) });
    expect(codes(refused)).toEqual([code]);
    expect(nothingReceived()).toBe(true);
    const admitted = await tight.wsOnce(client, { query: under, variables: variablesFor(code, false) });
    expect(admitted.errors).toBeUndefined();
    expect(admitted.data).toBeTruthy();
  });
});

describe('subscriptions', () => {
  let orderNumber = 0;
  const placeOrder = () =>
    mesh.post(
      'orders',
      mesh.event(
        'OrderPlaced',
        { orderId: `lim-${++orderNumber}`, productId: 'p1', quantity: 1, unitPrice: 10, region: 'eu', channel: 'web', customerEmail: 'x@example.com' },
        60_000,
      ),
    );
  const upstreams = () => tight.gateway.subscriptions()?.stats().upstreams ?? 0;

  it('should refuse a subscription over the depth limit before opening anything upstream, and admit one under it', async () => {
    const client = tight.ws(reader);
    const refused = await tight.wsOnce(client, {
      query:
        'subscription { orderBucketUpdated { product { sales(range: { from: "2026-01-01T00:00:00Z", to: "2026-01-02T00:00:00Z" }) { total { orders } } } } }',
    });
    expect(codes(refused)).toEqual(['MAX_DEPTH_LIMIT']);
    expect(upstreams()).toBe(0);
    await ordersSubscribed(0);
    const events = client.iterate({ query: 'subscription { orderBucketUpdated { bucket { orders } } }' });
    const first = events.next();
    await waitFor(() => upstreams() === 1, 'the upstream subscription');
    await ordersSubscribed(1);
    await placeOrder();
    const event = (await withTimeout(first, 'an event')).value;
    expect(event.data.orderBucketUpdated.bucket.orders).toEqual(expect.any(Number));
    await events.return?.();
  });

  it('should refuse one operation more than the per-socket maximum and keep the socket open', async () => {
    await ordersSubscribed(0);
    const client = tight.ws(reader);
    const open = [1, 2].map(() => client.iterate({ query: 'subscription { orderBucketUpdated { bucket { orders } } }' }));
    const pending = open.map((it) => it.next());
    const third = await tight.wsOnce(client, { query: 'subscription { orderBucketUpdated { bucket { units } } }' });
    expect(codes(third)).toEqual(['MAX_SUBSCRIPTIONS_LIMIT']);
    await ordersSubscribed(1); // the two open ones share one upstream (same identity and selection)
    await placeOrder();
    for (const p of pending) expect((await withTimeout(p, 'an event on an open subscription')).value.data).toBeTruthy();
    await open[0].return?.();
    const query = await tight.wsOnce(client, { query: '{ categories }' });
    expect(query.data).toEqual({ categories: expect.any(Array) });
    await open[1].return?.();
  });
});

describe('sizes', () => {
  it('should answer a body over the limit with 413 PAYLOAD_TOO_LARGE', async () => {
    const answer = await tight.post({ query: `{ categories } # ${'x'.repeat(70 * 1024)}` });
    expect(answer.status).toBe(413);
    expect(codes(answer.body)).toEqual(['PAYLOAD_TOO_LARGE']);
  });

  it('should close a websocket sending a 20 MB message with 1009 under the default limit, unread', async () => {
    const socket = new WebSocket(defaults.gateway.wsUrl, 'graphql-transport-ws');
    const closed = deferred<number>();
    socket.on('close', (code) => closed.resolve(code));
    socket.on('error', () => {});
    await new Promise((resolve) => socket.once('open', resolve));
    socket.send(JSON.stringify({ type: 'connection_init' }));
    await new Promise((resolve) => socket.once('message', resolve));
    mesh.clearReceived();
    socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: `{ categories } # ${'x'.repeat(20 * 1024 * 1024)}` } }));
    expect(await withTimeout(closed.promise, 'the socket to close')).toBe(1009);
    expect(nothingReceived()).toBe(true);
  });
});

describe('under the default limits', () => {
  const days = (n: number) => ({ from: new Date(Date.now() - n * 24 * HOUR).toISOString(), to: new Date().toISOString() });

  it("should run the README's first query", async () => {
    const query =
      'query($r: TimeRangeInput!) { products(first: 5) { edges { node { id name price sales(range: $r, granularity: DAY) { total { units revenue } } stock { onHand } delivery { avgLeadTimeHours onTimeRate } } } } }';
    const answer = await defaults.post({ query, variables: { r: days(30) } }, reader);
    expect(answer.status).toBe(200);
    expect(answer.body.errors).toBeUndefined();
    expect(answer.body.data.products.edges.length).toBeGreaterThan(0);
  });

  it('should run a 30-day HOUR history (720 buckets) grouped by region', async () => {
    const query =
      'query($r: TimeRangeInput!) { orderHistory(range: $r, granularity: HOUR, groupBy: [REGION]) { buckets { start orders units revenue } total { orders units revenue } groups { key { region } total { units } } asOf } }';
    const answer = await defaults.post({ query, variables: { r: days(30) } }, reader);
    expect(answer.status).toBe(200);
    expect(answer.body.errors).toBeUndefined();
    expect(answer.body.data.orderHistory.buckets.length).toBeGreaterThanOrEqual(720);
  });

  it("should admit the README's subscription", async () => {
    await ordersSubscribed(0);
    const client = defaults.ws(reader);
    const refusedOrEvent = nextValue(
      client.iterate({ query: 'subscription { orderBucketUpdated(granularity: MINUTE) { bucket { start orders units } product { name stock { onHand } } } }' }),
      'an event',
    );
    await waitFor(() => (defaults.gateway.subscriptions()?.stats().upstreams ?? 0) === 1, 'the upstream subscription');
    await ordersSubscribed(1);
    await mesh.post(
      'orders',
      mesh.event(
        'OrderPlaced',
        { orderId: 'lim-readme', productId: 'p1', quantity: 1, unitPrice: 10, region: 'eu', channel: 'web', customerEmail: 'x@example.com' },
        60_000,
      ),
    );
    const event = await refusedOrEvent;
    expect(event.errors).toBeUndefined();
    expect((event.data as any).orderBucketUpdated.product.name).toEqual(expect.any(String));
  });

  it("should answer the IDE's introspection query", async () => {
    const answer = await defaults.post({ query: getIntrospectionQuery({ descriptions: true, inputValueDeprecation: true }) });
    expect(answer.status).toBe(200);
    expect(answer.body.data.__schema.types.length).toBeGreaterThan(10);
  });

  it('should refuse 20 aliases × 10k MINUTE buckets as too expensive, with no subgraph call', async () => {
    mesh.clearReceived();
    const range = { from: '2026-01-01T00:00:00Z', to: new Date(Date.parse('2026-01-01T00:00:00Z') + 10_000 * 60_000).toISOString() };
    const fields = Array.from({ length: 20 }, (_, i) => `h${i}: orderHistory(range: $r, granularity: MINUTE) { buckets { start orders } }`).join(' ');
    const answer = await defaults.post({ query: `query($r: TimeRangeInput!) { ${fields} }`, variables: { r: range } }, reader);
    expect(answer.status).toBe(400);
    expect(codes(answer.body)).toEqual(['COST_ESTIMATED_TOO_EXPENSIVE']);
    expect(nothingReceived()).toBe(true);
  });

  it.each([
    ['10k aliases', `{ product(id: "p1") { ${aliases(10_000)} } }`],
    [
      '1k history root fields',
      `{ ${Array.from({ length: 1000 }, (_, i) => `h${i}: orderHistory(range: { from: "2026-01-01T00:00:00Z", to: "2026-01-02T00:00:00Z" }, granularity: DAY) { total { orders } }`).join(' ')} }`,
    ],
    [
      'a 2^30 fragment expansion',
      `query { product(id: "p1") { ...F30 } } fragment F0 on Product { name } ${Array.from({ length: 30 }, (_, i) => `fragment F${i + 1} on Product { ...F${i} ...F${i} }`).join(' ')}`,
    ],
  ])('should refuse %s in milliseconds', async (_what, query) => {
    mesh.clearReceived();
    const started = performance.now();
    const answer = await defaults.post({ query });
    expect(performance.now() - started).toBeLessThan(500);
    expect(answer.status).toBe(400);
    expect(codes(answer.body)).toHaveLength(1);
    expect(nothingReceived()).toBe(true);
  });
});
