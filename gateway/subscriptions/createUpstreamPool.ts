/**
 * Upstream subscriptions to subgraphs, shared. One websocket client per (subgraph ws URL, connection
 * params); one upstream subscription per identical (subgraph, primary operation, variables, connection
 * params), multicast to every listener attached to it. The last listener to detach ends the upstream
 * subscription, and the last subscription on a client closes its socket.
 */
import type { Client } from 'graphql-ws';
import type { FormattedExecutionResult, GraphQLError } from 'graphql';
import { createUpstreamClient, type UpstreamConnectionParams, type UpstreamRetryOptions } from './createUpstreamClient.js';
import { stableKey } from './stableKey.js';
import { toUpstreamErrors } from './toUpstreamErrors.js';

export interface UpstreamSubscriptionRequest {
  /** Subgraph name, used in error messages and `extensions.serviceName`. */
  serviceName: string;
  wsUrl: string;
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
}

export interface UpstreamListener {
  next(event: FormattedExecutionResult): void;
  /** The upstream failed (error message, or reconnects exhausted); nothing follows. */
  error(errors: GraphQLError[]): void;
  /** The subgraph completed the subscription; nothing follows. */
  complete(): void;
}

export interface UpstreamPoolOptions {
  retry?: UpstreamRetryOptions;
  webSocketImpl?: unknown;
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
}

interface SharedSubscription {
  key: string;
  connectionKey: string;
  listeners: Set<UpstreamListener>;
  unsubscribe: () => void;
  ended: boolean;
}

export function createUpstreamPool({ retry, webSocketImpl }: UpstreamPoolOptions = {}): UpstreamPool {
  const connections = new Map<string, SharedConnection>();
  const subscriptions = new Map<string, SharedSubscription>();
  const closing = new Set<Promise<void>>();

  /** What identifies a request's connection params for sharing. */
  function paramsIdentity({ connectionParams, sharingKey }: UpstreamSubscriptionRequest): unknown {
    if (sharingKey !== undefined) return { sharingKey };
    if (typeof connectionParams === 'function') throw new Error('function connectionParams need a sharingKey');
    return connectionParams ?? null;
  }

  function acquireConnection(wsUrl: string, connectionParams: UpstreamConnectionParams | undefined, identity: unknown): string {
    const key = stableKey([wsUrl, identity]);
    let connection = connections.get(key);
    if (!connection) {
      connection = { client: createUpstreamClient({ wsUrl, connectionParams, retry, webSocketImpl }), users: 0 };
      connections.set(key, connection);
    }
    connection.users += 1;
    return key;
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
    const connectionKey = acquireConnection(request.wsUrl, request.connectionParams, paramsIdentity(request));
    const shared: SharedSubscription = { key, connectionKey, listeners: new Set(), unsubscribe: () => {}, ended: false };
    const { client } = connections.get(connectionKey)!;
    shared.unsubscribe = client.subscribe<Record<string, unknown>, Record<string, unknown>>(
      { query: request.operation, operationName: request.operationName, variables: request.variables },
      {
        next(event) {
          if (shared.ended) return;
          for (const listener of [...shared.listeners]) listener.next(event);
        },
        error(reason) {
          if (!end(shared, { unsubscribe: false })) return;
          const errors = toUpstreamErrors(request.serviceName, reason);
          for (const listener of [...shared.listeners]) listener.error(errors);
        },
        complete() {
          if (!end(shared, { unsubscribe: false })) return;
          for (const listener of [...shared.listeners]) listener.complete();
        },
      },
    );
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
      const key = stableKey([request.serviceName, request.wsUrl, request.operation, request.variables, paramsIdentity(request)]);
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
