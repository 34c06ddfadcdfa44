import { ErrorCode } from '../core/errors/ErrorCode.js';
import { httpStatusOf } from '../core/errors/statusOf.js';
import { listenOn } from '../core/net/listenOn.js';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloGateway, type GraphQLDataSource } from '@apollo/gateway';
import { shareParsedSupergraph } from '../core/apollo/index.js';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { expressMiddleware } from '@as-integrations/express5';
import express from 'express';
import type { ExecutionResult, GraphQLSchema } from 'graphql';
import { DEFAULT_QUERY_ENGINE, type GatewayConfig } from './config/gatewayConfig.js';
import { useMeshEngine } from './engine/useMeshEngine.js';
import { FailoverDataSource } from './http/FailoverDataSource.js';
import { createSubscriptionExecutor, withLocatedFailures, type SubscriptionExecutor } from './subscriptions/index.js';
import { buildSupergraphSnapshot, type SupergraphSnapshot } from './supergraph/buildSupergraphSnapshot.js';
import { checkDateTimeInputs } from './supergraph/checkDateTimeInputs.js';
import { createSupergraphManager } from './supergraph/createSupergraphManager.js';
import type { SubgraphAddress } from './supergraph/subgraphAddresses.js';
import { createLeaveReclaimer } from './http/createLeaveReclaimer.js';
import { KnownOperationTypesRule } from './http/knownOperationTypesRule.js';
import { useGraphqlWs } from './http/useGraphqlWs.js';
import { probeSubgraphs } from './http/probeSubgraphs.js';
import { createGatewayAuth } from './auth/createGatewayAuth.js';
import { catalogLocalSubgraph, createCatalog, isLocalSubgraph } from './catalog/createCatalog.js';
import { CATALOG_SUBGRAPH_NAME } from './catalog/catalogSubgraph.js';
import { publicEndpoints } from './catalog/publicPorts.js';
import { catalogRoutes } from './catalog/catalogRoutes.js';
import { ideRoutes } from './ide/ideRoutes.js';
import { useDataProductsExtension } from './extensions/useDataProductsExtension.js';
import { formatPublicError, maskInternalDetails } from './errors/formatPublicError.js';
import { jsonErrorHandler, jsonNotFound } from './http/jsonErrors.js';
import { createGatewayLimits } from './limits/createGatewayLimits.js';
import { DEFAULT_GATEWAY_LIMITS } from './limits/GatewayLimitsConfig.js';
import { NO_COST_DIRECTIVES } from './limits/readCostDirectives.js';
import { ANONYMOUS } from './auth/Principal.js';
import { auditLogSink } from './auth/auditFieldAuth.js';
import { createLogger, type Logger } from '../core/observability/createLogger.js';
import { metricsHandler } from '../core/observability/metricsHandler.js';
import { observeHttp } from '../core/observability/observeHttp.js';
import { createGatewayMetrics, type GatewayMetrics } from './observability/createGatewayMetrics.js';
import { observedDataSource } from './observability/observedDataSource.js';
import { operationTimingPlugin } from '../core/observability/operationTimingPlugin.js';
import { corsFromOrigins } from './http/corsFromOrigins.js';
import { graphqlOverHttpPlugin } from './http/graphqlOverHttpPlugin.js';
import { leanGraphqlPost } from './http/leanGraphqlPost.js';
import { bodyErrorOf, isObserved } from './http/handover.js';
import { startRegistry } from './registry/startRegistry.js';
import { filesRoute } from './files/filesRoute.js';
import { sqlRoute } from './sql/sqlRoute.js';
import { createSubgraphClient } from './upstream/createSubgraphClient.js';
import { SubgraphDataSource } from './upstream/SubgraphDataSource.js';
import { DEFAULT_SUBGRAPH_CLIENT_CONFIG } from './upstream/SubgraphClientConfig.js';

/** Where the gateway's log lines go. */
export type GatewayLog = (level: 'info' | 'warn' | 'error', message: string) => void;

/** Options of a gateway process. */
export interface StartGatewayOptions {
  config: GatewayConfig;
  /**
   * The structured logger: request records (with `requestId`), audit records, and the lines below.
   * @default JSON records on stderr at `config.observability.logLevel` (info)
   */
  logger?: Logger;
  /** Where the gateway's own lines go, when not to `logger` (tests capture them). @default the logger */
  log?: GatewayLog;
  /** The gateway's Prometheus series, served on `/metrics`. @default a registry of its own */
  metrics?: GatewayMetrics;
}

