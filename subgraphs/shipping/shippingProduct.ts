import type { DocumentNode } from 'graphql';
import { z } from 'zod';
import { defineDataProduct } from '../kit/essentials.js';
import { shippingResolvers } from './shippingResolvers.js';

const key = z.string().min(1, 'must not be empty').max(128, 'must be at most 128 characters');
const timestamp = z.iso.datetime({ offset: true, error: 'must be an RFC 3339 timestamp, e.g. 2024-05-01T12:00:00Z' });
const shipment = {
  shipmentId: key,
  orderId: key,
  productId: key,
  carrier: z.string().min(1, 'must not be empty').max(64, 'must be at most 64 characters'),
  region: z.string().min(1, 'must not be empty').max(64, 'must be at most 64 characters'),
  promisedAt: timestamp,
};

/** Shipping facts: a shipment leaves the warehouse; it arrives (its event time is the delivery time). */
export const shippingFacts = {
  ShipmentDispatched: z.object(shipment),
  ShipmentDelivered: z.object({ ...shipment, dispatchedAt: timestamp }),
};

const HOUR = 3_600_000;

/** The shipping data product: delivery performance by product, carrier and region; shipments per order. */
export function shippingProduct(typeDefs: DocumentNode) {
  return defineDataProduct({
    typeDefs,
    descriptor: {
      id: 'shipping.deliveries',
      name: 'Delivery performance',
      domain: 'shipping',
      version: '1.0.0',
      status: 'active',
      description: {
        purpose: 'Lead times and on-time rates of deliveries by product, carrier and region; the shipment of each order.',
        limitations: 'A delivery counts in the bucket of its delivery time; lead time runs from dispatch to delivery.',
      },
      owner: { team: 'Logistics', contact: 'logistics-team@example.com' },
      slos: { freshnessSeconds: 300, availability: 0.99, retentionDays: 365, queryLatencyP99Ms: 250 },
      tags: ['logistics'],
    },
    facts: shippingFacts,
    rollups: {
      deliveries: {
        dimensions: ['product_id', 'carrier', 'region'],
        // `lead_time` keeps the lead times' distribution (a DDSketch) for percentiles; `lead_time_hours` their mean.
        measures: { dispatched: 'count', delivered: 'count', on_time: 'count', lead_time_hours: 'avg', lead_time: 'percentiles' },
        contributions: {
          ShipmentDispatched: (s) => ({ dims: { product_id: s.productId, carrier: s.carrier, region: s.region }, values: { dispatched: 1 } }),
          ShipmentDelivered: (s, time) => {
            const leadTimeHours = (time.getTime() - Date.parse(s.dispatchedAt)) / HOUR;
            return {
              dims: { product_id: s.productId, carrier: s.carrier, region: s.region },
              values: { delivered: 1, on_time: time.getTime() <= Date.parse(s.promisedAt) ? 1 : 0, lead_time_hours: leadTimeHours, lead_time: leadTimeHours },
            };
          },
        },
      },
    },
    states: {
      shipment: {
        reducers: {
          ShipmentDispatched: {
            key: (s) => s.orderId,
            reduce: (previous, s, time) => ({
              ...s,
              status: previous?.status === 'DELIVERED' ? 'DELIVERED' : 'DISPATCHED',
              dispatchedAt: time.toISOString(),
              deliveredAt: previous?.deliveredAt ?? null,
            }),
          },
          ShipmentDelivered: {
            key: (s) => s.orderId,
            reduce: (_previous, s, time) => ({
              ...s,
              status: 'DELIVERED',
              deliveredAt: time.toISOString(),
              onTime: time.getTime() <= Date.parse(s.promisedAt),
            }),
          },
        },
      },
    },
    resolvers: shippingResolvers,
  });
}
