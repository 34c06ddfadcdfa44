/**
 * The gateway around field-level authorization: plan-cache isolation between callers, reject mode,
 * 401 for bad tokens, audit lines, queries over the websocket, and a custom scopes claim.
 */
import { createHash } from 'node:crypto';
import { startAuthMesh, type AuthMesh, type AuthMeshGateway } from '../support/startAuthMesh.js';

let mesh: AuthMesh;
let finance: string;
let plain: string;
beforeAll(async () => {
  mesh = await startAuthMesh();
  finance = await mesh.token({ scopes: ['finance:read'], sub: 'fiona' });
  plain = await mesh.token({ scopes: ['orders:read'], sub: 'paul' });
});
afterAll(() => mesh?.close());

const revenueQuery = (name: string) => `query ${name}($r: TimeRangeInput!) { orderHistory(range: $r, granularity: DAY) { total { orders revenue } } }`;

describe('plan cache', () => {
  async function ask(query: string, token: string) {
    mesh.clearReceived();
    const { body } = await mesh.query(query, { token, variables: { r: mesh.story.range } });
    return { body, reachedOrders: mesh.receivedFieldNames(['orders']).has('revenue') };
  }

  it("should not reuse a finance caller's plan for a caller without finance:read", async () => {
    const query = revenueQuery('FinanceFirst');
    const first = await ask(query, finance);
    expect(first.body).toEqual({ extensions: { dataProducts: expect.any(Array) }, data: { orderHistory: { total: { orders: 3, revenue: 270 } } } });
    expect(first.reachedOrders).toBe(true);
    const second = await ask(query, plain);
    expect(second.body.data).toEqual({ orderHistory: { total: { orders: 3, revenue: null } } });
    expect(second.body.errors).toEqual([
      expect.objectContaining({ path: ['orderHistory', 'total', 'revenue'], extensions: { code: 'UNAUTHORIZED_FIELD_OR_TYPE' } }),
    ]);
    expect(second.reachedOrders).toBe(false);
  });

  it('should not reuse a restricted plan for a finance caller (no silent nulls)', async () => {
    const query = revenueQuery('PlainFirst');
    const first = await ask(query, plain);
    expect(first.body.data.orderHistory.total.revenue).toBeNull();
    expect(first.reachedOrders).toBe(false);
    const second = await ask(query, finance);
    expect(second.body).toEqual({ extensions: { dataProducts: expect.any(Array) }, data: { orderHistory: { total: { orders: 3, revenue: 270 } } } });
    expect(second.reachedOrders).toBe(true);
  });

  it('should keep callers apart when they alternate many times', async () => {
    const query = revenueQuery('Alternating');
    for (let i = 0; i < 4; i++) {
      expect((await ask(query, i % 2 ? plain : finance)).body.data.orderHistory.total.revenue).toBe(i % 2 ? null : 270);
    }
  });
});

describe('reject mode', () => {
  let strict: AuthMeshGateway;
  beforeAll(async () => {
    strict = await mesh.startGateway({ mode: 'reject' });
  });

  it('should fail the whole operation with every denial and no data', async () => {
    mesh.clearReceived();
    const { status, body } = await strict.query('{ categories order(id: "o1") { id unitPrice customerEmail } }', { token: plain });
    expect(status).toBe(403);
    expect(body.data).toBeUndefined();
    expect(body.errors.map((e: { path: string[]; extensions: { code: string } }) => [e.path, e.extensions.code])).toEqual([
      [['order', 'unitPrice'], 'UNAUTHORIZED_FIELD_OR_TYPE'],
      [['order', 'customerEmail'], 'UNAUTHORIZED_FIELD_OR_TYPE'],
    ]);
    expect(mesh.receivedFieldNames().size).toBe(0);
  });

  it('should refuse an anonymous caller an @authenticated root', async () => {
    const { body } = await strict.query('{ categories order(id: "o1") { id } }');
    expect(body).toEqual({ errors: [expect.objectContaining({ path: ['order'], extensions: { code: 'UNAUTHORIZED_FIELD_OR_TYPE' } })] });
  });

  it('should run operations that deny nothing', async () => {
    const { body } = await strict.query('{ order(id: "o1") { id unitPrice } }', { token: finance });
    expect(body).toEqual({ extensions: { dataProducts: expect.any(Array) }, data: { order: { id: 'o1', unitPrice: 30 } } });
  });
});

