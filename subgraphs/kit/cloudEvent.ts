import { z } from 'zod';

/**
 * CloudEvents 1.0 envelope (structured JSON mode). Domains publish curated facts in it; `source` + `id`
 * is the idempotency key. See https://github.com/cloudevents/spec/blob/v1.0.2/cloudevents/spec.md
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

/** A CloudEvent as received, envelope validated, `data` not yet checked against the fact schema. */
export type CloudEvent = z.infer<typeof cloudEventEnvelope>;

/** Why an event was rejected, naming the offending field (`data.quantity`, `time`, ...). */
export interface EventRejection {
  /** Dotted path of the first offending field, or `''` when the event as a whole is wrong. */
  field: string;
  /** Human-readable reason. */
  reason: string;
}

/** Turns zod issues into one readable reason that names the field, e.g. `data.quantity: expected number`. */
export function describeIssues(issues: readonly z.core.$ZodIssue[], prefix = ''): EventRejection {
  const first = issues[0];
  const field = [prefix, ...(first?.path ?? []).map(String)].filter(Boolean).join('.');
  const reasons = issues.slice(0, 5).map((issue) => {
    const at = [prefix, ...issue.path.map(String)].filter(Boolean).join('.');
    return at ? `${at}: ${issue.message}` : issue.message;
  });
  return { field, reason: reasons.join('; ') };
}
