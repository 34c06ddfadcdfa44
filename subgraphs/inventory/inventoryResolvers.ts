import {
  DateTime,
  badInput,
  historyRequest,
  seriesObjects,
  type BusMessage,
  type DataProductRuntime,
  type HistoryArguments,
  type ProductContext,
  type StateChangedEvent,
} from '../kit/essentials.js';

function stockValues(v: Record<string, number | null>) {
  return { received: v.received ?? 0, removed: v.removed ?? 0, netChange: v.net_change ?? 0, adjustments: v.adjustments ?? 0, counts: v.counts ?? 0 };
}

const onHandOf = (value: Record<string, unknown> | null | undefined) => (value ? Number(value.onHand ?? 0) : null);

function stockEvent(message: BusMessage<StateChangedEvent>) {
  return {
    cursor: message.cursor,
    product: { __typename: 'Product', id: message.data.key },
    onHand: onHandOf(message.data.value),
    previousOnHand: onHandOf(message.data.previous),
    updatedAt: new Date(message.data.updatedAt),
  };
}

/** Resolvers of the inventory subgraph. */
export function inventoryResolvers(product: DataProductRuntime) {
  return {
    DateTime,
    Query: {
      lowStock: async (_: unknown, { threshold, first }: { threshold: number; first?: number | null }) => {
        if ((first ?? 20) < 0 || (first ?? 20) > 1000) throw badInput('first must be between 0 and 1000', 'first');
        const rows = await product.listStates({ state: 'stock', limit: 100_000 });
        return rows
          .filter((r) => Number(r.value.onHand) < threshold)
          .sort((a, b) => Number(a.value.onHand) - Number(b.value.onHand))
          .slice(0, first ?? 20)
          .map((r) => ({ __typename: 'Product', id: r.key }));
      },
      inventoryHistory: async (_: unknown, args: HistoryArguments) => {
        const result = await product.history('movements', historyRequest(args));
        return { asOf: result.asOf, ...seriesObjects(result, stockValues) };
      },
    },
    Product: {
      __resolveReference: (ref: { id: string }) => ref,
      stock: async (parent: { id: string }, _: unknown, context: ProductContext) => {
        const row = await product.stateLoader(context, 'stock').load(parent.id);
        return row ? { onHand: Number(row.value.onHand), updatedAt: row.updatedAt } : { onHand: 0, updatedAt: null };
      },
      stockHistory: async (parent: { id: string }, args: HistoryArguments, context: ProductContext) => {
        const series = await product.historyLoader(context, 'movements', 'product_id').load({ id: parent.id, request: historyRequest(args) });
        return { asOf: await product.store.watermark(), ...seriesObjects(series, stockValues) };
      },
    },
    Subscription: {
      // The event is the bus message itself (no store read); the filters only pick which events to deliver.
      stockChanged: product.changeSubscription({
        source: (args: { productId?: string | null; from?: string | null }) => product.stateChanges('stock', args.from ?? undefined),
        keep: (m: BusMessage<StateChangedEvent>, args) => !args.productId || m.data.key === args.productId,
        event: (m: BusMessage<StateChangedEvent>) => stockEvent(m),
        shareKey: () => '',
      }),
      stockLow: product.changeSubscription({
        source: (args: { threshold: number; from?: string | null }) => product.stateChanges('stock', args.from ?? undefined),
        keep: (m: BusMessage<StateChangedEvent>, args) => {
          const now = onHandOf(m.data.value) ?? 0;
          const before = onHandOf(m.data.previous);
          return now < args.threshold && (before === null || before >= args.threshold);
        },
        event: (m: BusMessage<StateChangedEvent>) => stockEvent(m),
        shareKey: () => '',
      }),
    },
  };
}
