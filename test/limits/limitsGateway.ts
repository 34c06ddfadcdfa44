/**
 * A real gateway with given limits over the subgraphs of an auth mesh (`startAuthMesh`), and the
 * clients the limits suites use: POST, GET and graphql-ws, each returning what the caller would see.
 */
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { DEFAULT_GATEWAY_LIMITS, type GatewayLimitsConfig } from '../../gateway/limits/GatewayLimitsConfig.js';
import { DEFAULT_OPERATION_LIMITS, type OperationLimits } from '../../gateway/limits/OperationLimits.js';
import { startGateway, type RunningGateway } from '../../gateway/index.js';
import { DOMAIN_NAMES } from '../../subgraphs/domains.js';
import { testGatewayAuth, type AuthMesh } from '../support/startAuthMesh.js';
import { testGatewayConfig } from '../support/testGatewayConfig.js';

export type LimitsOverrides = Partial<Omit<GatewayLimitsConfig, 'operations'>> & { operations?: Partial<OperationLimits> };

export interface HttpAnswer {
  status: number;
  headers: Headers;
  body: any;
}

export interface LimitsGateway {
  gateway: RunningGateway;
  post(body: Record<string, unknown>, token?: string): Promise<HttpAnswer>;
  get(params: Record<string, string>, token?: string): Promise<HttpAnswer>;
  ws(token?: string): Client;
  /** Runs one operation over a websocket: its first result, or its errors. */
  wsOnce(
    client: Client,
    payload: { query: string; variables?: Record<string, unknown>; extensions?: Record<string, unknown> },
  ): Promise<{ data?: any; errors?: any[] }>;
  close(): Promise<void>;
}

export async function startLimitsGateway(mesh: AuthMesh, overrides: LimitsOverrides = {}): Promise<LimitsGateway> {
  const limits: GatewayLimitsConfig = { ...DEFAULT_GATEWAY_LIMITS, ...overrides, operations: { ...DEFAULT_OPERATION_LIMITS, ...overrides.operations } };
  const gateway = await startGateway({
    config: testGatewayConfig(
      DOMAIN_NAMES.map((name) => ({ name, url: mesh.subgraphs[name].served.url })),
      { auth: testGatewayAuth(), limits },
    ),
    log: () => {},
  });
  const clients: Client[] = [];
  const answer = async (response: Response): Promise<HttpAnswer> => ({ status: response.status, headers: response.headers, body: await response.json() });
  const auth = (token?: string): Record<string, string> => (token ? { authorization: `Bearer ${token}` } : {});
  return {
    gateway,
    post: async (body, token) =>
      answer(await fetch(gateway.url, { method: 'POST', headers: { 'content-type': 'application/json', ...auth(token) }, body: JSON.stringify(body) })),
    get: async (params, token) =>
      answer(await fetch(`${gateway.url}?${new URLSearchParams(params).toString()}`, { headers: { 'apollo-require-preflight': 'true', ...auth(token) } })),
    ws(token) {
      const client = createClient({
        url: gateway.wsUrl,
        webSocketImpl: WebSocket,
        retryAttempts: 0,
        lazy: true,
        ...(token && { connectionParams: { authorization: `Bearer ${token}` } }),
      });
      clients.push(client);
      return client;
    },
    wsOnce: (client, payload) =>
      new Promise((resolve, reject) => {
        let done = false;
        const dispose = client.subscribe(payload, {
          next: (result) => {
            if (done) return;
            done = true;
            dispose();
            resolve(result as { data?: any; errors?: any[] });
          },
          error: (error) => {
            if (done) return;
            done = true;
            if (Array.isArray(error)) resolve({ errors: error });
            else reject(error);
          },
          complete: () => {
            if (!done) reject(new Error('completed without a result'));
          },
        });
      }),
    async close() {
      await Promise.all(clients.map(async (c) => c.dispose()));
      await gateway.close();
    },
  };
}
