/** A two-subgraph supergraph for the adapter tests: a subscription in `products`, an entity field (behind `@authenticated`) in `reviews`. */
import { composeSubgraphs } from '../../core/apollo/index.js';

const LINK = `extend schema @link(url: "https://specs.apollo.dev/federation/v2.6", import: ["@key", "@authenticated"])`;

export const PRODUCTS_SDL = `${LINK}
  type Product @key(fields: "id") { id: ID! name: String }
  type Query { product(id: ID!): Product }
  type Subscription { productChanged: Product }`;

export const REVIEWS_SDL = `${LINK}
  type Product @key(fields: "id") { id: ID! rating: Float @authenticated }`;

/** The composed supergraph (it links `@authenticated` `for: SECURITY`). */
export function composeFixture(): string {
  const composed = composeSubgraphs([
    { name: 'products', url: 'http://127.0.0.1:9/products', sdl: PRODUCTS_SDL },
    { name: 'reviews', url: 'http://127.0.0.1:9/reviews', sdl: REVIEWS_SDL },
  ]);
  if (!composed.ok) throw new Error(composed.report);
  return composed.supergraphSdl;
}
