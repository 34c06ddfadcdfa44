import type { GraphQLResolveInfo } from 'graphql';
import {
  DateTime,
  historyRequest,
  ratio,
  selectsField,
  seriesObjects,
  type BusMessage,
  type DataProductRuntime,
  type HistoryArguments,
  type ProductContext,
  type StateChangedEvent,
  type StateRow,
  type TopArgument,
} from '../kit/essentials.js';

const DIMENSIONS: Record<string, string> = { PRODUCT: 'product_id', CARRIER: 'carrier', REGION: 'region' };
/** `DeliveryMeasure` values to rollup measures: what `top` may rank by. */
const MEASURES: Record<string, string> = { DISPATCHED: 'dispatched', DELIVERED: 'delivered' };
const DEFAULT_WINDOW_MS = 30 * 86_400_000;

function deliveryValues(v: Record<string, number | null>) {
  return {
    dispatched: v.dispatched ?? 0,
    delivered: v.delivered ?? 0,
    avgLeadTimeHours: v.lead_time_hours ?? null,
    onTimeRate: ratio(v.on_time, v.delivered),
    leadTimeHoursP50: v.lead_time_p50 ?? null,
    leadTimeHoursP90: v.lead_time_p90 ?? null,
    leadTimeHoursP95: v.lead_time_p95 ?? null,
    leadTimeHoursP99: v.lead_time_p99 ?? null,
  };
}

/** The lead-time sketch is read only when a percentile is selected. */
const leadTimeSketch = (info: GraphQLResolveInfo) =>
  ['leadTimeHoursP50', 'leadTimeHoursP90', 'leadTimeHoursP95', 'leadTimeHoursP99'].some((field) => selectsField(info, field)) ? ['lead_time'] : [];

function shipmentOf(row: { key: string; value: Record<string, unknown> } | StateRow | null) {
  if (!row) return null;
  const s = row.value;
  return {
    id: s.shipmentId,
    status: s.status,
    carrier: s.carrier,
    dispatchedAt: s.dispatchedAt ?? null,
    deliveredAt: s.deliveredAt ?? null,
    promisedAt: s.promisedAt ?? null,
    onTime: s.onTime ?? null,
  };
}

/** Resolvers of the shipping subgraph. */
export function shippingResolvers(product: DataProductRuntime) {
  return {
    DateTime,
    Query: {
      deliveryPerformance: async (
        _: unknown,
        args: HistoryArguments & { groupBy?: string[]; top?: TopArgument | null },
        _context: ProductContext,
        info: GraphQLResolveInfo,
      ) => {
        const result = await product.history('deliveries', { ...historyRequest(args, DIMENSIONS, {}, MEASURES), sketchMeasures: leadTimeSketch(info) });
        return {
          granularity: result.granularity,
          timeZone: result.timeZone,
          asOf: result.asOf,
          ...seriesObjects(result, deliveryValues),
          groups: result.groups.map((g) => ({
            key: {
              product: g.key.product_id ? { __typename: 'Product', id: g.key.product_id } : null,
              carrier: g.key.carrier ?? null,
              region: g.key.region ?? null,
            },
            ...seriesObjects(g, deliveryValues),
          })),
          others: result.others && { groups: result.others.groups, ...seriesObjects(result.others, deliveryValues) },
        };
      },
    },
    Order: {
      __resolveReference: (ref: { id: string }) => ref,
      shipment: async (parent: { id: string }, _: unknown, context: ProductContext) =>
        shipmentOf(await product.stateLoader(context, 'shipment').load(parent.id)),
    },
    Product: {
      __resolveReference: (ref: { id: string }) => ref,
      delivery: async (parent: { id: string }, args: { range?: { from: Date; to: Date } | null }, context: ProductContext, info: GraphQLResolveInfo) => {
        const to = new Date(Math.ceil(Date.now() / 3_600_000) * 3_600_000);
        const range = args.range ?? { from: new Date(to.getTime() - DEFAULT_WINDOW_MS), to };
        const series = await product
          .historyLoader(context, 'deliveries', 'product_id')
          .load({ id: parent.id, request: { range, granularity: 'MONTH', sketchMeasures: leadTimeSketch(info) } });
        return deliveryValues(series.total);
      },
    },
    Subscription: {
      // The event is the bus message itself (no store read); `orderId` only picks which events to deliver.
      shipmentUpdated: product.changeSubscription({
        source: (args: { orderId?: string | null; from?: string | null }) => product.stateChanges('shipment', args.from ?? undefined),
        keep: (m: BusMessage<StateChangedEvent>, args) => !args.orderId || m.data.key === args.orderId,
        event: (m: BusMessage<StateChangedEvent>) => ({
          cursor: m.cursor,
          order: { __typename: 'Order', id: m.data.key },
          shipment: shipmentOf({ key: m.data.key, value: m.data.value }),
        }),
        shareKey: () => '',
      }),
    },
  };
}
