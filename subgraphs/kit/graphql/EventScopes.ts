/** Options of the per-event scopes a data product runtime keeps. */
export interface EventScopesOptions {
  /**
   * How many recent change events keep their scope (computed values and loaders). A subscription that
   * reaches an event whose scope was dropped (a replay from an old cursor, a far-behind client) reads the
   * store again: the bound trades memory for repeated reads, never for correctness.
   * @default 256
   */
  capacity?: number;
}

/** What the subscriptions executing one change event share. */
interface EventScope {
  /** Computed field values by sharing key (the subscription's arguments). */
  values: Map<string, Promise<unknown>>;
  /** Loader maps by caller identity: nested fields of this event read the store once per caller kind. */
  loaders: Map<string, Map<string, unknown>>;
}

/**
 * Per-event scopes: the work of resolving one change event, done once and shared by every subscription
 * that delivers it (issue #9: N subscriptions used to mean N store reads per fact). A scope belongs to
 * one event, so nothing read for one event is ever served for another: every event is fresh.
 */
export class EventScopes {
  private readonly scopes = new Map<string, EventScope>();
  private readonly capacity: number;

  constructor(options: EventScopesOptions = {}) {
    const { capacity = 256 } = options;
    this.capacity = Math.max(1, capacity);
  }

  /** Scopes held now (at most `capacity`). */
  get size(): number {
    return this.scopes.size;
  }

  /**
   * The value of `eventKey` for subscriptions sharing `shareKey`: computed by the first one to ask, the
   * others await the same promise. A failed computation is forgotten, so the next asker tries again.
   */
  value<T>(eventKey: string, shareKey: string, compute: () => Promise<T> | T): Promise<T> {
    const values = this.scope(eventKey).values;
    let value = values.get(shareKey) as Promise<T> | undefined;
    if (!value) {
      value = Promise.resolve().then(compute);
      values.set(shareKey, value);
      value.catch(() => {
        if (values.get(shareKey) === value) values.delete(shareKey);
      });
    }
    return value;
  }

  /** The loader map the executions of `eventKey` for callers of `identityKey` share. */
  loaders(eventKey: string, identityKey: string): Map<string, unknown> {
    const byIdentity = this.scope(eventKey).loaders;
    let loaders = byIdentity.get(identityKey);
    if (!loaders) {
      loaders = new Map();
      byIdentity.set(identityKey, loaders);
    }
    return loaders;
  }

  private scope(eventKey: string): EventScope {
    let scope = this.scopes.get(eventKey);
    if (!scope) {
      scope = { values: new Map(), loaders: new Map() };
      this.scopes.set(eventKey, scope);
      // Maps iterate in insertion order: the first key is the oldest event.
      while (this.scopes.size > this.capacity) this.scopes.delete(this.scopes.keys().next().value!);
    }
    return scope;
  }
}
