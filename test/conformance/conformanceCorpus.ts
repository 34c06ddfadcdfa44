/**
 * The conformance corpus: operations over the supergraphs of conformanceSubgraphs.ts, each run through
 * the executor under test and through bare @apollo/gateway (conformanceSuite.ts). The hand-written
 * entries cover one feature or failure each; `deriveVariants` adds, for every valid query, the same
 * operation with every field aliased and with `__typename` in every selection set, so aliases and
 * `__typename` are exercised on every shape (entities, abstract types, nested lists, errors).
 */
import { Kind, parse, print, visit, type FieldNode, type SelectionSetNode } from 'graphql';
import type { ConformanceSchemaName } from './conformanceSubgraphs.js';

export interface CorpusEntry {
  /** Unique; the test's name. */
  name: string;
  schema: ConformanceSchemaName;
  operation: string;
  variables?: Record<string, unknown>;
  /** The operation is meant to be refused before execution (validation, variables): not varied. */
  invalid?: boolean;
}

const PRODUCT_FIELDS = 'upc name price weight category';
const REVIEW_FIELDS = 'id body';

const base: CorpusEntry[] = [
  // --- one subgraph, scalars, arguments, nulls
  { name: 'root scalar fields', schema: 'shop', operation: '{ me { id name username email } }' },
  { name: 'root field with an argument', schema: 'shop', operation: '{ user(id: "u2") { id name email } }' },
  { name: 'root field returning null', schema: 'shop', operation: '{ user(id: "u999") { id name } }' },
  { name: 'list of entities from the owner', schema: 'shop', operation: '{ users { id name } }' },
  { name: 'nullable list items, one missing', schema: 'shop', operation: '{ usersByIds(ids: ["u1", "u404", "u2"]) { id name } }' },
  { name: 'enum and list of scalars', schema: 'shop', operation: `{ topProducts { ${PRODUCT_FIELDS} tags } }` },
  { name: 'nested lists of scalars', schema: 'shop', operation: '{ topProducts { upc dimensions } }' },
  { name: 'argument default used', schema: 'shop', operation: '{ topProducts { upc } }' },
  { name: 'argument given', schema: 'shop', operation: '{ topProducts(first: 2) { upc name } }' },
  { name: 'input object argument', schema: 'shop', operation: '{ topProducts(filter: { category: KITCHEN, maxPrice: 40 }) { upc name price } }' },
  { name: 'self-referencing lists', schema: 'shop', operation: '{ users { id friends { id name bestFriend { id } } } }' },
  { name: 'two root fields of one subgraph', schema: 'shop', operation: '{ me { id } users { id } }' },
  { name: 'root fields of two subgraphs', schema: 'shop', operation: '{ me { name } topProducts(first: 1) { name } }' },
  {
    name: 'the same field twice under two aliases with other arguments',
    schema: 'shop',
    operation: '{ a: user(id: "u1") { name } b: user(id: "u2") { name } }',
  },
  { name: 'root __typename', schema: 'shop', operation: '{ __typename }' },
  { name: 'root __typename beside fields', schema: 'shop', operation: '{ __typename me { __typename id } }' },

  // --- entities across subgraphs
  { name: 'entity fields from a second subgraph', schema: 'shop', operation: '{ topProducts { upc name inStock } }' },
  { name: 'entity fields from three subgraphs', schema: 'shop', operation: `{ topProducts { ${PRODUCT_FIELDS} inStock reviews { ${REVIEW_FIELDS} } } }` },
  { name: 'entity chain products to reviews to accounts', schema: 'shop', operation: '{ topProducts { name reviews { body author { id name email } } } }' },
  { name: 'entity chain reviews to products to inventory', schema: 'shop', operation: '{ reviews { id product { upc name inStock stockCount } } }' },
  { name: 'entity back-reference user reviews', schema: 'shop', operation: '{ users { id name reviews { id body product { name } } reviewCount } }' },
  { name: 'entity reference stub only', schema: 'shop', operation: '{ topProducts { upc createdBy { id } } }' },
  { name: 'entity reference resolved in its owner', schema: 'shop', operation: '{ topProducts { upc createdBy { id name } } }' },
  { name: 'entity list inside an entity list', schema: 'shop', operation: '{ users { id reviews { id product { upc related { upc name inStock } } } } }' },
  { name: 'deep alternation', schema: 'shop', operation: '{ me { reviews { product { reviews { author { name reviews { id } } } } } } }' },
  {
    name: 'nested lists of entities (flatten through two list levels)',
    schema: 'shop',
    operation: '{ topProducts { upc reviewPages { id author { name } } } }',
  },
  { name: 'nested lists with an argument', schema: 'shop', operation: '{ topProducts { upc reviewPages(size: 1) { id body } } }' },
  { name: 'nullable entity field null', schema: 'shop', operation: '{ topProducts { upc topReview { id author { name } } } }' },
  {
    name: 'entity by key in the root of the owning subgraph then joined',
    schema: 'shop',
    operation: '{ product(upc: "p2") { name inStock shippingEstimate reviews { rating } } }',
  },
  { name: 'value type from a joined subgraph', schema: 'shop', operation: '{ topProducts { upc warehouse { code city } } }' },

  // --- @requires, @provides, @override, @shareable
  { name: '@requires', schema: 'shop', operation: '{ topProducts { upc shippingEstimate } }' },
  { name: '@requires with the required fields also selected', schema: 'shop', operation: '{ topProducts { upc price weight shippingEstimate } }' },
  { name: '@requires from a joined entity', schema: 'shop', operation: '{ reviews { id product { shippingEstimate } } }' },
  { name: '@provides used', schema: 'shop', operation: '{ reviews { id author { username } } }' },
  { name: '@provides plus a field it does not provide', schema: 'shop', operation: '{ reviews { id author { username name } } }' },
  { name: 'shareable field from its other subgraph', schema: 'shop', operation: '{ users { id username } }' },
  { name: '@override routes to the new owner', schema: 'shop', operation: '{ topProducts { upc stockCount } }' },
  { name: '@override on the small schema', schema: 'stock', operation: '{ topProducts { upc stockCount inStock } }' },
  { name: '@requires on the small schema', schema: 'stock', operation: '{ product(upc: "p1") { name shippingEstimate warehouse { code } } }' },
  { name: 'entity stub without its owner in the supergraph', schema: 'stock', operation: '{ topProducts { upc createdBy { id } } }' },

  // --- interfaces, unions, @interfaceObject
  { name: 'interface list with inline fragments', schema: 'media', operation: '{ media { id title ... on Book { pages } ... on Movie { minutes } } }' },
  { name: 'interface with __typename', schema: 'media', operation: '{ media { __typename id } }' },
  { name: 'interface single item', schema: 'media', operation: '{ mediaItem(id: "m2") { title ... on Movie { minutes } } }' },
  { name: 'interface item missing', schema: 'media', operation: '{ mediaItem(id: "m9") { id } }' },
  { name: '@interfaceObject fields through the interface', schema: 'media', operation: '{ media { id title score ratings } }' },
  { name: '@interfaceObject root field, concrete type resolved by the interface owner', schema: 'media', operation: '{ topRated { __typename id title } }' },
  {
    name: '@interfaceObject root field with type conditions',
    schema: 'media',
    operation: '{ topRated(first: 3) { id score ... on Book { pages } ... on Movie { minutes } } }',
  },
  { name: '@interfaceObject list inside @interfaceObject', schema: 'media', operation: '{ topRated { id similar { id title score } } }' },
  { name: 'fragment on a concrete type resolving an entity field', schema: 'media', operation: '{ media { ... on Book { title writer { id name } } } }' },
  {
    name: 'union across subgraphs',
    schema: 'media',
    operation: '{ search(term: "e") { __typename ... on Book { title } ... on Movie { title minutes } ... on Product { upc name price } } }',
  },
  { name: 'union with one member selected', schema: 'media', operation: '{ search(term: "a") { ... on Product { name } } }' },
  { name: 'union with only __typename', schema: 'media', operation: '{ search(term: "l") { __typename } }' },
  { name: 'interface fragment inside a union', schema: 'media', operation: '{ search(term: "u") { ... on Media { id title } ... on Product { upc } } }' },
  {
    name: 'union on the full schema',
    schema: 'full',
    operation: '{ search(term: "t") { ... on Product { name inStock reviews { body } } ... on Book { writer { name reviews { id } } } } }',
  },
  { name: '@interfaceObject on the full schema', schema: 'full', operation: '{ media { title score ... on Book { writer { username } } } }' },
  {
    name: 'named fragments on abstract types',
    schema: 'media',
    operation:
      'query { media { ...MediaParts } search(term: "o") { ...ResultParts } } fragment MediaParts on Media { id title score ... on Book { pages } } fragment ResultParts on SearchResult { __typename ... on Media { title } ... on Product { name } }',
  },
  {
    name: 'nested named fragments',
    schema: 'shop',
    operation:
      'query { topProducts { ...P } } fragment P on Product { upc name reviews { ...R } } fragment R on Review { id author { ...U } } fragment U on User { id name }',
  },
  { name: 'inline fragment without a type condition', schema: 'shop', operation: '{ me { ... { id name } } }' },
  { name: 'inline fragment on the object type itself', schema: 'shop', operation: '{ topProducts { ... on Product { upc inStock } } }' },
  {
    name: 'fragment spread twice with overlapping fields',
    schema: 'shop',
    operation: 'query { me { ...A ...B } } fragment A on User { id name reviews { id } } fragment B on User { name reviews { body } }',
  },
  {
    name: 'field merging of the same entity field from two selections',
    schema: 'shop',
    operation: '{ topProducts { upc reviews { id } reviews { body author { name } } } }',
  },

  // --- variables
  { name: 'variable for a scalar', schema: 'shop', operation: 'query ($id: ID!) { user(id: $id) { id name } }', variables: { id: 'u4' } },
  { name: 'variable with a default, not given', schema: 'shop', operation: 'query ($first: Int = 2) { topProducts(first: $first) { upc } }' },
  {
    name: 'variable with a default, given',
    schema: 'shop',
    operation: 'query ($first: Int = 2) { topProducts(first: $first) { upc } }',
    variables: { first: 3 },
  },
  { name: 'variable for a list', schema: 'shop', operation: 'query ($ids: [ID!]!) { usersByIds(ids: $ids) { id } }', variables: { ids: ['u3', 'u1'] } },
  {
    name: 'list variable given a single value (input coercion)',
    schema: 'shop',
    operation: 'query ($ids: [ID!]!) { usersByIds(ids: $ids) { id } }',
    variables: { ids: 'u2' },
  },
  {
    name: 'variable for an input object',
    schema: 'shop',
    operation: 'query ($f: ProductFilter) { topProducts(filter: $f) { upc } }',
    variables: { f: { category: 'GARDEN' } },
  },
  {
    name: 'variable passed into an entity subgraph field',
    schema: 'shop',
    operation: 'query ($size: Int!) { topProducts { reviewPages(size: $size) { id } } }',
    variables: { size: 3 },
  },
  {
    name: 'variable inside an input object literal',
    schema: 'shop',
    operation: 'query ($max: Int) { topProducts(filter: { maxPrice: $max }) { upc } }',
    variables: { max: 30 },
  },
  {
    name: 'null variable for a nullable argument',
    schema: 'shop',
    operation: 'query ($f: ProductFilter) { topProducts(filter: $f) { upc } }',
    variables: { f: null },
  },
  { name: 'variable of a missing required value', schema: 'shop', operation: 'query ($id: ID!) { user(id: $id) { id } }', variables: {}, invalid: true },
  {
    name: 'variable of the wrong type',
    schema: 'shop',
    operation: 'query ($first: Int) { topProducts(first: $first) { upc } }',
    variables: { first: 'two' },
    invalid: true,
  },
  {
    name: 'unknown enum value in a variable',
    schema: 'shop',
    operation: 'query ($f: ProductFilter) { topProducts(filter: $f) { upc } }',
    variables: { f: { category: 'TOYS' } },
    invalid: true,
  },
  { name: 'operation selected among several by name', schema: 'shop', operation: 'query A { me { id } } query B { users { id } }', invalid: true },

  // --- @skip / @include
  { name: '@skip true on an entity field', schema: 'shop', operation: '{ topProducts { upc inStock @skip(if: true) } }' },
  { name: '@include false on a whole joined subtree', schema: 'shop', operation: '{ topProducts { upc reviews @include(if: false) { id } } }' },
  {
    name: '@include from a variable, true',
    schema: 'shop',
    operation: 'query ($on: Boolean!) { topProducts { upc reviews @include(if: $on) { id author { name } } } }',
    variables: { on: true },
  },
  {
    name: '@include from a variable, false',
    schema: 'shop',
    operation: 'query ($on: Boolean!) { topProducts { upc reviews @include(if: $on) { id author { name } } } }',
    variables: { on: false },
  },
  {
    name: '@skip from a variable on a fragment spread',
    schema: 'shop',
    operation: 'query ($s: Boolean!) { me { id ...F @skip(if: $s) } } fragment F on User { reviews { body } }',
    variables: { s: true },
  },
  {
    name: '@skip on an inline fragment',
    schema: 'media',
    operation: 'query ($s: Boolean!) { media { id ... on Book @skip(if: $s) { pages } } }',
    variables: { s: false },
  },
  {
    name: '@skip and @include together',
    schema: 'shop',
    operation: '{ me { id name @skip(if: false) @include(if: true) email @skip(if: true) @include(if: true) } }',
  },
  {
    name: '@include false on every field of a joined selection',
    schema: 'shop',
    operation: '{ topProducts { upc inStock @include(if: false) stockCount @include(if: false) } }',
  },

  // --- errors at every level
  { name: 'root field throws (coded error)', schema: 'shop', operation: '{ failingUser { id } }' },
  { name: 'root field throws beside a good one', schema: 'shop', operation: '{ failingUser { id } me { id } }' },
  { name: 'non-null root field returns null', schema: 'shop', operation: '{ requiredUser { id } }' },
  { name: 'non-null root field null beside another subgraph', schema: 'shop', operation: '{ requiredUser { id } topProducts { upc } }' },
  { name: 'nested nullable field throws', schema: 'shop', operation: '{ users { id secret } }' },
  { name: 'nested non-null field null propagates to the list item', schema: 'shop', operation: '{ usersByIds(ids: ["u1", "u3"]) { id nickname } }' },
  { name: 'non-null field null in a non-null list propagates to the root', schema: 'shop', operation: '{ users { id nickname } }' },
  { name: 'non-null field null in a nullable list item', schema: 'shop', operation: '{ me { friends { id nickname } } }' },
  { name: 'non-null field throws in a non-null list of entities, data null', schema: 'shop', operation: '{ topProducts { upc warranty } }' },
  { name: 'non-null field throws in a nullable parent', schema: 'shop', operation: '{ product(upc: "p4") { upc warranty } }' },
  { name: 'entity subgraph field throws (coded)', schema: 'shop', operation: '{ reviews { id rating } }' },
  { name: 'entity subgraph field throws, joined through a product', schema: 'shop', operation: '{ topProducts { upc reviews { id rating } } }' },
  { name: 'missing entity, nullable fields', schema: 'shop', operation: '{ reviews { id author { id email } } }' },
  { name: 'missing entity, non-null field', schema: 'shop', operation: '{ reviews { id author { id name } } }' },
  { name: 'missing entity, non-null field in a product', schema: 'shop', operation: '{ reviews { id product { upc name } } }' },
  { name: 'missing entity, joined field only', schema: 'shop', operation: '{ reviews { id product { inStock } } }' },
  { name: 'missing entity stub owner', schema: 'shop', operation: '{ topProducts { upc createdBy { id name } } }' },
  { name: 'entity fetch throws', schema: 'shop', operation: '{ product(upc: "p5") { name inStock } }' },
  { name: 'entity fetch throws, nullable field', schema: 'shop', operation: '{ product(upc: "p5") { name stockCount warehouse { code } } }' },
  {
    name: 'entity fetch throws beside good entities',
    schema: 'shop',
    operation: '{ a: product(upc: "p1") { stockCount } b: product(upc: "p5") { stockCount } }',
  },
  { name: '@requires input from a missing entity', schema: 'shop', operation: '{ reviews { id product { shippingEstimate } } }' },
  { name: 'nullable list with a missing entity', schema: 'shop', operation: '{ topProducts { upc related { upc name } } }' },
  { name: 'errors in nested lists', schema: 'shop', operation: '{ topProducts { reviewPages { id rating } } }' },
  { name: 'missing entity in an interface', schema: 'media', operation: '{ media { ... on Book { writer { id name } } } }' },
  {
    name: 'several errors at several levels',
    schema: 'full',
    operation: '{ failingUser { id } users { id secret } reviews { rating author { email } } product(upc: "p5") { stockCount } }',
  },

  // --- mutations
  { name: 'mutation with an input object', schema: 'shop', operation: 'mutation { updateUser(input: { id: "u2", name: "Bea" }) { id name email } }' },
  {
    name: 'mutation with variables and a joined result',
    schema: 'shop',
    operation: 'mutation ($input: UserInput!) { updateUser(input: $input) { id name email reviews { id product { name } } } }',
    variables: { input: { id: 'u1', name: 'Ada L.', email: null } },
  },
  {
    name: 'mutations of two subgraphs in order',
    schema: 'shop',
    operation: 'mutation { a: echo(value: "one") addReview(input: { upc: "p1", body: "Nice", rating: 4 }) { id body product { name } } b: echo(value: "two") }',
  },
  { name: 'mutation that throws', schema: 'shop', operation: 'mutation { failingMutation }' },
  { name: 'mutation that throws between others', schema: 'shop', operation: 'mutation { a: echo(value: "first") failingMutation b: echo(value: "last") }' },
  { name: 'mutation returning null', schema: 'shop', operation: 'mutation { updateUser(input: { id: "u9", name: "Nobody" }) { id } }' },
  { name: 'mutation with a null argument', schema: 'shop', operation: 'mutation { echo(value: null) }' },
  {
    name: 'mutation resolving an entity with @provides',
    schema: 'shop',
    operation: 'mutation { addReview(input: { upc: "p404", body: "Ghost" }) { id rating author { username name } product { upc name } } }',
  },

  // --- introspection and refusals
  {
    name: 'introspection of one type',
    schema: 'shop',
    operation: '{ __type(name: "Review") { name kind fields { name type { name kind ofType { name } } } } }',
  },
  { name: 'introspection of an interface', schema: 'media', operation: '{ __type(name: "Media") { kind possibleTypes { name } fields { name } } }' },
  { name: 'introspection of a union', schema: 'media', operation: '{ __type(name: "SearchResult") { kind possibleTypes { name } } }' },
  { name: 'introspection of the roots', schema: 'full', operation: '{ __schema { queryType { name } mutationType { name } subscriptionType { name } } }' },
  { name: 'unknown field', schema: 'shop', operation: '{ me { id shoeSize } }', invalid: true },
  { name: 'unknown argument', schema: 'shop', operation: '{ me(id: "u1") { id } }', invalid: true },
  { name: 'syntax error', schema: 'shop', operation: '{ me { id ', invalid: true },
  { name: 'missing selection on an object', schema: 'shop', operation: '{ me }', invalid: true },
  { name: 'fields that conflict', schema: 'shop', operation: '{ me { x: id x: name } }', invalid: true },
  { name: 'fragment on the wrong type', schema: 'media', operation: '{ media { ... on Product { upc } } }', invalid: true },
  {
    name: 'an inaccessible subgraph field (_entities) is not in the API',
    schema: 'shop',
    operation: '{ _entities(representations: []) { __typename } }',
    invalid: true,
  },
  { name: 'subscription on a schema without subscriptions', schema: 'shop', operation: 'subscription { me { id } }', invalid: true },
];