/** A running gateway. */
export interface RunningGateway {
  url: string;
  wsUrl: string;
  port: number;
  server: Server;
  /** The supergraph in service (with auth directives), null before the first. */
  supergraphSdl(): string | null;
  /** Everything derived from the supergraph in service (one snapshot per SDL), null before the first. */
  supergraph(): SupergraphSnapshot | null;
  subscriptions(): SubscriptionExecutor | null;
  /** The gateway's Prometheus series (what `/metrics` serves); the subscription path feeds some of them. */
  metrics: GatewayMetrics;
  close(): Promise<void>;
}

/** The gateway's lines as records of its logger. */
const logOf =
  (logger: Logger): GatewayLog =>
  (level, message) =>
    logger[level](message);

/** The routes `mesh_gateway_http_request_duration_seconds` names; anything else is `other` (bounded label values). */
const KNOWN_ROUTES = new Set(['/graphql', '/sql', '/health', '/ready', '/metrics', '/catalog', '/catalog.json']);

/**
 * Starts the gateway: HTTP GraphQL (queries and mutations planned by @apollo/gateway) and graphql-ws
 * (federated subscriptions) on one port and path, `/health` (live) and `/ready` (supergraph loaded and
 * every subgraph answering, at one replica at least). The HTTP server listens before the supergraph is
 * loaded, so probes work early.
 */
