import type { RateLimitConfig } from './createRateLimiter.js';
import type { TrustedDocumentsConfig } from './createTrustedDocuments.js';
import { DEFAULT_OPERATION_LIMITS, type OperationLimits } from './OperationLimits.js';

/** Everything that bounds what one caller can make the gateway do. */
export interface GatewayLimitsConfig {
  /** Static document limits, checked before validation and planning. @default DEFAULT_OPERATION_LIMITS */
  operations: OperationLimits;
  /** Largest HTTP request body in bytes (413 PAYLOAD_TOO_LARGE). @default 1048576 (1 MiB) */
  maxBodyBytes: number;
  /** Largest websocket message in bytes; a larger one closes the socket with 1009. @default 1048576 */
  maxWebsocketMessageBytes: number;
  /**
   * Operations running at once on one websocket (subscriptions and queries in flight); one more is
   * refused with MAX_SUBSCRIPTIONS_LIMIT, the socket stays open.
   * @default 25
   */
  maxSubscriptionsPerSocket: number;
  /** Registered operations and safelist mode. @default { mode: 'off' } */
  trustedDocuments: TrustedDocumentsConfig;
  /** Per-principal rate limit; null for none. @default null (`gatewayConfigFromEnv` sets 600 per 60 s) */
  rateLimit: RateLimitConfig | null;
}

/** Defaults of a gateway configured in code (tests); the environment's defaults add a rate limit. */
export const DEFAULT_GATEWAY_LIMITS: Readonly<GatewayLimitsConfig> = Object.freeze({
  operations: DEFAULT_OPERATION_LIMITS,
  maxBodyBytes: 1024 * 1024,
  maxWebsocketMessageBytes: 1024 * 1024,
  maxSubscriptionsPerSocket: 25,
  trustedDocuments: { mode: 'off' as const },
  rateLimit: null,
});
