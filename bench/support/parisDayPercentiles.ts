const DAY = 86_400_000;

/**
 * The percentile query `npm run bench` times and `npm run bench:history-js` takes apart: p50/p95 of the order
 * value per product and Europe/Paris day over the 30 days before `end` (a UTC midnight, so the first and
 * last Paris days are partial and read from hours).
 */
export function parisDayPercentilesRequest(end: number) {
  return {
    range: { from: new Date(end - 30 * DAY), to: new Date(end) },
    granularity: 'DAY' as const,
    timeZone: 'Europe/Paris',
    groupBy: ['product_id'],
    sketchMeasures: ['order_value'],
  };
}
