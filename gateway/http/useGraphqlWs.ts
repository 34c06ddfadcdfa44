import { closeCodeOf } from '../../core/errors/statusOf.js';
import { MeshError } from '../../core/errors/MeshError.js';
import { ErrorCode } from '../../core/errors/ErrorCode.js';
import type { Server } from 'node:http';
import {
  GraphQLError,
  OperationTypeNode,
  print,
  validate,
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
  type GraphQLFormattedError,
  type GraphQLSchema,
} from 'graphql';
import type { Context } from 'graphql-ws';
import type { Socket } from 'node:net';
import { LRUCache } from 'lru-cache';
import { WebSocket, WebSocketServer } from 'ws';
import { createFrameBatcher, type FrameWriter } from './createFrameBatcher.js';
import { FramedWebSocket } from './FramedWebSocket.js';
import { createHeartbeat } from './createHeartbeat.js';
import { shareNamedSubscriptions } from './shareNamedSubscriptions.js';
import { useGraphqlWsServer, type GraphqlWsExtra } from './useGraphqlWsServer.js';
import {
  ClientStream,
  createOutboundQueue,
  type EventFrame,
  type FrameSink,
  type OutboundCutOff,
  type OutboundLimits,
  type OutboundQueue,
  type OutboundSocket,
  type SubscriptionExecutor,
} from '../subscriptions/index.js';
import type { AuthorizedSubscriptionRequest, SubscriptionAuthRequest } from '../auth/authorizeSubscription.js';
import type { Principal } from '../auth/Principal.js';
import { resolveOperation, withoutHttpStatus } from '../auth/resolveOperation.js';

/** graphql-ws's code for a refused connection (`onConnect` returning false uses it too). */
const FORBIDDEN = closeCodeOf(ErrorCode.FORBIDDEN);
/** The websocket close of an outage that may pass (the token signing keys unreachable), as SERVICE_UNAVAILABLE closes. */
const TRY_AGAIN_LATER = closeCodeOf(ErrorCode.SERVICE_UNAVAILABLE);
/** The `ws` library's default message size (100 MiB), far too large for a GraphQL operation. */
const WS_DEFAULT_MAX_PAYLOAD = 100 * 1024 * 1024;
/** The end of a graphql-ws `next` message after its payload. */
const CLOSE_BRACE = Buffer.from('}');
/** Longest delay `setTimeout` takes (about 24.8 days). */
const MAX_TIMER_MS = 2_147_483_647;

