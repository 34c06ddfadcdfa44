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
export { ClientStream, type ClientChecks, type FrameSink } from './ClientStream.js';
export type { EventFrame } from './EventFrame.js';
export type { GroupEventInfo } from './createSubscriptionGroup.js';
export type { ScopedResult, SubscriptionScope } from './SubscriptionScope.js';
export {
  createOutboundQueue,
  DEFAULT_OUTBOUND_LIMITS,
  SLOW_CLIENT_CLOSE_CODE,
  SLOW_CLIENT_CLOSE_REASON,
  type OutboundCutOff,
  type OutboundLimits,
  type OutboundQueue,
  type OutboundSocket,
} from './createOutboundQueue.js';
export { ErrorCode } from '../../core/errors/ErrorCode.js';
export { withLocatedFailures } from './toUpstreamErrors.js';
