/**
 * The four subgraphs of the gateway benchmark (bench/gateway.ts), in the shape of the public
 * graphql-gateways-benchmark: accounts (users), inventory (stock, shipping estimate `@requires` price
 * and weight), products (top products) and reviews (reviews of users and products, `@provides` the
 * author's username). Fixed, generated data. Each is served by a minimal HTTP server (graphql-js
 * `execute` over a schema from @apollo/subgraph, documents parsed and validated once per text), so the
 * subgraphs cost the load-generator core little and the gateway is what the benchmark measures.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { composeServices } from '@apollo/composition';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { execute, parse, validate, type DocumentNode, type GraphQLSchema } from 'graphql';

const LINK = `extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key", "@shareable", "@external", "@requires", "@provides"])`;

/** How much data: tuned so the heavy query's response is about 70 KB. */
const USERS = 8;
const PRODUCTS = 9;
const REVIEWS_PER_USER = 3;

interface User {
  id: string;
  name: string;
  username: string;
  birthday: number;
}
interface Product {
  upc: string;
  name: string;
  price: number;
  weight: number;
}
interface Review {
  id: string;
  body: string;
  authorId: string;
  upc: string;
}

const users: User[] = Array.from({ length: USERS }, (_, i) => ({
  id: String(i + 1),
  name: `User Number ${i + 1}`,
  username: `user${i + 1}`,
  birthday: 631152000 + i * 86_400,
}));
const products: Product[] = Array.from({ length: PRODUCTS }, (_, i) => ({
  upc: String(i + 1),
  name: `Product ${i + 1}`,
  price: 100 + i * 7,
  weight: 10 + (i % 4) * 5,
}));
const reviews: Review[] = users.flatMap((user, u) =>
  Array.from({ length: REVIEWS_PER_USER }, (_, r) => ({
    id: `${user.id}-${r + 1}`,
    body: `Review ${r + 1} of user ${user.id}: a few words about the product, enough to look like a real review.`,
    authorId: user.id,
    upc: products[(u * REVIEWS_PER_USER + r) % PRODUCTS].upc,
  })),
);

const SDL = {
  accounts: `${LINK}
    type User @key(fields: "id") { id: ID! name: String username: String @shareable birthday: Int }
    type Query { me: User user(id: ID!): User users: [User] }`,
  inventory: `${LINK}
    type Product @key(fields: "upc") {
      upc: String!
      weight: Int @external
      price: Int @external
      inStock: Boolean
      shippingEstimate: Int @requires(fields: "price weight")
    }`,
  products: `${LINK}
    type Product @key(fields: "upc") { upc: String! name: String price: Int weight: Int }
    type Query { topProducts(first: Int = 5): [Product] }`,
  reviews: `${LINK}
    type Review @key(fields: "id") { id: ID! body: String product: Product author: User @provides(fields: "username") }
    type User @key(fields: "id") { id: ID! username: String @external reviews: [Review] }
    type Product @key(fields: "upc") { upc: String! reviews: [Review] }`,
} as const;

export type BenchSubgraphName = keyof typeof SDL;

const byId = <T, K extends keyof T>(rows: T[], key: K) => new Map(rows.map((row) => [row[key], row]));
const userById = byId(users, 'id');
const productByUpc = byId(products, 'upc');

function buildSchemas(): Record<BenchSubgraphName, GraphQLSchema> {
  // Resolver maps typed loosely: @apollo/subgraph's own map type is not exported from its entry point.
  const build = (name: BenchSubgraphName, resolvers: Record<string, Record<string, unknown>>) =>
    buildSubgraphSchema({ typeDefs: parse(SDL[name]), resolvers: resolvers as never });
  return {
    accounts: build('accounts', {
      Query: { me: () => users[0], user: (_: unknown, { id }: { id: string }) => userById.get(id) ?? null, users: () => users },
      User: { __resolveReference: ({ id }: { id: string }) => userById.get(id) ?? null },
    }),
    inventory: build('inventory', {
      Product: {
        __resolveReference: (reference: { upc: string; price?: number; weight?: number }) => reference,
        inStock: ({ upc }: { upc: string }) => Number(upc) % 3 !== 0,
        shippingEstimate: ({ price, weight }: { price?: number; weight?: number }) =>
          price != null && weight != null ? Math.round(price / 10 + weight / 2) : null,
      },
    }),
    products: build('products', {
      Query: { topProducts: (_: unknown, { first }: { first: number }) => products.slice(0, first) },
      Product: { __resolveReference: ({ upc }: { upc: string }) => productByUpc.get(upc) ?? null },
    }),
    reviews: build('reviews', {
      Review: {
        __resolveReference: ({ id }: { id: string }) => reviews.find((r) => r.id === id) ?? null,
        author: (review: Review) => ({ id: review.authorId, username: userById.get(review.authorId)?.username ?? null }),
        product: (review: Review) => ({ upc: review.upc }),
      },
      User: { reviews: ({ id }: { id: string }) => reviews.filter((r) => r.authorId === id) },
      Product: { reviews: ({ upc }: { upc: string }) => reviews.filter((r) => r.upc === upc) },
    }),
  };
}

