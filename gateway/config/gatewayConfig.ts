import path from 'node:path';
import { z } from 'zod';
import { envFail, type EnvFail } from '../../core/config/EnvFail.js';
import { gatewaySecretFromEnv } from '../../core/config/gatewaySecretFromEnv.js';
import { keySourceFromEnv } from '../../core/config/keySourceFromEnv.js';
import { secureModeOf } from '../../core/config/secureModeOf.js';
import { DEV_GATEWAY_SECRET, holdsDevKey } from '../../core/tokens/devCredentials.js';
import type { SupergraphSource } from '../supergraph/createSupergraphManager.js';
import type { GatewayAuthConfig } from '../auth/GatewayAuthConfig.js';
import type { GatewayLimitsConfig } from '../limits/GatewayLimitsConfig.js';
import { limitsConfigFromEnv } from '../limits/limitsConfigFromEnv.js';
import { gatewayObservabilityFromEnv, type GatewayObservabilityConfig } from '../observability/gatewayObservabilityFromEnv.js';
import { DEFAULT_OUTBOUND_LIMITS, type OutboundLimits } from '../subscriptions/createOutboundQueue.js';
import { DEFAULT_QUERY_PLANNER, type QueryEngine, type QueryPlannerName } from '../engine/useMeshEngine.js';
import type { RegistryConfig } from '../registry/RegistryConfig.js';
import { registryConfigFromEnv } from '../registry/registryConfigFromEnv.js';
import type { UpstreamKeepAliveOptions } from '../subscriptions/createUpstreamClient.js';
import { DEFAULT_BREAKER, DEFAULT_SUBGRAPH_CLIENT_CONFIG, type SubgraphClientConfig, type SubgraphOverrides } from '../upstream/SubgraphClientConfig.js';

/** A validated gateway configuration. */
export interface GatewayConfig {
  host: string;
  port: number;
  /**
   * Where the supergraph comes from. Composing from running subgraphs, an entry may list the other
   * replicas of its subgraph (`otherReplicaUrls`): the gateway fails over between them for SDL, queries
   * and subscriptions.
   */
  supergraph: SupergraphSource;
  /**
   * Websocket URLs of subgraphs by name (one per replica), where not the HTTP URLs with `ws(s)://`.
   * A subgraph absent here subscribes at its HTTP URLs with `ws(s)://`.
   */
  subgraphWsUrls: Record<string, readonly string[]>;
  /** Whether introspection queries are answered. */
  introspection: boolean;
  /** The GraphQL IDE page on GET /graphql. */
  landingPage: boolean;
  /**
   * The gateway's base URL as consumers reach it (behind a proxy or load balancer), e.g.
   * `https://mesh.example.com`: the catalog's output ports point there, never at a subgraph.
   * @default the gateway's own listening address
   */
  publicUrl?: string;
  /**
   * Tokens, field-level authorization and the identity sent to subgraphs. Absent means none of it:
   * every caller sees everything and subgraphs get no identity (only for tests of other features;
   * `gatewayConfigFromEnv` always sets it).
   */
  auth?: GatewayAuthConfig;
  /**
   * Operation limits, trusted documents and rate limits. @default DEFAULT_GATEWAY_LIMITS (no rate
   * limit; `gatewayConfigFromEnv` always sets it, see README.md "Limits")
   */
  limits?: GatewayLimitsConfig;
  /**
   * Logs, `/metrics`, traces and CORS (README.md "Operating: logs, metrics, traces").
   * @default info-level JSON logs, `/metrics` open, tracing off, no CORS (`gatewayConfigFromEnv` always sets it)
   */
  observability?: GatewayObservabilityConfig;
  /**
   * Bounds of each websocket client's outbound queue: a client further behind is closed with 1013 and
   * told to reconnect and resume from its last cursor (README.md "Subscriptions", `MESH_WS_MAX_QUEUED_MESSAGES`,
   * `MESH_WS_MAX_QUEUED_BYTES`, `MESH_WS_CUTOFF_GRACE_MS`).
   * @default DEFAULT_OUTBOUND_LIMITS (1,000 messages, 4 MiB, 1 s grace)
   */
  outbound?: OutboundLimits;
  /**
   * Pings on the gateway's websockets to subgraphs: a socket without a pong in time is dropped and its
   * subscriptions resume from their last cursor on a new one (README.md "Configuration").
   * @default { intervalMs: 10000, timeoutMs: 5000 }
   */
  upstreamKeepAlive?: UpstreamKeepAliveOptions;
  /**
   * The subgraph HTTP client: sockets per subgraph, timeouts, the request deadline, circuit breakers and
   * retries. @default DEFAULT_SUBGRAPH_CLIENT_CONFIG (see README.md "Configuration")
   */
  subgraphClient?: SubgraphClientConfig;
  /**
   * The schema registry (`/registry`, README.md "Schema registry"): subgraphs published over HTTP,
   * composed with the configured ones. Needs `auth` and a `subgraphs` supergraph source.
   * @default none (`gatewayConfigFromEnv` sets a file store unless `MESH_REGISTRY=off`)
   */
  registry?: RegistryConfig;
  /**
   * Which executor runs query plans (README.md "Query engine", `MESH_QUERY_ENGINE`): `mesh`, the
   * gateway's own (gateway/engine/), or `apollo`, @apollo/gateway's. Both plan with @apollo/gateway.
   * @default DEFAULT_QUERY_ENGINE
   */
  queryEngine?: QueryEngine;
  /**
   * Which planner plans for the mesh query engine (`MESH_QUERY_PLANNER`): `apollo` (@apollo/gateway's,
   * with its plan cache) or `hive` (Hive Router's Rust planner first, @apollo/gateway's for what it
   * cannot plan). Ignored by the `apollo` engine.
   * @default DEFAULT_QUERY_PLANNER
   */
  queryPlanner?: QueryPlannerName;
  /**
   * Whether `POST /graphql` with a plain JSON body takes the lean path (gateway/http/leanGraphqlPost.ts:
   * the same Apollo Server pipeline without Express around it) instead of the Express route
   * (`MESH_LEAN_HTTP`). Off, every request goes through Express; answers are the same either way.
   * @default true
   */
  leanHttp?: boolean;
  /**
   * What `/ready` requires (`MESH_READINESS`): `subgraphs`, every subgraph answering and no breaker open
   * (503 `degraded` otherwise); or `supergraph`, a supergraph in service, the gateway being able to answer
   * with partial data: subgraph problems are then reported in a 200 answer (`status: "degraded"`), so one
   * domain's outage does not take every gateway replica out of a load balancer.
   * @default 'subgraphs'
   */
  readiness?: 'subgraphs' | 'supergraph';
}

