import type { ExecutionResult } from 'graphql';
import { wrapAsyncIterator } from '../../core/async/wrapAsyncIterator.js';
import type { GatewayMetrics } from './createGatewayMetrics.js';

/**
 * A client subscription's event stream, counted: `mesh_gateway_subscriptions_active` while it runs and
 * `mesh_gateway_subscription_events_delivered_total` per event handed to the websocket adapter. A
 * subscription refused at start (a single result) is not counted.
 */
export function countedSubscription(
  result: AsyncIterableIterator<ExecutionResult> | ExecutionResult,
  metrics: Pick<GatewayMetrics, 'subscriptionStarted' | 'subscriptionEnded' | 'subscriptionDelivered'>,
): AsyncIterableIterator<ExecutionResult> | ExecutionResult {
  if (!(Symbol.asyncIterator in result)) return result;
  metrics.subscriptionStarted();
  let ended = false;
  const end = () => {
    if (ended) return;
    ended = true;
    metrics.subscriptionEnded();
  };
  const counted = wrapAsyncIterator<ExecutionResult>(result, async () => {
    try {
      const step = await result.next();
      if (step.done) end();
      else metrics.subscriptionDelivered();
      return step;
    } catch (error) {
      end();
      throw error;
    }
  });
  const close = counted.return!.bind(counted);
  counted.return = async () => {
    end();
    return close();
  };
  const fail = counted.throw!.bind(counted);
  counted.throw = async (error?: unknown) => {
    end();
    return fail(error);
  };
  return counted;
}
