/**
 * Federated subscriptions, transport-free: plan the client's subscription against the supergraph, join
 * the shared upstream subscription on the owning subgraph, and turn every upstream event into the
 * client's full payload (entity fields from other subgraphs resolved per event). A websocket adapter
 * hands `subscribe` the parsed request and iterates the result.
 */
import { RemoteGraphQLDataSource, type GraphQLDataSource, type ServiceMap } from '@apollo/gateway';
import { GraphQLError, type ExecutionResult } from 'graphql';
import { createPushQueue, type PushQueue } from './createPushQueue.js';
import { createUpstreamPool } from './createUpstreamPool.js';
import type { UpstreamRetryOptions } from './createUpstreamClient.js';
import { loadSupergraph, type LoadedSupergraph } from './loadSupergraph.js';
import { planSubscription, type SubscriptionOperation } from './planSubscription.js';
import { resolveEventFields } from './resolveEventFields.js';
import { SubscriptionErrorCode } from './SubscriptionErrorCode.js';
import { toUpstreamErrors, withLocatedFailures } from './toUpstreamErrors.js';

export interface SubgraphEndpoint {
  /** HTTP endpoint, used for entity fetches. */
  url: string;
  /**
   * Websocket endpoint (graphql-ws protocol), used for subscriptions this subgraph owns.
   * @default `url` with `http` replaced by `ws` (`https` → `wss`)
   */
  wsUrl?: string;
}

export interface SubscriptionExecutorOptions {
  /** The composed supergraph SDL to plan against; replace it later with `updateSupergraph`. */
  supergraphSdl: string;
  /**
   * Subgraph endpoints keyed by subgraph name as in the supergraph (the `name` of `@join__graph`).
   * Websocket URLs are not part of a supergraph, so this mapping is the gateway's own. A subgraph
   * missing here falls back to the HTTP URL declared in the supergraph (and its `ws` twin).
   */
  subgraphs: Record<string, SubgraphEndpoint>;
  /**
   * Creates the data source for a subgraph's entity fetches; called once per subgraph name and URL.
   * If it throws, `createSubscriptionExecutor` / `updateSupergraph` throw.
   * @default (name, url) => new RemoteGraphQLDataSource({ url })
   */
  buildDataSource?(name: string, url: string): GraphQLDataSource;
  /**
   * The `connection_init` payload for upstream websocket connections opened for a client with this
   * context (e.g. the gateway's signed identity). Clients whose params differ never share a connection
   * or an upstream subscription. If it throws, `subscribe` resolves to an INTERNAL_SERVER_ERROR result.
   * @default () => undefined (no payload)
   */
  upstreamConnectionParams?(context: unknown): Record<string, unknown> | undefined;
  /**
   * Like `upstreamConnectionParams`, for a payload that must be fresh on every (re)connect, such as a
   * short-lived signed token: `params` is called per connect, and clients with equal `sharingKey` (e.g.
   * the same identity) share connections and upstream subscriptions. Takes precedence over
   * `upstreamConnectionParams` when it returns a value. If it throws, `subscribe` resolves to an
   * INTERNAL_SERVER_ERROR result; if `params` rejects, the connect attempt fails and is retried.
   * @default () => undefined
   */
  upstreamConnection?(context: unknown): { sharingKey: string; params: () => Promise<Record<string, unknown>> } | undefined;
  /**
   * Reconnecting to a subgraph whose socket dropped; active upstream subscriptions are re-sent on the
   * new socket. When attempts run out, clients get a DOWNSTREAM_SERVICE_ERROR and their stream ends.
   * @default { attempts: 20, delayMs: exponential from 250ms capped at 10s, with jitter }
   */
  retry?: UpstreamRetryOptions;
  /**
   * WebSocket implementation for upstream connections.
   * @default the `ws` package
   */
  webSocketImpl?: unknown;
}

export interface SubscriptionRequest extends SubscriptionOperation {
  /** The client's context: passed to data sources and to `upstreamConnectionParams`. */
  context?: unknown;
}

export interface SubscriptionExecutorStats {
  /** Upstream subscriptions open to subgraphs. */
  upstreams: number;
  /** Client subscriptions being served. */
  clients: number;
  /** Upstream websocket connections held. */
  connections: number;
}

export interface SubscriptionExecutor {
  /**
   * An error result for a request that cannot run (invalid document, bad variables, not a subscription);
   * otherwise the stream of full payloads. `return()` on the stream ends the client's subscription.
   */
  subscribe(request: SubscriptionRequest): Promise<AsyncIterableIterator<ExecutionResult> | ExecutionResult>;
  /** Plans new subscriptions against `sdl`; running ones keep their plan. Throws (keeping the old) if invalid. */
  updateSupergraph(sdl: string): void;
  stats(): SubscriptionExecutorStats;
  /** Ends every client stream and closes every upstream connection. */
  dispose(): Promise<void>;
}

