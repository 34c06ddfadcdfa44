import type { BusMessage } from '../bus/Bus.js';
import type { EventScopes } from './EventScopes.js';
import { filterAsyncIterator } from '../../../core/async/filterAsyncIterator.js';
import { mapConcurrently } from '../../../core/async/mapConcurrently.js';
import { createEventBatcher } from './createEventBatcher.js';
import { stableJson } from './stableJson.js';

/** How a subscription field turns the runtime's change events into its values. */
export interface ChangeSubscriptionOptions<Args, Message, Value> {
  /** The change events the field reads, given its arguments (`product.bucketUpdates(...)`, `product.stateChanges(...)`). */
  source: (args: Args) => AsyncIterableIterator<BusMessage<Message>>;
  /** Which events this subscription delivers; must be cheap (it runs per subscription). @default every event */
  keep?: (message: BusMessage<Message>, args: Args) => boolean;
  /**
   * The field's value for one event. Computed ONCE per event and sharing key, and that value goes to every
   * subscription with the same key: it must depend only on the message and the arguments, never on the
   * caller. A throw (or rejection) ends the subscriptions that asked with that error.
   */
  event: (message: BusMessage<Message>, args: Args) => Promise<Value> | Value;
  /**
   * The values of several events at once (one store read for a backlog), in the order of `messages`; the
   * same contract as `event` for each. A sharing key has one call at a time: events that arrive while it
   * runs wait and are handed over together in the next call, of at most `maxBatch` messages, so a busy
   * stream costs one call per batch rather than one per event. A throw ends the subscriptions waiting on
   * that batch.
   * @default `event` for each message
   */
  events?: (messages: ReadonlyArray<BusMessage<Message>>, args: Args) => Promise<Value[]>;
  /**
   * The arguments that change the computed value: subscriptions with equal keys share it.
   * @default every argument except `from`, null and absent alike
   */
  shareKey?: (args: Args) => string;
  /**
   * How many events of one subscription are computed at once, ahead of the one being delivered; they are
   * still delivered in order. 1 computes strictly one after another. Keep it under the runtime's
   * `EventScopes` capacity, or events computed ahead lose their shared value before delivery.
   * @default 128
   */
  concurrency?: number;
  /** Most messages one `events` call gets. @default 128 */
  maxBatch?: number;
}

/**
 * The root value of one change event: the value the field resolves to, and the event it belongs to, by
 * which `serveDataProduct` gives nested fields loaders of that event (see `EventScopes`).
 */
export class ChangeEventPayload {
  constructor(
    /** The bus subject and cursor: unique per event of a runtime. */
    readonly eventKey: string,
    readonly value: unknown,
  ) {}
}

/**
 * A subscription field (`{ subscribe, resolve }`) whose event values are computed once and shared.
 * `onComputed` hears, once per event and sharing key, the seconds from the event's publication to its value.
 */
export function changeSubscription<Args extends Record<string, unknown>, Message, Value>(
  scopes: EventScopes,
  options: ChangeSubscriptionOptions<Args, Message, Value>,
  onComputed?: (secondsSincePublished: number) => void,
) {
  const { source, keep, event, events, shareKey = defaultShareKey, concurrency = 128, maxBatch = 128 } = options;
  const batcher = events ? createEventBatcher(events, maxBatch) : undefined;
  return {
    subscribe: (_: unknown, args: Args): AsyncIterableIterator<ChangeEventPayload> => {
      const key = shareKey(args);
      const messages = keep ? filterAsyncIterator(source(args), (message) => keep(message, args)) : source(args);
      const computeValue = batcher
        ? (message: BusMessage<Message>) => batcher(key, message, args)
        : async (message: BusMessage<Message>) => event(message, args);
      const compute = onComputed
        ? async (message: BusMessage<Message>) => {
            const value = await computeValue(message);
            onComputed((Date.now() - message.publishedAt.getTime()) / 1000);
            return value;
          }
        : computeValue;
      return mapConcurrently(
        messages,
        async (message) => {
          const eventKey = `${message.subject}\u0000${message.cursor}`;
          return new ChangeEventPayload(eventKey, await scopes.value(eventKey, key, () => compute(message)));
        },
        concurrency,
      );
    },
    resolve: (payload: ChangeEventPayload) => payload.value,
  };
}

/** Arguments as a stable string: sorted names, `from` left out (it picks events, not their values). */
function defaultShareKey(args: Record<string, unknown>): string {
  return stableJson(Object.fromEntries(Object.entries(args).filter(([name, value]) => name !== 'from' && value !== null && value !== undefined)));
}
