import type { ExecutionResult } from 'graphql';
import type { ClientChecks } from './ClientStream.js';

/** A group payload after the scope's per-event step; `last` ends the group after it. */
export interface ScopedResult {
  result: ExecutionResult;
  last?: boolean;
}

/**
 * What a layer in front of the executor (field-level authorization) adds to a subscription request.
 * Clients share a group only when their scope keys are equal, so `transform` may run once per event for
 * the whole group; `expired` is the client's own and is asked per client per event.
 */
export interface SubscriptionScope {
  /** Equal keys promise that `transform` would do the same for either client (e.g. the same auth outcome). */
  key: string;
  /**
   * Runs once per event for the whole group, after the entity fetches (e.g. denied fields replayed as
   * `null` + error). The first client's is used for its group. A throw ends the group with an
   * INTERNAL_SERVER_ERROR payload.
   * @default the result as it is
   */
  transform?(result: ExecutionResult): Promise<ScopedResult>;
  /**
   * The client's own checks, asked before each of its payloads (`ClientChecks`: `expired`, `onExpired`,
   * `expiresAtMs`, called as methods of this object). Kept by the client's stream apart from its scope,
   * for as long as the client is subscribed: it should hold no more than the client's own state (one
   * object per client, not closures: at 10,000 idle clients each object counts). When `expiresAtMs` is
   * known the group compares it with one `Date.now()` per event instead of calling `expired` per client.
   * @default none: the client never expires
   */
  checks?: ClientChecks;
}
