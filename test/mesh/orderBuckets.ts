/**
 * The minute-bucket subscription the end-to-end mesh tests follow across failures (a killed replica, a
 * half-open upstream socket), with what `meshStory` (`test/support/startTestMesh.ts`) seeds for its products.
 */
import type { MeshEvent } from '../support/startTestMesh.js';

export const MINUTE = 60_000;

/** Every minute bucket of orders, with product fields from catalog and inventory (a federated subscription). */
export const ORDER_BUCKETS = `subscription { orderBucketUpdated(granularity: MINUTE) { cursor bucket { start orders } product { name stock { onHand } } } }`;

/** The seeded products' name and stock, as a bucket event's `product` must carry them. */
export const SEEDED_PRODUCTS: Record<string, { name: string; stock: { onHand: number } }> = {
  p1: { name: 'Kettle', stock: { onHand: 13 } },
  p2: { name: 'Toaster', stock: { onHand: 7 } },
};

/** One `ORDER_BUCKETS` payload. */
export interface BucketPayload {
  data?: { orderBucketUpdated: { cursor: string; bucket: { start: string; orders: number }; product: { name: string; stock: { onHand: number } } } };
  errors?: unknown[];
}

/** The start of the minute bucket an event falls in, as the subscription reports it. */
export const minuteOf = (event: MeshEvent): string => new Date(Math.floor(Date.parse(event.time) / MINUTE) * MINUTE).toISOString();
