import path from 'node:path';
import { z } from 'zod';
import { DOMAINS, DOMAIN_NAMES, type DomainName } from './domains.js';
import { envFail } from '../core/config/EnvFail.js';
import { gatewaySecretFromEnv } from '../core/config/gatewaySecretFromEnv.js';
import { keySourceFromEnv } from '../core/config/keySourceFromEnv.js';
import { secureModeOf } from '../core/config/secureModeOf.js';
import { DEV_GATEWAY_SECRET, holdsDevKey } from '../core/tokens/devCredentials.js';
import type { KeySource } from '../core/tokens/KeySource.js';
import { DEFAULT_CHECKPOINT_THRESHOLD, DEFAULT_SQL_LIMITS, eventMeshConfigFromEnv, parseSize, type EventMeshConfig, type SqlLimits } from './kit/essentials.js';
import { observabilityConfigFromEnv, type ObservabilityConfig } from '../core/observability/observabilityConfigFromEnv.js';

/** Where a subgraph keeps its data: an embedded DuckDB file (or memory), or a PostgreSQL server. */
export type StoreConfig =
  | {
      kind: 'duckdb';
      path: string;
      /**
       * DuckDB worker threads (`MESH_DUCKDB_THREADS`); unset keeps DuckDB's default, one per core. 1 runs every
       * statement on the calling thread: a live stream's small applies then cost 10-20 % less CPU (no
       * hand-off to idle workers, issue #13), and large history queries and exports run on one core.
       */
      threads?: number;
      /**
       * The largest write-ahead log before a checkpoint (`MESH_DUCKDB_MAX_WAL`, a size such as `256MB`;
       * `DuckDbStoreOptions.checkpointMaxThreshold`, default 1 GiB): bounds the replay after a crash (about
       * 14 s for a 330 MB log on the 2-core VM) at the price of more frequent checkpoints once the database
       * file passes four times this size.
       */
      checkpointMaxThreshold?: string;
    }
  | {
      kind: 'postgres';
      url: string;
      /** `MESH_PG_CONNECT_TIMEOUT_MS`, `MESH_PG_STATEMENT_TIMEOUT_MS`, `MESH_PG_QUERY_TIMEOUT_MS`; unset ones keep the store's defaults. */
      timeouts?: { connectTimeoutMs?: number; statementTimeoutMs?: number; queryTimeoutMs?: number };
    };

/** Where a subgraph publishes change events. */
export type BusConfig =
  | { kind: 'memory' }
  | {
      kind: 'nats';
      url: string;
      /** Consecutive failed reconnects before the subgraph gives up and exits (`MESH_NATS_RECONNECT_ATTEMPTS`); -1: forever. @default 300 */
      maxReconnectAttempts?: number;
    };

/** A validated subgraph configuration. */
export interface SubgraphConfig {
  domain: DomainName;
  host: string;
  port: number;
  schemaDir: string;
  store: StoreConfig;
  bus: BusConfig;
  exportDir: string;
  /** How often rollups are exported to files (Parquet/CSV) in `exportDir`; absent or 0: never. */
  exportIntervalMs?: number;
  latenessMs: number;
  /**
   * Keeps this mesh's scale-out data apart from other meshes (or test runs) on the same PostgreSQL
   * database and NATS server: schema `mesh_<namespace>_<domain>`, stream `MESH_<NAMESPACE>_<DOMAIN>`,
   * subjects `<namespace>.mesh.<domain>.…`. Unused by DuckDB and the in-process bus.
   * @default none: schema `mesh_<domain>`, stream `MESH_<DOMAIN>`, subjects `mesh.<domain>.…`
   */
  namespace?: string;
  /**
   * Who may call: GraphQL only with the gateway's signed identity, `POST /events` only with a producer
   * token carrying `<domain>:write`. Absent means everyone may (tests of other features);
   * `subgraphConfigFromEnv` always sets it.
   */
  auth?: SubgraphAuthConfig;
  /** The event mesh bridge (MQTT / AMQP brokers); absent: none. */
  eventMesh?: EventMeshConfig;
  /**
   * The SQL port (`POST /sql`): statement timeout (`MESH_SQL_TIMEOUT_MS`), row and byte limits of an answer
   * (`MESH_SQL_MAX_ROWS`, `MESH_SQL_MAX_BYTES`), statements at once (`MESH_SQL_CONCURRENCY`, at most 16).
   * With DuckDB it opens the database locked down (external access only to `exportDir`, configuration locked).
   * @default absent: no SQL port (`subgraphConfigFromEnv` sets it unless `MESH_SQL_PORT=false`)
   */
  sql?: Partial<SqlLimits>;
  /**
   * Logs, `/metrics` and traces (README.md "Operating: logs, metrics, traces").
   * @default info-level JSON logs, `/metrics` open, tracing off (`subgraphConfigFromEnv` always sets it)
   */
  observability?: ObservabilityConfig;
}

