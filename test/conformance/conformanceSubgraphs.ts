/**
 * Six small federation subgraphs with fixed data for the differential conformance test
 * (test/conformance/conformanceSuite.ts). Together they use the Federation v2 features a gateway must
 * execute exactly like @apollo/gateway: entities resolved across subgraphs, `@requires`/`@provides`,
 * `@shareable`, `@override`, interface entities with `@interfaceObject`, unions across subgraphs, nested
 * lists, and failures at every level (a resolver that throws, a null for a non-null field, a missing
 * entity, an entity fetch that throws). Mutations echo and never store: every run sees the same data.
 */
import { buildSubgraphSchema } from '@apollo/subgraph';
import { GraphQLError, parse, type GraphQLSchema } from 'graphql';

const LINK = `extend schema @link(url: "https://specs.apollo.dev/federation/v2.6", import: ["@key", "@shareable", "@external", "@requires", "@provides", "@override", "@interfaceObject"])`;

interface UserRow {
  id: string;
  name: string;
  username: string;
  email: string | null;
  nickname: string | null;
  friendIds: string[];
}
const USERS: UserRow[] = [
  { id: 'u1', name: 'Ada', username: 'ada', email: 'ada@example.com', nickname: 'A', friendIds: ['u2', 'u3'] },
  { id: 'u2', name: 'Brian', username: 'brian', email: null, nickname: 'B', friendIds: ['u1'] },
  // A null for the non-null `nickname`: the error propagates to the nearest nullable parent.
  { id: 'u3', name: 'Cleo', username: 'cleo', email: 'cleo@example.com', nickname: null, friendIds: [] },
  // A friend that does not exist: a null item in a list of nullable items.
  { id: 'u4', name: 'Dan', username: 'dan', email: null, nickname: 'D', friendIds: ['u1', 'u404'] },
];
const userById = (id: string) => USERS.find((u) => u.id === id) ?? null;

export const accountsSdl = `${LINK}
  type User @key(fields: "id") {
    id: ID!
    name: String!
    username: String @shareable
    email: String
    nickname: String!
    secret: String
    friends: [User]!
    bestFriend: User
  }
  input UserInput { id: ID!, name: String!, email: String }
  type Query {
    me: User
    user(id: ID!): User
    users: [User!]!
    usersByIds(ids: [ID!]!): [User]!
    failingUser: User
    requiredUser: User!
  }
  type Mutation {
    updateUser(input: UserInput!): User
    failingMutation: Boolean
    echo(value: String): String
  }
`;

function buildAccounts(): GraphQLSchema {
  return buildSubgraphSchema({
    typeDefs: parse(accountsSdl),
    resolvers: {
      Query: {
        me: () => userById('u1'),
        user: (_: unknown, { id }: { id: string }) => userById(id),
        users: () => USERS,
        usersByIds: (_: unknown, { ids }: { ids: string[] }) => ids.map(userById),
        failingUser: () => {
          throw new GraphQLError('accounts: the failing user always fails', { extensions: { code: 'ACCOUNTS_DOWN' } });
        },
        requiredUser: () => null,
      },
      Mutation: {
        updateUser: (_: unknown, { input }: { input: { id: string; name: string; email?: string | null } }) => {
          const user = userById(input.id);
          return user && { ...user, name: input.name, email: input.email === undefined ? user.email : input.email };
        },
        failingMutation: () => {
          throw new Error('accounts: this mutation always fails');
        },
        echo: (_: unknown, { value }: { value?: string | null }) => value ?? null,
      },
      User: {
        __resolveReference: ({ id }: { id: string }) => userById(id),
        secret: (user: UserRow) => {
          if (user.id === 'u2') throw new Error(`accounts: the secret of ${user.id} is sealed`);
          return `s-${user.id}`;
        },
        friends: (user: UserRow) => user.friendIds.map(userById),
        bestFriend: (user: UserRow) => (user.friendIds[0] ? userById(user.friendIds[0]) : null),
      },
    },
  });
}

