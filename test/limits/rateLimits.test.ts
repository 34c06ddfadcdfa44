/**
 * Per-principal rate limits through real gateways: two gateways sharing one Redis (a random key prefix,
 * deleted afterwards) hold ONE budget per principal, over HTTP and websocket; a refusal is a 429 with
 * Retry-After and REQUEST_RATE_LIMITED, before any subgraph call; with Redis unreachable each gateway
 * keeps limiting in memory (documented in README.md, "Limits").
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { refusedUrl } from '../support/refusedUrl.js';
import { startAuthMesh, type AuthMesh } from '../support/startAuthMesh.js';
import { startLimitsGateway, type LimitsGateway } from './limitsGateway.js';
import { describeWithRedis, redisUrl } from './redisAvailable.js';

const codes = (body: { errors?: Array<{ extensions?: { code?: string } }> }) => (body.errors ?? []).map((e) => e.extensions?.code);
const QUERY = { query: '{ categories }' };

let mesh: AuthMesh;
beforeAll(async () => {
  mesh = await startAuthMesh();
});
afterAll(() => mesh?.close());

describeWithRedis('two gateways sharing Redis', () => {
  const keyPrefix = `mesh-test:rate:${randomUUID()}`;
  let a: LimitsGateway;
  let b: LimitsGateway;
  beforeAll(async () => {
    const rateLimit = { points: 5, windowSeconds: 60, redisUrl, keyPrefix };
    a = await startLimitsGateway(mesh, { rateLimit });
    b = await startLimitsGateway(mesh, { rateLimit });
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    const redis = new Redis(redisUrl);
    const keys = await redis.keys(`${keyPrefix}*`);
    if (keys.length) await redis.del(...keys);
    await redis.quit();
  });

  it('should hold one budget per principal across both gateways, over HTTP and websocket', async () => {
    const alice = await mesh.token({ sub: `alice-${randomUUID()}` });
    const answers = [await a.post(QUERY, alice), await b.post(QUERY, alice), await a.post(QUERY, alice), await b.post(QUERY, alice)];
    expect(answers.map((r) => r.status)).toEqual([200, 200, 200, 200]);
    const viaWs = await b.wsOnce(b.ws(alice), QUERY);
    expect(viaWs.data).toEqual({ categories: expect.any(Array) });
    mesh.clearReceived();
    for (const gateway of [a, b]) {
      const refused = await gateway.post(QUERY, alice);
      expect(refused.status).toBe(429);
      expect(codes(refused.body)).toEqual(['REQUEST_RATE_LIMITED']);
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(Number(refused.headers.get('retry-after'))).toBeLessThanOrEqual(60);
    }
    expect(codes(await a.wsOnce(a.ws(alice), QUERY))).toEqual(['REQUEST_RATE_LIMITED']);
    // The product ports spend the same budget: a statement and a download are refused alike.
    const headers = { authorization: `Bearer ${alice}`, 'content-type': 'application/json' };
    const sql = await fetch(`http://127.0.0.1:${a.gateway.port}/sql`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ product: 'orders', sql: 'SELECT 1' }),
    });
    const file = await fetch(`http://127.0.0.1:${b.gateway.port}/files/orders/sales_day.csv`, { headers });
    for (const refused of [sql, file]) {
      expect(refused.status).toBe(429);
      expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('REQUEST_RATE_LIMITED');
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    }
    expect(Object.values(mesh.received).flat()).toEqual([]);
    // Every refusal is an error returned to a client: gateway a refused HTTP, websocket and SQL (3), b HTTP and a file (2).
    const refusals = async (gateway: LimitsGateway) => {
      const text = await (await fetch(`http://127.0.0.1:${gateway.gateway.port}/metrics`)).text();
      return Number(/^mesh_gateway_errors_total\{code="REQUEST_RATE_LIMITED"\} (\d+)/m.exec(text)?.[1] ?? 0);
    };
    expect([await refusals(a), await refusals(b)]).toEqual([3, 2]);
  });

  it('should give every principal its own budget', async () => {
    const bob = await mesh.token({ sub: `bob-${randomUUID()}` });
    expect((await a.post(QUERY, bob)).status).toBe(200);
  });
});

describe('with Redis unreachable', () => {
  let gateway: LimitsGateway;
  beforeAll(async () => {
    const port = new URL(await refusedUrl()).port;
    gateway = await startLimitsGateway(mesh, {
      rateLimit: { points: 3, windowSeconds: 60, redisUrl: `redis://127.0.0.1:${port}`, keyPrefix: 'mesh-test:down' },
    });
  });
  afterAll(() => gateway?.close());

  it('should keep serving and limit each principal in memory, per gateway', async () => {
    const carol = await mesh.token({ sub: `carol-${randomUUID()}` });
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await gateway.post(QUERY, carol)).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
    // Anonymous callers are counted by address.
    const anonymous = [];
    for (let i = 0; i < 4; i++) anonymous.push((await gateway.post(QUERY)).status);
    expect(anonymous).toEqual([200, 200, 200, 429]);
  });
});