/** A subgraph's trust settings. */
export interface SubgraphAuthConfig {
  /** The secret shared with the gateway (HS256, ≥ 32 characters). */
  gatewaySecret: string;
  /** How producer tokens are verified (the same identity provider as user tokens). */
  producers: { keys: KeySource; issuer: string; audience: string; scopesClaim: string };
  /**
   * Whether the subgraph also enforces its SDL's `@authenticated` / `@requiresScopes` / `@policy` against
   * the identity in the gateway token (defence in depth behind the gateway's field authorization).
   * @default true
   */
  enforceDirectives?: boolean;
  /** Logged as warnings at start. */
  warnings?: string[];
}

const port = z.coerce.number().int().min(0).max(65535);

/**
 * Reads a subgraph's configuration from the environment (the only place that does), validating every
 * value with a message that names the variable:
 * `MESH_HOST`, `<DOMAIN>_PORT` (e.g. `ORDERS_PORT`), `MESH_SCHEMA_DIR`, `MESH_DATA_DIR`, `MESH_STORE`
 * (`duckdb` | `duckdb:<file>` | `memory` | `postgres://…`), `MESH_BUS` (`memory` | `nats://…`),
 * `MESH_EXPORT_DIR`, `MESH_LATENESS_HOURS`, `MESH_NAMESPACE`, `MESH_PG_CONNECT_TIMEOUT_MS`,
 * `MESH_PG_STATEMENT_TIMEOUT_MS`, `MESH_PG_QUERY_TIMEOUT_MS`, `MESH_DUCKDB_THREADS`, `MESH_DUCKDB_MAX_WAL`, `MESH_SQL_PORT` (`true`), `MESH_SQL_TIMEOUT_MS`, `MESH_SQL_MAX_BYTES`, `MESH_SQL_CONCURRENCY`,
 * `MESH_SQL_MAX_ROWS`; trust: `MESH_GATEWAY_SECRET` | `MESH_GATEWAY_SECRET_FILE`
 * (default a dev secret, refused in production: `NODE_ENV=production` or `MESH_SECURE=true`),
 * `MESH_AUTH_JWKS_URL` | `MESH_AUTH_JWKS_FILE` (default the dev key set), `MESH_AUTH_ISSUER` (`mesh-dev`),
 * `MESH_AUTH_AUDIENCE` (`mesh`), `MESH_AUTH_SCOPES_CLAIM` (`scope`), as the gateway reads them.
 */
