/**
 * The lean `POST /graphql` path (gateway/http/leanGraphqlPost.ts) against the Express route: two real
 * gateways over the same auth mesh, one with the lean path (the default) and one with `leanHttp: false`,
 * get the same raw HTTP requests and must give the same answers (status, headers, body), the same
 * metrics, and the same rate-limit decisions. Only headers that differ by nature are left out: `date`,
 * `x-request-id` (a fresh id per request) and `etag` (which Express's `res.send` adds to POST answers; a
 * POST answer is never revalidated, so no client can use it). That `etag` is also how the test knows the
 * lean gateway really answered without Express.
 */
import { request as httpRequest } from 'node:http';
import { startGateway, type RunningGateway } from '../../../gateway/index.js';
import { DEFAULT_GATEWAY_LIMITS, type GatewayLimitsConfig } from '../../../gateway/limits/GatewayLimitsConfig.js';
import { DEFAULT_OPERATION_LIMITS } from '../../../gateway/limits/OperationLimits.js';
import { DOMAIN_NAMES } from '../../../subgraphs/domains.js';
import { startAuthMesh, testGatewayAuth, type AuthMesh } from '../../support/startAuthMesh.js';
import { capturedLogger, type CapturedLog } from '../../observability/observedMesh.js';
import { testGatewayConfig } from '../../support/testGatewayConfig.js';

jest.setTimeout(120_000);

