import { JetStreamApiError, type JetStreamClient } from '@nats-io/jetstream';
import { ConnectionError, NoRespondersError, RequestError, TimeoutError, delay } from '@nats-io/transport-node';
import type { ConnectionWatch } from './jetStreamConnection.js';

/** One publish as the retry loop needs it. */
export interface ReliablePublish {
  subject: string;
  payload: string;
  /** `Nats-Msg-Id`: the same on every attempt, so a retry of an accepted message is a no-op duplicate. */
  messageId: string;
  /** The stream that must store it (guards against a foreign stream capturing the subject). */
  stream: string;
  /** Give up (reject) when not acknowledged by then, epoch ms. */
  deadline: number;
  /** Stops retrying early (the bus is closing). */
  cancelled: () => boolean;
}

/** Longest wait for one PubAck before the attempt is retried. */
const ATTEMPT_TIMEOUT_MS = 5_000;
const BACKOFF_MS = [50, 100, 250, 500, 1_000];

/** An attempt overtaken by a reconnect: what it sent may have been discarded, so send again now. */
class Reconnected extends Error {}

/**
 * Publishes until the stream acknowledges, through disconnects, a broker restart and JetStream recovery,
 * until the deadline. Resolves with the stream sequence of the stored message — for a retry of a message
 * the broker had already stored, the original sequence (PubAck `duplicate`). Errors retrying cannot fix
 * (bad subject, stream mismatch, payload too large) reject at once.
 */
export async function publishReliably(js: JetStreamClient, watch: ConnectionWatch, p: ReliablePublish): Promise<number> {
  for (let attempt = 0; ; attempt++) {
    // Requests made while disconnected are dropped by the client: wait for the link instead.
    if (!watch.isConnected) await watch.waitForReconnect(p.deadline - Date.now());
    const remaining = p.deadline - Date.now();
    try {
      if (remaining <= 0 || p.cancelled()) throw new TimeoutError();
      const ack = await new Promise<{ seq: number }>((resolve, reject) => {
        const cancel = watch.onNextReconnect(() => reject(new Reconnected()));
        js.publish(p.subject, p.payload, { msgID: p.messageId, expect: { streamName: p.stream }, timeout: Math.min(ATTEMPT_TIMEOUT_MS, remaining) })
          .then(resolve, reject)
          .finally(cancel);
      });
      return ack.seq;
    } catch (error) {
      if (error instanceof Reconnected) continue;
      const wait = BACKOFF_MS[Math.min(attempt, BACKOFF_MS.length - 1)];
      if (!isTransient(error) || p.cancelled() || Date.now() + wait >= p.deadline) {
        throw new Error(`publish to ${p.subject} not acknowledged: ${(error as Error).message}`, { cause: error });
      }
      await delay(wait);
    }
  }
}

/** Failures a broker restart or a reconnect produce; anything else is the caller's problem. */
function isTransient(error: unknown): boolean {
  if (error instanceof TimeoutError || error instanceof NoRespondersError || error instanceof ConnectionError || error instanceof RequestError) return true;
  // The client reports no responders on the stream subject as JetStreamNotEnabled (not exported).
  if (error instanceof Error && error.name === 'JetStreamNotEnabled') return true;
  // 503: JetStream temporarily unavailable (still recovering its streams after a restart).
  return error instanceof JetStreamApiError && error.status === 503;
}