interface ProductRow {
  upc: string;
  name: string;
  price: number;
  weight: number | null;
  category: 'KITCHEN' | 'GARDEN' | 'BOOKS';
  tags: string[] | null;
  dimensions: Array<number[] | null> | null;
  relatedUpcs: string[];
  createdBy: string | null;
}
const PRODUCTS: ProductRow[] = [
  {
    upc: 'p1',
    name: 'Kettle',
    price: 30,
    weight: 2,
    category: 'KITCHEN',
    tags: ['hot', 'steel'],
    dimensions: [[20, 15], [1]],
    relatedUpcs: ['p2'],
    createdBy: 'u1',
  },
  {
    upc: 'p2',
    name: 'Toaster',
    price: 45,
    weight: null,
    category: 'KITCHEN',
    tags: null,
    dimensions: [[30, 20, 18]],
    relatedUpcs: ['p1', 'p404'],
    createdBy: 'u2',
  },
  { upc: 'p3', name: 'Rake', price: 12, weight: 1, category: 'GARDEN', tags: [], dimensions: null, relatedUpcs: [], createdBy: 'u404' },
  {
    upc: 'p4',
    name: 'Atlas',
    price: 60,
    weight: 3,
    category: 'BOOKS',
    tags: ['maps'],
    dimensions: [null, [30, 40]],
    relatedUpcs: ['p3', 'p5'],
    createdBy: null,
  },
  // Only by `product(upc:)`: its inventory entity fetch throws.
  { upc: 'p5', name: 'Lamp', price: 25, weight: 1, category: 'KITCHEN', tags: ['light'], dimensions: [], relatedUpcs: [], createdBy: 'u3' },
];
const productByUpc = (upc: string) => PRODUCTS.find((p) => p.upc === upc) ?? null;
const TOP_PRODUCTS = PRODUCTS.slice(0, 4);

export const productsSdl = `${LINK}
  enum Category { KITCHEN GARDEN BOOKS }
  input ProductFilter { category: Category, maxPrice: Int }
  type Product @key(fields: "upc") {
    upc: String!
    name: String!
    price: Int!
    weight: Int
    category: Category!
    tags: [String!]
    dimensions: [[Int!]]
    stockCount: Int
    warranty: String!
    related: [Product]!
    createdBy: User
  }
  type User @key(fields: "id", resolvable: false) {
    id: ID!
  }
  type Query {
    topProducts(first: Int = 5, filter: ProductFilter): [Product!]!
    product(upc: String!): Product
  }
`;

function buildProducts(): GraphQLSchema {
  return buildSubgraphSchema({
    typeDefs: parse(productsSdl),
    resolvers: {
      Query: {
        topProducts: (_: unknown, { first, filter }: { first: number; filter?: { category?: string; maxPrice?: number } | null }) =>
          TOP_PRODUCTS.filter((p) => (!filter?.category || p.category === filter.category) && (filter?.maxPrice == null || p.price <= filter.maxPrice)).slice(
            0,
            first,
          ),
        product: (_: unknown, { upc }: { upc: string }) => productByUpc(upc),
      },
      Product: {
        __resolveReference: ({ upc }: { upc: string }) => productByUpc(upc),
        // Overridden by inventory: a value that shows if a gateway ever asks the wrong subgraph.
        stockCount: () => -1,
        warranty: (product: ProductRow) => {
          if (product.upc === 'p4') throw new Error('products: no warranty data for p4');
          return `${product.upc}-2y`;
        },
        related: (product: ProductRow) => product.relatedUpcs.map(productByUpc),
        createdBy: (product: ProductRow) => (product.createdBy ? { id: product.createdBy } : null),
      },
    },
  });
}

const STOCK: Record<string, number> = { p1: 5, p2: 0, p3: 12, p4: 1, p5: 3 };

export const inventorySdl = `${LINK}
  type Product @key(fields: "upc") {
    upc: String!
    price: Int! @external
    weight: Int @external
    inStock: Boolean!
    stockCount: Int @override(from: "products")
    shippingEstimate: Int @requires(fields: "price weight")
    warehouse: Warehouse
  }
  type Warehouse {
    code: String!
    city: String
  }
`;

function buildInventory(): GraphQLSchema {
  return buildSubgraphSchema({
    typeDefs: parse(inventorySdl),
    resolvers: {
      Product: {
        __resolveReference: (reference: { upc: string; price?: number; weight?: number | null }) => {
          if (reference.upc === 'p5') throw new Error('inventory: stock of p5 is unavailable');
          return reference;
        },
        inStock: ({ upc }: { upc: string }) => (STOCK[upc] ?? 0) > 0,
        stockCount: ({ upc }: { upc: string }) => STOCK[upc] ?? null,
        shippingEstimate: ({ price, weight }: { price: number; weight: number | null }) => (weight == null ? null : Math.round(price / 10 + weight * 2)),
        warehouse: ({ upc }: { upc: string }) => (upc === 'p3' ? null : { code: `W-${upc}`, city: upc === 'p2' ? null : 'Lyon' }),
      },
    },
  });
}

