/**
 * Three tiny federation subgraphs for subscription tests, in the shape of a data mesh:
 * - `products` owns `Product.name` and `Query.product`;
 * - `inventory` owns `Product.stock`, resolving references in DataLoader batches it records, and fails
 *   for the product id `broken`;
 * - `prices` owns `Subscription.priceChanged(id)`, whose events reference products by key only; it
 *   refuses the id `forbidden` at subscribe time.
 * `startProductMesh` serves all three on loopback and composes the supergraph with @apollo/composition.
 */
import { composeServices } from '@apollo/composition';
import { buildSubgraphSchema } from '@apollo/subgraph';
import DataLoader from 'dataloader';
import { GraphQLError, parse, type GraphQLSchema } from 'graphql';
import { createEventFeed, type EventFeed } from './eventFeed.js';
import { startSubgraphServer, type SubgraphServer } from './startSubgraphServer.js';

export interface PriceEvent {
  productId: string;
  price: number;
  /** Products sold together with this one (a list of entity references, resolved in one batch). */
  bundleIds?: string[];
}

const PRODUCT_NAMES: Record<string, string> = { p1: 'Kettle', p2: 'Toaster', p3: 'Blender', broken: 'Broken thing' };

export const productsTypeDefs = parse(`
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.6", import: ["@key"])
  type Product @key(fields: "id") {
    id: ID!
    name: String
  }
  type Query {
    product(id: ID!): Product
  }
`);

export const inventoryTypeDefs = parse(`
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.6", import: ["@key"])
  type Product @key(fields: "id") {
    id: ID!
    stock: Int
  }
`);

export const pricesTypeDefs = parse(`
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.6", import: ["@key"])
  type Product @key(fields: "id", resolvable: false) {
    id: ID!
  }
  type PriceEvent {
    price: Float
    currency: String
    product: Product
    bundle: [Product]
  }
  type Subscription {
    priceChanged(id: ID): PriceEvent
  }
`);

export function buildProductsSubgraph(): GraphQLSchema {
  const product = (id: string) => (id in PRODUCT_NAMES ? { id, name: PRODUCT_NAMES[id] } : null);
  return buildSubgraphSchema({
    typeDefs: productsTypeDefs,
    resolvers: {
      Query: { product: (_: unknown, { id }: { id: string }) => product(id) },
      Product: { __resolveReference: ({ id }: { id: string }) => product(id) },
    },
  });
}

/** What the inventory subgraph saw: one entry per DataLoader batch, listing the product ids in it. */
export interface InventoryLog {
  batches: string[][];
}

export function buildInventorySubgraph(): GraphQLSchema {
  return buildSubgraphSchema({
    typeDefs: inventoryTypeDefs,
    resolvers: {
      Product: {
        __resolveReference: async ({ id }: { id: string }, context: { stock: DataLoader<string, number> }) => ({
          id,
          stock: await context.stock.load(id),
        }),
      },
    },
  });
}

/** A per-request DataLoader for inventory: one batch per entity fetch, failing for `broken`. */
export function inventoryContext(log: InventoryLog): () => Record<string, unknown> {
  return () => ({
    stock: new DataLoader<string, number>(async (ids) => {
      log.batches.push([...ids]);
      return ids.map((id) => (id === 'broken' ? new Error(`stock unavailable for ${id}`) : id.length * 10));
    }),
  });
}

export function buildPricesSubgraph(feed: EventFeed<PriceEvent>): GraphQLSchema {
  return buildSubgraphSchema({
    typeDefs: pricesTypeDefs,
    resolvers: {
      Subscription: {
        priceChanged: {
          subscribe: (_: unknown, args: { id?: string | null }) => {
            if (args.id === 'forbidden') throw new GraphQLError('No price feed for product forbidden');
            return feed.subscribe((event) => args.id == null || event.productId === args.id, args);
          },
          resolve: (event: PriceEvent) => ({
            price: event.price,
            currency: 'EUR',
            product: { __typename: 'Product', id: event.productId },
            bundle: event.bundleIds?.map((id) => ({ __typename: 'Product', id })),
          }),
        },
      },
    },
  });
}

export interface ProductMesh {
  supergraphSdl: string;
  servers: { products: SubgraphServer; inventory: SubgraphServer; prices: SubgraphServer };
  feed: EventFeed<PriceEvent>;
  inventoryLog: InventoryLog;
  /**
   * Stops the prices subgraph and starts a new one on the same port, sharing the same feed. `abrupt`
   * drops its websockets without a close frame (a crash) instead of closing them with 1001.
   */
  restartPrices(options?: { abrupt?: boolean }): Promise<void>;
  close(): Promise<void>;
}

const TYPE_DEFS = { products: productsTypeDefs, inventory: inventoryTypeDefs, prices: pricesTypeDefs };
type SubgraphName = keyof typeof TYPE_DEFS;

/** Composes the supergraph of the named subgraphs (all three by default) served at `servers`. */
export function composeProductMesh(servers: Record<SubgraphName, { url: string }>, names: SubgraphName[] = ['products', 'inventory', 'prices']): string {
  const composition = composeServices(names.map((name) => ({ name, url: servers[name].url, typeDefs: TYPE_DEFS[name] })));
  if (composition.errors) {
    throw new Error(`Composition failed: ${composition.errors.map((error) => error.message).join('; ')}`);
  }
  return composition.supergraphSdl;
}

export async function startProductMesh(): Promise<ProductMesh> {
  const feed = createEventFeed<PriceEvent>();
  const inventoryLog: InventoryLog = { batches: [] };
  const servers = {
    products: await startSubgraphServer(buildProductsSubgraph()),
    inventory: await startSubgraphServer(buildInventorySubgraph(), {
      context: inventoryContext(inventoryLog),
    }),
    prices: await startSubgraphServer(buildPricesSubgraph(feed)),
  };
  return {
    supergraphSdl: composeProductMesh(servers),
    servers,
    feed,
    inventoryLog,
    async restartPrices({ abrupt = false } = {}) {
      const port = servers.prices.port;
      if (abrupt) servers.prices.terminateSockets();
      await servers.prices.close();
      servers.prices = await startSubgraphServer(buildPricesSubgraph(feed), { port });
    },
    async close() {
      await Promise.all(Object.values(servers).map((server) => server.close()));
    },
  };
}
