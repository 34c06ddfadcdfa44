import { xorshift } from './xorshift.js';

/** The orders facts every ingestion benchmark posts: spread over the 90 days before `end`, seeded. */
const DAY = 86_400_000;
const regions = ['eu', 'na', 'apac', 'latam'];
const channels = ['web', 'mobile', 'store', 'partner'] as const;

/** Deterministic, so runs are comparable. */
const random = xorshift(0x9e3779b9);

/** Fact number `n` (its id and order id derive from it): an `OrderPlaced` at `time`, by default random in the 90 days before `end`. */
export function benchFact(n: number, end: number, time = new Date(end - 90 * DAY + Math.floor(random() * 90 * DAY))) {
  return {
    specversion: '1.0',
    id: `bench-${n}`,
    source: 'urn:bench',
    type: 'OrderPlaced',
    time: time.toISOString(),
    data: {
      orderId: `o${n}`,
      productId: `p${String(1 + Math.floor(random() * 50)).padStart(3, '0')}`,
      quantity: 1 + Math.floor(random() * 5),
      unitPrice: (1 + Math.floor(random() * 20000)) / 100,
      region: regions[Math.floor(random() * regions.length)],
      channel: channels[Math.floor(random() * channels.length)],
      customerEmail: `c${n % 5000}@example.com`,
    },
  };
}
