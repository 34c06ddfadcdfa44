/**
 * Upstream subscriptions to subgraphs, shared. One websocket client per (subgraph ws URLs, connection
 * params); one upstream subscription per identical (subgraph, primary operation, variables, connection
 * params), multicast to every listener attached to it. The last listener to detach ends the upstream
 * subscription, and the last subscription on a client closes its socket.
 *
 * A resumable subscription (see `makeResumable`) remembers the cursor of the last event it received, so
 * the re-subscription graphql-ws sends after a reconnect asks for exactly the events it missed. If the
 * subgraph can no longer replay from there (CURSOR_UNAVAILABLE), it continues live and its listeners
 * learn that events may have been missed. One that has seen no event yet asks for the events published
 * since shortly before the drop (`resumeFromTheDrop`).
 */
import type { Client } from 'graphql-ws';
import type { FormattedExecutionResult, GraphQLError } from 'graphql';
import { createUpstreamClient, type UpstreamConnectionParams, type UpstreamKeepAliveOptions, type UpstreamRetryOptions } from './createUpstreamClient.js';
import { stableKey } from './stableKey.js';
import { eventsMissedError, toUpstreamErrors } from './toUpstreamErrors.js';
import type { PublicErrorLog } from '../errors/formatPublicError.js';

export interface UpstreamSubscriptionRequest {
  /** Subgraph name, used in error messages and `extensions.serviceName`. */
  serviceName: string;
  /** Replicas of the subgraph's websocket endpoint; each (re)connect goes to the next. */
  wsUrls: readonly string[];
  /** The primary fetch's operation text, sent as is. */
  operation: string;
  operationName?: string;
  /** Only the variables the operation uses: anything else would split identical subscriptions. */
  variables: Record<string, unknown>;
  /** `connection_init` payload; subscriptions with different params never share a socket. */
  connectionParams?: UpstreamConnectionParams;
  /**
   * Decides sharing instead of the params themselves; required when `connectionParams` is a function
   * (whose payload changes per connect, e.g. a freshly minted token): equal keys share a socket and
   * identical subscriptions, as equal params would.
   */
  sharingKey?: string;
  /** Makes the subscription resume from its last cursor after a reconnect. */
  resume?: UpstreamResume;
  /**
   * False for a subscription nobody may join, such as one replaying from a client's own cursor: a
   * later client would silently miss the replayed events it already delivered.
   * @default true
   */
  shareable?: boolean;
}

export interface UpstreamResume {
  /** The operation variable holding the cursor to resume after; absent means "start live". */
  variable: string;
  /** The cursor an event carries, if any. */
  cursorOf(event: FormattedExecutionResult): string | undefined;
}

export interface UpstreamListener {
  next(event: FormattedExecutionResult): void;
  /** The upstream failed (error message, or reconnects exhausted); nothing follows. */
  error(errors: GraphQLError[]): void;
  /** The subgraph completed the subscription; nothing follows. */
  complete(): void;
  /** A resume was refused (cursor too old); the subscription goes on with live events. */
  eventsMissed(error: GraphQLError): void;
}

export interface UpstreamPoolOptions {
  retry?: UpstreamRetryOptions;
  /** Pings that detect a half-open subgraph socket (see `createUpstreamClient`). */
  keepAlive?: UpstreamKeepAliveOptions;
  webSocketImpl?: unknown;
  /** Longest message read from a subgraph's socket (see `createUpstreamClient`). */
  maxPayload?: number;
  /** Where the detail of a failed upstream subscription goes. @default stderr */
  log?: PublicErrorLog;
  /**
   * How far before a drop a subscription that has seen no event resumes from (`resumeFromTheDrop`):
   * events in flight, and clocks this far apart.
   * @default RESUME_MARGIN_MS (5 s)
   */
  resumeMarginMs?: number;
}

export interface UpstreamPool {
  /** Joins (or opens) the shared upstream subscription; returns the function that leaves it. */
  attach(request: UpstreamSubscriptionRequest, listener: UpstreamListener): () => void;
  /** Upstream subscriptions currently open. */
  readonly subscriptionCount: number;
  /** Websocket clients currently held (one per subgraph URL and connection params). */
  readonly connectionCount: number;
  /** Ends every upstream subscription without notifying listeners, and closes every socket. */
  dispose(): Promise<void>;
}

interface SharedConnection {
  client: Client;
  users: number;
  /** Acknowledged by the subgraph now; and at least once (a connection between the two is in retry backoff). */
  connected: boolean;
  everConnected: boolean;
}

