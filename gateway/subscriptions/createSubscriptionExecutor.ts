/**
 * Federated subscriptions, transport-free: plan the client's subscription against the supergraph, join
 * the shared upstream subscription on the owning subgraph, and turn every upstream event into the
 * client's full payload (entity fields from other subgraphs resolved per event). A websocket adapter
 * hands `subscribe` the parsed request and iterates the result.
 */
import { ErrorCode } from '../../core/errors/ErrorCode.js';
import { RemoteGraphQLDataSource, type GraphQLDataSource, type ServiceMap } from '@apollo/gateway';
import { GraphQLError, type ExecutionResult } from 'graphql';
import { parseSupergraph, type ParsedSupergraph } from '../../core/apollo/index.js';
import { FailoverDataSource } from '../http/FailoverDataSource.js';
import { ClientStream } from './ClientStream.js';
import { createSubscriptionGroup, type GroupEventInfo, type SubscriptionGroup } from './createSubscriptionGroup.js';
import { createUpstreamPool } from './createUpstreamPool.js';
import type { PublicErrorLog } from '../errors/formatPublicError.js';
import type { UpstreamKeepAliveOptions, UpstreamRetryOptions } from './createUpstreamClient.js';
import { makeResumable } from './makeResumable.js';
import { planSubscription, type SubscriptionOperation } from './planSubscription.js';
import { planSubgraphs } from './planSubgraphs.js';
import { stableKey } from './stableKey.js';
import type { SubscriptionScope } from './SubscriptionScope.js';
import { withLocatedFailures } from './toUpstreamErrors.js';

/** Where the executor reaches one subgraph: one URL, or the URLs of its replicas. */
export type SubgraphEndpoint = SubgraphHttpEndpoint & SubgraphWsEndpoint;

export type SubgraphHttpEndpoint =
  | {
      /** HTTP endpoint, used for entity fetches. */
      url: string;
      urls?: never;
    }
  | {
      /**
       * HTTP endpoints of the subgraph's replicas (at least one), used for entity fetches: a request goes
       * to the current replica and moves to the next one when it cannot be reached (`FailoverDataSource`).
       */
      urls: readonly string[];
      url?: never;
    };

export type SubgraphWsEndpoint =
  | {
      /**
       * Websocket endpoint (graphql-ws protocol), used for subscriptions this subgraph owns.
       * @default `url` (each of `urls`) with `http` replaced by `ws` (`https` → `wss`)
       */
      wsUrl?: string;
      wsUrls?: never;
    }
  | {
      /**
       * Websocket endpoints of the subgraph's replicas (at least one). The first connect goes to the
       * first; every reconnect goes to the next, and resumable subscriptions continue from their last
       * cursor there, so losing a replica loses no event.
       */
      wsUrls: readonly string[];
      wsUrl?: never;
    };