export async function startGateway(options: StartGatewayOptions): Promise<RunningGateway> {
  const { config } = options;
  const observability = config.observability;
  const logger = options.logger ?? createLogger({ name: 'gateway', level: observability?.logLevel, format: observability?.logFormat });
  const log = options.log ?? logOf(logger);
  const metrics = options.metrics ?? createGatewayMetrics();
  // The supergraph in service: one immutable snapshot per SDL (parsed once), swapped as one reference,
  // so no consumer ever reads parts of two supergraphs. Null before the first.
  let snapshot: SupergraphSnapshot | null = null;
  // Auth: tokens, field-level authorization, and the signed identity every subgraph request carries.
  // Audit records go to the gateway's logger (with the request id) and count denials by coordinate.
  const auditing = config.auth && { ...config.auth, audit: config.auth.audit ?? auditLogSink(logger, metrics.authDenied) };
  const auth = auditing ? createGatewayAuth(auditing, { supergraph: () => snapshot }) : null;
  for (const warning of config.auth?.warnings ?? []) log('warn', `!!!!!!!! ${warning} !!!!!!!!`);
  // Limits: document limits, trusted documents and rate limits, checked before validation and planning.
  const limits = createGatewayLimits(
    config.limits ?? DEFAULT_GATEWAY_LIMITS,
    (message) => log('warn', message),
    () => snapshot?.costs ?? NO_COST_DIRECTIVES,
    () => metrics.errorsReturned(ErrorCode.REQUEST_RATE_LIMITED),
  );
  const app = express();
  // The framework is nobody's business (and the lean path below does not announce it either).
  app.disable('x-powered-by');
  // POST /graphql takes the lean path (gateway/http/leanGraphqlPost.ts) unless MESH_LEAN_HTTP=false;
  // everything else, and whatever it hands over, is the Express app's.
  let leanPath: ((req: IncomingMessage, res: ServerResponse) => void) | null = null;
  const server = createServer((req, res) => {
    if (leanPath) leanPath(req, res);
    else void app(req, res);
  });
  let apiSchema: GraphQLSchema | null = null;
  let executor: SubscriptionExecutor | null = null;
  const addresses = (): Readonly<Record<string, SubgraphAddress>> | null => snapshot?.addresses ?? null;
  // Replicas of a subgraph (docs/architecture.md "Scale-out"): the supergraph names the first, the others come from config.
  const configuredReplicaUrls: Record<string, readonly string[]> =
    config.supergraph.kind === 'subgraphs'
      ? Object.fromEntries(config.supergraph.subgraphs.flatMap((s) => (s.otherReplicaUrls?.length ? [[s.name, s.otherReplicaUrls]] : [])))
      : {};
  // A subgraph published to the schema registry with several URLs has its replicas there (the registry
  // starts below, so this is read at each use: each snapshot build and each data source).
  let publishedReplicaUrls = (): Record<string, readonly string[]> => ({});
  const otherReplicaUrls = (): Record<string, readonly string[]> => ({ ...publishedReplicaUrls(), ...configuredReplicaUrls });
  const addressOverrides = {
    wsUrls: config.subgraphWsUrls,
    get otherReplicaUrls() {
      return otherReplicaUrls();
    },
  };
  // The data product catalog is a subgraph the gateway serves itself, in-process.
  // Its GraphQL ports point at the gateway as consumers reach it (MESH_PUBLIC_URL, else its own address).
  let publicBaseUrl = config.publicUrl ?? null;
  const catalog = createCatalog({
    addresses: () => addresses() ?? {},
    publicEndpoints: () => (publicBaseUrl ? publicEndpoints(publicBaseUrl) : null),
    schema: () =>
      snapshot && {
        apiSchema: snapshot.apiSchema,
        document: snapshot.supergraph.document,
        requirementOf: (type, field) => snapshot!.auth.requirementOf(type, field),
      },
  });
  // Every HTTP request to a subgraph goes through one pooled client: bounded sockets per subgraph, a
  // timeout per request within the operation's deadline, a breaker per subgraph, safe retries.
  const subgraphClient = createSubgraphClient({
    config: config.subgraphClient ?? DEFAULT_SUBGRAPH_CLIENT_CONFIG,
    // Every HTTP attempt and every fetch an open breaker refused, by outcome (timeout, circuit_open, …).
    onFetch: (name, durationMs, outcome) => metrics.subgraphFetched(name, durationMs / 1000, outcome),
    onBreakerChange: (name, state) => {
      metrics.breakerChanged(name, state);
      log(state === 'closed' ? 'info' : 'warn', `subgraph ${name}: circuit breaker ${state}${state === 'open' ? ' (failing fast)' : ''}`);
    },
  });
  /** One replica's HTTP data source: with the caller's identity signed for that subgraph when auth is on and it is trusted. */
  // Observed: traced, and carrying `traceparent` and `x-request-id` to the subgraph (gateway/observability/observedDataSource.ts).
  const replicaDataSource = (name: string, url: string) =>
    observedDataSource(name, auth ? auth.dataSource(name, url, subgraphClient) : new SubgraphDataSource({ url, serviceName: name, http: subgraphClient }));

  // Only the executor's update can throw, and it runs first: a throw leaves the previous snapshot (and
  // the executor's previous plan) in service, and the manager logs it.
  const onSupergraph = (next: SupergraphSnapshot) => {
    // The subscription executor validates and coerces against the snapshot's own API schema: DateTime
    // inputs are checked there too, as over HTTP.
    checkDateTimeInputs(next.supergraph.apiSchema);
    // The executor fails over between replicas itself (entity fetches and websockets), given every URL.
    const endpoints = Object.fromEntries(Object.entries(next.addresses).map(([name, { urls, wsUrls }]) => [name, { urls, wsUrls }]));
    // Entity fetches for events share each subgraph's breaker; the executor fails over between replicas around them.
    const buildDataSource = (name: string, url: string) =>
      name === CATALOG_SUBGRAPH_NAME ? catalog.dataSource : subgraphClient.guard(name, replicaDataSource(name, url));
    const identity = auth && {
      upstreamConnection: (context: unknown, name: string) => auth.upstreamConnection(context, name),
      groupIdentity: (context: unknown, subgraphs: readonly string[]) => auth.groupIdentity(context, subgraphs),
    };
    if (!executor)
      executor = createSubscriptionExecutor({
        supergraphSdl: next.supergraph,
        subgraphs: endpoints,
        buildDataSource,
        // Each event's entity fetches run within a request deadline of their own, as a query's do.
        eventContext: (context) => {
          const own = Object.create(context) as Record<string, unknown>;
          subgraphClient.startDeadline(own);
          return own;
        },
        eventDeadline: (context) => subgraphClient.deadlineOf(context),
        keepAlive: config.upstreamKeepAlive,
        upstreamMaxPayload: (config.subgraphClient ?? DEFAULT_SUBGRAPH_CLIENT_CONFIG).maxResponseBytes,
        log,
        ...identity,
        // Arrival at the gateway (the group's start) to the payload handed over, and to the last client's socket write.
        onGroupErrors: (codes, clients) => {
          for (const code of codes) metrics.errorsReturned(code, clients);
        },
        onGroupEvent: ({ durationMs }) => {
          metrics.subscriptionEventResolved(durationMs / 1000);
          const arrived = performance.now() - durationMs;
          ws.whenWritten(() => metrics.subscriptionFannedOut((performance.now() - arrived) / 1000));
        },
      });
    else executor.updateSupergraph(next.supergraph);
    snapshot = next;
    metrics.subgraphsServed(Object.entries(next.addresses).flatMap(([name, address]) => (isLocalSubgraph(address) ? [] : [name])));
  };
  const source =
    auth && config.supergraph.kind === 'subgraphs' ? { ...config.supergraph, headers: (name: string) => auth.serviceHeaders(name) } : config.supergraph;
  const manager = createSupergraphManager({
    source,
    build: (sdl) => buildSupergraphSnapshot(sdl, { addressOverrides }),
    onSupergraph,
    log,
    localSubgraphs: [catalogLocalSubgraph],
    registered: () => registry?.registry.registered() ?? [],
    maxSdlBytes: (config.subgraphClient ?? DEFAULT_SUBGRAPH_CLIENT_CONFIG).maxResponseBytes,
  });
  // The schema registry (`/registry`): published subgraphs composed with the configured ones.
  const registry = await startRegistry({ config, auth, manager, apiSchema: () => snapshot?.apiSchema ?? null, localSubgraphs: [catalogLocalSubgraph], log });
  if (registry) publishedReplicaUrls = () => registry.registry.otherReplicaUrls();
  // `extensions.dataProducts: [{ id, asOf }]` on responses: collected from the subgraphs' answers.
  const freshness = useDataProductsExtension();
  // One data source per subgraph and list of replica URLs (a replica's pooled sockets outlive the lookup).
  const replicaSets = new Map<string, GraphQLDataSource>();
  const replicaSet = (name: string, url: string): GraphQLDataSource => {
    const urls = [url, ...(otherReplicaUrls()[name] ?? [])];
    const key = `${name} ${urls.join(' ')}`;
    let source = replicaSets.get(key);
    if (!source) {
      source =
        urls.length > 1
          ? new FailoverDataSource({
              urls,
              buildDataSource: (replica) => replicaDataSource(name, replica),
              onFailover: (from, to, error) =>
                log('warn', `subgraph ${name}: replica ${from} cannot be reached (${(error as Error).message || 'connection failed'}); requests go to ${to}`),
            })
          : replicaDataSource(name, url);
      replicaSets.set(key, source);
    }
    return source;
  };
  const gateway = new ApolloGateway({
    supergraphSdl: manager,
    // An unreachable subgraph's fields come back null with errors that name it (`serviceName`) and
    // their paths, instead of one bare INTERNAL_SERVER_ERROR. A subgraph with replicas is tried at the
    // next replica when the current one cannot be reached. The subgraph's breaker and retries sit
    // around all its replicas: one replica down is failover's business, not a subgraph failure.
    buildService: ({ name, url = '' }) => {
      if (name === CATALOG_SUBGRAPH_NAME) return catalog.dataSource;
      // @apollo/gateway keeps a data source while the subgraph's first URL stays the same, so the replicas
      // behind it are looked up per request: a publication that changes only the others takes effect.
      const replicas: GraphQLDataSource = { process: (request) => replicaSet(name, url).process(request) };
      return freshness.wrap(withLocatedFailures(name, subgraphClient.guard(name, replicas), log));
    },
  });
  // @apollo/gateway plans with the snapshot's parse of the supergraph instead of parsing it again.
  shareParsedSupergraph(gateway, (gatewaySdl) => (snapshot?.gatewaySdl === gatewaySdl ? snapshot.supergraph : null));
  const engine =
    (config.queryEngine ?? DEFAULT_QUERY_ENGINE) === 'mesh'
      ? useMeshEngine(gateway, { planner: config.queryPlanner, log: (line) => log('warn', line) })
      : gateway;
  gateway.onSchemaLoadOrUpdate(({ apiSchema: schema }) => {
    checkDateTimeInputs(schema);
    apiSchema = schema;
  });

  let apollo: ApolloServer | null = null;
  const ws = useGraphqlWs({
    server,
    path: '/graphql',
    schema: () => apiSchema,
    subscriptions: () => executor,
    maxPayload: limits.config.maxWebsocketMessageBytes,
    maxOperationsPerSocket: limits.config.maxSubscriptionsPerSocket,
    outbound: config.outbound,
    admit: (operation, caller, schema) =>
      limits.admitWebsocketOperation(
        { ...operation, extensions: operation.extensions ?? undefined },
        { principal: caller.principal ?? ANONYMOUS, clientAddress: caller.clientAddress },
        schema,
      ),
    executeOperation: async (request, context) => {
      if (!apollo) return { errors: [{ message: 'the gateway is starting' }] } as unknown as ExecutionResult;
      // Admitted by `admit` already (budget spent, document checked): not charged twice.
      const response = await apollo.executeOperation(request, { contextValue: limits.admitted(context ?? {}) });
      return response.body.kind === 'single'
        ? (response.body.singleResult as ExecutionResult)
        : ({ errors: [{ message: 'incremental delivery is not supported over websockets' }] } as unknown as ExecutionResult);
    },
    ...(auth && {
      authenticate: (params) => auth.principalFromConnectionParams(params),
      authorizeSubscription: (request, subscribe, onExpired) => auth.authorizeSubscription(request, subscribe, onExpired),
    }),
    // Subscription messages the network took, and those lost with a client cut off for being too slow.
    onDelivered: (count) => metrics.subscriptionDelivered(count),
    onCutOff: (info) => metrics.subscriptionDropped('slow-consumer', info.pendingMessages),
  });
  // Client and upstream subscriptions, read from the executor at each scrape.
  metrics.watchSubscriptions(() => executor?.stats() ?? null);
  // After thousands of clients left, one memory-reducing collection gives their memory back to the system.
  const reclaimer = createLeaveReclaimer({
    onReclaimed: (info) =>
      info.error === undefined
        ? log(
            'info',
            `${info.peak - info.connections} websocket clients left: collected garbage in ${info.durationMs.toFixed(0)} ms, RSS ${(info.rssBefore / 2 ** 20).toFixed(0)} -> ${(info.rssAfter / 2 ** 20).toFixed(0)} MB`,
          )
        : log(
            'warn',
            `${info.peak - info.connections} websocket clients left, but their memory could not be collected: ${info.error instanceof Error ? info.error.message : JSON.stringify(info.error)}`,
          ),
  });
  // graphql-ws clients: every websocket upgrade on /graphql counts while its socket is open.
  // One listener for every websocket's close (a socket emits it once), not a closure and a `once`
  // wrapper per connection.
  const websocketClosed = () => {
    metrics.websocketClosed();
    reclaimer.closed();
  };
  server.on('upgrade', (req, socket) => {
    if (!/^\/graphql(\/|\?|$)/.test(req.url ?? '')) return;
    metrics.websocketOpened();
    reclaimer.opened();
    socket.on('close', websocketClosed);
  });

  // First: request id, trace context and the HTTP histogram for every request; CORS before any route.
  const observe = observeHttp({
    logger,
    onAnswered: (req, res, seconds) => {
      const route = ((req as { originalUrl?: string }).originalUrl ?? req.url ?? '/').split('?')[0] ?? '/';
      metrics.httpAnswered(req.method ?? 'GET', KNOWN_ROUTES.has(route) ? route : 'other', res.statusCode, seconds);
    },
  });
  // A request the lean path handed over was observed there already: one span, one record, one count.
  app.use((req, res, next) => (isObserved(req) ? next() : observe(req, res, next)));
  const cors = observability?.cors.origins.length ? corsFromOrigins(observability.cors) : undefined;
  if (cors) app.use(cors);
  app.get('/metrics', metricsHandler({ registry: metrics.registry, token: observability?.metricsToken, open: observability?.metricsOpen ?? true }));
  app.get('/health', (_req, res) => void res.json({ status: 'ok' }));
  app.get('/ready', async (_req, res) => {
    const inService = snapshot;
    if (!inService || !apollo) {
      // Public routes: the failure without internal addresses (the log has them).
      const waiting = manager.waitingFor();
      return void res.status(503).json({ status: 'starting', reason: `the supergraph is not loaded yet${waiting ? `: ${maskInternalDetails(waiting)}` : ''}` });
    }
    const remote = Object.fromEntries(Object.entries(inService.addresses).filter(([, a]) => !isLocalSubgraph(a)));
    const problems = await probeSubgraphs(remote, { http: subgraphClient, ...(auth && { headersFor: (name: string) => auth.serviceHeaders(name) }) });
    // An open breaker fails that subgraph's fetches fast even when a probe gets through: not ready.
    for (const name of subgraphClient.openBreakers()) problems.push(`${name}: circuit breaker open (its fetches fail fast until a probe request succeeds)`);
    const subgraphs = Object.keys(remote).length;
    if (problems.length)
      // `supergraph` readiness: partial answers are still answers, so the gateway stays in the load balancer.
      return void (config.readiness === 'supergraph'
        ? res.json({ status: 'degraded', subgraphs, problems })
        : res.status(503).json({ status: 'degraded', problems }));
    res.json({ status: 'ready', subgraphs });
  });
  app.use(catalogRoutes({ catalog, ready: () => addresses() !== null }));
  // The offline IDE (GraphiQL from our own assets) on GET /graphql for browsers, unless MESH_LANDING_PAGE=false.
  if (config.landingPage) app.use(ideRoutes({ examples: () => catalog.examples() }));
  if (registry) app.use('/registry', registry.routes);
  // A data product named by its descriptor id (`orders.sales`) is served by its domain's subgraph (files, SQL).
  const productSubgraph = async (id: string) => (await catalog.load()).products.find((product) => product.id === id)?.domain ?? null;
  // Data product files: `GET /files/<product>/<file>` streamed from the subgraph with the caller's signed identity.
  app.use(
    filesRoute({
      addresses,
      authenticate: auth ? (authorization) => auth.principalFromHttp(authorization) : undefined,
      admit: (principal, clientAddress) => limits.admitCaller(principal, clientAddress),
      productSubgraph,
      upstreamHeaders: async (principal, name) => ((await auth?.upstreamConnection({ principal }, name)?.params()) ?? {}) as Record<string, string>,
      log: (message) => log('warn', message),
    }),
  );
  // The SQL port: `POST /sql` forwarded to the product's subgraph with the caller's signed identity.
  app.use(
    sqlRoute({
      addresses,
      authenticate: auth ? (authorization) => auth.principalFromHttp(authorization) : undefined,
      admit: (principal, clientAddress) => limits.admitCaller(principal, clientAddress),
      productSubgraph,
      upstreamHeaders: async (principal, name) => ((await auth?.upstreamConnection({ principal }, name)?.params()) ?? {}) as Record<string, string>,
      log: (message) => log('warn', message),
    }),
  );
  let graphqlHandler: express.RequestHandler | null = null;
  app.use(
    '/graphql',
    // A body the lean path read and could not parse fails here as Express's JSON parser would fail it.
    (req, _res, next) => next(bodyErrorOf(req)),
    express.json({ limit: limits.config.maxBodyBytes }),
    (req, res, next) => {
      if (!graphqlHandler) {
        const waiting = manager.waitingFor();
        return void res
          .status(httpStatusOf(ErrorCode.SERVICE_UNAVAILABLE))
          .setHeader('retry-after', '2')
          .json({
            errors: [
              {
                message: `the gateway is starting: the supergraph is not loaded yet${waiting ? ` (${maskInternalDetails(waiting)})` : ''}`,
                extensions: { code: ErrorCode.SERVICE_UNAVAILABLE },
              },
            ],
          });
      }
      graphqlHandler(req, res, next);
    },
  );
  // Last: JSON for unknown routes and every error (bad or large bodies, throws), never an HTML page.
  app.use(jsonNotFound, jsonErrorHandler(log, { maxBodyBytes: limits.config.maxBodyBytes, onError: (code) => metrics.errorsReturned(code) }));

  // With Redis for rate limits, its first connection attempt is over before the first request: replicas
  // then share one budget from the start (a Redis that is down costs at most its connect timeout).
  await limits.settled;
  await listenOn(server, { port: config.port, host: config.host, service: 'gateway', setting: 'GATEWAY_PORT' }).catch(async (error) => {
    await limits.close();
    await registry?.registry.close();
    throw error;
  });
  const port = (server.address() as AddressInfo).port;
  const host = config.host === '0.0.0.0' ? '127.0.0.1' : config.host;
  publicBaseUrl ??= `http://${host}:${port}`;

  apollo = new ApolloServer({
    // Plans run by the mesh query engine (gateway/engine/) or by @apollo/gateway (MESH_QUERY_ENGINE).
    gateway: auth ? auth.wrapGateway(engine) : engine,
    introspection: config.introspection,
    // Apollo's automatic persisted queries stay on beside registered documents, but a safelist
    // admits only registered operations (see gateway/limits/createTrustedDocuments.ts).
    persistedQueries: limits.config.trustedDocuments.mode === 'safelist' ? false : undefined,
    // A mutation on this API (which has none) is a validation error, not a planner failure (500).
    validationRules: [KnownOperationTypesRule],
    // A second line behind the limits plugin, which parses with the same token limit first.
    parseOptions: Number.isFinite(limits.config.operations.maxTokens) ? { maxTokens: limits.config.operations.maxTokens } : {},
    // Stack traces are for logs, not for clients.
    includeStacktraceInErrorResponses: false,
    // Compact JSON: Apollo Server's default indents every response (a tenth of a large answer's bytes and
    // a share of its CPU time); clients parse it either way.
    stringifyResult: (result) => JSON.stringify(result),
    // Subgraph stacks, internal addresses and unexpected failures' detail go to the log, not to clients.
    formatError: formatPublicError(log),
    // The process owns shutdown (scripts/runMain.ts): Apollo's own SIGINT/SIGTERM handlers would race it.
    stopOnTerminationSignals: false,
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer: server }),
      {
        async serverWillStart() {
          return {
            async drainServer() {
              reclaimer.dispose();
              await ws.dispose();
              await executor?.dispose();
              await limits.close();
              await subgraphClient.close();
            },
          };
        },
      },
      // Starts each operation's deadline for subgraph fetches (MESH_REQUEST_DEADLINE_MS).
      subgraphClient.plugin,
      limits.plugin,
      operationTimingPlugin((operation) => metrics.operationAnswered(operation, operation.seconds, operation.errorCodes)),
      graphqlOverHttpPlugin(),
      freshness.plugin,
      // The IDE is ours (gateway/ide/), served before this handler: Apollo's landing page loads from a CDN.
      ApolloServerPluginLandingPageDisabled(),
    ],
  });
  try {
    await apollo.start();
  } catch (error) {
    server.close();
    await limits.close();
    await registry?.registry.close();
    throw error;
  }
  // A bad token is a 401 (UNAUTHENTICATED), never a silent downgrade to anonymous.
  // Then one operation of the caller's budget is spent (429 REQUEST_RATE_LIMITED when it is used up),
  // before the document is even parsed. The same for the Express route and the lean path.
  const graphqlContext = async (req: IncomingMessage) => {
    const principal = auth ? await auth.principalFromHttp(req.headers.authorization) : undefined;
    await limits.admitCaller(principal ?? ANONYMOUS, req.socket.remoteAddress);
    return { headers: req.headers, ...(principal && { principal }) };
  };
  graphqlHandler = expressMiddleware(apollo, { context: ({ req }) => graphqlContext(req) });
  const started = apollo;
  if (config.leanHttp ?? true)
    leanPath = leanGraphqlPost({
      path: '/graphql',
      maxBodyBytes: limits.config.maxBodyBytes,
      observe,
      // The `cors` package is plain connect middleware: it reads and writes only Node's request and response.
      cors: cors as ((req: IncomingMessage, res: ServerResponse, next: () => void) => void) | undefined,
      execute: (request, req) => started.executeHTTPGraphQLRequest({ httpGraphQLRequest: request, context: () => graphqlContext(req) }),
      fallback: app,
      log,
    });

  return {
    url: `http://${host}:${port}/graphql`,
    wsUrl: `ws://${host}:${port}/graphql`,
    port,
    server,
    supergraphSdl: () => snapshot?.sdl ?? null,
    supergraph: () => snapshot,
    subscriptions: () => executor,
    metrics,
    close: async () => {
      await apollo?.stop();
      await registry?.registry.close();
    },
  };
}