/** The query engine when none is configured. */
export const DEFAULT_QUERY_ENGINE: QueryEngine = 'mesh';

/** `{ [key]: value }`, or nothing when the value is undefined. */
const optional = <K extends string, V>(key: K, value: V | undefined) => (value === undefined ? {} : ({ [key]: value } as Record<K, V>));

/** A subgraph name as MESH_SUBGRAPHS and MESH_TRUSTED_SUBGRAPHS take it. */
const SUBGRAPH_NAME = /^[a-z][a-z0-9_-]*$/i;

const DEFAULT_SUBGRAPHS =
  'catalog=http://127.0.0.1:4001/graphql,orders=http://127.0.0.1:4002/graphql,inventory=http://127.0.0.1:4003/graphql,shipping=http://127.0.0.1:4004/graphql';

/**
 * Reads the gateway configuration from the environment (the only place that does), with errors that name
 * the variable: `GATEWAY_HOST`, `GATEWAY_PORT`, `MESH_SUPERGRAPH_FILE` (use a composed file) or
 * `MESH_SUBGRAPHS` (`name=url,...`, composed from the running subgraphs; `name=url1|url2` lists the
 * replicas of a subgraph, the first composed into the supergraph), `MESH_POLL_INTERVAL_MS`,
 * `MESH_SUBGRAPH_WS` (`name=wsUrl,...`, `|` between replicas), `MESH_INTROSPECTION` (`true`/`false`),
 * `MESH_UPSTREAM_PING_INTERVAL_MS` / `MESH_UPSTREAM_PONG_TIMEOUT_MS` (upstream keep-alive),
 * `MESH_WS_MAX_QUEUED_MESSAGES` / `MESH_WS_MAX_QUEUED_BYTES` (each websocket client's outbound bound), `MESH_WS_CUTOFF_GRACE_MS`,
 * `MESH_QUERY_ENGINE` (`mesh`/`apollo`), `MESH_QUERY_PLANNER` (`apollo`/`hive`), `MESH_LEAN_HTTP` (`true`/`false`), `MESH_READINESS` (`subgraphs`/`supergraph`), `NODE_ENV`, the auth variables (see `authConfigFromEnv`) and the subgraph client's (see
 * `subgraphClientConfigFromEnv`). Throws, naming the variable, for a bad
 * value or for development credentials in production.
 */
