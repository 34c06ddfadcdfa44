const DAY = 86_400_000;
const pad = (n: number, width: number) => String(n).padStart(width, '0');
/** `HH:MM:` for each minute of a day, and `SS.mmmZ` for each millisecond of a minute, built on first use. */
let minutes: string[] | undefined;
let millis: string[] | undefined;
let cachedDay = NaN;
let cachedPrefix = '';

/**
 * `new Date(ms).toISOString()` for years 0–9999, several times faster: the result is three shared pieces
 * (day, minute, second and millisecond) rather than a fresh formatting. Fractions of a millisecond are
 * truncated, as `toISOString` does. Generating 90 days formats over 150 000 timestamps, where
 * `toISOString` alone took a third of the run.
 */
export function isoTime(ms: number): string {
  minutes ??= Array.from({ length: 1440 }, (_, m) => `${pad(Math.floor(m / 60), 2)}:${pad(m % 60, 2)}:`);
  millis ??= Array.from({ length: 60_000 }, (_, i) => `${pad(Math.floor(i / 1000), 2)}.${pad(i % 1000, 3)}Z`);
  const t = Math.floor(ms);
  const day = Math.floor(t / DAY);
  if (day !== cachedDay) {
    cachedDay = day;
    cachedPrefix = new Date(day * DAY).toISOString().slice(0, 11);
  }
  const ofDay = t - day * DAY;
  return cachedPrefix + minutes[Math.floor(ofDay / 60_000)] + millis[ofDay % 60_000];
}