interface ReviewRow {
  id: string;
  body: string;
  rating: number | null;
  authorId: string;
  upc: string;
}
const REVIEWS: ReviewRow[] = [
  { id: 'r1', body: 'Boils fast', rating: 5, authorId: 'u1', upc: 'p1' },
  { id: 'r2', body: 'Burns toast', rating: 2, authorId: 'u2', upc: 'p2' },
  // Its rating resolver throws.
  { id: 'r3', body: 'Sturdy', rating: 4, authorId: 'u1', upc: 'p3' },
  // Its author does not exist in accounts.
  { id: 'r4', body: 'Who wrote this?', rating: null, authorId: 'u404', upc: 'p1' },
  // Its product does not exist in products.
  { id: 'r5', body: 'Vanished', rating: 1, authorId: 'u3', upc: 'p404' },
  { id: 'r6', body: 'Heavy but complete', rating: 5, authorId: 'u4', upc: 'p4' },
];
const reviewById = (id: string) => REVIEWS.find((r) => r.id === id) ?? null;
const usernameOf = (id: string) => userById(id)?.username ?? null;

export const reviewsSdl = `${LINK}
  type Review @key(fields: "id") {
    id: ID!
    body: String!
    rating: Int
    author: User @provides(fields: "username")
    product: Product
  }
  type User @key(fields: "id") {
    id: ID!
    username: String @external
    reviews: [Review!]!
    reviewCount: Int!
  }
  type Product @key(fields: "upc") {
    upc: String!
    reviews: [Review!]!
    reviewPages(size: Int! = 2): [[Review!]!]!
    topReview: Review
  }
  input ReviewInput { upc: String!, body: String!, rating: Int }
  type Query {
    reviews: [Review!]!
    review(id: ID!): Review
  }
  type Mutation {
    addReview(input: ReviewInput!): Review
  }
`;

function buildReviews(): GraphQLSchema {
  const forProduct = (upc: string) => REVIEWS.filter((r) => r.upc === upc);
  return buildSubgraphSchema({
    typeDefs: parse(reviewsSdl),
    resolvers: {
      Query: { reviews: () => REVIEWS, review: (_: unknown, { id }: { id: string }) => reviewById(id) },
      Mutation: {
        addReview: (_: unknown, { input }: { input: { upc: string; body: string; rating?: number | null } }) => ({
          id: 'r-new',
          body: input.body,
          rating: input.rating ?? null,
          authorId: 'u1',
          upc: input.upc,
        }),
      },
      Review: {
        __resolveReference: ({ id }: { id: string }) => reviewById(id),
        rating: (review: ReviewRow) => {
          if (review.id === 'r3') throw new GraphQLError('reviews: the rating of r3 is hidden', { extensions: { code: 'RATING_HIDDEN' } });
          return review.rating;
        },
        author: (review: ReviewRow) => ({ id: review.authorId, username: usernameOf(review.authorId) }),
        product: (review: ReviewRow) => ({ upc: review.upc }),
      },
      User: {
        reviews: ({ id }: { id: string }) => REVIEWS.filter((r) => r.authorId === id),
        reviewCount: ({ id }: { id: string }) => REVIEWS.filter((r) => r.authorId === id).length,
      },
      Product: {
        reviews: ({ upc }: { upc: string }) => forProduct(upc),
        reviewPages: ({ upc }: { upc: string }, { size }: { size: number }) => {
          const all = forProduct(upc);
          const pages: ReviewRow[][] = [];
          for (let i = 0; i < all.length; i += Math.max(1, size)) pages.push(all.slice(i, i + Math.max(1, size)));
          return pages;
        },
        topReview: ({ upc }: { upc: string }) => forProduct(upc).sort((a, b) => (b.rating ?? 0) - (a.rating ?? 0))[0] ?? null,
      },
    },
  });
}

interface MediaRow {
  __typename: 'Book' | 'Movie';
  id: string;
  title: string;
  pages?: number | null;
  minutes?: number | null;
  authorId?: string;
}
const MEDIA: MediaRow[] = [
  { __typename: 'Book', id: 'm1', title: 'Dune', pages: 412, authorId: 'u1' },
  { __typename: 'Movie', id: 'm2', title: 'Alien', minutes: 117 },
  { __typename: 'Book', id: 'm3', title: 'Emma', pages: null, authorId: 'u404' },
  { __typename: 'Movie', id: 'm4', title: 'Heat', minutes: 170 },
];
const mediaById = (id: string) => MEDIA.find((m) => m.id === id) ?? null;