/** The running subgraphs. */
export interface BenchSubgraphs {
  urls: Record<BenchSubgraphName, string>;
  /** HTTP requests served per subgraph since start. */
  requests(): Record<BenchSubgraphName, number>;
  close(): Promise<void>;
}

/** Serves one schema: POST JSON `{ query, variables, operationName }`, documents cached by text. */
function serve(schema: GraphQLSchema, onRequest: () => void): Promise<http.Server> {
  const documents = new Map<string, DocumentNode | { errors: readonly { message: string }[] }>();
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      onRequest();
      void (async () => {
        const { query, variables, operationName } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
          query: string;
          variables?: Record<string, unknown>;
          operationName?: string;
        };
        let document = documents.get(query);
        if (!document) {
          const parsed = parse(query);
          const errors = validate(schema, parsed);
          document = errors.length ? { errors } : parsed;
          documents.set(query, document);
        }
        const result = 'kind' in document ? await execute({ schema, document, variableValues: variables, operationName }) : { errors: document.errors };
        const body = JSON.stringify(result);
        response.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
        response.end(body);
      })().catch((error: unknown) => {
        response.writeHead(400, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ errors: [{ message: (error as Error).message }] }));
      });
    });
  });
  server.keepAliveTimeout = 60_000;
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

export async function startBenchSubgraphs(): Promise<BenchSubgraphs> {
  const schemas = buildSchemas();
  const counts = { accounts: 0, inventory: 0, products: 0, reviews: 0 };
  const servers = {} as Record<BenchSubgraphName, http.Server>;
  for (const name of Object.keys(schemas) as BenchSubgraphName[]) servers[name] = await serve(schemas[name], () => void (counts[name] += 1));
  const urls = Object.fromEntries(
    Object.entries(servers).map(([name, server]) => [name, `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`]),
  ) as Record<BenchSubgraphName, string>;
  return {
    urls,
    requests: () => ({ ...counts }),
    close: async () => {
      await Promise.all(
        Object.values(servers).map((server) => {
          server.closeAllConnections();
          return new Promise<void>((resolve) => server.close(() => resolve()));
        }),
      );
    },
  };
}

/** The supergraph of the four subgraphs at `urls` (@apollo/composition). */
export function composeBenchSupergraph(urls: Record<BenchSubgraphName, string>): string {
  const result = composeServices((Object.keys(SDL) as BenchSubgraphName[]).map((name) => ({ name, url: urls[name], typeDefs: parse(SDL[name]) })));
  if (result.errors?.length) throw new Error(`bench supergraph does not compose: ${result.errors.map((e) => e.message).join('; ')}`);
  return result.supergraphSdl!;
}

/** The benchmark's heavy nested query (the public benchmark's shape): ~7 subgraph fetches. */
export const HEAVY_QUERY = `
fragment User on User { id username name }
fragment Review on Review { id body }
fragment Product on Product { inStock name price shippingEstimate upc weight }
query TestQuery {
  users { ...User reviews { ...Review product { ...Product reviews { ...Review author { ...User reviews { ...Review product { ...Product } } } } } } }
  topProducts { ...Product reviews { ...Review author { ...User reviews { ...Review product { ...Product } } } } }
}`;

/** A small query answered by one subgraph. */
export const SMALL_QUERY = 'query Small { topProducts { upc name price weight } }';