/** What the websocket adapter needs from the gateway. */
export interface GraphqlWsOptions {
  server: Server;
  path: string;
  /** The API schema clients validate against (null until the supergraph is loaded). */
  schema: () => GraphQLSchema | null;
  /** Federated subscriptions. */
  subscriptions: () => SubscriptionExecutor | null;
  /**
   * Queries and mutations sent over the socket run through the HTTP pipeline's executor, with the
   * connection's context (`{ principal }` when `authenticate` is set).
   */
  executeOperation: (request: { query: string; variables?: Record<string, unknown>; operationName?: string }, context?: unknown) => Promise<ExecutionResult>;
  /**
   * Establishes the caller from the `connection_init` payload; a throw refuses the connection (close
   * 4403). Every operation on the connection gets `{ principal }` as context, and when the principal's
   * token expires the connection is closed with 4403 `token expired`.
   * @default none: operations get no context
   */
  authenticate?: (connectionParams: Readonly<Record<string, unknown>> | undefined) => Promise<Principal>;
  /**
   * Stands between a client's subscription and the executor (field-level authorization). `onExpired`
   * closes this client's connection with 4403 `token expired`.
   * @default subscriptions go to the executor as they are
   */
  authorizeSubscription?: (
    request: SubscriptionAuthRequest,
    subscribe: (request: AuthorizedSubscriptionRequest) => Promise<ClientStream | ExecutionResult>,
    onExpired: () => void,
  ) => Promise<ClientStream | ExecutionResult>;
  /**
   * Bounds of each connection's outbound queue (docs/architecture.md "Slow clients"): a connection
   * that falls further behind is closed with 1013 and a reason telling it to reconnect and resume from
   * its last cursor.
   * @default { maxMessages: 1000, maxBytes: 4194304 }
   */
  outbound?: OutboundLimits;
  /**
   * Seams for metrics: `onDelivered` with the number of subscription messages written to clients'
   * sockets (once per event loop turn at most), `onCutOff` once per connection cut off for being too
   * slow. A throw is ignored.
   * @default none
   */
  onDelivered?(count: number): void;
  onCutOff?(info: OutboundCutOff): void;
  /**
   * Each client connection is pinged this often and terminated when it did not answer the previous ping
   * by the next (graphql-ws's keep-alive, served by one timer for every connection: `createHeartbeat`);
   * 0 turns it off.
   * @default 12000
   */
  keepAliveMs?: number;
  /**
   * Largest message in bytes; a larger one closes the socket with 1009 (message too big) before it
   * is parsed.
   * @default 104857600 (the `ws` default)
   */
  maxPayload?: number;
  /**
   * Operations running at once on one socket (subscriptions and queries in flight); one more gets an
   * `error` message with MAX_SUBSCRIPTIONS_LIMIT and the socket stays open.
   * @default Infinity
   */
  maxOperationsPerSocket?: number;
  /**
   * Admits an operation before it is validated (limits, trusted documents, rate limits): returns the
   * parsed document to run, or the refusal sent to the client as an `error` message. Given the
   * connection's principal (when `authenticate` is set) and the client's address.
   * @default graphql-ws parses the `query` as it is
   */
  admit?: (
    operation: {
      query: string;
      variables?: Record<string, unknown> | null;
      operationName?: string | null;
      extensions?: Record<string, unknown> | null;
      documentId?: unknown;
    },
    caller: { principal?: Principal; clientAddress?: string },
    schema: GraphQLSchema,
  ) => Promise<{ document: DocumentNode } | GraphQLError>;
}

/** Validated documents kept per schema, by text and operation name. */
const SHARED_DOCUMENTS = 1000;
/**
 * A validated operation: the document to run, and whether it is a shared unnamed copy of a named
 * subscription (`shareNamedSubscriptions.ts`: it then runs without `operationName`).
 */
type Checked = { document: DocumentNode; unnamed: boolean; errors?: never } | { errors: readonly GraphQLError[]; document?: never; unnamed?: never };

/** Keeps a validation outcome under its text (when the document has one) and returns it. */
function remember(cache: LRUCache<string, Checked>, key: string | undefined, checked: Checked): Checked {
  if (key !== undefined) cache.set(key, checked);
  return checked;
}

/** What `onSubscribe` hands graphql-ws: its execution arguments, plus the client's own operation name for logs and audit. */
type ExecutionArgsWithName = { clientOperationName?: string };

type ConnectionExtra = GraphqlWsExtra & { principal: Principal | undefined; expiryTimer: NodeJS.Timeout | undefined; frames: FrameWriter | undefined };
type Ctx = Context<Record<string, unknown> | undefined, ConnectionExtra>;
/** Every connection's extra has one shape from the start. */
const connectionExtra = (socket: WebSocket, tcp: Socket): ConnectionExtra => ({ socket, tcp, principal: undefined, expiryTimer: undefined, frames: undefined });
type Outbound = Pick<OutboundQueue, 'send'>;

/**
 * graphql-ws on the gateway's HTTP server and path: subscriptions go to the federated subscription
 * executor, queries and mutations to the same pipeline as HTTP. Returns a disposer for draining.
 */
