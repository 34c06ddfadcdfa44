import { sketchRowKey } from '../../subgraphs/kit/store/sketchRows.js';

describe('sketchRowKey', () => {
  const bucket = new Date(Date.UTC(2026, 0, 1, 12, 30));

  it('should give equal rows one key and rows that differ in bucket or any dimension another', () => {
    expect(sketchRowKey(bucket, ['p1', 'eu'])).toBe(sketchRowKey(new Date(bucket.getTime()), ['p1', 'eu']));
    const keys = [
      sketchRowKey(bucket, ['p1', 'eu']),
      sketchRowKey(bucket, ['p1', 'na']),
      sketchRowKey(bucket, ['p2', 'eu']),
      sketchRowKey(new Date(bucket.getTime() + 60_000), ['p1', 'eu']),
      sketchRowKey(bucket, ['p1eu', '']),
      sketchRowKey(bucket, ['', 'p1eu']),
    ];
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('should keep rows apart whose dimension values hold the separator itself', () => {
    const keys = [
      sketchRowKey(bucket, ['a\u0000b', 'c']),
      sketchRowKey(bucket, ['a', 'b\u0000c']),
      sketchRowKey(bucket, ['a', 'b']),
      // The joined form of ['a', 'b'] written out as one value with a NUL inside.
      sketchRowKey(bucket, [`a\u0000b`]),
      sketchRowKey(new Date(0), [`${bucket.getTime()}`]),
    ];
    expect(new Set(keys).size).toBe(keys.length);
  });
});
