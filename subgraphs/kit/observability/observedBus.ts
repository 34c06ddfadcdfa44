import { wrapAsyncIterator } from '../../../core/async/wrapAsyncIterator.js';
import type { Bus, BusMessage, BusSubscription, SubscribeOptions } from '../bus/Bus.js';
import type { ProductMetrics } from './createProductMetrics.js';
import { watched } from './observedStore.js';

/**
 * A bus whose publishes are traced (`bus.publish` under the request being served) and counted
 * (`mesh_data_product_change_events_total`), and whose open subscriptions are counted
 * (`mesh_data_product_subscriptions`: from `subscribe` until the subscription ends, fails or is returned).
 */
export function observedBus(bus: Bus, metrics: ProductMetrics): Bus {
  const traced = watched(bus, 'bus', (method, _seconds, outcome) => {
    if (method === 'publish') metrics.changeEventsPublished(1, outcome);
  });
  const counted = Object.create(traced) as Bus;
  counted.subscribe = <T>(subjectFilter: string, options?: SubscribeOptions): BusSubscription<T> => {
    const ended = metrics.subscriptionOpened();
    let source: BusSubscription<T>;
    try {
      source = traced.subscribe<T>(subjectFilter, options);
    } catch (error) {
      ended();
      throw error;
    }
    const next = () =>
      source.next().then(
        (result) => {
          if (result.done) ended();
          return result;
        },
        (error: unknown) => {
          ended();
          throw error;
        },
      );
    // `return` and `throw` both end the source through its `return`: that counts it out at once.
    const ending: AsyncIterator<unknown> = {
      next,
      async return() {
        ended();
        return (await source.return?.()) ?? { done: true, value: undefined };
      },
    };
    return wrapAsyncIterator<BusMessage<T>>(ending, next);
  };
  return counted;
}
