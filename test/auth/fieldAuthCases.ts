/**
 * The operations of the field-level authorization table: each names the response paths (response keys,
 * `*` for list indices) that are governed and what they need. From that the suite derives, for every
 * principal, exactly which paths must come back `null` with UNAUTHORIZED_FIELD_OR_TYPE and which must
 * carry data. Many of them are attempts to sneak a governed field past the check.
 */

/** What a governed path needs: a token (`@authenticated`), or a scope (`@requiresScopes`). */
export type Need = 'auth' | 'finance' | 'pii';

export interface FieldAuthCase {
  name: string;
  query: string;
  operationName?: string;
  /** Governed response paths and their need; a path under a denied one is not reported (its parent is null). */
  governed: Record<string, Need>;
  /** Exact values at paths, checked for principals allowed to see them. */
  values?: Record<string, unknown>;
}

const H = 'orderHistory(range: $r, granularity: DAY)';

export const CASES: FieldAuthCase[] = [
  // Ungoverned fields: everyone, tokens or not.
  {
    name: 'ungoverned product page',
    query: '{ products(first: 3) { edges { node { id name } } } }',
    governed: {},
    values: { 'products.edges.0.node.name': 'Kettle' },
  },
  { name: 'ungoverned categories', query: '{ categories }', governed: {}, values: { categories: ['home', 'kitchen'] } },
  { name: 'ungoverned single product', query: '{ product(id: "p1") { name price } }', governed: {}, values: { 'product.price': 30 } },
  { name: 'introspection of a governed type', query: '{ __type(name: "OrderTotals") { fields { name } } }', governed: {} },
  { name: 'root __typename', query: '{ __typename }', governed: {}, values: { __typename: 'Query' } },

  // @authenticated entry points.
  {
    name: 'order history totals without money',
    query: `query($r: TimeRangeInput!) { ${H} { total { orders units } } }`,
    governed: { orderHistory: 'auth' },
    values: { 'orderHistory.total.orders': 3, 'orderHistory.total.units': 7 },
  },
  {
    name: 'inventory history',
    query: 'query($r: TimeRangeInput!) { inventoryHistory(range: $r, granularity: DAY) { total { received removed } } }',
    governed: { inventoryHistory: 'auth' },
  },
  {
    name: 'delivery performance',
    query: 'query($r: TimeRangeInput!) { deliveryPerformance(range: $r, granularity: DAY) { total { delivered onTimeRate } } }',
    governed: { deliveryPerformance: 'auth' },
    values: { 'deliveryPerformance.total.delivered': 2 },
  },
  { name: 'low stock list', query: '{ lowStock(threshold: 100) { id name stock { onHand } } }', governed: { lowStock: 'auth' } },
  {
    name: 'public root beside a governed root',
    query: `query($r: TimeRangeInput!) { categories ${H} { total { orders } } }`,
    governed: { orderHistory: 'auth' },
    values: { categories: ['home', 'kitchen'] },
  },

  // @requiresScopes finance:read under @authenticated.
  {
    name: 'order history money',
    query: `query($r: TimeRangeInput!) { ${H} { total { orders revenue averageOrderValue } } }`,
    governed: { orderHistory: 'auth', 'orderHistory.total.revenue': 'finance', 'orderHistory.total.averageOrderValue': 'finance' },
    values: { 'orderHistory.total.revenue': 270, 'orderHistory.total.averageOrderValue': 90, 'orderHistory.total.orders': 3 },
  },
  {
    name: 'revenue in every bucket (list indices)',
    query: `query($r: TimeRangeInput!) { ${H} { buckets { start orders revenue } } }`,
    governed: { orderHistory: 'auth', 'orderHistory.buckets.*.revenue': 'finance' },
  },
  {
    name: 'average order value alone',
    query: `query($r: TimeRangeInput!) { ${H} { total { averageOrderValue } } }`,
    governed: { orderHistory: 'auth', 'orderHistory.total.averageOrderValue': 'finance' },
    values: { 'orderHistory.total.averageOrderValue': 90 },
  },
  {
    name: 'money per group (nested lists)',
    query: `query($r: TimeRangeInput!) { orderHistory(range: $r, granularity: DAY, groupBy: [PRODUCT]) { groups { key { product { name } } total { units revenue } buckets { revenue } } } }`,
    governed: { orderHistory: 'auth', 'orderHistory.groups.*.total.revenue': 'finance', 'orderHistory.groups.*.buckets.*.revenue': 'finance' },
  },
  {
    name: 'money in comparisons, rolling windows and others',
    query: `query($r: TimeRangeInput!) { orderHistory(range: $r, granularity: DAY, groupBy: [PRODUCT], top: { by: UNITS, limit: 1 }, compareTo: PREVIOUS_PERIOD, rolling: { buckets: 2 }) { total { units comparison { units { current } revenue { current } } } buckets { rolling { units revenue average { revenue } } } others { total { revenue } } } }`,
    governed: {
      orderHistory: 'auth',
      'orderHistory.total.comparison.revenue': 'finance',
      'orderHistory.buckets.*.rolling.revenue': 'finance',
      'orderHistory.buckets.*.rolling.average.revenue': 'finance',
      'orderHistory.others.total.revenue': 'finance',
    },
    values: { 'orderHistory.total.units': 7, 'orderHistory.total.comparison.units.current': 7, 'orderHistory.total.comparison.revenue.current': 270 },
  },
  {
    name: 'filtered history revenue',
    query: `query($r: TimeRangeInput!) { orderHistory(range: $r, granularity: DAY, filter: { regions: ["eu"] }) { total { orders revenue } } }`,
    governed: { orderHistory: 'auth', 'orderHistory.total.revenue': 'finance' },
    values: { 'orderHistory.total.revenue': 240, 'orderHistory.total.orders': 2 },
  },
  {
    name: 'hourly buckets revenue',
    query: `query($r: TimeRangeInput!) { orderHistory(range: $r, granularity: HOUR) { total { revenue } } }`,
    governed: { orderHistory: 'auth', 'orderHistory.total.revenue': 'finance' },
    values: { 'orderHistory.total.revenue': 270 },
  },

  // Aliases.
  {
    name: 'aliased root and aliased revenue',
    query: `query($r: TimeRangeInput!) { h: ${H} { total { money: revenue orders } } }`,
    governed: { h: 'auth', 'h.total.money': 'finance' },
    values: { 'h.total.money': 270 },
  },
  {
    name: 'the same field twice under two names',
    query: `query($r: TimeRangeInput!) { ${H} { total { revenue r2: revenue } } }`,
    governed: { orderHistory: 'auth', 'orderHistory.total.revenue': 'finance', 'orderHistory.total.r2': 'finance' },
    values: { 'orderHistory.total.revenue': 270, 'orderHistory.total.r2': 270 },
  },
  {
    name: 'a public field aliased as the governed name',
    query: `query($r: TimeRangeInput!) { ${H} { total { revenue: orders } } }`,
    governed: { orderHistory: 'auth' },
    values: { 'orderHistory.total.revenue': 3 },
  },
  {
    name: 'the governed field aliased as a public name',
    query: `query($r: TimeRangeInput!) { ${H} { total { orders: revenue units } } }`,
    governed: { orderHistory: 'auth', 'orderHistory.total.orders': 'finance' },
    values: { 'orderHistory.total.orders': 270, 'orderHistory.total.units': 7 },
  },
  {
    name: 'two roots with the same alias inside',
    query: '{ a: order(id: "o1") { x: unitPrice } b: order(id: "o2") { x: quantity } }',
    governed: { a: 'auth', b: 'auth', 'a.x': 'finance' },
    values: { 'a.x': 30, 'b.x': 1 },
  },

  // Fragments.
  {
    name: 'named fragment',
    query: `query($r: TimeRangeInput!) { ${H} { total { ...Money orders } } } fragment Money on OrderTotals { revenue averageOrderValue }`,
    governed: { orderHistory: 'auth', 'orderHistory.total.revenue': 'finance', 'orderHistory.total.averageOrderValue': 'finance' },
    values: { 'orderHistory.total.orders': 3 },
  },
  {
    name: 'nested named fragments',
    query: `query($r: TimeRangeInput!) { ${H} { ...T } } fragment T on OrderHistory { total { ...M } } fragment M on OrderTotals { ...N units } fragment N on OrderTotals { revenue }`,
    governed: { orderHistory: 'auth', 'orderHistory.total.revenue': 'finance' },
    values: { 'orderHistory.total.units': 7 },
  },
  {
    name: 'fragment only of governed fields',
    query: `query($r: TimeRangeInput!) { ${H} { total { ...N } } } fragment N on OrderTotals { revenue }`,
    governed: { orderHistory: 'auth', 'orderHistory.total.revenue': 'finance' },
  },
  {
    name: 'inline fragment on the parent type',
    query: `query($r: TimeRangeInput!) { ${H} { total { ... on OrderTotals { revenue } orders } } }`,
    governed: { orderHistory: 'auth', 'orderHistory.total.revenue': 'finance' },
  },
  {
    name: 'inline fragment without a type condition',
    query: '{ order(id: "o1") { id ... { unitPrice } } }',
    governed: { order: 'auth', 'order.unitPrice': 'finance' },
    values: { 'order.id': 'o1', 'order.unitPrice': 30 },
  },
  {
    name: 'field both direct and through a fragment',
    query: `query($r: TimeRangeInput!) { ${H} { total { revenue ...N } } } fragment N on OrderTotals { revenue }`,
    governed: { orderHistory: 'auth', 'orderHistory.total.revenue': 'finance' },
    values: { 'orderHistory.total.revenue': 270 },
  },
  {
    name: 'fragment on Query holding a governed root',
    query: '{ ...Q categories } fragment Q on Query { order(id: "o1") { id customerEmail } }',
    governed: { order: 'auth', 'order.customerEmail': 'pii' },
    values: { 'order.customerEmail': 'alice@example.com', categories: ['home', 'kitchen'] },
  },
  {
    name: '... on Product reaching sales revenue',
    query: 'query($r: TimeRangeInput!) { product(id: "p1") { name ... on Product { sales(range: $r) { total { units revenue } } } } }',
    governed: { 'product.sales': 'auth', 'product.sales.total.revenue': 'finance' },
    values: { 'product.name': 'Kettle', 'product.sales.total.revenue': 90, 'product.sales.total.units': 3 },
  },
  {
    name: 'named fragment on Product inside an inline fragment',
    query: 'query($r: TimeRangeInput!) { product(id: "p1") { ... on Product { ...S } } } fragment S on Product { sales(range: $r) { total { revenue } } }',
    governed: { 'product.sales': 'auth', 'product.sales.total.revenue': 'finance' },
  },

  // __typename tricks.
  {
    name: '__typename aliased as the governed name',
    query: `query($r: TimeRangeInput!) { ${H} { total { __typename revenue: __typename } } }`,
    governed: { orderHistory: 'auth' },
    values: { 'orderHistory.total.revenue': 'OrderTotals' },
  },
  {
    name: '__typename beside governed fields at every level',
    query: '{ __typename order(id: "o1") { __typename unitPrice customerEmail } }',
    governed: { order: 'auth', 'order.unitPrice': 'finance', 'order.customerEmail': 'pii' },
    values: { __typename: 'Query', 'order.__typename': 'Order' },
  },

  // Orders, PII, cross-subgraph.
  {
    name: 'order with price and email',
    query: '{ order(id: "o1") { id quantity unitPrice customerEmail } }',
    governed: { order: 'auth', 'order.unitPrice': 'finance', 'order.customerEmail': 'pii' },
    values: { 'order.quantity': 2, 'order.unitPrice': 30, 'order.customerEmail': 'alice@example.com' },
  },
  {
    name: 'order with aliased price and email',
    query: '{ order(id: "o2") { email: customerEmail price: unitPrice } }',
    governed: { order: 'auth', 'order.email': 'pii', 'order.price': 'finance' },
    values: { 'order.email': 'bob@example.com', 'order.price': 30 },
  },
  {
    name: 'order across subgraphs with a shipment',
    query: '{ order(id: "o1") { product { name } shipment { status carrier } customerEmail } }',
    governed: { order: 'auth', 'order.customerEmail': 'pii' },
    values: { 'order.product.name': 'Kettle', 'order.shipment.carrier': 'dhl' },
  },
  {
    name: 'order → product → sales revenue (three subgraph hops)',
    query: 'query($r: TimeRangeInput!) { order(id: "o3") { product { name sales(range: $r) { total { revenue } } } } }',
    governed: { order: 'auth', 'order.product.sales.total.revenue': 'finance' },
    values: { 'order.product.name': 'Toaster', 'order.product.sales.total.revenue': 180 },
  },
  {
    name: 'unknown order: nothing to deny under null',
    query: '{ order(id: "nope") { unitPrice customerEmail } }',
    governed: { order: 'auth', 'order.unitPrice': 'finance', 'order.customerEmail': 'pii' },
  },
  {
    name: 'variable used only by a denied field',
    query: 'query($id: ID!) { order(id: $id) { unitPrice } product(id: "p1") { name } }',
    governed: { order: 'auth', 'order.unitPrice': 'finance' },
    values: { 'product.name': 'Kettle', 'order.unitPrice': 30 },
  },
  {
    name: '@include and @skip on governed fields',
    query: '{ order(id: "o1") { unitPrice @include(if: true) customerEmail @skip(if: true) id } }',
    governed: { order: 'auth', 'order.unitPrice': 'finance' },
    values: { 'order.unitPrice': 30 },
  },
  {
    name: 'operation chosen by name among several',
    operationName: 'B',
    query: 'query A { categories } query B { order(id: "o1") { unitPrice } }',
    governed: { order: 'auth', 'order.unitPrice': 'finance' },
  },

  // Entity fields added by other subgraphs to Product.
  {
    name: 'sales revenue per product of a page',
    query: 'query($r: TimeRangeInput!) { products(first: 3) { edges { node { id sales(range: $r) { total { units revenue } } } } } }',
    governed: { 'products.edges.*.node.sales': 'auth', 'products.edges.*.node.sales.total.revenue': 'finance' },
    values: { 'products.edges.1.node.sales.total.revenue': 180 },
  },
  {
    name: 'stock and delivery per product',
    query: '{ products(first: 3) { edges { node { name stock { onHand } delivery { avgLeadTimeHours onTimeRate } } } } }',
    governed: { 'products.edges.*.node.stock': 'auth', 'products.edges.*.node.delivery': 'auth' },
    values: { 'products.edges.0.node.stock.onHand': 13 },
  },
  {
    name: 'daily sales buckets revenue',
    query: 'query($r: TimeRangeInput!) { product(id: "p2") { sales(range: $r, granularity: DAY) { buckets { units revenue } } } }',
    governed: { 'product.sales': 'auth', 'product.sales.buckets.*.revenue': 'finance' },
  },
  {
    name: 'stock history of a product',
    query: 'query($r: TimeRangeInput!) { product(id: "p1") { name stockHistory(range: $r) { total { received } } } }',
    governed: { 'product.stockHistory': 'auth' },
    values: { 'product.name': 'Kettle' },
  },
  {
    name: 'product without sales: revenue is 0 when visible',
    query: 'query($r: TimeRangeInput!) { product(id: "p3") { sales(range: $r) { total { orders revenue } } } }',
    governed: { 'product.sales': 'auth', 'product.sales.total.revenue': 'finance' },
    values: { 'product.sales.total.revenue': 0, 'product.sales.total.orders': 0 },
  },
];