interface SharedSubscription {
  key: string;
  connectionKey: string;
  listeners: Set<UpstreamListener>;
  unsubscribe: () => void;
  ended: boolean;
  /** Counts upstream subscribes; callbacks of an earlier one (before a fallback to live) are ignored. */
  generation: number;
  /**
   * The variables graphql-ws sends again on every re-subscribe; when the current upstream subscribe began
   * (epoch ms); and whether `from` in them is a timestamp this pool set (not a cursor of an event).
   */
  variables?: Record<string, unknown>;
  startedAt?: number;
  timestampFrom?: boolean;
  /** The operation variable a resumable subscription resumes with (`from`); undefined for others. */
  resumeVariable?: string;
}

const CURSOR_UNAVAILABLE = 'CURSOR_UNAVAILABLE';

/** How far before a drop a cursor-less subscription resumes from: events in flight, and clocks apart. */
const RESUME_MARGIN_MS = 5_000;

function hasErrorCode(reason: unknown, code: string): boolean {
  return Array.isArray(reason) && reason.some((error) => (error as { extensions?: { code?: unknown } } | null)?.extensions?.code === code);
}

export function createUpstreamPool({
  retry,
  keepAlive,
  webSocketImpl,
  maxPayload,
  log,
  resumeMarginMs = RESUME_MARGIN_MS,
}: UpstreamPoolOptions = {}): UpstreamPool {
  const connections = new Map<string, SharedConnection>();
  const subscriptions = new Map<string, SharedSubscription>();
  const closing = new Set<Promise<void>>();
  let exclusiveSubscriptions = 0;

  /** What identifies a request's connection params for sharing. */
  function paramsIdentity({ connectionParams, sharingKey }: UpstreamSubscriptionRequest): unknown {
    if (sharingKey !== undefined) return { sharingKey };
    if (typeof connectionParams === 'function') throw new Error('function connectionParams need a sharingKey');
    return connectionParams ?? null;
  }

  function acquireConnection(wsUrls: readonly string[], connectionParams: UpstreamConnectionParams | undefined, identity: unknown): string {
    const key = stableKey([wsUrls, identity]);
    let connection = connections.get(key);
    if (!connection) {
      const created: SharedConnection = {
        client: createUpstreamClient({ wsUrls, connectionParams, retry, keepAlive, webSocketImpl, maxPayload }),
        users: 0,
        connected: false,
        everConnected: false,
      };
      connection = created;
      connections.set(key, created);
      created.client.on('connected', () => {
        created.connected = true;
        created.everConnected = true;
      });
      created.client.on('closed', () => {
        created.connected = false;
        // A disposed client's late close must not touch a new connection's subscriptions under the same key.
        if (connections.get(key) === created) resumeFromTheDrop(key);
      });
    }
    connection.users += 1;
    return key;
  }

  /**
   * Before graphql-ws re-subscribes on a connection that closed: a resumable subscription that has seen no
   * event, hence holds no cursor, asks for the events published since shortly before the drop (`from` as
   * a timestamp: `RESUME_MARGIN_MS` before it, never before the subscription began), so the ones published
   * while the subgraph was away (a restart, a failover) still reach its listeners; subscribed again live,
   * it lost them without a word. Up to the drop it was connected and got no event, so nothing it matches
   * was published earlier (the margin covers events in flight and clocks a few seconds apart). A subgraph
   * that cannot replay them answers CURSOR_UNAVAILABLE, and the listeners hear EVENTS_MISSED.
   */
  function resumeFromTheDrop(connectionKey: string): void {
    const from = (shared: SharedSubscription) => new Date(Math.max(shared.startedAt ?? 0, Date.now() - resumeMarginMs)).toISOString();
    for (const shared of subscriptions.values()) {
      const variable = shared.connectionKey === connectionKey ? shared.resumeVariable : undefined;
      if (variable === undefined || !shared.variables) continue;
      if (shared.variables[variable] != null && !shared.timestampFrom) continue; // a cursor: resumes from there
      shared.variables[variable] = from(shared);
      shared.timestampFrom = true;
    }
  }

  function releaseConnection(key: string): void {
    const connection = connections.get(key);
    if (!connection || --connection.users > 0) return;
    connections.delete(key);
    // dispose() awaits a pending connect, which rejects if the subgraph is down: nothing left to do then.
    const closed = Promise.resolve()
      .then(() => connection.client.dispose())
      .catch(() => {})
      .finally(() => closing.delete(closed));
    closing.add(closed);
  }

  /** Returns false when the subscription had already ended, so each end is reported once. */
  function end(shared: SharedSubscription, { unsubscribe }: { unsubscribe: boolean }): boolean {
    if (shared.ended) return false;
    shared.ended = true;
    subscriptions.delete(shared.key);
    // Before releasing the connection: the `complete` message must go out on the still-open socket.
    if (unsubscribe) shared.unsubscribe();
    releaseConnection(shared.connectionKey);
    return true;
  }

  function open(request: UpstreamSubscriptionRequest, key: string): SharedSubscription {
    const connectionKey = acquireConnection(request.wsUrls, request.connectionParams, paramsIdentity(request));
    const { serviceName, resume } = request;
    const shared: SharedSubscription = {
      key,
      connectionKey,
      listeners: new Set(),
      unsubscribe: () => {},
      ended: false,
      generation: 0,
      resumeVariable: resume?.variable,
    };
    const { client } = connections.get(connectionKey)!;

    const subscribeUpstream = (variables: Record<string, unknown>): void => {
      const generation = ++shared.generation;
      const current = () => !shared.ended && generation === shared.generation;
      // graphql-ws keeps this very object and serialises it again each time it re-subscribes after a
      // reconnect, so moving the cursor in it is what makes the retry resume where the stream stopped.
      const payload = { query: request.operation, operationName: request.operationName, variables };
      shared.variables = variables;
      shared.startedAt = Date.now();
      shared.timestampFrom = false;
      // Joining a connection that dropped and is waiting to reconnect: its re-subscribe is a resume, from now.
      const connection = connections.get(shared.connectionKey);
      if (resume && variables[resume.variable] == null && connection?.everConnected && !connection.connected) {
        variables[resume.variable] = new Date(shared.startedAt).toISOString();
        shared.timestampFrom = true;
      }

      /** CURSOR_UNAVAILABLE in answer to a resume: subscribe again without a cursor; true if it did. */
      const fallBackToLive = (reason: unknown): boolean => {
        if (!resume || payload.variables[resume.variable] == null || !hasErrorCode(reason, CURSOR_UNAVAILABLE)) return false;
        const { [resume.variable]: _cursor, ...live } = payload.variables;
        // The refused subscription is not disposed here: the subgraph completes it right after the refusal
        // (graphql-ws servers always do), and a client-side dispose racing that `complete` makes the
        // graphql-ws client release its socket lock twice, closing the socket under the new subscription.
        // Subscribing before the refused one ends also keeps the socket open in between.
        subscribeUpstream(live);
        const error = eventsMissedError(serviceName, reason);
        for (const listener of [...shared.listeners]) listener.eventsMissed(error);
        return true;
      };

      shared.unsubscribe = client.subscribe<Record<string, unknown>, Record<string, unknown>>(payload, {
        next(event) {
          if (!current()) return;
          // A refusal comes as an event without data (the subscribe resolver threw).
          if (event.data == null && fallBackToLive(event.errors)) return;
          const cursor = resume?.cursorOf(event);
          if (resume && cursor !== undefined) {
            payload.variables[resume.variable] = cursor;
            shared.timestampFrom = false;
          }
          for (const listener of [...shared.listeners]) listener.next(event);
        },
        error(reason) {
          if (!current() || fallBackToLive(reason)) return;
          if (!end(shared, { unsubscribe: false })) return;
          const errors = toUpstreamErrors(serviceName, reason, log);
          for (const listener of [...shared.listeners]) listener.error(errors);
        },
        complete() {
          if (!current() || !end(shared, { unsubscribe: false })) return;
          for (const listener of [...shared.listeners]) listener.complete();
        },
      });
    };

    subscribeUpstream({ ...request.variables });
    return shared;
  }

  return {
    get subscriptionCount() {
      return subscriptions.size;
    },
    get connectionCount() {
      return connections.size;
    },
    attach(request, listener) {
      const identity = request.shareable === false ? { exclusive: ++exclusiveSubscriptions } : paramsIdentity(request);
      const key = stableKey([request.serviceName, request.wsUrls, request.operation, request.variables, identity]);
      let shared = subscriptions.get(key);
      if (!shared) {
        shared = open(request, key);
        subscriptions.set(key, shared);
      }
      const joined = shared;
      joined.listeners.add(listener);
      let attached = true;
      return () => {
        if (!attached) return;
        attached = false;
        joined.listeners.delete(listener);
        if (joined.listeners.size === 0) end(joined, { unsubscribe: true });
      };
    },
    async dispose() {
      for (const shared of [...subscriptions.values()]) end(shared, { unsubscribe: true });
      await Promise.all([...closing]);
    },
  };
}
