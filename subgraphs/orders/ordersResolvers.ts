import type { GraphQLResolveInfo } from 'graphql';
import {
  DateTime,
  bucketEndOf,
  bucketStartOf,
  historyRequest,
  ratio,
  selectsField,
  seriesObjects,
  type BucketUpdatedEvent,
  type BusMessage,
  type DataProductRuntime,
  type Granularity,
  type HistoryArguments,
  type HistoryBucket,
  type ProductContext,
  type TopArgument,
} from '../kit/index.js';

const DIMENSIONS: Record<string, string> = { PRODUCT: 'product_id', REGION: 'region', CHANNEL: 'channel' };
/** `OrderMeasure` values to rollup measures: what `top` may rank by (ungoverned measures only). */
const MEASURES: Record<string, string> = { ORDERS: 'orders', UNITS: 'units', CANCELLATIONS: 'cancellations', UNIQUE_CUSTOMERS: 'customers' };

/** Bucket fields from rollup measures: revenue and AOV derived here, governed by the gateway. */
/** Money is summed as doubles; answers are rounded to cents so sums read like money (no 0.1 + 0.2 noise). */
const cents = (value: number | null) => (value === null ? null : Math.round(value * 100) / 100);

function orderValues(v: Record<string, number | null>) {
  return {
    orders: v.orders ?? 0,
    cancellations: v.cancellations ?? 0,
    units: v.units ?? 0,
    revenue: cents(v.revenue ?? 0),
    averageOrderValue: cents(ratio(v.revenue, v.orders)),
    uniqueCustomers: v.customers ?? 0,
  };
}

function orderEntity(row: { key: string; value: Record<string, unknown> } | null) {
  if (!row) return null;
  const o = row.value;
  return { id: row.key, product: { __typename: 'Product', id: o.productId }, ...o };
}

/** Resolvers of the orders subgraph. */
export function ordersResolvers(product: DataProductRuntime) {
  return {
    DateTime,
    Query: {
      orderHistory: async (
        _: unknown,
        args: HistoryArguments & { groupBy?: string[]; filter?: { productIds?: string[]; regions?: string[]; channels?: string[] }; top?: TopArgument | null },
        _context: ProductContext,
        info: GraphQLResolveInfo,
      ) => {
        const filter = { product_id: args.filter?.productIds, region: args.filter?.regions, channel: args.filter?.channels };
        // The customers sketch is read only when asked for (ranking by it reads it anyway).
        const sketchMeasures = selectsField(info, 'uniqueCustomers') ? ['customers'] : [];
        const result = await product.history('sales', { ...historyRequest(args, DIMENSIONS, filter, MEASURES), sketchMeasures });
        return {
          granularity: result.granularity,
          timeZone: result.timeZone,
          asOf: result.asOf,
          ...seriesObjects(result, orderValues),
          groups: result.groups.map((g) => ({
            key: {
              product: g.key.product_id ? { __typename: 'Product', id: g.key.product_id } : null,
              region: g.key.region ?? null,
              channel: g.key.channel ?? null,
            },
            ...seriesObjects(g, orderValues),
          })),
          others: result.others && { groups: result.others.groups, ...seriesObjects(result.others, orderValues) },
        };
      },
      order: async (_: unknown, { id }: { id: string }, context: ProductContext) => orderEntity(await product.stateLoader(context, 'order').load(id)),
    },
    Order: {
      __resolveReference: async (ref: { id: string }, context: ProductContext) => orderEntity(await product.stateLoader(context, 'order').load(ref.id)),
    },
    Product: {
      sales: async (parent: { id: string }, args: HistoryArguments, context: ProductContext) => {
        const series = await product
          .historyLoader(context, 'sales', 'product_id')
          .load({ id: parent.id, request: { ...historyRequest(args), sketchMeasures: [] } });
        return seriesObjects(series, orderValues);
      },
    },
    Subscription: {
      // One store read per (fact, granularity, region), shared by every subscription with those arguments;
      // a backlog of facts is read at once, one store read per bucket start.
      orderBucketUpdated: product.changeSubscription({
        source: (args: BucketArguments) => product.bucketUpdates('sales', [args.region ?? undefined], args.from ?? undefined),
        event: (message: BusMessage<BucketUpdatedEvent>, args: BucketArguments) => bucketEvent(product, message, args),
        events: (messages: ReadonlyArray<BusMessage<BucketUpdatedEvent>>, args: BucketArguments) => bucketEvents(product, messages, args),
      }),
    },
  };
}

type BucketArguments = { granularity: Granularity; region?: string | null; from?: string | null };
type BucketRead = Pick<HistoryBucket, 'start' | 'end' | 'values'>;

/**
 * `bucketEvent` for several facts: one store read per bucket start, grouped by product, so a backlog of N
 * facts in the same minute costs one query instead of N.
 */
async function bucketEvents(product: DataProductRuntime, messages: ReadonlyArray<BusMessage<BucketUpdatedEvent>>, args: BucketArguments) {
  if (messages.length === 1) return [await bucketEvent(product, messages[0]!, args)];
  const byStart = new Map<number, { start: Date; end: Date; productIds: Set<string> }>();
  const starts = messages.map((message) => {
    const minute = new Date(message.data.bucket);
    const start = bucketStartOf(minute, args.granularity);
    let entry = byStart.get(start.getTime());
    if (!entry) byStart.set(start.getTime(), (entry = { start, end: bucketEndOf(minute, args.granularity), productIds: new Set() }));
    entry.productIds.add(message.data.dims.product_id);
    return entry;
  });
  const series = new Map<(typeof starts)[number], Map<string, BucketRead>>();
  await Promise.all(
    [...byStart.values()].map(async (entry) => {
      const filter: Record<string, string[]> = { product_id: [...entry.productIds] };
      if (args.region) filter.region = [args.region];
      const result = await product.history('sales', {
        range: { from: entry.start, to: entry.end },
        granularity: args.granularity,
        filter,
        groupBy: ['product_id'],
      });
      const byProduct = new Map<string, BucketRead>();
      for (const group of result.groups) {
        const bucket = group.buckets[0];
        if (bucket) byProduct.set(group.key.product_id!, bucket);
      }
      series.set(entry, byProduct);
    }),
  );
  return messages.map((message, index) => {
    const entry = starts[index]!;
    const productId = message.data.dims.product_id;
    return bucketValue(message, args, series.get(entry)?.get(productId) ?? { start: entry.start, end: entry.end, values: {} });
  });
}

/** The bucket at the subscription's granularity that now contains the changed minute, for its product. */
async function bucketEvent(product: DataProductRuntime, message: BusMessage<BucketUpdatedEvent>, args: BucketArguments) {
  const minute = new Date(message.data.bucket);
  const start = bucketStartOf(minute, args.granularity);
  const end = bucketEndOf(minute, args.granularity);
  const productId = message.data.dims.product_id;
  const filter: Record<string, string[]> = { product_id: [productId] };
  if (args.region) filter.region = [args.region];
  const result = await product.history('sales', { range: { from: start, to: end }, granularity: args.granularity, filter });
  return bucketValue(message, args, result.buckets[0] ?? { start, end, values: {} });
}

/** The subscription's value for one fact, given its bucket. */
function bucketValue(message: BusMessage<BucketUpdatedEvent>, args: BucketArguments, bucket: BucketRead) {
  const productId = message.data.dims.product_id;
  return {
    cursor: message.cursor,
    granularity: args.granularity,
    bucket: { start: bucket.start, end: bucket.end, ...orderValues(bucket.values) },
    product: { __typename: 'Product', id: productId },
    region: args.region ?? null,
    revision: message.data.revision,
  };
}
