import type { EventOutcome } from '../ingest/ingestEvents.js';

/** What a dead-letter message says: why, about which event, and the event as received. */
export interface DeadLetterNotice {
  reason: string;
  field: string;
  source: string | null;
  id: string | null;
  /** When the bridge rejected it. */
  rejectedAt: string;
  /** The message body as received (text, the first 64 KiB). */
  body: string;
}

/** The dead-letter notice of a fact ingestion rejected, the same for the MQTT and the AMQP bridge. */
export function deadLetterNotice(outcome: Extract<EventOutcome, { status: 'rejected' }>, body: Buffer, now = new Date()): DeadLetterNotice {
  return {
    reason: outcome.reason,
    field: outcome.field,
    source: outcome.source,
    id: outcome.id,
    rejectedAt: now.toISOString(),
    body: body.toString('utf8').slice(0, 65_536),
  };
}