export function gatewayConfigFromEnv(env: NodeJS.ProcessEnv): GatewayConfig {
  const production = env.NODE_ENV === 'production';
  const fail = envFail;
  const port = z.coerce
    .number()
    .int()
    .min(0)
    .max(65535)
    .safeParse(env.GATEWAY_PORT ?? 4000);
  if (!port.success) fail('GATEWAY_PORT', env.GATEWAY_PORT, 'a port number 0-65535');
  const poll = z.coerce
    .number()
    .int()
    .min(100)
    .safeParse(env.MESH_POLL_INTERVAL_MS ?? 10_000);
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
    : {
        kind: 'subgraphs',
        subgraphs: parseNamedUrls('MESH_SUBGRAPHS', env.MESH_SUBGRAPHS ?? DEFAULT_SUBGRAPHS, fail).map(({ name, urls: [url, ...others] }) => ({
          name,
          url,
          ...(others.length > 0 && { otherReplicaUrls: others }),
        })),
        pollIntervalMs,
      };
  const ws = parseNamedUrls('MESH_SUBGRAPH_WS', env.MESH_SUBGRAPH_WS ?? '', fail);
  return {
    host: env.GATEWAY_HOST ?? '127.0.0.1',
    port: port.data!,
    supergraph,
    subgraphWsUrls: Object.fromEntries(ws.map((s) => [s.name, s.urls])),
    introspection: bool('MESH_INTROSPECTION', !production),
    landingPage: bool('MESH_LANDING_PAGE', !production),
    ...(env.MESH_PUBLIC_URL && { publicUrl: publicUrlFrom(env.MESH_PUBLIC_URL, fail) }),
    auth: authConfigFromEnv(env, supergraph, fail),
    limits: limitsConfigFromEnv(env, fail),
    observability: gatewayObservabilityFromEnv(env, fail),
    outbound: {
      maxMessages: positiveInt(env, 'MESH_WS_MAX_QUEUED_MESSAGES', DEFAULT_OUTBOUND_LIMITS.maxMessages, fail),
      maxBytes: positiveInt(env, 'MESH_WS_MAX_QUEUED_BYTES', DEFAULT_OUTBOUND_LIMITS.maxBytes, fail),
      cutOffGraceMs: positiveInt(env, 'MESH_WS_CUTOFF_GRACE_MS', DEFAULT_OUTBOUND_LIMITS.cutOffGraceMs, fail),
    },
    ...optional('registry', registryConfigFromEnv(env, supergraph.kind === 'subgraphs', fail)),
    upstreamKeepAlive: upstreamKeepAliveFromEnv(env, fail),
    subgraphClient: subgraphClientConfigFromEnv(env, fail),
    queryEngine: queryEngineFromEnv(env, fail),
    queryPlanner: queryPlannerFromEnv(env, fail),
    leanHttp: bool('MESH_LEAN_HTTP', true),
    readiness: readinessFromEnv(env, fail),
  };
}

/** `MESH_READINESS`: `subgraphs` or `supergraph`. */
function readinessFromEnv(env: NodeJS.ProcessEnv, fail: EnvFail): 'subgraphs' | 'supergraph' {
  const value = env.MESH_READINESS?.trim() || 'subgraphs';
  return value === 'subgraphs' || value === 'supergraph' ? value : fail('MESH_READINESS', value, 'subgraphs or supergraph');
}

/** `MESH_QUERY_PLANNER`: `apollo` or `hive`. */
function queryPlannerFromEnv(env: NodeJS.ProcessEnv, fail: EnvFail): QueryPlannerName {
  const value = env.MESH_QUERY_PLANNER?.trim() || DEFAULT_QUERY_PLANNER;
  return value === 'apollo' || value === 'hive' ? value : fail('MESH_QUERY_PLANNER', value, 'apollo or hive');
}

