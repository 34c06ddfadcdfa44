import type { DocumentNode } from 'graphql';
import { z } from 'zod';
import { defineDataProduct } from '../kit/defineDataProduct.js';
import { ordersResolvers } from './ordersResolvers.js';

const orderLine = {
  orderId: z.string().min(1),
  productId: z.string().min(1),
  quantity: z.number().int().positive(),
  unitPrice: z.number().nonnegative(),
  region: z.string().min(1),
  channel: z.enum(['web', 'mobile', 'store', 'partner']),
};

/** Order facts: a placement and its cancellation. Both carry the order line so rollups need no lookup. */
export const orderFacts = {
  OrderPlaced: z.object({ ...orderLine, customerEmail: z.email() }),
  OrderCancelled: z.object({ ...orderLine, reason: z.string().optional() }),
};

/** The orders data product: sales history by product, region and channel; orders as entities. */
export function ordersProduct(typeDefs: DocumentNode) {
  return defineDataProduct({
    typeDefs,
    descriptor: {
      id: 'orders.sales',
      name: 'Order sales',
      domain: 'orders',
      version: '1.0.0',
      status: 'active',
      description: {
        purpose: 'Net sales over time by product, region and channel, for dashboards and planning.',
        limitations: 'Units and revenue are net of cancellations; cancellations count in the bucket of the cancellation.',
        usage: 'Query orderHistory with a range and granularity; subscribe to orderBucketUpdated for live buckets.',
      },
      owner: { team: 'Order Management', contact: 'orders-team@example.com' },
      slos: { freshnessSeconds: 60, availability: 0.995, retentionDays: 730, queryLatencyP99Ms: 250 },
      classification: {
        'OrderBucket.revenue': 'confidential',
        'OrderBucket.averageOrderValue': 'confidential',
        'OrderTotals.revenue': 'confidential',
        'SalesBucket.revenue': 'confidential',
        'Order.unitPrice': 'confidential',
        'Order.customerEmail': 'pii',
      },
      tags: ['sales', 'orders'],
    },
    facts: orderFacts,
    rollups: {
      sales: {
        dimensions: ['product_id', 'region', 'channel'],
        measures: { orders: 'count', cancellations: 'count', units: 'sum', revenue: 'sum' },
        subjectDimensions: ['region'],
        contributions: {
          OrderPlaced: (o) => ({
            dims: { product_id: o.productId, region: o.region, channel: o.channel },
            values: { orders: 1, units: o.quantity, revenue: o.quantity * o.unitPrice },
          }),
          OrderCancelled: (o) => ({
            dims: { product_id: o.productId, region: o.region, channel: o.channel },
            values: { cancellations: 1, units: -o.quantity, revenue: -o.quantity * o.unitPrice },
          }),
        },
      },
    },
    states: {
      order: {
        reducers: {
          OrderPlaced: {
            key: (o) => o.orderId,
            reduce: (previous, o, time) => ({ ...previous, ...o, status: previous?.status ?? 'PLACED', placedAt: time.toISOString() }),
          },
          OrderCancelled: {
            key: (o) => o.orderId,
            reduce: (previous, o, time) => ({ ...o, ...previous, status: 'CANCELLED', cancelledAt: time.toISOString() }),
          },
        },
      },
    },
    resolvers: ordersResolvers,
  });
}