export function subgraphConfigFromEnv(domain: string, env: NodeJS.ProcessEnv): SubgraphConfig {
  if (!(DOMAIN_NAMES as string[]).includes(domain)) {
    throw new Error(`unknown subgraph "${domain}"; known: ${DOMAIN_NAMES.join(', ')}`);
  }
  const name = domain as DomainName;
  const portVariable = `${name.toUpperCase()}_PORT`;
  const schema = z.object({
    host: z.string().min(1),
    port,
    schemaDir: z.string().min(1),
    dataDir: z.string().min(1),
    store: z.string().min(1),
    bus: z.string().min(1),
    exportDir: z.string().min(1),
    exportIntervalMinutes: z.coerce.number().min(0),
    latenessHours: z.coerce.number().positive(),
    connectTimeoutMs: z.coerce.number().int().positive().optional(),
    statementTimeoutMs: z.coerce.number().int().positive().optional(),
    queryTimeoutMs: z.coerce.number().int().positive().optional(),
    duckdbThreads: z.coerce.number().int().positive().optional(),
    duckdbMaxWal: z
      .string()
      .refine((text) => sizeOrNull(text) !== null, "a size such as '256MB' or '1GiB'")
      .refine(
        (text) => (sizeOrNull(text) ?? 0) >= parseSize(DEFAULT_CHECKPOINT_THRESHOLD),
        `at least ${DEFAULT_CHECKPOINT_THRESHOLD}, the smallest checkpoint threshold`,
      )
      .optional(),
    sqlPort: z.enum(['true', 'false']),
    sqlTimeoutMs: z.coerce.number().int().positive(),
    sqlMaxRows: z.coerce.number().int().positive(),
    sqlMaxBytes: z.coerce.number().int().positive(),
    sqlConcurrency: z.coerce.number().int().min(1).max(16),
    namespace: z
      .string()
      .regex(/^[a-z][a-z0-9_]{0,31}$/, 'a lowercase letter, then up to 31 lowercase letters, digits or _')
      .optional(),
  });
  const raw = {
    host: env.MESH_HOST ?? '127.0.0.1',
    port: env[portVariable] ?? env.PORT ?? DOMAINS[name].defaultPort,
    schemaDir: env.MESH_SCHEMA_DIR ?? 'schema',
    dataDir: env.MESH_DATA_DIR ?? 'data',
    store: env.MESH_STORE ?? 'duckdb',
    bus: env.MESH_BUS ?? 'memory',
    exportDir: env.MESH_EXPORT_DIR ?? 'exports',
    exportIntervalMinutes: env.MESH_EXPORT_INTERVAL_MINUTES ?? 15,
    latenessHours: env.MESH_LATENESS_HOURS ?? 168,
    connectTimeoutMs: env.MESH_PG_CONNECT_TIMEOUT_MS || undefined,
    statementTimeoutMs: env.MESH_PG_STATEMENT_TIMEOUT_MS || undefined,
    queryTimeoutMs: env.MESH_PG_QUERY_TIMEOUT_MS || undefined,
    duckdbThreads: env.MESH_DUCKDB_THREADS || undefined,
    duckdbMaxWal: env.MESH_DUCKDB_MAX_WAL || undefined,
    sqlPort: env.MESH_SQL_PORT || 'true',
    sqlTimeoutMs: env.MESH_SQL_TIMEOUT_MS || DEFAULT_SQL_LIMITS.timeoutMs,
    sqlMaxRows: env.MESH_SQL_MAX_ROWS || DEFAULT_SQL_LIMITS.maxRows,
    sqlMaxBytes: env.MESH_SQL_MAX_BYTES || DEFAULT_SQL_LIMITS.maxBytes,
    sqlConcurrency: env.MESH_SQL_CONCURRENCY || DEFAULT_SQL_LIMITS.concurrency,
    namespace: env.MESH_NAMESPACE || undefined,
  };
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const names: Record<string, string> = {
      host: 'MESH_HOST',
      port: portVariable,
      schemaDir: 'MESH_SCHEMA_DIR',
      dataDir: 'MESH_DATA_DIR',
      store: 'MESH_STORE',
      bus: 'MESH_BUS',
      exportDir: 'MESH_EXPORT_DIR',
      exportIntervalMinutes: 'MESH_EXPORT_INTERVAL_MINUTES',
      latenessHours: 'MESH_LATENESS_HOURS',
      connectTimeoutMs: 'MESH_PG_CONNECT_TIMEOUT_MS',
      statementTimeoutMs: 'MESH_PG_STATEMENT_TIMEOUT_MS',
      queryTimeoutMs: 'MESH_PG_QUERY_TIMEOUT_MS',
      duckdbThreads: 'MESH_DUCKDB_THREADS',
      duckdbMaxWal: 'MESH_DUCKDB_MAX_WAL',
      namespace: 'MESH_NAMESPACE',
      sqlPort: 'MESH_SQL_PORT',
      sqlTimeoutMs: 'MESH_SQL_TIMEOUT_MS',
      sqlMaxRows: 'MESH_SQL_MAX_ROWS',
      sqlMaxBytes: 'MESH_SQL_MAX_BYTES',
      sqlConcurrency: 'MESH_SQL_CONCURRENCY',
    };
    const issue = parsed.error.issues[0];
    const key = String(issue.path[0]);
    throw new Error(`invalid ${names[key] ?? key}=${JSON.stringify(raw[key as keyof typeof raw])}: ${issue.message}`);
  }
  const c = parsed.data;
  return {
    domain: name,
    host: c.host,
    port: c.port,
    schemaDir: path.resolve(c.schemaDir),
    store: parseStore(
      c.store,
      path.resolve(c.dataDir),
      name,
      {
        ...(c.connectTimeoutMs && { connectTimeoutMs: c.connectTimeoutMs }),
        ...(c.statementTimeoutMs && { statementTimeoutMs: c.statementTimeoutMs }),
        ...(c.queryTimeoutMs && { queryTimeoutMs: c.queryTimeoutMs }),
      },
      {
        ...(c.duckdbThreads !== undefined && { threads: c.duckdbThreads }),
        ...(c.duckdbMaxWal !== undefined && { checkpointMaxThreshold: c.duckdbMaxWal }),
      },
    ),
    bus: parseBus(c.bus, env.MESH_NATS_RECONNECT_ATTEMPTS),
    exportDir: path.resolve(c.exportDir),
    exportIntervalMs: c.exportIntervalMinutes * 60_000,
    latenessMs: c.latenessHours * 3_600_000,
    ...(c.namespace && { namespace: c.namespace }),
    ...(c.sqlPort === 'true' && { sql: { timeoutMs: c.sqlTimeoutMs, maxRows: c.sqlMaxRows, maxBytes: c.sqlMaxBytes, concurrency: c.sqlConcurrency } }),
    auth: authConfigFromEnv(env),
    ...eventMeshConfigFromEnv(env),
    observability: observabilityConfigFromEnv(env, Boolean(process.stderr.isTTY)),
  };
}