/** Every field node gets alias `a_<name>` (or keeps its alias, prefixed): no two fields can start to conflict. */
function aliasEverything(operation: string): string {
  return print(
    visit(parse(operation), {
      Field: (node: FieldNode) => ({ ...node, alias: { kind: Kind.NAME, value: `a_${node.alias?.value ?? node.name.value}` } }),
    }),
  );
}

/** Adds `__typename` to every selection set that lacks it. */
function typenameEverywhere(operation: string): string {
  return print(
    visit(parse(operation), {
      SelectionSet: (node: SelectionSetNode) =>
        node.selections.some((s) => s.kind === Kind.FIELD && s.name.value === '__typename' && !s.alias)
          ? node
          : { ...node, selections: [...node.selections, { kind: Kind.FIELD, name: { kind: Kind.NAME, value: '__typename' } } as FieldNode] },
    }),
  );
}

/**
 * Valid operations again with every field aliased and with `__typename` everywhere. Introspection is
 * left alone (aliasing `__schema` fields only repeats graphql-js).
 */
function deriveVariants(entries: CorpusEntry[]): CorpusEntry[] {
  return entries
    .filter((e) => !e.invalid && !e.operation.includes('__type(') && !e.operation.includes('__schema'))
    .flatMap((e) => [
      { ...e, name: `${e.name} [aliased]`, operation: aliasEverything(e.operation) },
      { ...e, name: `${e.name} [__typename]`, operation: typenameEverywhere(e.operation) },
    ]);
}

