/**
 * The pure parts of `npm run bench:fanout` (bench/fanout/): the fact ↔ event matching every loss and
 * duplicate count rests on, the latency histogram, and the scenario matrix the flags select.
 */
import { createHistogram, merge, percentile, record } from '../../bench/fanout/histogram.js';
import { fanoutOptions } from '../../bench/fanout/options.js';
import { minuteOf, PRODUCTS, productNameOf, seqOf } from '../../bench/fanout/protocol.js';
import { defaultGenerators } from '../../bench/fanout/runScenario.js';

const BASE = Date.parse('2026-11-30T02:00:00.000Z');

describe('fan-out benchmark', () => {
  it('should give every fact a bucket of its own and read its number back from the event', () => {
    const buckets = new Set<string>();
    for (let seq = 0; seq < 5_000; seq += 1) {
      const start = new Date(minuteOf(BASE, seq)).toISOString();
      const name = productNameOf(seq % PRODUCTS);
      buckets.add(`${name}@${start}`);
      expect(seqOf(BASE, name, start)).toBe(seq);
    }
    expect(buckets.size).toBe(5_000);
  });

  it.each([
    ['another product', 'Kettle', new Date(minuteOf(BASE, 3)).toISOString()],
    ['a product index out of range', productNameOf(PRODUCTS), new Date(minuteOf(BASE, 3)).toISOString()],
    ['a bucket after the base minute', productNameOf(1), new Date(BASE + 60_000).toISOString()],
    ['a bucket not on a minute', productNameOf(1), new Date(minuteOf(BASE, 3) + 1_000).toISOString()],
  ])('should not match an event of %s', (_, name, start) => {
    expect(seqOf(BASE, name, start)).toBe(-1);
  });

  it('should read percentiles from merged histograms to the bucket width', () => {
    const a = createHistogram();
    const b = createHistogram();
    for (let ms = 1; ms <= 98; ms += 1) record(a, ms);
    record(b, 2_345);
    record(b, 400_000); // beyond the last bucket: counted, not lost
    const merged = merge(createHistogram(), a);
    merge(merged, b);
    expect(percentile(merged, 50)).toBeCloseTo(50.1, 5);
    expect(percentile(merged, 99)).toBe(2_350);
    expect(percentile(merged, 100)).toBe(Number.POSITIVE_INFINITY);
    expect(percentile(createHistogram(), 50)).toBeNaN();
  });

  it('should run the issue matrix by default and what the flags pick otherwise', () => {
    const all = fanoutOptions([]);
    expect(all.scenarios.map(({ kind, clients, rate }) => `${kind} ${clients}@${rate}`)).toEqual([
      'identical 1000@1',
      'identical 1000@10',
      'identical 1000@100',
      'identical 5000@1',
      'identical 5000@10',
      'identical 10000@1',
      'identical 10000@10',
      'named 1000@10',
      'named 10000@10',
      'slow 1000@10',
    ]);
    expect(all).toMatchObject({ durationS: 15, drainS: 10, warmupS: 20, generators: 0, budgetMin: 10 });
    const picked = fanoutOptions(['--scenarios', 'named,slow', '--clients', '200,50', '--rates', '5', '--duration', '3']);
    expect(picked.scenarios).toEqual([
      { kind: 'named', clients: 200, rate: 5 },
      { kind: 'named', clients: 50, rate: 5 },
      { kind: 'slow', clients: 50, rate: 5 },
    ]);
    expect(picked.durationS).toBe(3);
  });

  it('should give the clients enough load generators to keep up with their deliveries', () => {
    expect(defaultGenerators({ clients: 1_000, rate: 10 })).toBe(1);
    expect(defaultGenerators({ clients: 1_000, rate: 100 })).toBe(2);
    expect(defaultGenerators({ clients: 5_000, rate: 1 })).toBe(1);
    expect(defaultGenerators({ clients: 10_000, rate: 10 })).toBe(2);
    expect(defaultGenerators({ clients: 10_000, rate: 100 })).toBe(17);
  });

  it.each([
    [['--scenarios', 'bursty'], /unknown scenario\(s\) bursty/],
    [['--clients', '10,x'], /--clients takes positive integers/],
    [['--rates', '0'], /--rates takes positive integers/],
    [['--duration', '0'], /--duration takes a number of at least 1/],
  ])('should refuse %j with the flag named', (argv, message) => {
    expect(() => fanoutOptions(argv)).toThrow(message);
  });
});