/** The trust settings, read as the gateway reads them (see `core/config/`). */
function authConfigFromEnv(env: NodeJS.ProcessEnv): SubgraphAuthConfig {
  const keys = keySourceFromEnv(env, envFail);
  const gatewaySecret = gatewaySecretFromEnv(env, envFail);
  const secure = secureModeOf(env, envFail);
  if (secure) {
    // Fail closed: dev credentials are public, so a subgraph running on them trusts anyone.
    const problems: string[] = [];
    if (gatewaySecret === DEV_GATEWAY_SECRET)
      problems.push(
        'MESH_GATEWAY_SECRET is the committed development secret: set MESH_GATEWAY_SECRET or MESH_GATEWAY_SECRET_FILE to the random secret the gateway uses',
      );
    if (keys.kind === 'local' && holdsDevKey(keys.jwksFile))
      problems.push(
        "producer tokens would be verified with the committed development key: set MESH_AUTH_JWKS_URL (or MESH_AUTH_JWKS_FILE) to your identity provider's keys",
      );
    if (problems.length) throw new Error(`refusing to start with ${secure}: ${problems.join('; ')}`);
  }
  return {
    gatewaySecret,
    producers: {
      keys,
      issuer: env.MESH_AUTH_ISSUER || 'mesh-dev',
      audience: env.MESH_AUTH_AUDIENCE || 'mesh',
      scopesClaim: env.MESH_AUTH_SCOPES_CLAIM || 'scope',
    },
    warnings: [],
  };
}

function parseStore(
  value: string,
  dataDir: string,
  domain: string,
  timeouts: NonNullable<Extract<StoreConfig, { kind: 'postgres' }>['timeouts']>,
  duckdb: Omit<Extract<StoreConfig, { kind: 'duckdb' }>, 'kind' | 'path'>,
): StoreConfig {
  if (value === 'duckdb') return { kind: 'duckdb', path: path.join(dataDir, `${domain}.duckdb`), ...duckdb };
  if (value === 'memory') return { kind: 'duckdb', path: ':memory:', ...duckdb };
  if (value.startsWith('duckdb:')) return { kind: 'duckdb', path: path.resolve(value.slice('duckdb:'.length)), ...duckdb };
  if (/^postgres(ql)?:\/\//.test(value)) return { kind: 'postgres', url: value, timeouts };
  throw new Error(`invalid MESH_STORE=${JSON.stringify(value)}: use duckdb, duckdb:<file>, memory or postgres://user@host:port/db`);
}

function parseBus(value: string, reconnectAttempts: string | undefined): BusConfig {
  if (value === 'memory') return { kind: 'memory' };
  if (value.startsWith('nats://')) {
    if (reconnectAttempts === undefined || reconnectAttempts === '') return { kind: 'nats', url: value };
    const attempts = Number(reconnectAttempts);
    if (!Number.isInteger(attempts) || attempts < -1)
      envFail('MESH_NATS_RECONNECT_ATTEMPTS', reconnectAttempts, 'a whole number of attempts, or -1 to retry forever');
    return { kind: 'nats', url: value, maxReconnectAttempts: attempts };
  }
  throw new Error(`invalid MESH_BUS=${JSON.stringify(value)}: use memory or nats://host:port`);
}

/** The bytes of a size as DuckDB writes it, or null for anything else. */
function sizeOrNull(text: string): number | null {
  try {
    return parseSize(text);
  } catch {
    return null;
  }
}