describe('authentication over HTTP', () => {
  it.each([
    ['a malformed token', 'Bearer abc', 'Unauthenticated: the token is malformed.'],
    ['another scheme', 'Basic dXNlcjpwdw==', 'Unauthenticated: the Authorization header must be "Bearer <token>".'],
  ])('should answer 401 UNAUTHENTICATED to %s', async (_what, authorization, message) => {
    const response = await fetch(mesh.gateway.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization },
      body: JSON.stringify({ query: '{ categories }' }),
    });
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');
    expect(await response.json()).toEqual({ errors: [{ message, extensions: { code: 'UNAUTHENTICATED' } }] });
  });

  it('should not downgrade a token for another audience to anonymous', async () => {
    const other = await mesh.token({ scopes: [], audience: 'someone-else' });
    const { status, body } = await mesh.query('{ categories }', { token: other });
    expect(status).toBe(401);
    expect(body.errors[0].message).toBe('Unauthenticated: the token is not for this audience (expected "mesh").');
  });
});

describe('audit', () => {
  it('should write one line per decision on governed fields, with who, what and which operation', async () => {
    mesh.audit.length = 0;
    const query = 'query Money { order(id: "o1") { id unitPrice customerEmail } }';
    await mesh.query(query, { token: finance });
    const operationHash = createHash('sha256').update(query).digest('hex');
    expect(mesh.audit).toEqual([
      { audit: 'field-auth', sub: 'fiona', operationName: 'Money', operationHash, coordinates: ['Order.customerEmail'], decision: 'denied' },
      { audit: 'field-auth', sub: 'fiona', operationName: 'Money', operationHash, coordinates: ['Order.unitPrice'], decision: 'allowed' },
    ]);
  });

  it('should record denials of @authenticated fields, and nothing for ungoverned operations', async () => {
    mesh.audit.length = 0;
    await mesh.query('{ categories }');
    await mesh.query('{ order(id: "o1") { id } }', { token: plain });
    expect(mesh.audit).toEqual([]);
    await mesh.query('{ order(id: "o1") { id } }');
    expect(mesh.audit).toEqual([expect.objectContaining({ sub: null, coordinates: ['Query.order'], decision: 'denied' })]);
  });
});

describe('queries over the websocket', () => {
  it("should authorize them with the connection's token", async () => {
    const query = '{ order(id: "o1") { id unitPrice } }';
    const financeClient = mesh.wsClient(finance);
    const anonymous = mesh.wsClient();
    try {
      const allowed = await financeClient.iterate({ query }).next();
      expect(allowed.value).toEqual({ extensions: { dataProducts: expect.any(Array) }, data: { order: { id: 'o1', unitPrice: 30 } } });
      const denied = await anonymous.iterate({ query }).next();
      expect(denied.value).toEqual({
        data: { order: null },
        errors: [expect.objectContaining({ path: ['order'], extensions: { code: 'UNAUTHORIZED_FIELD_OR_TYPE' } })],
      });
    } finally {
      await financeClient.dispose();
      await anonymous.dispose();
    }
  });
});

describe('a custom scopes claim', () => {
  it('should read scopes from the configured claim', async () => {
    const custom = await mesh.startGateway({ scopesClaim: 'permissions' });
    const token = await mesh.token({ scopes: ['finance:read'], scopesClaim: 'permissions' });
    const { body } = await custom.query('{ order(id: "o2") { unitPrice } }', { token });
    expect(body).toEqual({ extensions: { dataProducts: expect.any(Array) }, data: { order: { unitPrice: 30 } } });
    const { body: withScopeClaim } = await custom.query('{ order(id: "o2") { unitPrice } }', { token: finance });
    expect(withScopeClaim.data).toEqual({ order: { unitPrice: null } });
  });
});
