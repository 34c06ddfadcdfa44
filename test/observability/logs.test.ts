/**
 * Structured logs: JSON records with the request id the caller sent (or one the gateway made), the same
 * id at the subgraphs, audit records of field authorization, and no token anywhere.
 */
import { signDevToken } from '../../scripts/devToken.js';
import { auditLogSink } from '../../gateway/auth/auditFieldAuth.js';
import { createGatewayMetrics } from '../../gateway/observability/createGatewayMetrics.js';
import { testGatewayAuth } from '../support/startAuthMesh.js';
import { capturedLogger, seriesValue, startObservedMesh, type ObservedMesh } from './observedMesh.js';

const REVENUE = 'query ObsRevenue($r: TimeRangeInput!) { orderHistory(range: $r, granularity: DAY) { total { orders revenue } } }';
const RANGE = { from: new Date(Date.now() - 7 * 86_400_000).toISOString(), to: new Date(Date.now() + 86_400_000).toISOString() };

describe('structured logs', () => {
  let mesh: ObservedMesh;
  let token: string;
  beforeAll(async () => {
    // Auth on at the gateway (audit records to its logger); the subgraphs of this mesh trust any caller.
    mesh = await startObservedMesh({ auth: testGatewayAuth({ audit: undefined }) });
    token = await signDevToken({ scopes: ['orders:read'], ttlSeconds: 300 });
  });
  afterAll(() => mesh?.close());

  const query = (headers: Record<string, string>) =>
    fetch(mesh.gateway.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, ...headers },
      body: JSON.stringify({ query: REVENUE, variables: { r: RANGE } }),
    });

  it('should carry the caller x-request-id through the gateway log, the response and the subgraph log', async () => {
    const response = await query({ 'x-request-id': 'obs-req-1' });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-request-id')).toBe('obs-req-1');
    expect(((await response.json()) as { data: unknown }).data).toEqual({ orderHistory: { total: { orders: 3, revenue: null } } });

    const gatewayRecords = mesh.gatewayLog.records.filter((r) => r.requestId === 'obs-req-1');
    expect(gatewayRecords).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ name: 'gateway', level: 20, msg: 'request answered', method: 'POST', path: '/graphql', status: 200 }),
        expect.objectContaining({
          level: 40,
          msg: 'field-auth denied',
          audit: 'field-auth',
          decision: 'denied',
          coordinates: ['OrderTotals.revenue'],
          operationName: 'ObsRevenue',
          sub: expect.any(String),
          operationHash: expect.stringMatching(/^[0-9a-f]{64}$/),
        }),
      ]),
    );
    expect(mesh.subgraphLogs.orders.records).toEqual(
      expect.arrayContaining([expect.objectContaining({ name: 'orders-subgraph', requestId: 'obs-req-1', msg: 'request answered', path: '/graphql' })]),
    );
    const metrics = await (await fetch(`${mesh.base}/metrics`)).text();
    expect(seriesValue(metrics, 'mesh_gateway_auth_denials_total', { coordinate: 'OrderTotals.revenue' })).toBe(1);
  });

  it('should give a request without a usable x-request-id a fresh UUID', async () => {
    const ids: Array<Record<string, string>> = [{}, { 'x-request-id': 'x'.repeat(200) }, { 'x-request-id': 'bad id with spaces' }];
    for (const sent of ids) {
      const response = await query(sent);
      expect(response.headers.get('x-request-id')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    }
  });

  it('should write only JSON lines, none holding the caller token', () => {
    const lines = [...mesh.gatewayLog.lines, ...Object.values(mesh.subgraphLogs).flatMap((log) => log.lines)];
    expect(lines.length).toBeGreaterThan(5);
    for (const line of lines) expect(() => JSON.parse(line)).not.toThrow();
    expect(lines.filter((line) => line.includes(token) || line.includes(token.split('.')[2]))).toEqual([]);
  });
});

describe('createLogger redaction', () => {
  it('should redact tokens, connection params and personal data in records', () => {
    const { logger, captured } = capturedLogger('redaction');
    logger.info(
      {
        headers: { authorization: 'Bearer abc.def.ghi', 'x-mesh-gateway-token': 'gw.tok.en', accept: 'application/json' },
        connectionParams: { authorization: 'Bearer abc.def.ghi' },
        variables: { email: 'alice@example.com', input: { email: 'bob@example.com', region: 'eu' } },
        token: 'tok-1',
      },
      'a request',
    );
    const [line] = captured.lines;
    for (const secret of ['abc.def.ghi', 'gw.tok.en', 'alice@example.com', 'bob@example.com', 'tok-1']) expect(line).not.toContain(secret);
    expect(captured.records[0]).toMatchObject({ headers: { authorization: '[redacted]', accept: 'application/json' }, variables: { input: { region: 'eu' } } });
  });
});

describe('auditLogSink', () => {
  it('should log allowed as info, denied and refused as warn, and count each denied coordinate', async () => {
    const { logger, captured } = capturedLogger('gateway');
    const metrics = createGatewayMetrics({ processMetrics: false });
    const sink = auditLogSink(logger, metrics.authDenied);
    const base = { audit: 'field-auth' as const, sub: 'u1', operationName: 'Q', operationHash: 'h' };
    sink({ ...base, coordinates: ['A.b', 'A.c'], decision: 'denied' });
    sink({ ...base, coordinates: ['A.d'], decision: 'allowed' });
    sink({ ...base, coordinates: [], decision: 'refused', reason: 'unknown operation' });

    expect(captured.records.map((r) => [r.level, r.msg, r.decision])).toEqual([
      [40, 'field-auth denied', 'denied'],
      [30, 'field-auth allowed', 'allowed'],
      [40, 'field-auth refused', 'refused'],
    ]);
    const text = await metrics.registry.metrics();
    expect(['A.b', 'A.c', 'A.d', '(request)'].map((coordinate) => seriesValue(text, 'mesh_gateway_auth_denials_total', { coordinate }))).toEqual([1, 1, 0, 1]);
  });
});
