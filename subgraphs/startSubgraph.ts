import {
  DataProductRuntime,
  DuckDbStore,
  InProcessBus,
  createProductMetrics,
  type ProductMetrics,
  gatewayTokenAuthenticator,
  loadTypeDefs,
  observedBus,
  observedStore,
  producerTokenAuthorizer,
  scheduleExports,
  serveDataProduct,
  type Bus,
  type ServeDataProductOptions,
  type ServedDataProduct,
  type Store,
} from './kit/essentials.js';
// PostgreSQL, NATS and the event mesh bridge are loaded only when configured (hundreds of modules a
// subgraph on DuckDB and the in-process bus never runs): types here, values by `import()` below.
import type { JetStreamBus } from './kit/nats.js';
import type { startEventMesh } from './kit/eventMeshBridge.js';
import { DOMAINS } from './domains.js';
import type { BusConfig, StoreConfig, SubgraphConfig } from './subgraphConfig.js';
import { hostname } from 'node:os';
import { createLogger } from '../core/observability/createLogger.js';
import { ErrorCode } from '../core/errors/ErrorCode.js';
import { MeshError } from '../core/errors/MeshError.js';

/** A running demo subgraph. */
export interface RunningSubgraph {
  /** The event mesh bridge, when `config.eventMesh` is set. */
  eventMesh: Awaited<ReturnType<typeof startEventMesh>> | null;
  /** The export schedule, when `exportIntervalMs` is set: `runNow()` exports at once. */
  exports: ReturnType<typeof scheduleExports> | null;
  runtime: DataProductRuntime;
  served: ServedDataProduct;
  /** The series served on `/metrics` (the store and bus calls feed them). */
  metrics: ProductMetrics;
  /** Stops serving, then closes bus and store. */
  close(): Promise<void>;
}

/** The PostgreSQL schema of a domain: `mesh_<domain>`, or `mesh_<namespace>_<domain>` in a namespace. */
export function postgresSchemaName(domain: string, namespace?: string): string {
  return namespace ? `mesh_${namespace}_${domain}` : `mesh_${domain}`;
}

/**
 * Opens the configured store; on PostgreSQL each domain keeps its tables in its own schema ({@link postgresSchemaName}).
 * With `lockDown`, a DuckDB database is opened for the SQL port: external access only to those folders.
 */
export async function openStore(config: StoreConfig, domain: string, namespace?: string, lockDown?: { allowedDirectories: readonly string[] }): Promise<Store> {
  if (config.kind === 'duckdb')
    return DuckDbStore.open({
      path: config.path,
      threads: config.threads,
      ...(config.checkpointMaxThreshold !== undefined && { checkpointMaxThreshold: config.checkpointMaxThreshold }),
      ...(lockDown && { lockDown }),
    });
  const { PostgresStore } = await import('./kit/postgres.js');
  return PostgresStore.open({ url: config.url, schema: postgresSchemaName(domain, namespace), timeouts: config.timeouts });
}

/**
 * A PostgreSQL failure at start (the pool connects lazily, on the store's first use) as one line naming
 * the server (without its password) and the setting, not the driver's bare `ECONNREFUSED`.
 */
function postgresUnusable(url: string, error: unknown): MeshError {
  const where = url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');
  return new MeshError(
    ErrorCode.STORE_UNAVAILABLE,
    `PostgreSQL at ${where} is not usable (${(error as Error).message}); start it, or point MESH_STORE at a running server`,
    {
      cause: error,
    },
  );
}

/** Opens the configured bus; on NATS, the domain's JetStream stream `MESH_<DOMAIN>` (`MESH_<NAMESPACE>_<DOMAIN>` in a namespace). */
export async function openBus(config: BusConfig, domain: string, namespace?: string): Promise<Bus> {
  if (config.kind === 'memory') return new InProcessBus();
  const { JetStreamBus } = await import('./kit/nats.js');
  return JetStreamBus.connect({ servers: config.url, domain, namespace, maxReconnectAttempts: config.maxReconnectAttempts });
}

/** The consumer of facts producers publish to the domain's JetStream stream (NATS only). */
async function consumeBusFacts(bus: JetStreamBus, domain: string, runtime: DataProductRuntime) {
  const { consumeFacts } = await import('./kit/nats.js');
  return consumeFacts({ connection: bus.connection, domain, namespace: bus.namespace, ingest: (events) => runtime.ingest(events) });
}

/**
 * Starts one domain's data product subgraph from a validated configuration. With `config.auth`, GraphQL
 * answers only the gateway's identity signed for this domain (`aud` = the domain name), enforces the
 * SDL's auth directives against it (unless `auth.enforceDirectives` is false), and `POST /events` takes
 * only producer tokens with `<domain>:write`, unless `serveOptions` brings its own checks.
 */