/** `{ me { bestFriend { … { id } } } }`, `depth` fields deep (no lists: the cost stays low). */
const bestFriendChain = (depth: number) => `{ me { ${'bestFriend { '.repeat(depth - 2)}id${' }'.repeat(depth - 2)} } }`;
/** `{ me { friends { … { id } } } }`: `depth - 2` nested lists, each estimated at 10 items. */
const friendsChain = (depth: number) => `{ me { ${'friends { '.repeat(depth - 2)}id${' }'.repeat(depth - 2)} } }`;
const aliases = (count: number) => `{ me { ${Array.from({ length: count }, (_, i) => `a${i}: id`).join(' ')} } }`;
const rootFields = (count: number) => `{ ${Array.from({ length: count }, (_, i) => `r${i}: me { id }`).join(' ')} }`;

/**
 * Operations our gateway's default limits (README "Limits") refuse and bare @apollo/gateway answers,
 * listed in allowedDifferences.ts, each beside its neighbour just inside the limit, which must be
 * equal. Not varied: aliasing would change what is counted.
 */
const limits: CorpusEntry[] = [
  { name: 'depth at the default limit', schema: 'shop', operation: bestFriendChain(20) },
  { name: 'depth beyond the default limit', schema: 'shop', operation: bestFriendChain(21) },
  { name: 'aliases at the default limit', schema: 'shop', operation: aliases(30) },
  { name: 'aliases beyond the default limit', schema: 'shop', operation: aliases(31) },
  { name: 'root fields at the default limit', schema: 'shop', operation: rootFields(20) },
  { name: 'root fields beyond the default limit', schema: 'shop', operation: rootFields(21) },
  { name: 'estimated cost within the default limit', schema: 'shop', operation: friendsChain(6) },
  { name: 'estimated cost beyond the default limit', schema: 'shop', operation: friendsChain(7) },
];

export const CONFORMANCE_CORPUS: readonly CorpusEntry[] = [...base, ...deriveVariants(base), ...limits];