export const mediaSdl = `${LINK}
  interface Media @key(fields: "id") {
    id: ID!
    title: String!
  }
  type Book implements Media @key(fields: "id") {
    id: ID!
    title: String!
    pages: Int
    writer: User
  }
  type Movie implements Media @key(fields: "id") {
    id: ID!
    title: String!
    minutes: Int
  }
  type Product @key(fields: "upc", resolvable: false) {
    upc: String!
  }
  type User @key(fields: "id", resolvable: false) {
    id: ID!
  }
  union SearchResult = Book | Movie | Product
  type Query {
    media: [Media!]!
    mediaItem(id: ID!): Media
    search(term: String!): [SearchResult!]!
  }
`;

function buildMedia(): GraphQLSchema {
  const byType = (typename: string) => ({
    __resolveReference: ({ id }: { id: string }) => {
      const row = mediaById(id);
      return row?.__typename === typename ? row : null;
    },
  });
  return buildSubgraphSchema({
    typeDefs: parse(mediaSdl),
    resolvers: {
      Query: {
        media: () => MEDIA,
        mediaItem: (_: unknown, { id }: { id: string }) => mediaById(id),
        search: (_: unknown, { term }: { term: string }) => {
          const needle = term.toLowerCase();
          const media = MEDIA.filter((m) => m.title.toLowerCase().includes(needle));
          const products = PRODUCTS.filter((p) => p.name.toLowerCase().includes(needle)).map((p) => ({ __typename: 'Product', upc: p.upc }));
          return [...media, ...products];
        },
      },
      Media: {
        __resolveReference: ({ id }: { id: string }) => mediaById(id),
        __resolveType: (row: MediaRow) => row.__typename,
      },
      SearchResult: { __resolveType: (row: { __typename: string }) => row.__typename },
      Book: { ...byType('Book'), writer: (row: MediaRow) => (row.authorId ? { id: row.authorId } : null) },
      Movie: byType('Movie'),
    },
  });
}

const SCORES: Record<string, { score: number | null; ratings: number[] }> = {
  m1: { score: 4.5, ratings: [5, 4] },
  m2: { score: 4.8, ratings: [5, 5, 4] },
  m3: { score: null, ratings: [] },
  m4: { score: 3.9, ratings: [4] },
};

export const ratingsSdl = `${LINK}
  type Media @key(fields: "id") @interfaceObject {
    id: ID!
    score: Float
    ratings: [Int!]!
    similar: [Media!]!
  }
  type Query {
    topRated(first: Int! = 2): [Media!]!
  }
`;

function buildRatings(): GraphQLSchema {
  const ranked = Object.entries(SCORES)
    .filter(([, s]) => s.score != null)
    .sort(([, a], [, b]) => (b.score ?? 0) - (a.score ?? 0))
    .map(([id]) => ({ id }));
  return buildSubgraphSchema({
    typeDefs: parse(ratingsSdl),
    resolvers: {
      Query: { topRated: (_: unknown, { first }: { first: number }) => ranked.slice(0, first) },
      Media: {
        __resolveReference: ({ id }: { id: string }) => ({ id }),
        score: ({ id }: { id: string }) => SCORES[id]?.score ?? null,
        ratings: ({ id }: { id: string }) => SCORES[id]?.ratings ?? [],
        similar: ({ id }: { id: string }) => ranked.filter((m) => m.id !== id).slice(0, 2),
      },
    },
  });
}

/** The subgraphs by name: SDL (for composition) and a schema builder (for the server). */
export const CONFORMANCE_SUBGRAPHS = {
  accounts: { sdl: accountsSdl, build: buildAccounts },
  products: { sdl: productsSdl, build: buildProducts },
  inventory: { sdl: inventorySdl, build: buildInventory },
  reviews: { sdl: reviewsSdl, build: buildReviews },
  media: { sdl: mediaSdl, build: buildMedia },
  ratings: { sdl: ratingsSdl, build: buildRatings },
} as const;

export type ConformanceSubgraphName = keyof typeof CONFORMANCE_SUBGRAPHS;

/** The supergraphs the corpus runs on: each a set of the subgraphs above, composed together. */
export const CONFORMANCE_SCHEMAS = {
  /** Entities, `@requires`, `@provides`, `@override`, shareable fields, nested lists, mutations. */
  shop: ['accounts', 'products', 'inventory', 'reviews'],
  /** Interface entities, `@interfaceObject`, a union across subgraphs. */
  media: ['media', 'ratings', 'accounts', 'products'],
  /** `@override` and `@requires` alone: a product and its stock. */
  stock: ['products', 'inventory'],
  /** Every subgraph at once. */
  full: ['accounts', 'products', 'inventory', 'reviews', 'media', 'ratings'],
} as const satisfies Record<string, readonly ConformanceSubgraphName[]>;

export type ConformanceSchemaName = keyof typeof CONFORMANCE_SCHEMAS;