interface RawAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One raw HTTP request, sent exactly as given (no client adds or changes headers). */
function send(url: string, method: string, headers: Record<string, string>, body?: string | Buffer): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      url,
      { method, headers: { ...headers, ...(body !== undefined && { 'content-length': String(Buffer.byteLength(body)) }) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const VARYING = new Set(['date', 'x-request-id', 'etag', 'connection', 'keep-alive']);

/** What must be equal: status, headers but the varying ones, and the body (parsed when JSON). */
function comparable(answer: RawAnswer) {
  const headers = Object.fromEntries(Object.entries(answer.headers).filter(([name]) => !VARYING.has(name)));
  let body: unknown = answer.body;
  try {
    body = JSON.parse(answer.body);
  } catch {
    // not JSON: compared as text
  }
  return { status: answer.status, headers, body };
}

/** The gateway's HTTP and operation counters from `/metrics`, without timings. */
async function counters(gateway: RunningGateway): Promise<string[]> {
  const text = await (await fetch(gateway.url.replace(/\/graphql$/, '/metrics'))).text();
  return text
    .split('\n')
    .filter((line) => /^mesh_gateway_(http_request_duration_seconds_count|operation\w*_count|operations_total|operation_errors_total)\{/.test(line))
    .filter((line) => !line.includes('route="/metrics"'))
    .sort();
}

describe('lean POST /graphql path', () => {
  let mesh: AuthMesh;
  let lean: RunningGateway;
  let express: RunningGateway;
  let userToken: string;
  let financeToken: string;

  const limits: GatewayLimitsConfig = {
    ...DEFAULT_GATEWAY_LIMITS,
    maxBodyBytes: 4096,
    operations: { ...DEFAULT_OPERATION_LIMITS, maxDepth: 3 },
    rateLimit: { points: 1000, windowSeconds: 60 },
  };
  const logs = new Map<RunningGateway, CapturedLog>();
  const open = async (leanHttp: boolean, overrides: Partial<GatewayLimitsConfig> = {}) => {
    // Audit records go to the gateway's logger (no `audit` sink), which stamps them with the request id.
    const { logger, captured } = capturedLogger('gateway');
    const gateway = await startGateway({
      config: {
        ...testGatewayConfig(
          DOMAIN_NAMES.map((name) => ({ name, url: mesh.subgraphs[name].served.url })),
          { auth: testGatewayAuth({ audit: undefined }), limits: { ...limits, ...overrides }, introspection: false },
        ),
        leanHttp,
      },
      logger,
      log: () => {},
    });
    logs.set(gateway, captured);
    return gateway;
  };

  beforeAll(async () => {
    mesh = await startAuthMesh();
    [lean, express] = await Promise.all([open(true), open(false)]);
    userToken = await mesh.token({ sub: 'lean-user', scopes: [] });
    financeToken = await mesh.token({ sub: 'lean-finance', scopes: ['finance:read'] });
  });
  afterAll(async () => {
    await Promise.all([lean?.close(), express?.close()]);
    await mesh?.close();
  });

  const json = { 'content-type': 'application/json' };
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
  const history = 'query($r: TimeRangeInput!) { orderHistory(range: $r, granularity: DAY) { total { orders revenue } } }';
  const range = { r: { from: '2020-01-01T00:00:00Z', to: '2030-01-01T00:00:00Z' } };

  /** Sends one request to both gateways (the lean one first) and expects the same answer. */
  async function expectSame(method: string, headers: Record<string, string>, body?: string | Buffer, path = '/graphql'): Promise<RawAnswer> {
    const at = (gateway: RunningGateway) => gateway.url.replace(/\/graphql$/, path);
    const viaLean = await send(at(lean), method, headers, body);
    const viaExpress = await send(at(express), method, headers, body);
    expect(comparable(viaLean)).toEqual(comparable(viaExpress));
    return viaLean;
  }

  it('should answer a plain query without Express on the lean gateway, and the same as the Express route', async () => {
    const answer = await expectSame('POST', { ...json, ...bearer(userToken) }, JSON.stringify({ query: '{ categories }' }));
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body).data).toEqual({ categories: ['home', 'kitchen'] });
    expect(answer.headers.etag).toBeUndefined();
    expect(answer.headers['x-request-id']).toEqual(expect.any(String));
    const viaExpress = await send(express.url, 'POST', { ...json, ...bearer(userToken) }, JSON.stringify({ query: '{ categories }' }));
    await send(lean.url, 'POST', { ...json, ...bearer(userToken) }, JSON.stringify({ query: '{ categories }' }));
    expect(viaExpress.headers.etag).toEqual(expect.any(String));
  });

  it('should take the caller x-request-id back in both', async () => {
    const answer = await expectSame('POST', { ...json, 'x-request-id': 'lean-req-1' }, JSON.stringify({ query: '{ categories }' }));
    expect(answer.headers['x-request-id']).toBe('lean-req-1');
  });

  it('should apply field auth the same way: denied fields null with UNAUTHORIZED_FIELD_OR_TYPE, allowed with the scope', async () => {
    const denied = await expectSame('POST', { ...json, ...bearer(userToken) }, JSON.stringify({ query: history, variables: range }));
    const body = JSON.parse(denied.body);
    expect(body.data.orderHistory.total.revenue).toBeNull();
    expect(body.errors.map((e: { extensions: { code: string } }) => e.extensions.code)).toContain('UNAUTHORIZED_FIELD_OR_TYPE');
    const allowed = await expectSame('POST', { ...json, ...bearer(financeToken) }, JSON.stringify({ query: history, variables: range }));
    expect(JSON.parse(allowed.body).errors).toBeUndefined();
    const anonymous = await expectSame('POST', json, JSON.stringify({ query: history, variables: range }));
    expect(JSON.parse(anonymous.body).data.orderHistory).toBeNull();
  });

  it('should keep the request id in the records written while the operation runs (audit), as the Express route does', async () => {
    for (const gateway of [lean, express]) {
      const answer = await send(
        gateway.url,
        'POST',
        { ...json, ...bearer(userToken), 'x-request-id': 'lean-audit-1' },
        JSON.stringify({ query: history, variables: range }),
      );
      expect(answer.status).toBe(200);
      const records = logs.get(gateway)!.records.filter((record) => record.requestId === 'lean-audit-1');
      expect(records.map((record) => record.msg)).toEqual(expect.arrayContaining(['field-auth denied', 'request answered']));
    }
  });

  it('should refuse a bad token with 401 UNAUTHENTICATED and WWW-Authenticate in both', async () => {
    const answer = await expectSame('POST', { ...json, authorization: 'Bearer not-a-token' }, JSON.stringify({ query: '{ categories }' }));
    expect(answer.status).toBe(401);
    expect(answer.headers['www-authenticate']).toContain('invalid_token');
  });

  // Every request error, limit and transport rule, as each media type sees it.
  const cases: Array<[string, Record<string, string>, string | Buffer]> = [
    ['a document that does not parse', json, JSON.stringify({ query: '{ categories ' })],
    ['a parse error for a graphql-response+json client', { ...json, accept: 'application/graphql-response+json' }, JSON.stringify({ query: '{ ' })],
    ['a document that does not validate', json, JSON.stringify({ query: '{ nope }' })],
    ['variables that do not coerce', json, JSON.stringify({ query: history, variables: { r: 5 } })],
    ['a missing variable', json, JSON.stringify({ query: history })],
    ['an unknown operation name', json, JSON.stringify({ query: 'query A { categories }', operationName: 'B' })],
    ['two operations and no name', json, JSON.stringify({ query: 'query A { categories } query B { categories }' })],
    ['an empty operation name', json, JSON.stringify({ query: 'query A { categories }', operationName: '' })],
    ['a subscription over HTTP', json, JSON.stringify({ query: 'subscription { __typename }' })],
    ['introspection while it is off', json, JSON.stringify({ query: '{ __schema { types { name } } }' })],
    ['an operation over the depth limit', json, JSON.stringify({ query: '{ products(first: 1) { edges { node { id } } } }' })],
    ['a graphql-response+json success', { ...json, accept: 'application/graphql-response+json' }, JSON.stringify({ query: '{ categories }' })],
    ['an Accept no JSON type satisfies', { ...json, accept: 'text/html' }, JSON.stringify({ query: '{ categories }' })],
    ['a body that is not JSON', json, '{ "query": '],
    ['a JSON string body', json, '"{ categories }"'],
    ['a whitespace-only body', json, '   '],
    ['an empty JSON object', json, '{}'],
    ['a batch', json, JSON.stringify([{ query: '{ categories }' }])],
    ['a byte order mark before the JSON', json, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(JSON.stringify({ query: '{ categories }' }))])],
    ['a query that is not a string', json, JSON.stringify({ query: { kind: 'Document' } })],
    ['variables as a string', json, JSON.stringify({ query: '{ categories }', variables: '{}' })],
    ['an unknown persisted query hash', json, JSON.stringify({ extensions: { persistedQuery: { version: 1, sha256Hash: 'a'.repeat(64) } } })],
    [
      'a persisted query with a wrong hash',
      json,
      JSON.stringify({ query: '{ categories }', extensions: { persistedQuery: { version: 1, sha256Hash: 'b'.repeat(64) } } }),
    ],
    ['a body over the size limit', json, JSON.stringify({ query: `{ categories ${' '.repeat(5000)}}` })],
    ['a charset-qualified JSON type', { 'content-type': 'application/json; charset=utf-8' }, JSON.stringify({ query: '{ categories }' })],
    ['a text/plain body (CSRF prevention)', { 'content-type': 'text/plain' }, JSON.stringify({ query: '{ categories }' })],
    ['no content type', {}, JSON.stringify({ query: '{ categories }' })],
  ];
  it.each(cases)('should answer %s the same way', async (_name, headers, body) => {
    await expectSame('POST', headers, body);
  });

  it('should answer a query string, GET and a mutation over GET the same way (the Express route serves them)', async () => {
    await expectSame('POST', json, JSON.stringify({ query: '{ categories }' }), '/graphql?x=1');
    await expectSame('GET', { 'apollo-require-preflight': 'true' }, undefined, `/graphql?query=${encodeURIComponent('{ categories }')}`);
    await expectSame('GET', {}, undefined, `/graphql?query=${encodeURIComponent('{ categories }')}`);
    await expectSame('GET', { 'apollo-require-preflight': 'true' }, undefined, `/graphql?query=${encodeURIComponent('mutation { __typename }')}`);
  });

  it('should count every request and operation in the metrics the same way', async () => {
    expect(await counters(lean)).toEqual(await counters(express));
    expect((await counters(lean)).some((line) => line.includes('route="/graphql"'))).toBe(true);
  });

  it('should spend the rate limit the same way and answer 429 with Retry-After in both', async () => {
    const [leanLimited, expressLimited] = await Promise.all([
      open(true, { rateLimit: { points: 2, windowSeconds: 60 } }),
      open(false, { rateLimit: { points: 2, windowSeconds: 60 } }),
    ]);
    try {
      const statuses = async (gateway: RunningGateway) => {
        const answers: RawAnswer[] = [];
        // A body that is not JSON (no operation: not charged), then operations: the third is refused.
        for (const body of [
          '{ "query": ',
          JSON.stringify({ query: '{ nope }' }),
          JSON.stringify({ query: '{ categories }' }),
          JSON.stringify({ query: '{ categories }' }),
        ])
          answers.push(await send(gateway.url, 'POST', { ...json, ...bearer(userToken) }, body));
        return answers.map(comparable);
      };
      const viaLean = await statuses(leanLimited);
      expect(viaLean).toEqual(await statuses(expressLimited));
      expect(viaLean.map((a) => a.status)).toEqual([400, 200, 200, 429]);
      expect(viaLean[3].headers['retry-after']).toEqual(expect.any(String));
    } finally {
      await Promise.all([leanLimited.close(), expressLimited.close()]);
    }
  });
});