export function useGraphqlWs(options: GraphqlWsOptions): {
  dispose: () => Promise<void>;
  /** Calls back once every subscription message handed over so far is written to its socket (for metrics). */
  whenWritten: (callback: () => void) => void;
} {
  const { authenticate, authorizeSubscription, admit, maxPayload = WS_DEFAULT_MAX_PAYLOAD, maxOperationsPerSocket = Infinity, keepAliveMs = 12_000 } = options;
  // Compression stays off: subscription frames are written to the socket already framed (see
  // `outboundSocket`), which is only in order with ws's own writes while ws queues nothing itself.
  const wsServer = new WebSocketServer({ server: options.server, path: options.path, maxPayload, perMessageDeflate: false, WebSocket: FramedWebSocket });
  const heartbeat = createHeartbeat({ intervalMs: keepAliveMs });
  wsServer.on('connection', (socket: FramedWebSocket) => heartbeat.watch(socket));
  // A connection's subscription messages of one event loop turn go out in one socket write.
  const batcher = createFrameBatcher({ tail: CLOSE_BRACE });
  // One metrics call per event loop turn, not one per client per event.
  let delivered = 0;
  const flushDelivered = () => {
    const count = delivered;
    delivered = 0;
    try {
      options.onDelivered?.(count);
    } catch {
      // metrics must not break delivery
    }
  };
  const countDelivered = options.onDelivered
    ? (_bytes: number, messages: number) => {
        // A write of only a keep-alive ping delivers nothing: no turn's callback for it, per connection.
        if (messages === 0) return;
        if (delivered === 0) setImmediate(flushDelivered);
        delivered += messages;
      }
    : undefined;
  // graphql-ws hands `execute`/`subscribe` only the execution args: find the connection by its context.
  const connections = new WeakMap<object, Ctx>();
  const expire = (ctx: Ctx) => ctx.extra.socket.close(FORBIDDEN, 'token expired');
  /** A close reason within the 123 bytes a close frame carries. */
  const closeReason = (text: string) =>
    Buffer.byteLength(text) <= 123
      ? text
      : `${Buffer.from(text)
          .subarray(0, 120)
          .toString('utf8')
          .replace(/\uFFFD$/, '')}...`;
  const framesOf = (ctx: Ctx): FrameWriter => {
    if (ctx.extra.frames) return ctx.extra.frames;
    const websocket = ctx.extra.socket as FramedWebSocket;
    const outbound: Outbound = (websocket.outbound = createOutboundQueue({
      socket: outboundSocket(websocket, ctx.extra.tcp),
      ...options.outbound,
      onDelivered: countDelivered,
      onCutOff: (info) => {
        // Leave the groups now, not when the close handshake ends (which waits behind the backlog).
        // graphql-ws keeps each running subscription's stream under its id.
        for (const stream of Object.values(ctx.subscriptions)) if (stream instanceof ClientStream) void stream.return();
        options.onCutOff?.(info);
      },
    }));
    const frames = batcher.writer(outbound);
    websocket.batch = frames;
    return (ctx.extra.frames = frames);
  };
  // A subscription's document lives as long as the subscription (graphql-ws keeps it), and a dashboard
  // opens the same text thousands of times: clients sending the same text share one validated document
  // (with its tokens and locations, several KB) instead of holding a copy each.
  const checkedBySchema = new WeakMap<GraphQLSchema, LRUCache<string, Checked>>();
  const shareNamed = shareNamedSubscriptions(SHARED_DOCUMENTS);
  const checkedDocument = (schema: GraphQLSchema, document: DocumentNode, operationName: string | undefined): Checked => {
    const source = document.loc?.source.body;
    let cache = checkedBySchema.get(schema);
    if (!cache) checkedBySchema.set(schema, (cache = new LRUCache({ max: SHARED_DOCUMENTS })));
    const key = source === undefined ? undefined : `${operationName ?? ''}\n${source}`;
    const cached = key === undefined ? undefined : cache.get(key);
    if (cached) return cached;
    // A named subscription alone in its document, in a form another client's validation already passed:
    // the same validation would pass again (shareNamedSubscriptions.ts), so it is not run per client.
    const selected = resolveOperation(document, operationName);
    const form =
      !(selected instanceof GraphQLError) && selected.operation === OperationTypeNode.SUBSCRIPTION ? shareNamed.unnamedForm(document, selected) : undefined;
    const known = form?.whole ? shareNamed.known(schema, form.text) : undefined;
    if (known) return remember(cache, key, { document: known, unnamed: true });
    const errors = validate(schema, document);
    // The same rule and code as over HTTP: an operation that cannot be resolved is refused, never guessed.
    // Coded like the same refusal over HTTP (and the executor's own validation).
    if (errors.length)
      return remember(cache, key, { errors: errors.map((e) => new MeshError(ErrorCode.GRAPHQL_VALIDATION_FAILED, e.message, { nodes: e.nodes })) });
    if (selected instanceof GraphQLError) return remember(cache, key, { errors: [withoutHttpStatus(selected)] });
    // Named subscriptions that differ only in their names run one shared unnamed document.
    if (form) return remember(cache, key, { document: shareNamed.share(schema, form.text), unnamed: true });
    return remember(cache, key, { document, unnamed: false });
  };
  const cleanup = useGraphqlWsServer<Record<string, unknown> | undefined, ConnectionExtra>(
    {
      ...(authenticate && {
        onConnect: async (ctx: Ctx) => {
          try {
            const principal = await authenticate(ctx.connectionParams ?? undefined);
            ctx.extra.principal = principal;
            if (principal.expiresAt !== undefined) {
              ctx.extra.expiryTimer = setTimeout(() => expire(ctx), Math.min(Math.max(principal.expiresAt * 1000 - Date.now(), 0), MAX_TIMER_MS));
              ctx.extra.expiryTimer.unref();
            }
            return true;
          } catch (error) {
            // graphql-ws would close with a bare 4403 "Forbidden": say why, as HTTP's 401 does, or 1013
            // (try again later) when the signing keys cannot be fetched (the token may well be good).
            if ((error as Error).name === 'SigningKeysUnavailableError')
              ctx.extra.socket.close(TRY_AGAIN_LATER, 'the token signing keys are unavailable; retry later');
            else if ((error as Error).name === 'AuthenticationError') ctx.extra.socket.close(FORBIDDEN, closeReason(`Forbidden: ${(error as Error).message}`));
            return false;
          }
        },
        onClose: (ctx: Ctx) => clearTimeout(ctx.extra.expiryTimer),
        context: (ctx: Ctx) => {
          const context = { principal: ctx.extra.principal };
          connections.set(context, ctx);
          return context;
        },
      }),
      schema: () => {
        const schema = options.schema();
        if (!schema) throw new Error('the supergraph is not loaded yet');
        return schema;
      },
      onSubscribe: async (ctx: Ctx, _id, payload) => {
        // graphql-ws registers the operation in `ctx.subscriptions` before this hook: the others run.
        if (Object.keys(ctx.subscriptions).length - 1 >= maxOperationsPerSocket) {
          return [new MeshError(ErrorCode.MAX_SUBSCRIPTIONS_LIMIT, `This connection already runs ${maxOperationsPerSocket} operations; complete one first.`)];
        }
        if (!admit) return undefined;
        const schema = options.schema();
        if (!schema) return [new MeshError(ErrorCode.SERVICE_UNAVAILABLE, 'the supergraph is not loaded yet')];
        const admitted = await admit(payload, { principal: ctx.extra.principal, clientAddress: ctx.extra.tcp.remoteAddress }, schema);
        if (admitted instanceof GraphQLError) return [withoutHttpStatus(admitted)];
        const checked = checkedDocument(schema, admitted.document, payload.operationName ?? undefined);
        if (checked.errors) return checked.errors;
        if (!checked.unnamed) return { schema, document: checked.document, operationName: payload.operationName, variableValues: payload.variables };
        const args: ExecutionArgs & ExecutionArgsWithName = {
          schema,
          document: checked.document,
          variableValues: payload.variables,
          clientOperationName: payload.operationName ?? undefined,
        };
        return args;
      },
      execute: (args) =>
        options.executeOperation(
          {
            query: print(args.document),
            variables: args.variableValues ?? undefined,
            operationName: args.operationName ?? undefined,
          },
          args.contextValue,
        ),
      // graphql-ws serialises `errors` with GraphQLError#toJSON, but results of the HTTP pipeline carry
      // errors already formatted (plain objects): without this, a query answered with errors closes the
      // whole socket with 4500 instead of reaching the client.
      onNext: (_ctx, _id, _payload, _args, result) =>
        result.errors
          ? { ...result, errors: result.errors.map((error) => (typeof error.toJSON === 'function' ? error.toJSON() : (error as GraphQLFormattedError))) }
          : undefined,
      // A group's payload is encoded once (EventFrame); each client's `next` frame only differs in `id`,
      // so the client's id goes in front of the shared JSON bytes (never copied until the write), and the
      // connection's messages of the turn are written as one buffer through its bounded queue
      // (createFrameBatcher), instead of graphql-ws encoding and ws sending each one per client.
      // graphql-ws still iterates the stream (which then yields nothing) and sends `complete` when it ends.
      onOperation: (ctx: Ctx, id, _payload, _args, result) => {
        if (!(result instanceof ClientStream)) return undefined;
        result.deliverTo(new NextFrames(framesOf(ctx), nextHead(id)));
        return undefined;
      },
      subscribe: async (args) => {
        const executor = options.subscriptions();
        if (!executor) return { errors: [{ message: 'the supergraph is not loaded yet' }] } as unknown as ExecutionResult;
        const request: SubscriptionAuthRequest = {
          document: args.document,
          variables: args.variableValues ?? undefined,
          operationName: args.operationName ?? undefined,
          clientOperationName: (args as ExecutionArgsWithName).clientOperationName,
          context: args.contextValue,
        };
        if (!authorizeSubscription) return executor.subscribe(request);
        const ctx = connections.get(args.contextValue as object);
        return authorizeSubscription(
          request,
          (r) => executor.subscribe(r),
          () => ctx && expire(ctx),
        );
      },
    },
    wsServer,
    connectionExtra,
  );
  return {
    dispose: async () => {
      heartbeat.dispose();
      await cleanup.dispose();
    },
    whenWritten: (callback) => batcher.whenWritten(callback),
  };
}

