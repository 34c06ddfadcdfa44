/**
 * Local days of an IANA time zone, as the zone-day tables key them (`RollupLayout.dayZone`): a zone day is
 * the stretch during which the local date does not change (23 or 25 hours across DST, see
 * `history/timeBuckets.ts`), keyed by the UTC instant it starts at. A zone-day row is the merge of the hour
 * rows of its day, so the kit only serves zones whose days start on whole UTC hours over
 * {@link ZONE_DAYS_FROM}..{@link ZONE_DAYS_TO} (Europe/Paris, America/New_York; not Asia/Kolkata, +05:30):
 * `dayZoneProblem` refuses the others when a product is declared. Facts outside that window (where tzdb
 * gives most zones a local mean time such as Paris's +00:09:21 before 1911) get no zone-day row, and the
 * history planner reads their days from the hour rows instead.
 */
import { LRUCache } from 'lru-cache';
import { bucketEndOf, bucketStartOf, isValidTimeZone, zoneOffsetSpans } from '../history/timeBuckets.js';

/** First instant zone-day tables cover (1970-01-01T00:00Z). */
export const ZONE_DAYS_FROM = Date.UTC(1970, 0, 1);
/** First instant past what zone-day tables cover (2100-01-01T00:00Z). */
export const ZONE_DAYS_TO = Date.UTC(2100, 0, 1);

const HOUR_MS = 3_600_000;

/** The zone's canonical IANA name (`europe/paris` → `Europe/Paris`), or null for an unknown zone. */
export function canonicalZone(zone: string): string | null {
  if (typeof zone !== 'string' || !isValidTimeZone(zone)) return null;
  let canonical = canonicalNames.get(zone);
  if (canonical === undefined) canonicalNames.set(zone, (canonical = new Intl.DateTimeFormat('en-US', { timeZone: zone }).resolvedOptions().timeZone));
  return canonical;
}

/** `canonicalZone` by name (every history query asks; an `Intl.DateTimeFormat` each time cost more than the query's planning). */
const canonicalNames = new LRUCache<string, string>({ max: 1_000 });

const problems = new Map<string, string | null>();

/**
 * Why the kit cannot keep day buckets of `zone`, or null when it can: an unknown zone, a zone whose days
 * are UTC days (every rollup keeps those already), or one whose days do not all start on a whole UTC hour
 * between 1970 and 2100 (a zone day must be the merge of whole hour rows). Reads the zone's offsets over
 * the window once per zone (a few tens of milliseconds), then answers from a cache.
 */
export function dayZoneProblem(zone: string): string | null {
  const canonical = canonicalZone(zone);
  if (canonical === null) return `"${zone}" is not an IANA time zone (e.g. "Europe/Paris")`;
  const known = problems.get(canonical);
  if (known !== undefined) return known;
  // Every day starts on a whole UTC hour when every offset is whole hours and every change happens on one
  // (a day starts at local midnight, or at the change when clocks skip midnight).
  const spans = zoneOffsetSpans(canonical, new Date(ZONE_DAYS_FROM), new Date(ZONE_DAYS_TO));
  const offHour = spans.find(({ at, offset }) => offset % HOUR_MS !== 0 || (at > ZONE_DAYS_FROM && at % HOUR_MS !== 0));
  const problem =
    offHour !== undefined
      ? `"${canonical}" has days that do not start on a whole UTC hour (offset ${offHour.offset / 60_000} minutes from ${new Date(offHour.at).toISOString()}); ` +
        'zone days are merged from hour rows, so only zones with whole-hour offsets can be declared'
      : spans.every(({ offset }) => offset === 0)
        ? `"${canonical}" days are UTC days, which every rollup keeps already`
        : null;
  problems.set(canonical, problem);
  return problem;
}

/** The zone's part of a zone-day table name: `Europe/Paris` → `europe_paris`, `Etc/GMT+5` → `etc_gmt_plus_5`. */
export function zoneSlug(zone: string): string {
  return zone
    .toLowerCase()
    .replaceAll('+', '_plus_')
    .replace(/-(?=\d)/g, '_minus_')
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
}

/**
 * The zone days of one zone, each found once and then answered from a cache keyed by UTC hour, so the
 * projector pays a map look-up per fact. Get one with `ZoneDays.of`.
 */
export class ZoneDays {
  private static readonly byZone = new Map<string, ZoneDays>();
  /** Zone day [start, end) found for each UTC hour asked about (the hour may hold its end, a DST day's too). */
  private readonly byHour = new Map<number, { start: number; end: number }>();

  private constructor(readonly zone: string) {}

  /** The calendar of a zone the kit serves (`dayZoneProblem` is null); throws otherwise. */
  static of(zone: string): ZoneDays {
    const canonical = canonicalZone(zone);
    const cached = canonical === null ? undefined : ZoneDays.byZone.get(canonical);
    if (cached) return cached;
    const problem = dayZoneProblem(zone);
    if (problem !== null) throw new RangeError(`time zone ${problem}`);
    const days = new ZoneDays(canonical!);
    ZoneDays.byZone.set(days.zone, days);
    return days;
  }

  /** Start of the zone day holding `ms`, or null outside the window zone-day tables cover. */
  startOf(ms: number): number | null {
    return this.dayOf(ms)?.start ?? null;
  }

  /** The zone day [start, end) holding `ms`, or null outside the window. */
  dayOf(ms: number): { start: number; end: number } | null {
    if (!(ms >= ZONE_DAYS_FROM && ms < ZONE_DAYS_TO)) return null;
    const hour = Math.floor(ms / HOUR_MS);
    const cached = this.byHour.get(hour);
    if (cached && ms >= cached.start && ms < cached.end) return cached;
    const day = { start: bucketStartOf(new Date(ms), 'DAY', this.zone).getTime(), end: bucketEndOf(new Date(ms), 'DAY', this.zone).getTime() };
    if (day.start < ZONE_DAYS_FROM || day.end > ZONE_DAYS_TO) return null;
    if (this.byHour.size >= 200_000) this.byHour.clear();
    this.byHour.set(hour, day);
    return day;
  }

  /** The zone days that overlap [from, to), in order (only whole days inside the window). */
  daysOverlapping(from: number, to: number): Array<{ start: number; end: number }> {
    const days: Array<{ start: number; end: number }> = [];
    for (let at = Math.max(from, ZONE_DAYS_FROM); at < Math.min(to, ZONE_DAYS_TO);) {
      const day = this.dayOf(at);
      if (!day) break;
      days.push(day);
      at = day.end;
    }
    return days;
  }
}
