const DAY = 86_400_000;
let cachedDay = NaN;
let cachedPrefix = '';
const pad2 = (n: number) => (n < 10 ? `0${n}` : `${n}`);
const pad3 = (n: number) => (n < 10 ? `00${n}` : n < 100 ? `0${n}` : `${n}`);

/**
 * `new Date(ms).toISOString()` for years 0–9999, several times faster: the day part is formatted once
 * per day. Fractions of a millisecond are truncated, as `toISOString` does. Generating 90 days calls it
 * over 100 000 times, where `toISOString` alone cost a third of the run.
 */
export function isoTime(ms: number): string {
  const t = Math.floor(ms);
  const day = Math.floor(t / DAY);
  if (day !== cachedDay) {
    cachedDay = day;
    cachedPrefix = new Date(day * DAY).toISOString().slice(0, 11);
  }
  let rest = t - day * DAY;
  const hours = Math.floor(rest / 3_600_000);
  rest -= hours * 3_600_000;
  const minutes = Math.floor(rest / 60_000);
  rest -= minutes * 60_000;
  const seconds = Math.floor(rest / 1000);
  // join() builds one flat string; a template literal would keep a rope of nine parts alive per timestamp,
  // several times the memory of the text itself across 100 000 facts.
  return [cachedPrefix, pad2(hours), ':', pad2(minutes), ':', pad2(seconds), '.', pad3(rest - seconds * 1000), 'Z'].join('');
}