/** `MESH_QUERY_ENGINE`: `mesh` or `apollo`. */
function queryEngineFromEnv(env: NodeJS.ProcessEnv, fail: EnvFail): QueryEngine {
  const value = env.MESH_QUERY_ENGINE?.trim() || DEFAULT_QUERY_ENGINE;
  return value === 'mesh' || value === 'apollo' ? value : fail('MESH_QUERY_ENGINE', value, 'mesh or apollo');
}

/**
 * `MESH_SUBGRAPH_TIMEOUT_MS`, `MESH_REQUEST_DEADLINE_MS`, `MESH_SUBGRAPH_MAX_SOCKETS`, `MESH_SUBGRAPH_MAX_RESPONSE_BYTES`,
 * `MESH_SUBGRAPH_RETRIES`, `MESH_SUBGRAPH_DEDUP` (`on`/`off`), `MESH_BREAKER` (`on`/`off`), `MESH_BREAKER_ERROR_PERCENT`,
 * `MESH_BREAKER_MIN_REQUESTS`, `MESH_BREAKER_WINDOW_MS`, `MESH_BREAKER_RESET_MS`, and per subgraph
 * `MESH_SUBGRAPH_TIMEOUTS` / `MESH_SUBGRAPH_MAX_SOCKETS_BY_NAME` (`name=value,...`).
 */
function subgraphClientConfigFromEnv(env: NodeJS.ProcessEnv, fail: EnvFail): SubgraphClientConfig {
  const integer = (variable: string, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER) => {
    const value = env[variable];
    if (value === undefined || value === '') return fallback;
    const parsed = z.coerce.number().int().min(min).max(max).safeParse(value);
    return parsed.success ? parsed.data : fail(variable, value, `an integer from ${min} to ${max}`);
  };
  const perSubgraph = (variable: string, min: number): Record<string, number> => {
    const value = env[variable]?.trim();
    if (!value) return {};
    return Object.fromEntries(
      value.split(',').map((entry) => {
        const [name, number, ...rest] = entry.split('=').map((part) => part.trim());
        const parsed = z.coerce.number().int().min(min).safeParse(number);
        if (!name || !SUBGRAPH_NAME.test(name) || rest.length > 0 || !number || !parsed.success)
          fail(variable, value, `a comma-separated list of name=integer (at least ${min})`);
        return [name, parsed.data];
      }),
    );
  };
  const defaults = DEFAULT_SUBGRAPH_CLIENT_CONFIG;
  const breakerSwitch = env.MESH_BREAKER?.trim() || 'on';
  if (breakerSwitch !== 'on' && breakerSwitch !== 'off') fail('MESH_BREAKER', breakerSwitch, 'on or off');
  const dedupeSwitch = env.MESH_SUBGRAPH_DEDUP?.trim() || 'on';
  if (dedupeSwitch !== 'on' && dedupeSwitch !== 'off') fail('MESH_SUBGRAPH_DEDUP', dedupeSwitch, 'on or off');
  const subgraphs: Record<string, SubgraphOverrides> = {};
  for (const [name, timeoutMs] of Object.entries(perSubgraph('MESH_SUBGRAPH_TIMEOUTS', 1))) subgraphs[name] = { ...subgraphs[name], timeoutMs };
  for (const [name, maxSockets] of Object.entries(perSubgraph('MESH_SUBGRAPH_MAX_SOCKETS_BY_NAME', 1))) subgraphs[name] = { ...subgraphs[name], maxSockets };
  return {
    timeoutMs: integer('MESH_SUBGRAPH_TIMEOUT_MS', defaults.timeoutMs, 1),
    requestDeadlineMs: integer('MESH_REQUEST_DEADLINE_MS', defaults.requestDeadlineMs, 1),
    maxSockets: integer('MESH_SUBGRAPH_MAX_SOCKETS', defaults.maxSockets, 1),
    maxResponseBytes: integer('MESH_SUBGRAPH_MAX_RESPONSE_BYTES', defaults.maxResponseBytes, 1024),
    breaker:
      breakerSwitch === 'off'
        ? false
        : {
            errorPercent: integer('MESH_BREAKER_ERROR_PERCENT', DEFAULT_BREAKER.errorPercent, 1, 100),
            minRequests: integer('MESH_BREAKER_MIN_REQUESTS', DEFAULT_BREAKER.minRequests, 1),
            windowMs: integer('MESH_BREAKER_WINDOW_MS', DEFAULT_BREAKER.windowMs, 100),
            resetMs: integer('MESH_BREAKER_RESET_MS', DEFAULT_BREAKER.resetMs, 1),
          },
    retry: { ...defaults.retry, retries: integer('MESH_SUBGRAPH_RETRIES', defaults.retry.retries, 0, 10) },
    dedupe: dedupeSwitch === 'on',
    subgraphs,
  };
}

