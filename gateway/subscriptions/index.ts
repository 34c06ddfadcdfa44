/** Federated subscriptions: the transport-free executor a websocket adapter drives. */
export {
  createSubscriptionExecutor,
  type SubgraphEndpoint,
  type SubgraphHttpEndpoint,
  type SubgraphWsEndpoint,
  type SubscriptionExecutor,
  type SubscriptionExecutorOptions,
  type SubscriptionExecutorStats,
  type SubscriptionRequest,
} from './createSubscriptionExecutor.js';
export type { UpstreamRetryOptions } from './createUpstreamClient.js';
export { ErrorCode } from '../../core/errors/ErrorCode.js';
export { withLocatedFailures } from './toUpstreamErrors.js';
