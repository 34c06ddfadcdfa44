/**
 * The whole mesh on loopback with auth ON, for the authorization suites: the four real domain subgraphs
 * (in-memory DuckDB, port 0) trusting only the gateway's signed identity and producer tokens, and a
 * real gateway verifying user tokens signed by the committed dev key. Every GraphQL operation a subgraph
 * receives is recorded (HTTP and websocket), so tests can prove a removed field never left the gateway.
 * Seeded with the same story as `startTestMesh`, posted with producer tokens.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse, visit } from 'graphql';
import { createClient, type Client, type ClientOptions } from 'graphql-ws';
import WebSocket from 'ws';
import type { FieldAuthAuditLine } from '../../gateway/auth/auditFieldAuth.js';
import type { PolicyRegistry } from '../../gateway/auth/decideFieldAccess.js';
import type { GatewayAuthConfig } from '../../gateway/auth/GatewayAuthConfig.js';
import { startGateway, type RunningGateway } from '../../gateway/index.js';
import { DOMAIN_NAMES, type DomainName } from '../../subgraphs/domains.js';
import { startSubgraph, type RunningSubgraph } from '../../subgraphs/startSubgraph.js';
import type { SubgraphConfig } from '../../subgraphs/subgraphConfig.js';
import { signDevToken, type DevTokenOptions } from '../../scripts/devToken.js';
import { meshStory, type MeshEvent, type MeshStory } from './startTestMesh.js';
import { testSubgraphConfig } from './testSubgraphConfig.js';
import { testGatewayConfig } from './testGatewayConfig.js';

export const TEST_GATEWAY_SECRET = 'test-gateway-secret-0123456789abcdef';
export const DEV_PUBLIC_JWKS = path.resolve('config/dev-jwks.public.json');

/** How test subgraphs verify producer tokens: the committed dev key set, as `npm run token` signs them. */
export const TEST_PRODUCERS = { keys: { kind: 'local' as const, jwksFile: DEV_PUBLIC_JWKS }, issuer: 'mesh-dev', audience: 'mesh', scopesClaim: 'scope' };

/** The gateway auth settings of test gateways: the dev key set, the test gateway secret, audit lines dropped. */
export function testGatewayAuth(overrides: Partial<GatewayAuthConfig> = {}): GatewayAuthConfig {
  return { ...TEST_PRODUCERS, mode: 'filter', gatewaySecret: TEST_GATEWAY_SECRET, audit: () => {}, ...overrides };
}

/** An operation a subgraph received. */
export interface ReceivedOperation {
  query: string;
  transport: 'http' | 'ws';
}

export interface AuthMeshGateway {
  gateway: RunningGateway;
  /** Audit lines the gateway wrote. */
  audit: FieldAuthAuditLine[];
  /** POSTs to the gateway, with `Authorization: Bearer <token>` when a token is given. */
  query<T = any>(
    query: string,
    options?: { token?: string; variables?: Record<string, unknown>; operationName?: string; authorization?: string },
  ): Promise<{ status: number; body: T }>;
  /** A graphql-ws client to the gateway; `connectionParams.authorization` carries the token. */
  wsClient(token?: string, options?: Partial<ClientOptions>): Client;
}

export interface AuthMesh extends AuthMeshGateway {
  subgraphs: Record<DomainName, RunningSubgraph>;
  story: MeshStory;
  /** The subgraphs' export folder (`exportRollups(subgraphs.orders.runtime, exportDir)` writes files). */
  exportDir: string;
  /** Operations each subgraph received since the last `clearReceived()`. */
  received: Record<DomainName, ReceivedOperation[]>;
  clearReceived(): void;
  /** Field names (not aliases) in every operation any subgraph received since the last clear. */
  receivedFieldNames(domains?: readonly DomainName[]): Set<string>;
  /** A user token signed by the dev key. */
  token(options: Partial<DevTokenOptions> & { scopes?: readonly string[] }): Promise<string>;
  /** Posts facts to a subgraph with a producer token for its domain. */
  post(domain: DomainName, events: MeshEvent | MeshEvent[]): Promise<void>;
  /** A CloudEvent with a unique id, timed `msAgo` before now. */
  event(type: string, data: Record<string, unknown>, msAgo?: number): MeshEvent;
  /** Another gateway over the same subgraphs (e.g. in reject mode); closed with the mesh. */
  startGateway(overrides?: Partial<GatewayAuthConfig>): Promise<AuthMeshGateway>;
  close(): Promise<void>;
}

export interface StartAuthMeshOptions {
  /** @default 'filter' */
  mode?: GatewayAuthConfig['mode'];
  policies?: PolicyRegistry;
}