/**
 * `MESH_UPSTREAM_PING_INTERVAL_MS` (default 10000; 0 turns pings off) and `MESH_UPSTREAM_PONG_TIMEOUT_MS`
 * (default 5000). Below 100 ms a busy subgraph's event loop would be taken for a dead socket.
 */
function upstreamKeepAliveFromEnv(env: NodeJS.ProcessEnv, fail: EnvFail): Required<UpstreamKeepAliveOptions> {
  const interval = z.coerce
    .number()
    .int()
    .refine((ms) => ms === 0 || ms >= 100)
    .safeParse(env.MESH_UPSTREAM_PING_INTERVAL_MS || 10_000);
  if (!interval.success) fail('MESH_UPSTREAM_PING_INTERVAL_MS', env.MESH_UPSTREAM_PING_INTERVAL_MS, 'milliseconds, at least 100 (0 turns pings off)');
  const timeout = z.coerce
    .number()
    .int()
    .min(100)
    .safeParse(env.MESH_UPSTREAM_PONG_TIMEOUT_MS || 5_000);
  if (!timeout.success) fail('MESH_UPSTREAM_PONG_TIMEOUT_MS', env.MESH_UPSTREAM_PONG_TIMEOUT_MS, 'milliseconds, at least 100');
  return { intervalMs: interval.data, timeoutMs: timeout.data };
}

/**
 * `MESH_AUTH_JWKS_URL` | `MESH_AUTH_JWKS_FILE` (default the dev key set), `MESH_AUTH_ISSUER` (`mesh-dev`),
 * `MESH_AUTH_AUDIENCE` (`mesh`), `MESH_AUTH_SCOPES_CLAIM` (`scope`), `MESH_AUTH_MODE` (`filter` |
 * `reject`), `MESH_GATEWAY_SECRET` | `MESH_GATEWAY_SECRET_FILE` (default a dev secret),
 * `MESH_TRUSTED_SUBGRAPHS` (default the names in `MESH_SUBGRAPHS`), `MESH_SUBSCRIPTION_PER_SUBJECT` (subgraphs
 * that filter subscription events by subject, default none), `MESH_SECURE`. In production
 * (`NODE_ENV=production` or `MESH_SECURE=true`) the committed dev secret and dev key are refused, and a
 * supergraph file needs `MESH_TRUSTED_SUBGRAPHS`.
 */