export interface SubscriptionExecutorOptions {
  /**
   * The composed supergraph SDL to plan against, or the supergraph already parsed (the gateway hands its
   * snapshot's, so a reload parses once); replace it later with `updateSupergraph`.
   */
  supergraphSdl: string | ParsedSupergraph;
  /**
   * Subgraph endpoints keyed by subgraph name as in the supergraph (the `name` of `@join__graph`).
   * Websocket URLs are not part of a supergraph, so this mapping is the gateway's own. A subgraph
   * missing here falls back to the HTTP URL declared in the supergraph (and its `ws` twin).
   * `createSubscriptionExecutor` / `updateSupergraph` throw if a list of URLs is empty.
   */
  subgraphs: Record<string, SubgraphEndpoint>;
  /**
   * Creates the data source for a subgraph's entity fetches; called once per subgraph name and URL
   * (for each replica URL, when an endpoint has `urls`). If it throws, `createSubscriptionExecutor` /
   * `updateSupergraph` throw.
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
   * short-lived token signed for the subgraph named `serviceName`: `params` is called per connect, and clients with equal `sharingKey` (e.g.
   * the same identity) share connections and upstream subscriptions. Takes precedence over
   * `upstreamConnectionParams` when it returns a value. If it throws, `subscribe` resolves to an
   * INTERNAL_SERVER_ERROR result; if `params` rejects, the connect attempt fails and is retried.
   * @default () => undefined
   */
  upstreamConnection?(context: unknown, serviceName: string): { sharingKey: string; params: () => Promise<Record<string, unknown>> } | undefined;
  /**
   * Reconnecting to a subgraph whose socket dropped; active upstream subscriptions are re-sent on the
   * new socket, those whose root field takes `from: String` and returns a type with `cursor` resuming
   * after the last event received (a subgraph that cannot replay that far answers CURSOR_UNAVAILABLE:
   * the subscription continues live and clients get one EVENTS_MISSED error). When attempts run out,
   * clients get a DOWNSTREAM_SERVICE_ERROR and their stream ends.
   * @default { attempts: 20, delayMs: exponential from 250ms capped at 10s, with jitter }
   */
  retry?: UpstreamRetryOptions;
  /**
   * Pings on every upstream socket; a socket whose pong does not come in time is dropped and its
   * subscriptions resume from their last cursor on a new one, as after any other drop.
   * @default { intervalMs: 10000, timeoutMs: 5000 }
   */
  keepAlive?: UpstreamKeepAliveOptions;
  /**
   * WebSocket implementation for upstream connections.
   * @default the `ws` package
   */
  webSocketImpl?: unknown;
  /**
   * Longest message read from an upstream socket, in bytes; a longer one closes the socket and fails its
   * subscriptions (`createUpstreamClient`).
   * @default DEFAULT_UPSTREAM_MAX_PAYLOAD (64 MiB)
   */
  upstreamMaxPayload?: number;
  /**
   * Where the detail of an upstream subscription that failed goes (a close code and its reason, what a
   * refusal of the gateway's identity usually means): clients get a coded error without it.
   * @default stderr, as the gateway's other lines
   */
  log?: PublicErrorLog;
  /** How far before a drop a cursor-less subscription resumes from (see `createUpstreamPool`). @default 5000 */
  resumeMarginMs?: number;
  /**
   * The identity a client's group runs as, given the client's context and the subgraphs its plan
   * touches (primary first): clients with equal `key` may share a group, whose upstream subscription and
   * entity fetches use `context` (handed to `upstreamConnection`/`upstreamConnectionParams` and to data
   * sources) instead of any one client's. The gateway shares per scope set, or per subject where a
   * subgraph filters by subject (docs/architecture.md "Subscription groups"). If it throws, `subscribe`
   * resolves to an INTERNAL_SERVER_ERROR result.
   * @default (context) => ({ key: '', context }): every client shares, the first client's context is used
   */
  groupIdentity?(context: unknown, subgraphs: readonly string[]): { key: string; context: unknown };
  /**
   * The context of one event's entity fetches, made from its group's as the event's rest of plan starts:
   * the gateway gives each event its own request deadline there (`MESH_REQUEST_DEADLINE_MS`, as for a
   * query), so a hanging subgraph costs the event that much and no more. If it throws, that event gets an
   * INTERNAL_SERVER_ERROR result and the subscription goes on.
   * @default (context) => context: the group's context itself
   */
  eventContext?(context: Record<string, unknown>): Record<string, unknown>;
  /**
   * The request deadline (`Date.now()` time) of an event's context, if it has one: entity fetches of
   * several events merged into one request (`coalesceEntityFetches`) go out under the latest, and each
   * event stops waiting at its own.
   * @default none: no deadlines known, merged fetches go out under the first event's context
   */
  eventDeadline?(context: unknown): number | undefined;
  /**
   * Called after each group payload was handed to its clients (a seam for metrics). A throw is ignored.
   * @default none
   */
  onGroupEvent?(info: GroupEventInfo): void;
  /**
   * Called for each group payload with errors: their public codes and how many clients got it (a seam for
   * `mesh_gateway_errors_total`). A throw is ignored.
   * @default none
   */
  onGroupErrors?(codes: readonly string[], clients: number): void;
}