/** Ids whose `next` message head is kept, shared by every subscription with that id. */
const SHARED_HEADS = 1024;
const heads = new Map<string, Buffer>();

/**
 * The start of a graphql-ws `next` message with subscription `id`, up to its payload. Clients number
 * their subscriptions alike ("1", "2", ...): one buffer per id, not one per subscription.
 */
function nextHead(id: string): Buffer {
  let head = heads.get(id);
  if (head) return head;
  head = Buffer.from(`{"id":${JSON.stringify(id)},"type":"next","payload":`);
  if (heads.size < SHARED_HEADS && id.length <= 16) heads.set(id, head);
  return head;
}

/** A subscription's frames as `next` messages on its connection's batch: a class, not a closure per subscription. */
class NextFrames implements FrameSink {
  constructor(
    private readonly frames: FrameWriter,
    private readonly head: Buffer,
  ) {}

  write(frame: EventFrame): void {
    this.frames.queue(this.head, frame.utf8);
  }
}

/**
 * A connection as its outbound queue sees it: the websocket for state and the closing handshake, the TCP
 * socket under it (the upgrade request's socket, which ws reads and writes) for the frames. Writing
 * frames beside ws keeps their order with ws's own messages because ws, without compression, writes
 * each message to that socket at once and queues nothing (test/gateway/subscriptions/fanout.test.ts).
 */
function outboundSocket(websocket: WebSocket, tcp: Socket): OutboundSocket {
  return new ConnectionSocket(websocket, tcp);
}

/** A class, not an object of closures: one per connection, its methods shared. */
class ConnectionSocket implements OutboundSocket {
  constructor(
    private readonly websocket: WebSocket,
    private readonly tcp: Socket,
  ) {}

  get open(): boolean {
    return this.websocket.readyState === WebSocket.OPEN;
  }

  get writableLength(): number {
    return this.tcp.writableLength;
  }

  write(frame: Uint8Array): void {
    this.tcp.write(frame);
  }

  close(code: number, reason: string): void {
    this.websocket.close(code, reason);
  }

  onFlushed(listener: () => void): void {
    if (this.tcp.destroyed) return listener();
    this.tcp.once('finish', listener);
    this.tcp.end();
  }

  destroy(): void {
    this.tcp.destroy();
  }
}
