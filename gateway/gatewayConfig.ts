import path from 'node:path';
import { z } from 'zod';
import type { SupergraphSource } from './supergraph/createSupergraphManager.js';

/** A validated gateway configuration. */
export interface GatewayConfig {
  host: string;
  port: number;
  supergraph: SupergraphSource;
  /** Websocket URLs of subgraphs by name, where not the HTTP URL with ws://. */
  subgraphWsUrls: Record<string, string>;
  /** Whether introspection queries are answered. */
  introspection: boolean;
  /** The GraphQL IDE page on GET /graphql. */
  landingPage: boolean;
}

const DEFAULT_SUBGRAPHS = 'catalog=http://127.0.0.1:4001/graphql,orders=http://127.0.0.1:4002/graphql,inventory=http://127.0.0.1:4003/graphql,shipping=http://127.0.0.1:4004/graphql';

/**
 * Reads the gateway configuration from the environment (the only place that does), with errors that name
 * the variable: `GATEWAY_HOST`, `GATEWAY_PORT`, `MESH_SUPERGRAPH_FILE` (use a composed file) or
 * `MESH_SUBGRAPHS` (`name=url,...`, composed from the running subgraphs), `MESH_POLL_INTERVAL_MS`,
 * `MESH_SUBGRAPH_WS` (`name=wsUrl,...`), `MESH_INTROSPECTION` (`true`/`false`), `NODE_ENV`.
 */
export function gatewayConfigFromEnv(env: NodeJS.ProcessEnv): GatewayConfig {
  const production = env.NODE_ENV === 'production';
  const fail = (variable: string, value: unknown, why: string): never => {
    throw new Error(`invalid ${variable}=${JSON.stringify(value)}: ${why}`);
  };
  const port = z.coerce.number().int().min(0).max(65535).safeParse(env.GATEWAY_PORT ?? 4000);
  if (!port.success) fail('GATEWAY_PORT', env.GATEWAY_PORT, 'a port number 0-65535');
  const poll = z.coerce.number().int().min(100).safeParse(env.MESH_POLL_INTERVAL_MS ?? 10_000);
  if (!poll.success) fail('MESH_POLL_INTERVAL_MS', env.MESH_POLL_INTERVAL_MS, 'milliseconds, at least 100');
  const bool = (variable: string, fallback: boolean) => {
    const value = env[variable];
    if (value === undefined || value === '') return fallback;
    if (value === 'true' || value === '1') return true;
    if (value === 'false' || value === '0') return false;
    return fail(variable, value, 'true or false');
  };
  const pollIntervalMs = poll.data!;
  const supergraph: SupergraphSource = env.MESH_SUPERGRAPH_FILE
    ? { kind: 'file', path: path.resolve(env.MESH_SUPERGRAPH_FILE), pollIntervalMs }
    : { kind: 'subgraphs', subgraphs: parseNamedUrls('MESH_SUBGRAPHS', env.MESH_SUBGRAPHS ?? DEFAULT_SUBGRAPHS, fail), pollIntervalMs };
  const ws = parseNamedUrls('MESH_SUBGRAPH_WS', env.MESH_SUBGRAPH_WS ?? '', fail);
  return {
    host: env.GATEWAY_HOST ?? '127.0.0.1',
    port: port.data!,
    supergraph,
    subgraphWsUrls: Object.fromEntries(ws.map((s) => [s.name, s.url])),
    introspection: bool('MESH_INTROSPECTION', !production),
    landingPage: bool('MESH_LANDING_PAGE', !production),
  };
}

function parseNamedUrls(variable: string, value: string, fail: (v: string, value: unknown, why: string) => never): Array<{ name: string; url: string }> {
  if (!value.trim()) return [];
  return value.split(',').map((entry) => {
    const [name, url] = entry.split('=').map((s) => s?.trim());
    if (!name || !url || !/^[a-z][a-z0-9_-]*$/i.test(name)) fail(variable, value, 'a comma-separated list of name=url');
    try {
      const parsed = new URL(url);
      if (!/^(https?|wss?):$/.test(parsed.protocol)) throw new Error('protocol');
    } catch {
      fail(variable, value, `"${url}" is not an http(s) or ws(s) URL`);
    }
    return { name, url };
  });
}