export interface SubscriptionRequest extends SubscriptionOperation {
  /** The client's context: handed to `groupIdentity`. */
  context?: unknown;
  /** What a layer in front adds (field-level authorization): its key splits groups. @default none */
  scope?: SubscriptionScope;
}

export interface SubscriptionExecutorStats {
  /** Upstream subscriptions open to subgraphs. */
  upstreams: number;
  /** Client subscriptions being served. */
  clients: number;
  /** Groups of clients sharing one upstream subscription and one execution per event. */
  groups: number;
  /** Upstream websocket connections held. */
  connections: number;
}

export interface SubscriptionExecutor {
  /**
   * An error result for a request that cannot run (invalid document, bad variables, not a subscription);
   * otherwise the client's stream of full payloads, in the group of clients asking the same. `return()`
   * on the stream ends the client's subscription; `deliverTo` hands its encoded frames to a transport.
   */
  subscribe(request: SubscriptionRequest): Promise<ClientStream | ExecutionResult>;
  /** Plans new subscriptions against `sdl`; running ones keep their plan. Throws (keeping the old) if invalid. */
  updateSupergraph(sdl: string | ParsedSupergraph): void;
  stats(): SubscriptionExecutorStats;
  /** Ends every client stream and closes every upstream connection. */
  dispose(): Promise<void>;
}

interface Loaded {
  supergraph: ParsedSupergraph;
  dataSources: ServiceMap;
  /** Subgraph name → its websocket URLs (replicas). */
  wsUrls: Map<string, readonly string[]>;
  /** Counts loads: a client never joins a group planned against an earlier supergraph. */
  generation: number;
}

/** HTTP and websocket URLs of a subgraph (each list non-empty); throws on an empty list. */
function endpointUrls(name: string, endpoint: SubgraphEndpoint | undefined, declaredUrl: string): { urls: readonly string[]; wsUrls: readonly string[] } {
  const urls = endpoint?.urls ?? [endpoint?.url ?? declaredUrl];
  const wsUrls = endpoint?.wsUrls ?? (endpoint?.wsUrl ? [endpoint.wsUrl] : urls.map((url) => url.replace(/^http/, 'ws')));
  if (urls.length === 0 || wsUrls.length === 0) throw new Error(`Subgraph "${name}" has an empty list of URLs.`);
  return { urls, wsUrls };
}