function authConfigFromEnv(env: NodeJS.ProcessEnv, supergraph: SupergraphSource, fail: EnvFail): GatewayAuthConfig {
  const keys = keySourceFromEnv(env, fail);
  const mode = env.MESH_AUTH_MODE || 'filter';
  if (mode !== 'filter' && mode !== 'reject') fail('MESH_AUTH_MODE', mode, 'filter or reject');
  const gatewaySecret = gatewaySecretFromEnv(env, fail);
  const text = (variable: string, fallback: string) => {
    const value = env[variable] ?? fallback;
    if (!value.trim()) fail(variable, value, 'a non-empty string');
    return value.trim();
  };
  const secure = secureModeOf(env, fail);
  const trustedSubgraphs = env.MESH_TRUSTED_SUBGRAPHS?.trim()
    ? parseNames('MESH_TRUSTED_SUBGRAPHS', env.MESH_TRUSTED_SUBGRAPHS, fail)
    : supergraph.kind === 'subgraphs'
      ? supergraph.subgraphs.map((s) => s.name)
      : undefined;
  const perSubjectSubgraphs = env.MESH_SUBSCRIPTION_PER_SUBJECT?.trim()
    ? parseNames('MESH_SUBSCRIPTION_PER_SUBJECT', env.MESH_SUBSCRIPTION_PER_SUBJECT, fail)
    : [];
  if (secure) {
    // Fail closed: dev credentials are public, so a production mesh running on them has no auth at all.
    const problems: string[] = [];
    if (gatewaySecret === DEV_GATEWAY_SECRET)
      problems.push(
        'MESH_GATEWAY_SECRET is the committed development secret: set MESH_GATEWAY_SECRET or MESH_GATEWAY_SECRET_FILE to a random secret of 32+ characters',
      );
    if (keys.kind === 'local' && holdsDevKey(keys.jwksFile))
      problems.push(
        "user tokens would be verified with the committed development key: set MESH_AUTH_JWKS_URL (or MESH_AUTH_JWKS_FILE) to your identity provider's keys",
      );
    if (!trustedSubgraphs) problems.push('MESH_TRUSTED_SUBGRAPHS is required with MESH_SUPERGRAPH_FILE: name the subgraphs that may receive caller identities');
    if (problems.length) throw new Error(`refusing to start with ${secure}: ${problems.join('; ')}`);
  }
  return {
    keys,
    issuer: text('MESH_AUTH_ISSUER', 'mesh-dev'),
    audience: text('MESH_AUTH_AUDIENCE', 'mesh'),
    scopesClaim: text('MESH_AUTH_SCOPES_CLAIM', 'scope'),
    mode,
    gatewaySecret,
    ...(trustedSubgraphs && { trustedSubgraphs }),
    perSubjectSubgraphs,
    warnings: [],
  };
}

/** A whole number ≥ 1 from `variable`, or `fallback` when unset. */
function positiveInt(env: NodeJS.ProcessEnv, variable: string, fallback: number, fail: EnvFail): number {
  const parsed = z.coerce
    .number()
    .int()
    .min(1)
    .safeParse(env[variable] || fallback);
  if (!parsed.success) fail(variable, env[variable], 'a whole number, at least 1');
  return parsed.data;
}

/** `name,name,...`: subgraph names as in `MESH_SUBGRAPHS`. */
function parseNames(variable: string, value: string, fail: EnvFail): string[] {
  const names = value.split(',').map((name) => name.trim());
  if (names.some((name) => !SUBGRAPH_NAME.test(name))) fail(variable, value, 'a comma-separated list of subgraph names');
  return names;
}

/**
 * `name=url,...` where a url may be `url1|url2|...` (replicas of one subgraph, in order). Each name once,
 * each URL http(s) or ws(s) and listed once per name.
 */
function parseNamedUrls(variable: string, value: string, fail: EnvFail): Array<{ name: string; urls: string[] }> {
  if (!value.trim()) return [];
  const seen = new Set<string>();
  return value.split(',').map((entry) => {
    const [name, list, ...rest] = entry.split('=').map((s) => s.trim());
    if (!name || !list || rest.length > 0 || !SUBGRAPH_NAME.test(name))
      fail(variable, value, 'a comma-separated list of name=url (name=url1|url2 for replicas)');
    if (seen.has(name)) fail(variable, value, `"${name}" is listed twice (list its replicas as ${name}=url1|url2)`);
    seen.add(name);
    const urls = list.split('|').map((url) => url.trim());
    for (const url of urls) {
      if (!url) fail(variable, value, `"${name}" has an empty replica URL`);
      try {
        const parsed = new URL(url);
        if (!/^(https?|wss?):$/.test(parsed.protocol)) throw new Error('protocol');
      } catch {
        fail(variable, value, `"${url}" is not an http(s) or ws(s) URL`);
      }
    }
    if (new Set(urls).size !== urls.length) fail(variable, value, `"${name}" lists the same replica URL twice`);
    return { name, urls };
  });
}

/** `MESH_PUBLIC_URL`: an http(s) base URL; a trailing `/graphql` or slash is dropped. */
function publicUrlFrom(value: string, fail: EnvFail): string {
  if (!/^https?:\/\//.test(value) || !URL.canParse(value))
    fail('MESH_PUBLIC_URL', value, 'the http(s) base URL consumers reach the gateway at, e.g. https://mesh.example.com');
  return value.replace(/\/+$/, '').replace(/\/graphql$/, '');
}
