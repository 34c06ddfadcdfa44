import { z } from 'zod';

/**
 * The CloudEvents 1.0 envelope (structured JSON mode) the mesh speaks: producers post facts in it to
 * `POST /events`, the simulator generates it, tests seed it. `source` + `id` is the idempotency key.
 * See https://github.com/cloudevents/spec/blob/v1.0.2/cloudevents/spec.md
 */
export const cloudEventEnvelope = z.object({
  specversion: z.literal('1.0', { error: 'specversion must be "1.0"' }),
  id: z.string().min(1, 'id must be a non-empty string').max(256),
  source: z.string().min(1, 'source must be a non-empty URI-reference').max(1024),
  type: z.string().min(1, 'type must be a non-empty string'),
  time: z.iso.datetime({ offset: true, error: 'time must be an RFC 3339 timestamp, e.g. 2024-05-01T12:00:00Z' }),
  subject: z.string().optional(),
  datacontenttype: z.string().optional(),
  dataschema: z.string().optional(),
  data: z.unknown(),
});

/** A CloudEvent as received: envelope validated, `data` not yet checked against the fact schema. */
export type CloudEvent = z.infer<typeof cloudEventEnvelope>;

/** A CloudEvent as a producer builds it: the required attributes and a JSON object as `data`. */
export interface OutgoingCloudEvent<Data = Record<string, unknown>> {
  specversion: '1.0';
  /** Unique per `source`. */
  id: string;
  /** A URI-reference naming the producer, e.g. `urn:mesh:simulator:orders`. */
  source: string;
  /** The fact type, a key of the domain's fact schemas (`OrderPlaced`, ...). */
  type: string;
  /** RFC 3339 timestamp with zone (`toISOString()`). */
  time: string;
  subject?: string;
  data: Data;
}
