/**
 * The change-event contract of a data product. The in-process bus is the default; NATS JetStream serves
 * replicas. Subjects follow NATS conventions: dot-separated tokens, `*` matches one token and `>` the rest,
 * e.g. `mesh.orders.v1.bucket-updated.eu`.
 */

/** One change event as delivered. */
export interface BusMessage<T = unknown> {
  /** Stream position; strictly increasing per stream; pass back as `from` to resume after it. */
  cursor: string;
  subject: string;
  data: T;
  /** When the bus accepted the event. */
  publishedAt: Date;
}

export interface SubscribeOptions {
  /** Deliver retained events after this cursor first, then live ones: gap-free, no duplicates. */
  from?: string;
  /**
   * Deliver retained events the bus accepted at or after this instant first, then live ones (a subscriber
   * that has no cursor yet resumes this way). A bus that cannot show it still holds every event since
   * then (it lost older ones published after it, or did not exist yet) refuses with `CursorUnavailableError`
   * rather than skip some. Ignored with `from`.
   */
  since?: Date;
}

/** A live subscription: an async iterator; `return()` (or breaking a for-await) ends it. */
export type BusSubscription<T = unknown> = AsyncIterableIterator<BusMessage<T>>;

export interface Bus {
  /** Publish; resolves with the event's cursor once the bus has accepted it. */
  publish(subject: string, data: unknown, options?: { messageId?: string }): Promise<string>;
  /** Subscribe to subjects matching the filter (wildcards allowed). */
  subscribe<T = unknown>(subjectFilter: string, options?: SubscribeOptions): BusSubscription<T>;
  /** End all subscriptions and release resources. */
  close(): Promise<void>;
}

/** Raised when a subscription asks for a cursor the bus no longer retains (or never issued). */
export class CursorUnavailableError extends Error {
  readonly code = 'CURSOR_UNAVAILABLE';
  constructor(cursor: string, detail: string) {
    super(`cursor ${cursor} cannot be resumed: ${detail}`);
    this.name = 'CursorUnavailableError';
  }
}
