/**
 * The gateway's `/files` route alone, over a scripted subgraph: what it passes on, what it keeps back,
 * replicas tried in turn, and a subgraph failure as a coded 502 without addresses.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { filesRoute, type FilesRouteOptions } from '../../gateway/files/filesRoute.js';
import { createGatewayLimits } from '../../gateway/limits/createGatewayLimits.js';
import { DEFAULT_OPERATION_LIMITS } from '../../gateway/limits/OperationLimits.js';
import type { Principal } from '../../gateway/auth/Principal.js';
import { refusedUrl } from '../support/refusedUrl.js';
import { startScriptedServer, type ScriptedServer } from '../support/startScriptedServer.js';

const USER: Principal = { authenticated: true, sub: 'ada', scopes: ['orders:read'], claims: {} };

let subgraph: ScriptedServer;
let gateway: Server | null = null;
const logged: string[] = [];

async function startRoute(overrides: Partial<FilesRouteOptions> = {}): Promise<string> {
  const app = express();
  app.use(
    filesRoute({
      addresses: () => ({ orders: { url: subgraph.url, wsUrl: '', urls: [subgraph.url], wsUrls: [] } }),
      authenticate: async () => USER,
      upstreamHeaders: async (principal, name) => ({ 'x-mesh-gateway-token': `${name}:${principal.sub}` }),
      log: (line) => void logged.push(line),
      ...overrides,
    }),
  );
  gateway = createServer(app);
  await new Promise<void>((resolve) => gateway!.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(gateway.address() as AddressInfo).port}/files`;
}

beforeEach(async () => {
  logged.length = 0;
  subgraph = await startScriptedServer((request, response) => {
    response
      .writeHead(200, { 'content-type': 'text/csv; charset=utf-8', 'x-mesh-withheld-columns': 'revenue', 'x-internal-path': '/srv/exports', 'x-token-seen': String(request.headers['x-mesh-gateway-token']) })
      .end(`${request.url} ${String(request.headers['x-mesh-gateway-token'])}\nbucket,units\n`);
  });
});
afterEach(async () => {
  await subgraph.close();
  if (gateway) await new Promise((resolve) => gateway!.close(resolve));
  gateway = null;
});

describe('gateway filesRoute', () => {
  it("should fetch the subgraph's file with the caller's identity and pass on only the content headers", async () => {
    const base = await startRoute();
    const response = await fetch(`${base}/orders/sales_hour.csv`);

    expect(response.status).toBe(200);
    expect(await response.text()).toBe('/files/sales_hour.csv orders:ada\nbucket,units\n');
    expect(response.headers.get('x-mesh-withheld-columns')).toBe('revenue');
    expect(response.headers.get('x-internal-path')).toBeNull();
    expect(response.headers.get('x-token-seen')).toBeNull();
    expect(subgraph.requests).toBe(1);
  });

  it('should try the next replica when one cannot be reached', async () => {
    const down = await refusedUrl();
    const base = await startRoute({ addresses: () => ({ orders: { url: down, wsUrl: '', urls: [down, subgraph.url], wsUrls: [] } }) });
    const response = await fetch(`${base}/orders/sales_hour.csv`);

    expect(response.status).toBe(200);
    expect(logged).toEqual([expect.stringMatching(/could not be reached/)]);
  });

  it('should answer a coded 502 without addresses when no replica can be reached', async () => {
    const down = await refusedUrl();
    const base = await startRoute({ addresses: () => ({ orders: { url: down, wsUrl: '', urls: [down], wsUrls: [] } }) });
    const response = await fetch(`${base}/orders/sales_hour.csv`);
    const text = await response.text();

    expect(response.status).toBe(502);
    expect(JSON.parse(text).error.code).toBe('DOWNSTREAM_SERVICE_ERROR');
    expect(text).not.toContain('127.0.0.1');
  });

  it("should answer a coded 502 when the subgraph refuses the gateway's identity", async () => {
    subgraph.handle((_request, response) => void response.writeHead(401, { 'content-type': 'application/json' }).end('{"error":{"code":"UNAUTHENTICATED"}}'));
    const base = await startRoute();
    const response = await fetch(`${base}/orders/sales_hour.csv`);

    expect(response.status).toBe(502);
    expect(logged).toEqual([expect.stringMatching(/answered 401/)]);
  });

  it('should refuse every download when the gateway has no auth', async () => {
    const base = await startRoute({ authenticate: undefined });
    const response = await fetch(`${base}/orders/sales_hour.csv`);

    expect(response.status).toBe(401);
    expect(subgraph.requests).toBe(0);
  });

  it("should spend the caller's rate-limit budget and refuse past it with 429 and Retry-After, before the subgraph", async () => {
    const limits = createGatewayLimits({
      operations: DEFAULT_OPERATION_LIMITS,
      maxBodyBytes: 1_048_576,
      maxWebsocketMessageBytes: 1_048_576,
      maxSubscriptionsPerSocket: 25,
      trustedDocuments: { mode: 'off' },
      rateLimit: { points: 2, windowSeconds: 60 },
    });
    try {
      const base = await startRoute({ admit: (principal, address) => limits.admitCaller(principal, address) });
      const statuses = [];
      for (let i = 0; i < 3; i++) statuses.push((await fetch(`${base}/orders/sales_hour.csv`)).status);
      const refused = await fetch(`${base}/orders/sales_hour.csv`);
      const body = (await refused.json()) as { error: { code: string; retryAfterSeconds: number } };

      expect(statuses).toEqual([200, 200, 429]);
      expect(refused.status).toBe(429);
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(body.error.code).toBe('REQUEST_RATE_LIMITED');
      expect(body.error.retryAfterSeconds).toBeGreaterThan(0);
      expect(subgraph.requests).toBe(2);
    } finally {
      await limits.close();
    }
  });

  it('should answer 500, not the file, when the budget cannot be checked', async () => {
    const base = await startRoute({
      admit: async () => {
        throw new Error('budget store broke');
      },
    });
    const response = await fetch(`${base}/orders/sales_hour.csv`);

    expect(response.status).toBe(500);
    expect(subgraph.requests).toBe(0);
  });

  it('should answer 404 before the supergraph is loaded', async () => {
    const base = await startRoute({ addresses: () => null });

    expect((await fetch(`${base}/orders/sales_hour.csv`)).status).toBe(404);
  });
});
