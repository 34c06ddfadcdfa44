import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import { expressMiddleware } from '@as-integrations/express5';
import { buildSubgraphSchema } from '@apollo/subgraph';
import express, { type Request } from 'express';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import { enforceAuthDirectives, type EnforceAuthDirectivesOptions } from './auth/enforceAuthDirectives.js';
import type { DataProductRuntime } from './DataProductRuntime.js';
import type { DataProductDefinition } from './defineDataProduct.js';
import type { CallerIdentity, ProductContext } from './productDeclaration.js';
import { eventsRoute, type EventsRouteOptions } from './http/eventsRoute.js';
import { ErrorCode } from '../../core/errors/ErrorCode.js';
import { listenOn } from '../../core/net/listenOn.js';
import { DEFAULT_MAX_JSON_DEPTH, exceedsJsonDepth } from './http/jsonDepth.js';
import { jsonErrorHandler, jsonNotFound, type HttpErrorLog } from './http/jsonErrorHandler.js';
import { formatSubgraphError, maskExecutionErrors } from './http/maskGraphQLError.js';
import { sendError } from './http/sendError.js';
import { adminRoute, type AdminRouteOptions } from './http/adminRoute.js';
import { filesRoute } from './exports/filesRoute.js';
import { sqlRoute } from './sql/sqlRoute.js';
import { DEFAULT_SQL_LIMITS, type SqlLimits } from './sql/runSql.js';
import { subscribePerEvent } from './graphql/subscribePerEvent.js';
import { ChangeEventPayload } from './graphql/changeSubscription.js';
import { stableJson } from './graphql/stableJson.js';
import { createLogger, type Logger } from '../../core/observability/createLogger.js';
import { metricsHandler } from '../../core/observability/metricsHandler.js';
import { observeHttp } from '../../core/observability/observeHttp.js';
import { operationTimingPlugin } from '../../core/observability/operationTimingPlugin.js';
import { createProductMetrics, type ProductMetrics } from './observability/createProductMetrics.js';
import { useDataProductExtension } from './graphql/useDataProductExtension.js';

export type { CallerIdentity } from './productDeclaration.js';

/** Options of a data product's network front. */
export interface ServeDataProductOptions {
  /** TCP port; 0 picks a free one. @default 0 */
  port?: number;
  /** Interface to bind. @default '127.0.0.1' */
  host?: string;
  /** Folder of file exports (listed in the descriptor). */
  exportDir?: string;
  /**
   * The SQL port (`POST /sql`, see `sql/sqlRoute.ts`) with its statement timeout and row limit; it needs a
   * store that serves one (`Store.sql`: PostgreSQL, or DuckDB opened with `lockDown`).
   * @default absent: no SQL port
   */
  sql?: Partial<SqlLimits>;
  /** Ingestion endpoint options. */
  events?: EventsRouteOptions;
  /** Repair routes (`/admin/*`); closed unless `admin.authorizeAdmin` is set. @default closed */
  admin?: AdminRouteOptions;
  /**
   * Establishes the caller of a GraphQL request (HTTP headers, or the graphql-ws `connection_init`
   * payload as headers). Throwing refuses the request (401 over HTTP, close 4403 over websockets).
   * @default anonymous callers are accepted (the auth layer installs the gateway-signature check)
   */
  authenticateRequest?: (headers: Record<string, string | undefined>) => Promise<CallerIdentity | null>;
  /**
   * Sees the text of every GraphQL operation an authenticated caller sends (HTTP and websocket), before
   * it runs: for tests that prove what reached the subgraph, or for tracing. A throw is ignored.
   * @default none
   */
  onOperation?: (query: string, transport: 'http' | 'ws') => void;
  /**
   * Subgraph-side field authorization (defence in depth): resolvers of fields the SDL governs with
   * `@authenticated` / `@requiresScopes` / `@policy` answer null with UNAUTHORIZED_FIELD_OR_TYPE to an
   * identity lacking the right (see `auth/enforceAuthDirectives.ts`).
   * @default off (`startSubgraph` turns it on with the gateway-token check)
   */
  fieldAuth?: EnforceAuthDirectivesOptions;
  /**
   * Where the detail of masked errors goes (unexpected resolver, store and HTTP failures): clients get a
   * code and a fixed message, never a stack, a path or an internal address. A throw is not caught.
   * @default an `error` record of `logger`
   */
  log?: HttpErrorLog;
  /**
   * The structured logger: request records (with the `requestId` the gateway sent) and masked errors.
   * @default JSON records on stderr at info, named `<domain>-subgraph`
   */
  logger?: Logger;
  /**
   * The product's Prometheus series, served on `/metrics` (pass the ones its store and bus feed, see
   * `observability/observedStore.ts`). @default a registry of its own (HTTP and GraphQL series, freshness)
   */
  metrics?: ProductMetrics;
  /**
   * Who may scrape `/metrics`: with `token`, only `Authorization: Bearer <token>`; without, anyone when
   * `open`, nobody (403) otherwise.
   * @default { open: true }
   */
  metricsAccess?: { token?: string; open?: boolean };
}