export async function startAuthMesh(options: StartAuthMeshOptions = {}): Promise<AuthMesh> {
  const exportDir = mkdtempSync(path.join(os.tmpdir(), 'mesh-auth-'));
  const story = meshStory();
  const received = Object.fromEntries(DOMAIN_NAMES.map((d) => [d, [] as ReceivedOperation[]])) as Record<DomainName, ReceivedOperation[]>;
  const configFor = (domain: DomainName): SubgraphConfig =>
    testSubgraphConfig(domain, exportDir, { auth: { gatewaySecret: TEST_GATEWAY_SECRET, producers: TEST_PRODUCERS } });
  const subgraphs = {} as Record<DomainName, RunningSubgraph>;
  const gateways: RunningGateway[] = [];
  const closeAll = async () => {
    await Promise.all(gateways.map((g) => g.close()));
    await Promise.all(Object.values(subgraphs).map((s) => s.close()));
    rmSync(exportDir, { recursive: true, force: true });
  };

  const token: AuthMesh['token'] = (o) => signDevToken({ scopes: [], ttlSeconds: 600, ...o });
  const post = async (domain: DomainName, events: MeshEvent | MeshEvent[]) => {
    const producer = await signDevToken({ scopes: [`${domain}:write`], ttlSeconds: 60, sub: 'test-producer' });
    const send = () =>
      fetch(`http://127.0.0.1:${subgraphs[domain].served.port}/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${producer}` },
        body: JSON.stringify(events),
      });
    // A kept-alive connection the server closes as it is reused fails with "other side closed"; facts are
    // idempotent by source + id, so sending once more is safe.
    const response = await send().catch(send);
    if (response.status !== 200) throw new Error(`POST /events to ${domain} answered ${response.status}: ${await response.text()}`);
  };

  const openGateway = async (overrides: Partial<GatewayAuthConfig> = {}): Promise<AuthMeshGateway> => {
    const audit: FieldAuthAuditLine[] = [];
    const gateway = await startGateway({
      config: testGatewayConfig(
        DOMAIN_NAMES.map((name) => ({ name, url: subgraphs[name].served.url })),
        { auth: testGatewayAuth({ mode: options.mode ?? 'filter', policies: options.policies, audit: (line) => void audit.push(line), ...overrides }) },
      ),
      log: () => {},
    });
    gateways.push(gateway);
    return {
      gateway,
      audit,
      async query(query, { token: bearer, variables, operationName, authorization } = {}) {
        const headers: Record<string, string> = { 'content-type': 'application/json' };
        if (authorization !== undefined) headers.authorization = authorization;
        else if (bearer) headers.authorization = `Bearer ${bearer}`;
        const response = await fetch(gateway.url, { method: 'POST', headers, body: JSON.stringify({ query, variables, operationName }) });
        return { status: response.status, body: (await response.json()) as any };
      },
      wsClient(bearer, clientOptions = {}) {
        return createClient({
          url: gateway.wsUrl,
          webSocketImpl: WebSocket,
          retryAttempts: 0,
          lazy: true,
          ...(bearer ? { connectionParams: { authorization: `Bearer ${bearer}` } } : {}),
          ...clientOptions,
        });
      },
    };
  };

  let first: AuthMeshGateway;
  try {
    await Promise.all(
      DOMAIN_NAMES.map(async (domain) => {
        subgraphs[domain] = await startSubgraph(configFor(domain), { onOperation: (query, transport) => void received[domain].push({ query, transport }) });
      }),
    );
    await Promise.all(DOMAIN_NAMES.flatMap((d) => (story.events[d]?.length ? [post(d, story.events[d])] : [])));
    first = await openGateway();
  } catch (error) {
    await closeAll();
    throw error;
  }

  let sequence = 0;
  return {
    ...first,
    subgraphs,
    story,
    exportDir,
    received,
    clearReceived: () => DOMAIN_NAMES.forEach((d) => (received[d].length = 0)),
    receivedFieldNames(domains = DOMAIN_NAMES) {
      const names = new Set<string>();
      for (const d of domains) {
        for (const { query } of received[d]) {
          visit(parse(query), {
            Field(node) {
              names.add(node.name.value);
            },
          });
        }
      }
      return names;
    },
    token,
    post,
    event(type, data, msAgo = 0) {
      return {
        specversion: '1.0',
        id: `auth-${process.pid}-${++sequence}`,
        source: 'urn:test:auth',
        type,
        time: new Date(Date.now() - msAgo).toISOString(),
        data,
      };
    },
    startGateway: openGateway,
    close: closeAll,
  };
}
