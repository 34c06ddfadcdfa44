import { CursorUnavailableError, type Bus, type BusMessage } from '../bus/Bus.js';
import { changeCloudEvent } from './changeCloudEvent.js';
import type { CursorCheckpoint } from './CursorCheckpoint.js';
import type { EventSink } from './EventSink.js';
import type { OutboundRedaction } from './outboundRedaction.js';

/** Options of {@link relayChangeEvents}. */
export interface RelayChangeEventsOptions {
  domain: string;
  /** The mesh namespace (`MESH_NAMESPACE`), named in each event's `source`. @default none */
  namespace?: string;
  bus: Bus;
  /** Bus filter of the change events, e.g. `mesh.orders.v1.>` (`meshTopics().busFilter`). */
  busFilter: string;
  sink: EventSink;
  /** The last confirmed cursor: the relay resumes after it and saves it as the broker confirms. */
  checkpoint: CursorCheckpoint;
  /** Withholds governed fields. */
  redaction: OutboundRedaction;
  /**
   * Events published but not yet confirmed at once: hides the broker round trip; a failure republishes
   * at most this many (consumers drop repeats by `meshcursor`).
   * @default 256
   */
  window?: number;
  /** First pause after a failure before resuming from the checkpoint; doubles up to 30 s. @default 500 */
  retryDelayMs?: number;
  /** Told about publish and bus failures (the relay keeps going). @default console.error */
  onError?: (error: unknown) => void;
  /** Hears each change event the broker confirmed, in cursor order (a seam for metrics). @default none */
  onConfirmed?: (message: BusMessage) => void;
  /** Hears each failed pass, before the relay resumes from its checkpoint (a seam for metrics). @default none */
  onFailed?: () => void;
}

/** A running relay. */
export interface ChangeEventRelay {
  /** The last cursor the broker confirmed (and the checkpoint holds or is about to). */
  readonly confirmedCursor: string | undefined;
  /** Stops reading the bus, waits for the publishes in flight and saves the checkpoint. */
  stop(): Promise<void>;
}

/**
 * Publishes a product's change events from the bus to a broker, at least once and in cursor order: it
 * subscribes from the checkpoint, keeps up to `window` publishes in flight, advances the checkpoint over
 * the confirmed prefix only, and after any failure (broker down, bus error) waits, then subscribes again
 * from the checkpoint. Nothing confirmed is skipped and nothing unconfirmed is counted as sent, across
 * broker and subgraph restarts alike (with a durable bus: the in-process one forgets its events).
 */
export function relayChangeEvents(options: RelayChangeEventsOptions): ChangeEventRelay {
  const {
    domain,
    namespace,
    bus,
    busFilter,
    sink,
    checkpoint,
    redaction,
    window = 256,
    retryDelayMs = 500,
    onError = (e: unknown) => console.error(`${domain} event mesh: ${sink.kind} relay`, e),
    onConfirmed,
    onFailed,
  } = options;
  let stopped = false;
  let confirmed: string | undefined;
  let saved: string | undefined;
  let subscription: AsyncIterableIterator<BusMessage> | null = null;
  let wakeSleep: (() => void) | null = null;
  let saving: Promise<void> = Promise.resolve();

  const save = () => {
    // Coalesced: one write at a time, always of the newest confirmed cursor. The chain never rejects (a
    // rejected link would skip every later save): a failed save is logged and the next confirmation retries.
    saving = saving
      .then(async () => {
        if (confirmed === undefined || confirmed === saved) return;
        const cursor = confirmed;
        await checkpoint.save(cursor);
        saved = cursor;
      })
      .catch((error: unknown) =>
        onError(new Error(`saving the ${sink.kind} relay checkpoint failed (cursor ${confirmed}); the next confirmation saves again`, { cause: error })),
      );
  };

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      wakeSleep = () => {
        clearTimeout(timer);
        resolve();
      };
    });

  async function pass(): Promise<void> {
    const from = confirmed ?? (await checkpoint.load());
    try {
      subscription = bus.subscribe(busFilter, from === undefined ? {} : { from });
    } catch (error) {
      if (!(error instanceof CursorUnavailableError)) throw error;
      // The bus no longer has (or never had) that cursor: a fresh in-process bus, or retention passed it.
      onError(new Error(`resuming after cursor ${from} is impossible (${error.message}); relaying from the newest event on`));
      subscription = bus.subscribe(busFilter);
    }
    let previous = from ?? '0';
    const inFlight: Array<Promise<void>> = [];
    let failure: unknown = null;
    let chain: Promise<void> = Promise.resolve();
    try {
      for await (const message of subscription) {
        if (stopped || failure) break;
        const data = redaction.redact(message.data);
        const event = changeCloudEvent(domain, message, previous, data, namespace);
        previous = message.cursor;
        const stateKey =
          typeof (message.data as { key?: unknown })?.key === 'string' && message.subject.endsWith('.state-changed')
            ? (message.data as { key: string }).key
            : undefined;
        const published = sink.publish({ event, stateKey });
        // Handled below, in cursor order, maybe after later ones: not an unhandled rejection meanwhile.
        published.catch(() => undefined);
        // Confirmations are taken in cursor order, so `confirmed` only ever covers a gap-free prefix.
        chain = chain.then(async () => {
          if (failure) return;
          try {
            await published;
            confirmed = message.cursor;
            save();
            onConfirmed?.(message);
          } catch (error) {
            failure ??= error;
            void subscription?.return?.();
          }
        });
        inFlight.push(chain);
        if (inFlight.length >= window) await inFlight.shift();
      }
    } catch (error) {
      failure ??= error;
    }
    await chain;
    if (failure && !stopped) throw failure instanceof Error ? failure : new Error('the relay failed', { cause: failure });
  }

  const loop = (async () => {
    let delay = retryDelayMs;
    while (!stopped) {
      try {
        await pass();
        // The subscription simply ended (the bus was closed or cut it): try again shortly.
        delay = retryDelayMs;
      } catch (error) {
        if (stopped) break;
        onFailed?.();
        onError(error);
        delay = Math.min(delay * 2, 30_000);
      }
      if (!stopped) await sleep(delay);
    }
  })();

  return {
    get confirmedCursor() {
      return confirmed;
    },
    async stop() {
      stopped = true;
      wakeSleep?.();
      await subscription?.return?.();
      await loop;
      save();
      await saving;
    },
  };
}
