import type { DocumentNode } from 'graphql';
import { z } from 'zod';
import { defineDataProduct } from '../kit/essentials.js';
import { inventoryResolvers } from './inventoryResolvers.js';

/** Most units one movement or one count may carry: far beyond a real warehouse, far below float trouble. */
export const INVENTORY_LIMITS = { maxUnits: 10_000_000 } as const;

const key = z.string().min(1, 'must not be empty').max(128, 'must be at most 128 characters');

/** Inventory facts: a movement (delta with a reason) and a physical count (absolute). */
export const inventoryFacts = {
  StockAdjusted: z.object({
    productId: key,
    warehouse: key,
    delta: z
      .number()
      .int('must be a whole number')
      .min(-INVENTORY_LIMITS.maxUnits, `must be at least -${INVENTORY_LIMITS.maxUnits}`)
      .max(INVENTORY_LIMITS.maxUnits, `must be at most ${INVENTORY_LIMITS.maxUnits}`)
      .refine((d) => d !== 0, 'delta must not be 0'),
    reason: z.enum(['received', 'sold', 'returned', 'damaged', 'correction']),
  }),
  StockCounted: z.object({
    productId: key,
    warehouse: key,
    onHand: z
      .number()
      .int('must be a whole number')
      .min(0, 'must not be negative')
      .max(INVENTORY_LIMITS.maxUnits, `must be at most ${INVENTORY_LIMITS.maxUnits}`),
  }),
};

type StockValue = { onHand: number; warehouses: Record<string, number> };
const warehouses = (previous: Record<string, unknown> | undefined) => ({ ...((previous?.warehouses as Record<string, number>) ?? {}) });
const total = (byWarehouse: Record<string, number>) => Object.values(byWarehouse).reduce((s, n) => s + n, 0);

/** The inventory data product: stock on hand per product, and stock movement history. */
export function inventoryProduct(typeDefs: DocumentNode) {
  return defineDataProduct({
    typeDefs,
    descriptor: {
      id: 'inventory.stock',
      name: 'Stock levels and movements',
      domain: 'inventory',
      version: '1.0.0',
      status: 'active',
      description: {
        purpose: 'Current stock per product and the history of stock movements, for replenishment and availability.',
        limitations: 'A count replaces the warehouse total at its event time; adjustments after it apply on top.',
      },
      owner: { team: 'Warehouse Operations', contact: 'inventory-team@example.com' },
      slos: { freshnessSeconds: 120, availability: 0.995, retentionDays: 365, queryLatencyP99Ms: 250 },
      tags: ['inventory'],
    },
    facts: inventoryFacts,
    rollups: {
      movements: {
        dimensions: ['product_id', 'warehouse'],
        measures: { received: 'sum', removed: 'sum', net_change: 'sum', adjustments: 'count', counts: 'count' },
        contributions: {
          StockAdjusted: (a) => ({
            dims: { product_id: a.productId, warehouse: a.warehouse },
            values: { received: Math.max(a.delta, 0), removed: Math.max(-a.delta, 0), net_change: a.delta, adjustments: 1 },
          }),
          StockCounted: (c) => ({ dims: { product_id: c.productId, warehouse: c.warehouse }, values: { counts: 1 } }),
        },
      },
    },
    states: {
      stock: {
        reducers: {
          StockAdjusted: {
            key: (a) => a.productId,
            reduce: (previous, a): StockValue => {
              const byWarehouse = warehouses(previous);
              byWarehouse[a.warehouse] = (byWarehouse[a.warehouse] ?? 0) + a.delta;
              return { onHand: total(byWarehouse), warehouses: byWarehouse };
            },
          },
          StockCounted: {
            key: (c) => c.productId,
            reduce: (previous, c): StockValue => {
              const byWarehouse = warehouses(previous);
              byWarehouse[c.warehouse] = c.onHand;
              return { onHand: total(byWarehouse), warehouses: byWarehouse };
            },
          },
        },
      },
    },
    resolvers: inventoryResolvers,
  });
}
