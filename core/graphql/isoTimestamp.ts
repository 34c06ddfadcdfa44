/**
 * An ISO-8601 timestamp with a zone, seconds optional: `2024-05-01T12:00Z`, `2024-05-01T12:00:00.5+02:00`.
 * What `DateTime` inputs and history range arguments accept (a zone is required: a timestamp without one
 * means a different instant on every server).
 */
export const ISO_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

/** Whether `value` is an ISO-8601 timestamp with a zone that names a real instant. */
export function isIsoTimestamp(value: unknown): value is string {
  return typeof value === 'string' && ISO_TIMESTAMP.test(value) && !Number.isNaN(Date.parse(value));
}
