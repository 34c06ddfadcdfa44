import { cloudEventEnvelope } from '../../../core/events/CloudEvent.js';
import { describeIssues, type EventRejection } from './describeIssues.js';
import type { FactSchemas } from '../productDeclaration.js';
import type { StoredFact } from '../store/Store.js';
import { exceedsJsonDepth } from '../http/jsonDepth.js';
import { isWellFormed } from './wellFormed.js';

/** Deepest nesting of arrays/objects in one event (envelope included). */
export const MAX_EVENT_DEPTH = 32;

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

export type ValidationOutcome =
  { ok: true; fact: StoredFact } | { ok: false; rejection: EventRejection; source: string | null; id: string | null; type: string | null };

const text = (value: unknown): string | null => (typeof value === 'string' ? value : null);

/** Who sent a rejected event, as far as its attributes tell (built for rejections only). */
function who(raw: unknown): { source: string | null; id: string | null; type: string | null } {
  const meta = typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>) : {};
  return { source: text(meta.source), id: text(meta.id), type: text(meta.type) };
}

/** The first unstorable one of the envelope attributes a fact keeps (each a string or absent), named by its path. */
function unstorableAttribute(event: { id: string; source: string; type: string; subject?: string }): EventRejection | null {
  if (isStorable(event.id) && isStorable(event.source) && isStorable(event.type) && isStorable(event.subject)) return null;
  return describeUnstorable({ id: event.id, source: event.source, type: event.type, subject: event.subject }, '');
}

/**
 * Checks one raw event: CloudEvents envelope, known fact type, payload schema, time window. Pure: no I/O,
 * so every rejection reason is testable on its own.
 */
export function validateEvent(raw: unknown, facts: FactSchemas, rules: EventTimeRules): ValidationOutcome {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return { ok: false, rejection: { field: '', reason: 'an event must be a JSON object (CloudEvents 1.0 structured mode)' }, ...who(raw) };
  }
  // Events also arrive from the broker, not only through POST /events: bound the nesting before any
  // recursive walk (schema checks, JSON.stringify into the dead-letter table) could overflow the stack.
  if (exceedsJsonDepth(raw, MAX_EVENT_DEPTH)) {
    return { ok: false, rejection: { field: '', reason: `the event nests arrays/objects deeper than ${MAX_EVENT_DEPTH} levels` }, ...who(raw) };
  }
  const envelope = cloudEventEnvelope.safeParse(raw);
  if (!envelope.success) return { ok: false, rejection: describeIssues(envelope.error.issues), ...who(raw) };
  const event = envelope.data;
  const schema = facts[event.type];
  if (!schema) {
    return {
      ok: false,
      rejection: { field: 'type', reason: `type: unknown fact type "${event.type}"; accepted: ${Object.keys(facts).join(', ')}` },
      ...who(raw),
    };
  }
  const data = schema.safeParse(event.data);
  if (!data.success) return { ok: false, rejection: describeIssues(data.error.issues, 'data'), ...who(raw) };
  const unstorable = findUnstorable(data.data, 'data') ?? unstorableAttribute(event);
  if (unstorable !== null) return { ok: false, rejection: unstorable, ...who(raw) };
  const time = new Date(event.time);
  if (time.getTime() > rules.now.getTime() + rules.maxFutureMs) {
    return {
      ok: false,
      rejection: { field: 'time', reason: `time: ${event.time} is in the future (more than ${rules.maxFutureMs / 1000}s ahead)` },
      ...who(raw),
    };
  }
  if (rules.watermark && time.getTime() < rules.watermark.getTime() - rules.latenessMs) {
    return {
      ok: false,
      rejection: {
        field: 'time',
        reason: `time: ${event.time} is later than the lateness window allows (watermark ${rules.watermark.toISOString()}, window ${rules.latenessMs / 1000}s)`,
      },
      ...who(raw),
    };
  }
  return { ok: true, fact: { source: event.source, id: event.id, type: event.type, time, data: data.data as Record<string, unknown> } };
}

/**
 * The first value no store can hold faithfully, with a reason naming its path: U+0000 (PostgreSQL text
 * and jsonb cannot hold it), a lone UTF-16 surrogate (not encodable as UTF-8), or a non-finite number
 * (`1e400` parses to Infinity; JSON cannot carry it back and sums turn to Infinity). Refusing them here
 * keeps both stores equal, and makes them a permanent 400 rather than a store failure producers retry.
 *
 * Every fact of a bulk ingest passes through here, so the common case (nothing wrong) is a walk that
 * builds no path strings; only a value that fails is walked again to name where.
 */
function findUnstorable(value: unknown, path: string): EventRejection | null {
  return isStorable(value) ? null : describeUnstorable(value, path);
}

function isStorable(value: unknown): boolean {
  if (typeof value === 'string') return !value.includes('\u0000') && isWellFormed(value);
  if (typeof value === 'number') return Number.isFinite(value);
  if (Array.isArray(value)) {
    for (const item of value) if (!isStorable(item)) return false;
    return true;
  }
  if (value && typeof value === 'object') {
    for (const key in value) {
      if (!Object.hasOwn(value, key)) continue;
      if (!isStorable(key) || !isStorable((value as Record<string, unknown>)[key])) return false;
    }
  }
  return true;
}

const where = (path: string): string => path || 'event';

function describeUnstorable(value: unknown, path: string): EventRejection | null {
  if (typeof value === 'string') {
    if (value.includes('\u0000')) return { field: path, reason: `${where(path)}: contains a NUL character (U+0000), which facts may not hold` };
    if (!isWellFormed(value)) return { field: path, reason: `${where(path)}: contains a lone UTF-16 surrogate (not valid Unicode text)` };
    return null;
  }
  if (typeof value === 'number') {
    return Number.isFinite(value) ? null : { field: path, reason: `${where(path)}: must be a finite number; got ${value}` };
  }
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) {
      const found = describeUnstorable(item, `${path}.${i}`);
      if (found !== null) return found;
    }
    return null;
  }
  if (value && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      const keyPath = path ? `${path}.${key}` : key;
      const badKey = describeUnstorable(key, keyPath);
      if (badKey !== null) return { field: keyPath, reason: badKey.reason.replace(/^[^:]*:/, `${keyPath} (a key):`) };
      const found = describeUnstorable(item, keyPath);
      if (found !== null) return found;
    }
  }
  return null;
}
