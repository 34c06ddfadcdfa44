/**
 * Hive Router's batched `_entities` fetches (gateway/engine/executePlan.ts `fetchBatch`) when part of a
 * batch fails, through our gateway (`MESH_QUERY_PLANNER=hive`) over loopback HTTP on two real subgraphs:
 * a subgraph that fails one list as a whole (a `__resolveReference` that throws) loses only the entities of
 * the plan path it failed at, as @apollo/gateway's plan (one fetch per path) would; an entity failing
 * alone costs only that entity, without a second request.
 */
import { buildSubgraphSchema } from '@apollo/subgraph';
import { parse } from 'graphql';
import { startGateway, type RunningGateway } from '../../../gateway/index.js';
import { waitFor } from '../../support/asyncWait.js';
import { startSubgraphServer, type SubgraphServer } from '../../support/startSubgraphServer.js';
import { testGatewayConfig } from '../../support/testGatewayConfig.js';

const LINK = 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])';
const PRODUCTS = ['p1', 'p2', 'p3', 'bad', 'late'].map((upc) => ({ upc }));

const products = buildSubgraphSchema({
  typeDefs: parse(`${LINK}
    type Product @key(fields: "upc") { upc: String! }
    type Query { products(upcs: [String!]!): [Product] featured(upc: String!): Product }
  `),
  resolvers: {
    Query: {
      products: (_: unknown, { upcs }: { upcs: string[] }) => upcs.map((upc) => PRODUCTS.find((p) => p.upc === upc) ?? null),
      featured: (_: unknown, { upc }: { upc: string }) => PRODUCTS.find((p) => p.upc === upc) ?? null,
    },
  },
});

const inventory = buildSubgraphSchema({
  typeDefs: parse(`${LINK}
    type Product @key(fields: "upc") { upc: String! stock: Int }
  `),
  resolvers: {
    Product: {
      // A synchronous throw fails the whole `_entities` list (and with it `data`); a rejected promise only its item.
      __resolveReference: (reference: { upc: string }) => {
        if (reference.upc === 'bad') throw new Error('no stock for bad');
        if (reference.upc === 'late') return Promise.reject(new Error('no stock for late'));
        return reference;
      },
      stock: ({ upc }: { upc: string }) => upc.length * 10 + Number(upc.slice(1)),
    },
  },
});

interface Answer {
  data?: Record<string, unknown> | null;
  errors?: Array<{ message: string; path?: Array<string | number>; extensions?: { code?: string; serviceName?: string } }>;
}

let subgraphs: SubgraphServer[];
let gateway: RunningGateway;
let inventoryRequests = 0;

beforeAll(async () => {
  subgraphs = [
    await startSubgraphServer(products),
    await startSubgraphServer(inventory, {
      context: () => {
        inventoryRequests += 1;
        return {};
      },
    }),
  ];
  gateway = await startGateway({
    config: testGatewayConfig(
      [
        { name: 'products', url: subgraphs[0].url },
        { name: 'inventory', url: subgraphs[1].url },
      ],
      { queryEngine: 'mesh', queryPlanner: 'hive' },
    ),
    log: () => undefined,
  });
  await waitFor(() => gateway.supergraph() != null, 'the supergraph');
}, 30_000);

afterAll(async () => {
  await gateway?.close();
  for (const server of subgraphs ?? []) await server.close();
});

async function query(text: string): Promise<{ answer: Answer; inventoryRequests: number }> {
  const before = inventoryRequests;
  const response = await fetch(gateway.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: text }) });
  const answer = (await response.json()) as Answer;
  return { answer, inventoryRequests: inventoryRequests - before };
}

const errorsOf = (answer: Answer) =>
  (answer.errors ?? [])
    .map((e) => ({ message: e.message, path: e.path, serviceName: e.extensions?.serviceName }))
    .sort((a, b) => a.message.localeCompare(b.message));

describe('a batched entity fetch with a failure (Hive Router planner)', () => {
  it('should send the entities of every path in one request when nothing fails', async () => {
    const { answer, inventoryRequests } = await query('{ products(upcs: ["p1", "p2"]) { upc stock } featured(upc: "p3") { upc stock } }');
    expect(answer).toEqual({
      data: {
        products: [
          { upc: 'p1', stock: 21 },
          { upc: 'p2', stock: 22 },
        ],
        featured: { upc: 'p3', stock: 23 },
      },
    });
    expect(inventoryRequests).toBe(1);
  });

  it('should keep the entities of the other paths when the subgraph fails the list of the batch as a whole', async () => {
    const { answer, inventoryRequests } = await query('{ products(upcs: ["p1", "p2"]) { upc stock } featured(upc: "bad") { upc stock } }');
    expect(answer.data).toEqual({
      products: [
        { upc: 'p1', stock: 21 },
        { upc: 'p2', stock: 22 },
      ],
      featured: { upc: 'bad', stock: null },
    });
    expect(errorsOf(answer)).toEqual([{ message: 'no stock for bad', path: ['featured', '_entities'], serviceName: 'inventory' }]);
    // The batch, then each of its two paths alone.
    expect(inventoryRequests).toBe(3);
  });

  it('should lose the whole path the failing entity is in, as a fetch of that path alone would', async () => {
    const { answer } = await query('{ products(upcs: ["p1", "bad"]) { upc stock } featured(upc: "p3") { upc stock } }');
    expect(answer.data).toEqual({
      products: [
        { upc: 'p1', stock: null },
        { upc: 'bad', stock: null },
      ],
      featured: { upc: 'p3', stock: 23 },
    });
    expect(errorsOf(answer)).toEqual([{ message: 'no stock for bad', path: ['products', '@', '_entities'], serviceName: 'inventory' }]);
  });

  it('should null only an entity that fails alone, with its error at its path, in one request', async () => {
    const { answer, inventoryRequests } = await query('{ products(upcs: ["p1", "late"]) { upc stock } featured(upc: "p3") { upc stock } }');
    expect(answer.data).toEqual({
      products: [
        { upc: 'p1', stock: 21 },
        { upc: 'late', stock: null },
      ],
      featured: { upc: 'p3', stock: 23 },
    });
    expect(errorsOf(answer)).toEqual([{ message: 'no stock for late', path: ['products', 1], serviceName: 'inventory' }]);
    expect(inventoryRequests).toBe(1);
  });
});
