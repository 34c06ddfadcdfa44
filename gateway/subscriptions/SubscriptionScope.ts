import type { ExecutionResult } from 'graphql';

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
   * Asked before each payload of this client; true ends its stream after `onExpired`. Kept by the client
   * apart from its scope and called without `this`: it should hold no more than the client's own state.
   * @default never
   */
  expired?(): boolean;
  /** Called once, without `this`, when `expired` said true (the adapter closes the connection). A throw is ignored. */
  onExpired?(): void;
  /**
   * When `expired` is a deadline on the real clock: the epoch millisecond from which it says true. The
   * group then compares it with one `Date.now()` per event instead of calling `expired` per client (at
   * 10,000 clients, a call into each client's closure is most of what handing over an event costs).
   * `Infinity` for never.
   * @default none: `expired` is called
   */
  expiresAtMs?: number;
}