export async function startSubgraph(
  config: SubgraphConfig,
  serveOptions: Omit<ServeDataProductOptions, 'port' | 'host' | 'exportDir' | 'sql'> = {},
): Promise<RunningSubgraph> {
  const definition = DOMAINS[config.domain].define(loadTypeDefs(config.schemaDir, config.domain));
  // Observed: store and bus calls are timed, traced and counted (facts, dead letters, change events) on `/metrics`.
  const metrics = serveOptions.metrics ?? createProductMetrics({ domain: config.domain });
  const logger =
    serveOptions.logger ?? createLogger({ name: `${config.domain}-subgraph`, level: config.observability?.logLevel, format: config.observability?.logFormat });
  // The SQL port on DuckDB needs the database locked down; its file exports still write to `exportDir`.
  const lockDown = config.sql ? { allowedDirectories: [config.exportDir] } : undefined;
  const store = observedStore(await openStore(config.store, config.domain, config.namespace, lockDown), metrics);
  const bus = observedBus(await openBus(config.bus, config.domain, config.namespace), metrics);
  const runtime = await DataProductRuntime.start(definition, {
    store,
    bus,
    latenessMs: config.latenessMs,
    onPublishError: (error) => logger.error({ err: error }, 'change events could not be published after facts were committed'),
    onChangeEventComputed: (seconds) => metrics.changeEventComputed(seconds),
  }).catch(async (error: unknown) => {
    await bus.close().catch(() => {});
    throw config.store.kind === 'postgres' && !(error instanceof MeshError) ? postgresUnusable(config.store.url, error) : error;
  });
  // On NATS, producers may also publish facts to `[<namespace>.]mesh.<domain>.facts.<type>`; replicas share the durable consumer.
  const facts = config.bus.kind === 'nats' ? await consumeBusFacts(bus as JetStreamBus, config.domain, runtime) : null;
  const { auth } = config;
  for (const warning of auth?.warnings ?? []) logger.warn(`!!!!!!!! ${warning} !!!!!!!!`);
  const secured: Partial<ServeDataProductOptions> = auth
    ? {
        authenticateRequest: serveOptions.authenticateRequest ?? gatewayTokenAuthenticator({ secret: auth.gatewaySecret, audience: config.domain }),
        ...(auth.enforceDirectives !== false && { fieldAuth: serveOptions.fieldAuth ?? {} }),
        events: {
          ...serveOptions.events,
          authorizeProducer: serveOptions.events?.authorizeProducer ?? producerTokenAuthorizer({ ...auth.producers, requiredScope: `${config.domain}:write` }),
        },
        admin: {
          ...serveOptions.admin,
          authorizeAdmin: serveOptions.admin?.authorizeAdmin ?? producerTokenAuthorizer({ ...auth.producers, requiredScope: `${config.domain}:admin` }),
        },
      }
    : {};
  const metricsAccess = config.observability && { token: config.observability.metricsToken, open: config.observability.metricsOpen };
  const served = await serveDataProduct(runtime, {
    ...serveOptions,
    ...secured,
    logger,
    metrics,
    ...(metricsAccess && { metricsAccess }),
    port: config.port,
    host: config.host,
    exportDir: config.exportDir,
    ...(config.sql && { sql: config.sql }),
  });
  // Change events out to, and facts in from, the enterprise event mesh (MQTT / AMQP), when configured.
  const { eventMesh } = config;
  const mesh = eventMesh
    ? await (async () => {
        const { startEventMesh, eventMeshMetrics } = await import('./kit/eventMeshBridge.js');
        return startEventMesh(runtime, {
          config: eventMesh,
          namespace: config.namespace,
          replicaId: `${hostname()}-${served.port}`,
          metrics: eventMeshMetrics(metrics.registry, config.domain),
        });
      })().catch(async (error: unknown) => {
        await served.close();
        await facts?.stop();
        await runtime.close();
        throw error;
      })
    : null;
  if (mesh) runtime.eventMeshPorts = mesh.ports;
  // The file-based access style: hourly aggregates of every rollup as Parquet and CSV, refreshed on a schedule.
  const exports = config.exportIntervalMs
    ? scheduleExports(runtime, {
        exportDir: config.exportDir,
        intervalMs: config.exportIntervalMs,
        log: (m) => logger.warn(m),
      })
    : null;
  return {
    runtime,
    served,
    metrics,
    exports,
    eventMesh: mesh,
    close: async () => {
      exports?.stop();
      await facts?.stop();
      await mesh?.stop();
      await served.close();
      await runtime.close();
    },
  };
}