/** A data product listening on HTTP + websockets. */
export interface ServedDataProduct {
  url: string;
  wsUrl: string;
  port: number;
  server: Server;
  close(): Promise<void>;
}

/**
 * Serves a data product as a Federation v2 subgraph: GraphQL over HTTP and graphql-ws on `/graphql`
 * (same port), `POST /events` for facts, `GET /descriptor` for the catalog, `/health` and `/ready`.
 */
export async function serveDataProduct(product: DataProductRuntime<DataProductDefinition>, options: ServeDataProductOptions = {}): Promise<ServedDataProduct> {
  const { port = 0, host = '127.0.0.1', exportDir, sql, events, authenticateRequest = async () => null, onOperation, fieldAuth } = options;
  const logger = options.logger ?? createLogger({ name: `${product.domain}-subgraph` });
  const log: HttpErrorLog = options.log ?? ((message, error) => logger.error({ err: error }, message));
  const metrics = options.metrics ?? createProductMetrics({ domain: product.domain });
  metrics.watchFreshness(() => product.store.watermark());
  const observe = (query: unknown, transport: 'http' | 'ws') => {
    try {
      if (onOperation && typeof query === 'string') onOperation(query, transport);
    } catch {
      // an observer must not break serving
    }
  };
  const schema = buildSubgraphSchema({ typeDefs: product.definition.typeDefs, resolvers: product.definition.resolvers(product) as never });
  if (fieldAuth) enforceAuthDirectives(schema, product.definition.typeDefs, fieldAuth);
  const app = express();
  const server = createServer(app);
  const wsServer = new WebSocketServer({ server, path: '/graphql' });
  const wsCleanup = useServer<Record<string, unknown> | undefined, { identity?: CallerIdentity | null }>(
    {
      schema,
      onConnect: async (ctx) => {
        try {
          ctx.extra.identity = await authenticateRequest(headersOf(ctx.connectionParams));
          return true;
        } catch {
          return false;
        }
      },
      context: (ctx): ProductContext => ({ loaders: new Map(), identity: ctx.extra.identity ?? null }),
      // Every event runs with loaders of its own: the operation's context lives as long as the subscription.
      // The loaders of a change event are shared by the subscriptions of the same caller delivering it.
      subscribe: (args) => {
        const context = args.contextValue as ProductContext;
        const caller = identityKey(context.identity);
        return subscribePerEvent(args, (payload): ProductContext => ({
          ...context,
          loaders: payload instanceof ChangeEventPayload ? product.eventScopes.loaders(payload.eventKey, caller) : new Map<string, unknown>(),
        }));
      },
      onSubscribe: (_ctx, _id, payload) => void observe(payload.query, 'ws'),
      onNext: (_ctx, _id, _payload, _args, result) =>
        'errors' in result && result.errors?.length ? { ...result, errors: maskExecutionErrors(result.errors, log) } : result,
    },
    wsServer,
  );
  const apollo = new ApolloServer<ProductContext>({
    schema,
    // Stack traces are for the log: Apollo would include them whenever NODE_ENV is not production.
    includeStacktraceInErrorResponses: false,
    formatError: formatSubgraphError(log),
    // The process owns shutdown (scripts/runMain.ts): Apollo's own SIGINT/SIGTERM handlers raced it and held
    // a subgraph on PostgreSQL or NATS for the 10 s forced-exit timer (issue #12).
    stopOnTerminationSignals: false,
    plugins: [
      ApolloServerPluginInlineTraceDisabled(),
      // No field of a data product carries a cache hint, and Apollo's default cache-control plugin is the one
      // hook that made it wrap every resolver of every request (`willResolveField`): a cost per field of each
      // entity fetch, found at the top of a subgraph's profile under a live subscription's fan-out (issue #9).
      ApolloServerPluginCacheControlDisabled(),
      operationTimingPlugin((operation) => metrics.operationAnswered(operation, operation.seconds, operation.errorCodes)),
      ApolloServerPluginDrainHttpServer({ httpServer: server }),
      // `extensions.dataProducts: [{ id, asOf }]`: the gateway passes it on to the client (freshness).
      useDataProductExtension({ id: product.definition.descriptor.id, watermark: () => product.store.watermark() }),
      {
        async serverWillStart() {
          return {
            async drainServer() {
              await wsCleanup.dispose();
            },
          };
        },
      },
    ],
  });
  await apollo.start();

  const addresses = () => {
    const base = `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${(server.address() as AddressInfo).port}`;
    return { graphqlUrl: `${base}/graphql`, wsUrl: `${base.replace(/^http/, 'ws')}/graphql`, exportDir, ...(sql && { sqlUrl: `${base}/sql` }) };
  };
  // First: the gateway's request id and trace context (or fresh ones), and the HTTP histogram.
  app.use(
    observeHttp({
      logger,
      onAnswered: (req, res, seconds) => {
        const route = ((req as { originalUrl?: string }).originalUrl ?? req.url ?? '/').split('?')[0] ?? '/';
        metrics.httpAnswered(req.method ?? 'GET', KNOWN_ROUTES.test(route) ? route : 'other', res.statusCode, seconds);
      },
    }),
  );
  app.get('/metrics', metricsHandler({ registry: metrics.registry, ...options.metricsAccess }));
  app.get('/health', (_req, res) => void res.json({ status: 'ok', domain: product.domain }));
  app.get('/ready', async (_req, res) => {
    try {
      await product.store.watermark();
      res.json({ status: 'ready', domain: product.domain });
    } catch (error) {
      // The store's message may name its host or files: the probe learns only that it is down.
      log('readiness probe: the store did not answer', error);
      res.status(503).json({ status: 'unavailable', reason: 'the store is not answering' });
    }
  });
  app.get('/descriptor', async (_req, res) => void res.json(await product.describe(addresses())));
  app.use(eventsRoute(product, { log, ...events }));
  app.use(adminRoute(product, options.admin));
  // Exports for the gateway's `/files` route: the same caller check as GraphQL, governed columns left out.
  app.use(filesRoute(product, { exportDir, authenticate: authenticateRequest, policies: fieldAuth?.policies, log }));
  // Read-only SQL over the published views for the gateway's `/sql` route: the same caller check, governed columns refused.
  if (sql) app.use(sqlRoute(product, { authenticate: authenticateRequest, limits: { ...DEFAULT_SQL_LIMITS, ...sql }, policies: fieldAuth?.policies, log }));
  app.use(
    '/graphql',
    express.json({ limit: '1mb' }),
    (req, res, next) => {
      if (!exceedsJsonDepth(req.body, DEFAULT_MAX_JSON_DEPTH)) return next();
      sendError(res, 'graphql', ErrorCode.JSON_TOO_DEEP, `the request body nests arrays/objects deeper than ${DEFAULT_MAX_JSON_DEPTH} levels`);
    },
    async (req, res, next) => {
      try {
        res.locals.identity = await authenticateRequest(headersOf(req.headers));
        observe((req.body as { query?: unknown } | undefined)?.query, 'http');
        next();
      } catch (error) {
        res.status(401).json({ errors: [{ message: (error as Error).message || 'unauthenticated', extensions: { code: 'UNAUTHENTICATED' } }] });
      }
    },
    expressMiddleware(apollo, { context: async ({ res }) => ({ loaders: new Map(), identity: (res.locals.identity as CallerIdentity | undefined) ?? null }) }),
  );
  // Last: JSON for unknown routes and for every error (bad JSON, too large bodies, throws), never HTML.
  app.use(jsonNotFound, jsonErrorHandler(log));

  // A port in use is one line naming the port setting (`ORDERS_PORT`), as the subgraph entry point reads it.
  await listenOn(server, { port, host, service: `${product.domain} subgraph`, setting: `${product.domain.toUpperCase()}_PORT` }).catch(async (error) => {
    await apollo.stop();
    throw error;
  });
  const { graphqlUrl, wsUrl } = addresses();
  return {
    url: graphqlUrl,
    wsUrl,
    port: (server.address() as AddressInfo).port,
    server,
    close: async () => {
      await apollo.stop();
    },
  };
}

/** The routes `mesh_subgraph_http_request_duration_seconds` names; anything else is `other` (bounded label values). */
const KNOWN_ROUTES = /^\/(graphql|events|sql|descriptor|health|ready|metrics|admin\/[a-z-]+)$/;

/** Callers with equal keys may share an event's loaders: the whole identity is equal (field auth reads its claims too). */
function identityKey(identity: ProductContext['identity']): string {
  return identity ? stableJson({ ...identity, scopes: [...identity.scopes].sort() }) : 'anonymous';
}

function headersOf(source: Request['headers'] | Record<string, unknown> | undefined | null): Record<string, string | undefined> {
  const headers: Record<string, string | undefined> = {};
  for (const [key, value] of Object.entries(source ?? {})) {
    if (typeof value === 'string') headers[key.toLowerCase()] = value;
    else if (Array.isArray(value)) headers[key.toLowerCase()] = value.join(', ');
  }
  return headers;
}
