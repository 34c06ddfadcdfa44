import type { Bus } from '../bus/Bus.js';
import type { ProductMetrics } from './createProductMetrics.js';
import { watched } from './observedStore.js';

/**
 * A bus whose publishes are traced (`bus.publish` under the request being served) and counted
 * (`mesh_data_product_change_events_total`); subscriptions pass through untouched.
 */
export function observedBus(bus: Bus, metrics: ProductMetrics): Bus {
  return watched(bus, 'bus', (method, _seconds, outcome) => {
    if (method === 'publish') metrics.changeEventsPublished(1, outcome);
  });
}
