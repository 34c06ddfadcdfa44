/**
 * A mesh for resume and failover tests: the `products` subgraph of the product mesh, and a `ledger`
 * subgraph whose subscriptions follow the cursor convention of our domains (`from: String` argument,
 * `cursor: String!` on the payload), served by one or more replicas backed by ONE in-test event log, so
 * a cursor issued by one replica resumes on another. `stockMovedLive` is the same stream without the
 * convention (no `from`), for checking that other fields are left alone.
 */
import { composeServices } from '@apollo/composition';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { parse, type GraphQLSchema } from 'graphql';
import { createCursorEventLog, type CursorEventLog, type LoggedEvent } from './cursorEventLog.js';
import { buildProductsSubgraph, productsTypeDefs } from './productMeshSubgraphs.js';
import { startSubgraphServer, type SubgraphServer } from './startSubgraphServer.js';

export interface LedgerEvent {
  productId: string;
  quantity: number;
}

export const ledgerTypeDefs = parse(`
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.6", import: ["@key"])
  type Product @key(fields: "id", resolvable: false) {
    id: ID!
  }
  type StockMoved {
    "Pass as \`from\` to resume after this event."
    cursor: String!
    quantity: Int!
    product: Product
  }
  type Subscription {
    stockMoved(productId: ID, from: String): StockMoved
    stockMovedLive(productId: ID): StockMoved
  }
`);

/** One subscribe the ledger saw: which replica, which field, with which arguments. */
export interface LedgerSubscribeCall {
  replica: number;
  field: string;
  args: Record<string, unknown>;
}

/**
 * When a `from` that cannot be replayed is refused: when the subscribe resolver runs (graphql-ws sends a
 * `next` without data, then `complete`, as our kit does), or on the stream's first pull (graphql-ws
 * sends an `error` message, as a lazily checking bus would).
 */
export type CursorRefusal = 'on-subscribe' | 'in-stream';

export function buildLedgerSubgraph(
  log: CursorEventLog<LedgerEvent>,
  onSubscribe: (field: string, args: Record<string, unknown>) => void,
  cursorRefusal: CursorRefusal = 'on-subscribe',
): GraphQLSchema {
  const subscribe = (field: string, withFrom: boolean) => (_: unknown, args: { productId?: string | null; from?: string | null }) => {
    onSubscribe(field, { ...args });
    const open = () => log.subscribe(withFrom ? args.from : undefined, (event) => args.productId == null || event.productId === args.productId);
    if (cursorRefusal === 'on-subscribe') return open();
    return (async function* inStream() {
      yield* open();
    })();
  };
  const resolve = ({ cursor, value }: LoggedEvent<LedgerEvent>) => ({
    cursor,
    quantity: value.quantity,
    product: { __typename: 'Product', id: value.productId },
  });
  return buildSubgraphSchema({
    typeDefs: ledgerTypeDefs,
    resolvers: {
      Subscription: {
        stockMoved: { subscribe: subscribe('stockMoved', true), resolve },
        stockMovedLive: { subscribe: subscribe('stockMovedLive', false), resolve },
      },
    },
  });
}

export interface LedgerMesh {
  supergraphSdl: string;
  products: SubgraphServer;
  /** The ledger's replicas; the supergraph names the first one's URL. */
  replicas: SubgraphServer[];
  log: CursorEventLog<LedgerEvent>;
  subscribeCalls: LedgerSubscribeCall[];
  /** Appends one event for product p1 per quantity in `from..to`; returns their cursors. */
  appendRange(from: number, to: number): string[];
  /** Index of the replica holding an open websocket (-1 if none). */
  connectedReplica(): number;
  /** Drops the replica's websockets without a close frame, as a crash would, and stops it. */
  crash(replica: number): Promise<void>;
  /** Stops the replica the orderly way: websockets are closed with 1001 (Going away). */
  stop(replica: number): Promise<void>;
  /** Starts the replica again on the port it had. */
  restart(replica: number): Promise<void>;
  close(): Promise<void>;
}

export function composeLedgerMesh(products: { url: string }, ledger: { url: string }): string {
  const composition = composeServices([
    { name: 'products', url: products.url, typeDefs: productsTypeDefs },
    { name: 'ledger', url: ledger.url, typeDefs: ledgerTypeDefs },
  ]);
  if (composition.errors) throw new Error(`Composition failed: ${composition.errors.map((e) => e.message).join('; ')}`);
  return composition.supergraphSdl;
}

export interface StartLedgerMeshOptions {
  /** Ledger replicas to start. @default 1 */
  replicas?: number;
  /** @default 'on-subscribe' */
  cursorRefusal?: CursorRefusal;
}

export async function startLedgerMesh({ replicas: replicaCount = 1, cursorRefusal }: StartLedgerMeshOptions = {}): Promise<LedgerMesh> {
  const log = createCursorEventLog<LedgerEvent>();
  const subscribeCalls: LedgerSubscribeCall[] = [];
  const startReplica = (replica: number, port?: number) =>
    startSubgraphServer(
      buildLedgerSubgraph(log, (field, args) => subscribeCalls.push({ replica, field, args }), cursorRefusal),
      { port },
    );
  const products = await startSubgraphServer(buildProductsSubgraph());
  const replicas: SubgraphServer[] = [];
  for (let replica = 0; replica < replicaCount; replica += 1) replicas.push(await startReplica(replica));

  return {
    supergraphSdl: composeLedgerMesh(products, replicas[0]),
    products,
    replicas,
    log,
    subscribeCalls,
    appendRange(from, to) {
      const cursors: string[] = [];
      for (let quantity = from; quantity <= to; quantity += 1) cursors.push(log.append({ productId: 'p1', quantity }));
      return cursors;
    },
    connectedReplica: () => replicas.findIndex((server) => server.openSockets > 0),
    async crash(replica) {
      replicas[replica].terminateSockets();
      await replicas[replica].close();
    },
    stop: (replica) => replicas[replica].close(),
    async restart(replica) {
      replicas[replica] = await startReplica(replica, replicas[replica].port);
    },
    async close() {
      await Promise.all([products, ...replicas].map((server) => server.close()));
    },
  };
}
