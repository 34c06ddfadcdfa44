import type { DocumentNode } from 'graphql';
import { z } from 'zod';
import { DateTime, badInput, defineDataProduct, type DataProductRuntime, type ProductContext, type StateRow } from '../kit/essentials.js';

/** Highest list price: the same bound as an order's unit price. */
export const MAX_LIST_PRICE = 1_000_000;

const productKey = z.string().min(1, 'must not be empty').max(128, 'must be at most 128 characters');
const price = z.number().positive('must be greater than 0').max(MAX_LIST_PRICE, `must be at most ${MAX_LIST_PRICE}`);

/** Catalog facts: a product listed (or relisted with new data) and a price change. */
export const catalogFacts = {
  ProductListed: z.object({
    productId: productKey,
    name: z.string().min(1, 'must not be empty').max(200, 'must be at most 200 characters'),
    category: z.string().min(1, 'must not be empty').max(100, 'must be at most 100 characters'),
    price,
  }),
  ProductPriceChanged: z.object({ productId: productKey, price }),
};

const MAX_PAGE = 100;
const encodeCursor = (key: string) => Buffer.from(`product:${key}`).toString('base64url');
function decodeCursor(cursor: string): string {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!text.startsWith('product:')) throw badInput(`after: "${cursor}" is not a cursor of products`, 'after');
  return text.slice('product:'.length);
}
const productEntity = (row: StateRow | null) => (row ? { id: row.key, ...row.value, updatedAt: row.updatedAt } : null);

/** The catalog data product: the product master other domains join to, with its price history. */
export function catalogProduct(typeDefs: DocumentNode) {
  return defineDataProduct({
    typeDefs,
    descriptor: {
      id: 'catalog.products',
      name: 'Product catalog',
      domain: 'catalog',
      version: '1.0.0',
      status: 'active',
      description: {
        purpose: 'The products on sale, their category and list price; the key every other domain joins on.',
        usage: 'Query products (cursor-paginated) or product(id); other subgraphs extend Product.',
      },
      owner: { team: 'Catalog', contact: 'catalog-team@example.com' },
      slos: { freshnessSeconds: 86_400, availability: 0.999, retentionDays: 3650, queryLatencyP99Ms: 100 },
      tags: ['master-data'],
    },
    facts: catalogFacts,
    rollups: {
      price_changes: {
        dimensions: ['product_id'],
        measures: { changes: 'count', average_price: 'avg', lowest_price: 'min', highest_price: 'max' },
        contributions: {
          ProductListed: (p) => ({ dims: { product_id: p.productId }, values: { average_price: p.price, lowest_price: p.price, highest_price: p.price } }),
          ProductPriceChanged: (p) => ({
            dims: { product_id: p.productId },
            values: { changes: 1, average_price: p.price, lowest_price: p.price, highest_price: p.price },
          }),
        },
      },
    },
    states: {
      product: {
        reducers: {
          ProductListed: { key: (p) => p.productId, reduce: (_previous, p) => ({ name: p.name, category: p.category, price: p.price }) },
          ProductPriceChanged: { key: (p) => p.productId, reduce: (previous, p) => ({ ...previous, price: p.price }) },
        },
      },
    },
    resolvers: (product: DataProductRuntime) => ({
      DateTime,
      Query: {
        products: async (_: unknown, args: { first?: number | null; after?: string | null; category?: string | null }) => {
          const first = args.first ?? 20;
          if (first < 0 || first > MAX_PAGE) throw badInput(`first must be between 0 and ${MAX_PAGE}; got ${first}`, 'first');
          const rows = await product.listStates({
            state: 'product',
            afterKey: args.after ? decodeCursor(args.after) : undefined,
            limit: first + 1,
            where: args.category ? { category: args.category } : undefined,
          });
          const page = rows.slice(0, first);
          return {
            edges: page.map((row) => ({ cursor: encodeCursor(row.key), node: productEntity(row) })),
            pageInfo: { hasNextPage: rows.length > first, endCursor: page.length ? encodeCursor(page[page.length - 1].key) : null },
          };
        },
        product: async (_: unknown, { id }: { id: string }, context: ProductContext) => productEntity(await product.stateLoader(context, 'product').load(id)),
        categories: async () => {
          const rows = await product.listStates({ state: 'product', limit: 10_000 });
          return [...new Set(rows.map((r) => String(r.value.category)))].sort();
        },
      },
      Product: {
        __resolveReference: async (ref: { id: string }, context: ProductContext) => productEntity(await product.stateLoader(context, 'product').load(ref.id)),
      },
    }),
  });
}
