import type { DocumentNode } from 'graphql';
import { z } from 'zod';
import { defineDataProduct } from '../kit/essentials.js';
import { ordersResolvers } from './ordersResolvers.js';

/** Bounds of one order line: far beyond any real order, small enough that revenue sums stay exact. */
export const ORDER_LIMITS = { maxQuantity: 10_000, maxUnitPrice: 1_000_000 } as const;

const key = z.string().min(1, 'must not be empty').max(128, 'must be at most 128 characters');
const orderLine = {
  orderId: key,
  productId: key,
  quantity: z.number().int('must be a whole number').min(1, 'must be at least 1').max(ORDER_LIMITS.maxQuantity, `must be at most ${ORDER_LIMITS.maxQuantity}`),
  unitPrice: z.number().positive('must be greater than 0').max(ORDER_LIMITS.maxUnitPrice, `must be at most ${ORDER_LIMITS.maxUnitPrice}`),
  region: z.string().min(1, 'must not be empty').max(64, 'must be at most 64 characters'),
  channel: z.enum(['web', 'mobile', 'store', 'partner']),
};

/** Order facts: a placement and its cancellation. Both carry the order line so rollups need no lookup. */
export const orderFacts = {
  OrderPlaced: z.object({ ...orderLine, customerEmail: z.email().max(254, 'must be at most 254 characters') }),
  OrderCancelled: z.object({ ...orderLine, reason: z.string().max(1000, 'must be at most 1000 characters').optional() }),
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
      tags: ['sales', 'orders'],
    },
    facts: orderFacts,
    rollups: {
      sales: {
        dimensions: ['product_id', 'region', 'channel'],
        // `customers` counts distinct customer emails (lower-cased) that placed orders: a HyperLogLog sketch.
        measures: { orders: 'count', cancellations: 'count', units: 'sum', revenue: 'sum', customers: 'distinct' },
        subjectDimensions: ['region'],
        // Per-product history (Product.sales, percentiles per product) reads product × bucket rows, not × region × channel.
        projections: [['product_id']],
        // Dashboards chart Paris days: each local day (23 or 25 hours across DST) is kept as one row per group.
        dayZones: ['Europe/Paris'],
        contributions: {
          OrderPlaced: (o) => ({
            dims: { product_id: o.productId, region: o.region, channel: o.channel },
            values: { orders: 1, units: o.quantity, revenue: o.quantity * o.unitPrice, customers: o.customerEmail.toLowerCase() },
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
