import { cloudEventEnvelope, describeIssues, type EventRejection } from '../cloudEvent.js';
import type { FactSchemas } from '../defineDataProduct.js';
import type { StoredFact } from '../store/Store.js';

/** Time limits an event must respect. */
export interface EventTimeRules {
  /** Now, injectable for tests. */
  now: Date;
  /** Events whose time is later than now + this are rejected (clock skew tolerance). */
  maxFutureMs: number;
  /** Events older than watermark − this are rejected as too late to revise history. */
  latenessMs: number;
  /** Current watermark, or null before the first fact. */
  watermark: Date | null;
}

export type ValidationOutcome = { ok: true; fact: StoredFact } | { ok: false; rejection: EventRejection; source: string | null; id: string | null; type: string | null };

const text = (value: unknown): string | null => (typeof value === 'string' ? value : null);

/**
 * Checks one raw event: CloudEvents envelope, known fact type, payload schema, time window. Pure: no I/O,
 * so every rejection reason is testable on its own.
 */
export function validateEvent(raw: unknown, facts: FactSchemas, rules: EventTimeRules): ValidationOutcome {
  const meta = typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>) : {};
  const who = { source: text(meta.source), id: text(meta.id), type: text(meta.type) };
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return { ok: false, rejection: { field: '', reason: 'an event must be a JSON object (CloudEvents 1.0 structured mode)' }, ...who };
  }
  const envelope = cloudEventEnvelope.safeParse(raw);
  if (!envelope.success) return { ok: false, rejection: describeIssues(envelope.error.issues), ...who };
  const event = envelope.data;
  const schema = facts[event.type];
  if (!schema) {
    return { ok: false, rejection: { field: 'type', reason: `type: unknown fact type "${event.type}"; accepted: ${Object.keys(facts).join(', ')}` }, ...who };
  }
  const data = schema.safeParse(event.data);
  if (!data.success) return { ok: false, rejection: describeIssues(data.error.issues, 'data'), ...who };
  const nul = findNul(data.data, 'data') ?? findNul({ id: event.id, source: event.source, subject: event.subject }, '');
  if (nul !== null) {
    // PostgreSQL text and jsonb cannot hold U+0000; refusing it here keeps both stores' behaviour equal.
    return { ok: false, rejection: { field: nul, reason: `${nul}: contains a NUL character (U+0000), which facts may not hold` }, ...who };
  }
  const time = new Date(event.time);
  if (time.getTime() > rules.now.getTime() + rules.maxFutureMs) {
    return { ok: false, rejection: { field: 'time', reason: `time: ${event.time} is in the future (more than ${rules.maxFutureMs / 1000}s ahead)` }, ...who };
  }
  if (rules.watermark && time.getTime() < rules.watermark.getTime() - rules.latenessMs) {
    return {
      ok: false,
      rejection: { field: 'time', reason: `time: ${event.time} is later than the lateness window allows (watermark ${rules.watermark.toISOString()}, window ${rules.latenessMs / 1000}s)` },
      ...who,
    };
  }
  return { ok: true, fact: { source: event.source, id: event.id, type: event.type, time, data: data.data as Record<string, unknown> } };
}

/** Path of the first string (or key) containing U+0000, or null. */
function findNul(value: unknown, path: string): string | null {
  if (typeof value === 'string') return value.includes('\u0000') ? path : null;
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) {
      const found = findNul(item, `${path}.${i}`);
      if (found !== null) return found;
    }
    return null;
  }
  if (value && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      const at = path ? `${path}.${key}` : key;
      if (key.includes('\u0000')) return at;
      const found = findNul(item, at);
      if (found !== null) return found;
    }
  }
  return null;
}
