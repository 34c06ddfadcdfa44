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
} from '../kit/essentials.js';

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

/** Most buckets one backlog read spans: facts further apart are read with separate queries. */
const MAX_BACKLOG_SPAN = 128;

/**
 * `bucketEvent` for several facts at once: the buckets of nearby minutes are read with one store query
 * grouped by product, so a backlog of N facts costs one query instead of N (issue #9: 100 facts/s read
 * one at a time queued for seconds). Read after every fact of the backlog committed, so each value is at
 * least as fresh as its own fact.
 */
async function bucketEvents(product: DataProductRuntime, messages: ReadonlyArray<BusMessage<BucketUpdatedEvent>>, args: BucketArguments) {
  if (messages.length === 1) return [await bucketEvent(product, messages[0], args)];
  const spans = messages.map((message) => {
    const minute = new Date(message.data.bucket);
    return { start: bucketStartOf(minute, args.granularity), end: bucketEndOf(minute, args.granularity), productId: message.data.dims.product_id };
  });
  // Nearby buckets form one read: consecutive starts no more than MAX_BACKLOG_SPAN bucket widths apart.
  const sorted = [...spans].sort((x, y) => x.start.getTime() - y.start.getTime());
  const reads: Array<{ from: Date; to: Date; productIds: Set<string> }> = [];
  for (const span of sorted) {
    const read = reads.at(-1);
    const width = span.end.getTime() - span.start.getTime();
    if (read && span.start.getTime() - read.from.getTime() <= MAX_BACKLOG_SPAN * width) {
      if (span.end > read.to) read.to = span.end;
      read.productIds.add(span.productId);
    } else reads.push({ from: span.start, to: span.end, productIds: new Set([span.productId]) });
  }
  const buckets = new Map<string, BucketRead>();
  await Promise.all(
    reads.map(async (read) => {
      const filter: Record<string, string[]> = { product_id: [...read.productIds] };
      if (args.region) filter.region = [args.region];
      const result = await product.history('sales', {
        range: { from: read.from, to: read.to },
        granularity: args.granularity,
        filter,
        groupBy: ['product_id'],
      });
      for (const group of result.groups) {
        for (const bucket of group.buckets) buckets.set(`${group.key.product_id}\u0000${bucket.start.getTime()}`, bucket);
      }
    }),
  );
  return messages.map((message, index) => {
    const { start, end, productId } = spans[index];
    return bucketValue(message, args, buckets.get(`${productId}\u0000${start.getTime()}`) ?? { start, end, values: {} });
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