interface Loaded {
  supergraph: LoadedSupergraph;
  dataSources: ServiceMap;
  endpoints: Map<string, Required<SubgraphEndpoint>>;
}

function errorResult(message: string, code: SubscriptionErrorCode): ExecutionResult {
  return { errors: [new GraphQLError(message, { extensions: { code } })] };
}

function pick(values: Record<string, unknown>, names: readonly string[] = []): Record<string, unknown> {
  return Object.fromEntries(names.filter((name) => name in values).map((name) => [name, values[name]]));
}

export function createSubscriptionExecutor(options: SubscriptionExecutorOptions): SubscriptionExecutor {
  const {
    supergraphSdl,
    subgraphs,
    buildDataSource = (_name: string, url: string) => new RemoteGraphQLDataSource({ url }),
    upstreamConnectionParams = () => undefined,
    upstreamConnection = () => undefined,
    retry,
    webSocketImpl,
  } = options;
  const dataSourceCache = new Map<string, GraphQLDataSource>();
  const pool = createUpstreamPool({ retry, webSocketImpl });
  const clients = new Set<PushQueue<ExecutionResult>>();
  let disposed = false;

  function load(sdl: string): Loaded {
    const supergraph = loadSupergraph(sdl);
    const dataSources: ServiceMap = Object.create(null);
    const endpoints = new Map<string, Required<SubgraphEndpoint>>();
    for (const [name, declaredUrl] of supergraph.subgraphUrls) {
      const url = subgraphs[name]?.url ?? declaredUrl;
      const wsUrl = subgraphs[name]?.wsUrl ?? url.replace(/^http/, 'ws');
      endpoints.set(name, { url, wsUrl });
      const cacheKey = `${name}\n${url}`;
      let dataSource = dataSourceCache.get(cacheKey);
      if (!dataSource) {
        // A subgraph that cannot be reached must not make the event unserialisable: its fields get errors.
        dataSource = withLocatedFailures(name, buildDataSource(name, url));
        dataSourceCache.set(cacheKey, dataSource);
      }
      dataSources[name] = dataSource;
    }
    return { supergraph, dataSources, endpoints };
  }

  let current = load(supergraphSdl);

  async function subscribe(request: SubscriptionRequest): Promise<AsyncIterableIterator<ExecutionResult> | ExecutionResult> {
    if (disposed) return errorResult('The subscription executor has been disposed.', SubscriptionErrorCode.INTERNAL_SERVER_ERROR);
    const { supergraph, dataSources, endpoints } = current;
    const { plan, errors } = planSubscription(supergraph, request);
    if (errors) return { errors };

    let connectionParams: Record<string, unknown> | undefined;
    let connection: ReturnType<typeof upstreamConnection>;
    try {
      connection = upstreamConnection(request.context);
      if (!connection) connectionParams = upstreamConnectionParams(request.context);
    } catch {
      return errorResult('Could not prepare the upstream connection.', SubscriptionErrorCode.INTERNAL_SERVER_ERROR);
    }
    const { primary } = plan.node;
    const endpoint = endpoints.get(primary.serviceName)!;
    const context = (request.context ?? {}) as Record<string, unknown>;

    let detach = () => {};
    const queue = createPushQueue<ExecutionResult>(() => {
      detach();
      clients.delete(queue);
    });
    // Events are resolved one after another so the client sees them in upstream order.
    let delivered = Promise.resolve();
    const inOrder = (step: () => Promise<void> | void) => {
      delivered = delivered.then(step).catch((error: unknown) => queue.fail(error));
    };
    detach = pool.attach(
      {
        serviceName: primary.serviceName,
        wsUrl: endpoint.wsUrl,
        operation: primary.operation,
        operationName: primary.operationName,
        variables: pick(plan.variables, primary.variableUsages),
        connectionParams: connection?.params ?? connectionParams,
        sharingKey: connection?.sharingKey,
      },
      {
        next: (event) =>
          inOrder(async () => {
            if (queue.closed) return;
            // No data at all is the subgraph refusing the subscription itself (graphql-js `subscribe`
            // errors): report it and end, as graphql-js would for a local schema.
            if (event.data == null) {
              queue.push({ errors: toUpstreamErrors(primary.serviceName, event.errors ?? []) });
              queue.end();
              return;
            }
            queue.push(await resolveEventFields({ plan, event, dataSources, context }));
          }),
        error: (upstreamErrors) =>
          inOrder(() => {
            queue.push({ errors: upstreamErrors });
            queue.end();
          }),
        complete: () => inOrder(() => queue.end()),
      },
    );
    clients.add(queue);
    return queue.iterator;
  }

  return {
    subscribe,
    updateSupergraph(sdl) {
      current = load(sdl);
    },
    stats() {
      return { upstreams: pool.subscriptionCount, clients: clients.size, connections: pool.connectionCount };
    },
    async dispose() {
      disposed = true;
      for (const queue of [...clients]) queue.end();
      await pool.dispose();
    },
  };
}