function errorResult(message: string, code: ErrorCode): ExecutionResult {
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
    groupIdentity = (context: unknown) => ({ key: '', context }),
    onGroupEvent,
    onGroupErrors,
    eventContext,
    eventDeadline,
    retry,
    keepAlive,
    webSocketImpl,
    upstreamMaxPayload,
    log,
    resumeMarginMs,
  } = options;
  const dataSourceCache = new Map<string, GraphQLDataSource>();
  const pool = createUpstreamPool({ retry, keepAlive, webSocketImpl, maxPayload: upstreamMaxPayload, log, resumeMarginMs });
  const groups = new Map<string, SubscriptionGroup>();
  let clients = 0;
  let generation = 0;
  let exclusive = 0;
  let disposed = false;

  function load(sdl: string | ParsedSupergraph): Loaded {
    const supergraph = typeof sdl === 'string' ? parseSupergraph(sdl) : sdl;
    const dataSources = Object.create(null) as ServiceMap;
    const wsUrlsByName = new Map<string, readonly string[]>();
    for (const { name, url: declaredUrl } of supergraph.subgraphs) {
      const { urls, wsUrls } = endpointUrls(name, subgraphs[name], declaredUrl);
      wsUrlsByName.set(name, wsUrls);
      const cacheKey = [name, ...urls].join('\n');
      let dataSource = dataSourceCache.get(cacheKey);
      if (!dataSource) {
        const built =
          urls.length === 1 ? buildDataSource(name, urls[0]) : new FailoverDataSource({ urls, buildDataSource: (url) => buildDataSource(name, url) });
        // A subgraph that cannot be reached must not make the event unserialisable: its fields get errors.
        dataSource = withLocatedFailures(name, built, log);
        dataSourceCache.set(cacheKey, dataSource);
      }
      dataSources[name] = dataSource;
    }
    return { supergraph, dataSources, wsUrls: wsUrlsByName, generation: ++generation };
  }

  let current = load(supergraphSdl);

  async function subscribe(request: SubscriptionRequest): Promise<ClientStream | ExecutionResult> {
    if (disposed) return errorResult('The subscription executor has been disposed.', ErrorCode.INTERNAL_SERVER_ERROR);
    const loaded = current;
    const { supergraph, dataSources, wsUrls } = loaded;
    const { plan, errors } = planSubscription(supergraph, request);
    if (errors) return { errors };
    const { primary } = plan.node;

    let identity: { key: string; context: unknown };
    let connectionParams: Record<string, unknown> | undefined;
    let connection: ReturnType<typeof upstreamConnection>;
    try {
      identity = groupIdentity(request.context, planSubgraphs(plan.node));
      connection = upstreamConnection(identity.context, primary.serviceName);
      if (!connection) connectionParams = upstreamConnectionParams(identity.context);
    } catch {
      return errorResult('Could not prepare the upstream connection.', ErrorCode.INTERNAL_SERVER_ERROR);
    }
    const variables = pick(plan.variables, primary.variableUsages);
    const resumableFields = supergraph.resumableFields.get(primary.serviceName);
    const resumable = resumableFields && makeResumable(primary.operation, variables, (field) => resumableFields.has(field));
    // A client replaying from its own cursor is alone: a later client would miss what it replayed.
    const shareable = resumable?.startCursor === undefined;
    const key = shareable
      ? stableKey([loaded.generation, plan.key, plan.variables, identity.key, connection?.sharingKey ?? connectionParams ?? null, request.scope?.key ?? null])
      : `exclusive:${++exclusive}`;

    let group = groups.get(key);
    if (!group) {
      const created = createSubscriptionGroup({
        plan,
        dataSources,
        context: (identity.context ?? {}) as Record<string, unknown>,
        eventContext,
        eventDeadline,
        transform: request.scope?.transform?.bind(request.scope),
        pool,
        upstream: {
          serviceName: primary.serviceName,
          wsUrls: wsUrls.get(primary.serviceName)!,
          // The plan keeps the original primary fetch: resolveEventFields answers it with the event, and
          // result shaping drops the hidden cursor selection the resumable operation adds.
          operation: resumable?.operation ?? primary.operation,
          operationName: primary.operationName,
          variables: resumable?.variables ?? variables,
          connectionParams: connection?.params ?? connectionParams,
          sharingKey: connection?.sharingKey,
          resume: resumable && { variable: resumable.variable, cursorOf: resumable.cursorOf },
          shareable,
        },
        onClose: () => {
          if (groups.get(key) === created) groups.delete(key);
        },
        onEvent: onGroupEvent,
        onErrors: onGroupErrors,
      });
      groups.set(key, created);
      group = created;
    }
    return join(group, request.scope, plan.order);
  }

  /**
   * Adds a client to `group`. Made outside `subscribe` so that what the client keeps for the life of its
   * subscription is its group and its own checks, not the request it came with (its documents, variables,
   * and through its scope's `transform`, its authorization: only the group's first client's is used).
   */
  function join(group: SubscriptionGroup, scope: SubscriptionScope | undefined, order: ClientStream['order']): ClientStream {
    const client: ClientStream = new ClientStream(
      () => {
        clients -= 1;
        group.leave(client);
      },
      scope?.checks,
      order,
    );
    clients += 1;
    group.join(client);
    return client;
  }

  return {
    subscribe,
    updateSupergraph(sdl) {
      current = load(sdl);
    },
    stats() {
      return { upstreams: pool.subscriptionCount, clients, groups: groups.size, connections: pool.connectionCount };
    },
    async dispose() {
      disposed = true;
      for (const group of [...groups.values()]) group.end();
      await pool.dispose();
    },
  };
}