/** Field names a principal lacking the need must never cause a subgraph to receive. */
export const NEED_FIELDS: Record<Need, readonly string[]> = {
  finance: ['revenue', 'averageOrderValue', 'unitPrice'],
  pii: ['customerEmail'],
  auth: ['orderHistory', 'order', 'sales', 'stock', 'stockHistory', 'delivery', 'lowStock', 'inventoryHistory', 'deliveryPerformance', 'shipment'],
};

/**
 * Requests whose operation cannot be resolved: refused with 400 OPERATION_RESOLUTION_FAILURE before any
 * subgraph call, whoever asks. The first is the bypass of issue #8: `operationName: ""` once skipped
 * field authorization while @apollo/gateway ran the only operation, and `unitPrice` leaked inside the
 * error `Invalid non-string value 30 for __typename`.
 */
export interface RefusedCase {
  name: string;
  query: string;
  operationName?: string;
}

export const REFUSED_CASES: RefusedCase[] = [
  { name: 'operationName "" with __typename aliasing a governed field', query: '{ order(id: "o1") { __typename: unitPrice } }', operationName: '' },
  { name: 'operationName "" over a named operation', query: 'query Q { order(id: "o1") { unitPrice customerEmail } }', operationName: '' },
  {
    name: 'operationName "" with history revenue',
    query: 'query($r: TimeRangeInput!) { orderHistory(range: $r, granularity: DAY) { total { __typename: revenue } } }',
    operationName: '',
  },
  { name: 'an unknown operation name', query: 'query Q { order(id: "o1") { unitPrice } }', operationName: 'Nope' },
  { name: 'no name among several operations', query: 'query A { categories } query B { order(id: "o1") { unitPrice } }' },
  { name: 'operationName "" among several operations', query: 'query A { categories } query B { order(id: "o1") { customerEmail } }', operationName: '' },
];
