import { DDSketch } from '@datadog/sketches-js';
import { DISTINCT_STANDARD_ERROR, DistinctSketch } from '../../subgraphs/kit/sketches/DistinctSketch.js';
import { QUANTILE_RELATIVE_ACCURACY, QuantileSketch } from '../../subgraphs/kit/sketches/QuantileSketch.js';
import { hashValue, murmur3 } from '../../subgraphs/kit/sketches/hashValue.js';
import { xorshift } from '../../bench/support/xorshift.js';

/** The exact q-quantile as DDSketch defines it: the sample at rank q·(n−1), rounded down. */
function exactQuantile(sorted: number[], q: number): number {
  return sorted[Math.floor(q * (sorted.length - 1))];
}

describe('hashValue', () => {
  it('should match MurmurHash3 x86_32 reference vectors', () => {
    const bytes = (s: string) => new TextEncoder().encode(s);
    expect(murmur3(bytes(''), 0, 0)).toBe(0);
    expect(murmur3(bytes(''), 0, 1)).toBe(0x514e28b7);
    expect(murmur3(bytes('test'), 4, 0)).toBe(0xba6bd213);
    expect(murmur3(bytes('Hello, world!'), 13, 1234)).toBe(0xfaf6cdb3);
    expect(murmur3(bytes('The quick brown fox jumps over the lazy dog'), 43, 0x9747b28c)).toBe(0x2fa826cd);
  });

  it('should hash the UTF-8 bytes, whatever the length', () => {
    const utf8 = (s: string) => {
      const bytes = new TextEncoder().encode(s);
      return [murmur3(bytes, bytes.length, 0), murmur3(bytes, bytes.length, 0x9747b28c)];
    };
    for (const value of ['été', 'a€b', '😀x', 'lone \ud800 surrogate', '']) expect(hashValue(value)).toEqual(utf8(value));
    expect(hashValue('a'.repeat(1000))).not.toEqual(hashValue('a'.repeat(999)));
  });
});

describe('DistinctSketch', () => {
  it.each([1, 10, 100, 1_000, 1_500, 10_000, 100_000])('should estimate %i distinct values within 3 standard errors', (n) => {
    const sketch = new DistinctSketch();
    for (let i = 0; i < n; i++) {
      sketch.add(`customer-${i}@example.com`);
      if (i % 3 === 0) sketch.add(`customer-${i}@example.com`); // repeats count once
    }
    expect(Math.abs(sketch.estimate() - n)).toBeLessThanOrEqual(Math.max(1, 3 * DISTINCT_STANDARD_ERROR * n));
  });

  it('should merge into the sketch of the union, dense or sparse, and survive encoding', () => {
    const a = new DistinctSketch();
    const b = new DistinctSketch();
    const union = new DistinctSketch();
    for (let i = 0; i < 5_000; i++) {
      (i < 3_000 ? a : b).add(`v${i}`);
      union.add(`v${i}`);
    }
    for (let i = 0; i < 50; i++) b.add(`v${i}`); // overlap
    const merged = DistinctSketch.decode(a.encode());
    merged.merge(DistinctSketch.decode(b.encode()));
    expect(merged.encode()).toEqual(union.encode());
    const small = new DistinctSketch();
    ['x', 'y', 'x'].forEach((v) => small.add(v));
    expect(small.encode().length).toBe(2 + 2 * 4);
    expect(DistinctSketch.decode(small.encode()).estimate()).toBe(2);
    expect(new DistinctSketch().estimate()).toBe(0);
  });

  it('should treat a one-value sketch as any sparse one: copies, merges both ways, folding into dense registers', () => {
    const one = new DistinctSketch();
    one.add('a');
    one.add('a');
    expect(one.estimate()).toBe(1);
    expect(one.encode().length).toBe(2 + 4);
    const copy = one.clone();
    copy.add('b');
    expect([one.estimate(), copy.estimate()]).toEqual([1, 2]);
    const empty = new DistinctSketch();
    empty.merge(one);
    expect(empty.encode()).toEqual(one.encode());
    for (const size of [3, 2_000]) {
      const many = new DistinctSketch();
      for (let i = 0; i < size; i++) many.add(`m${i}`);
      const expected = DistinctSketch.decode(many.encode());
      expected.add('a');
      const intoMany = many.clone();
      intoMany.merge(one);
      const intoOne = one.clone();
      intoOne.merge(many);
      expect(intoMany.encode()).toEqual(expected.encode());
      expect(intoOne.encode()).toEqual(expected.encode());
    }
  });

  it('should leave a copy as it was whichever of the two is written to, sparse or dense, by every kind of write', () => {
    const filled = (size: number, prefix: string) => {
      const sketch = new DistinctSketch();
      for (let i = 0; i < size; i++) sketch.add(`${prefix}${i}`);
      return sketch;
    };
    // Each write reaches the entries or registers by its own path: add, merge and mergeEncoded of a sparse
    // and of a dense sketch (the dense ones write the registers directly).
    const writes: Array<(sketch: DistinctSketch) => void> = [
      (sketch) => sketch.add('written'),
      (sketch) => sketch.merge(filled(5, 'w')),
      (sketch) => sketch.merge(filled(3_000, 'w')),
      (sketch) => sketch.mergeEncoded(filled(5, 'e').encode()),
      (sketch) => sketch.mergeEncoded(filled(3_000, 'e').encode()),
    ];
    for (const size of [2, 40, 3_000]) {
      for (const write of writes) {
        for (const written of ['copy', 'original'] as const) {
          const original = filled(size, 'o');
          const before = Array.from(original.encode());
          const copy = original.clone();
          const [target, untouched] = written === 'copy' ? [copy, original] : [original, copy];
          write(target);
          expect(Array.from(untouched.encode())).toEqual(before);
          const expected = filled(size, 'o');
          write(expected);
          expect(Array.from(target.encode())).toEqual(Array.from(expected.encode()));
          // Written again after its own copy: still the untouched one's bytes.
          target.add('again');
          expect(Array.from(untouched.encode())).toEqual(before);
        }
      }
    }
  });

  it('should count small sets exactly: sparse entries collide only when 25 hash bits do', () => {
    for (let n = 1; n <= 1024; n += 61) {
      const sketch = new DistinctSketch();
      for (let i = 0; i < n; i++) sketch.add(`small-${n}-${i}`);
      expect(DistinctSketch.decode(sketch.encode()).estimate()).toBe(n);
    }
  });

  it('should merge stored bytes exactly as their decoded sketch, sparse or dense on either side', () => {
    const sketchOf = (from: number, count: number) => {
      const sketch = new DistinctSketch();
      for (let i = from; i < from + count; i++) sketch.add(`m${i}`);
      return sketch;
    };
    // Sizes around the sparse limit (1,024 entries), so some merges turn the sketch dense.
    for (const [into, from] of [
      [3, 2],
      [600, 600],
      [1_000, 30],
      [0, 5_000],
      [5_000, 7],
      [4_000, 6_000],
    ]) {
      const bytes = sketchOf(10_000, from).encode();
      const viaDecode = sketchOf(9_990, into);
      viaDecode.merge(DistinctSketch.decode(bytes));
      const viaBytes = sketchOf(9_990, into);
      viaBytes.mergeEncoded(bytes);
      expect(viaBytes.encode()).toEqual(viaDecode.encode());
      expect(viaBytes.estimate()).toBe(viaDecode.estimate());
    }
    const sketch = sketchOf(0, 10);
    const before = sketch.encode();
    const outOfRange = Uint8Array.from([0x11, 12, 0, 0, 1, 0x3f]); // value 63 > 33
    expect(() => sketch.mergeEncoded(outOfRange)).toThrow(/out of range/);
    expect(() => sketch.mergeEncoded(Uint8Array.from([0x11, 12, 0, 0, 0]))).toThrow(/malformed/);
    expect(() => sketch.mergeEncoded(Uint8Array.from([0x11, 14]))).toThrow(/precision/);
    expect(sketch.encode()).toEqual(before);
  });

  it('should merge stored bytes into the bytes of their decoded merge, in any order, sparse or dense', () => {
    const sketchOf = (from: number, count: number) => {
      const sketch = new DistinctSketch();
      for (let i = from; i < from + count; i++) sketch.add(`p${i}`);
      return sketch.encode();
    };
    const viaDecode = (parts: Uint8Array[]) => {
      const merged = DistinctSketch.decode(parts[0]);
      for (const bytes of parts.slice(1)) merged.merge(DistinctSketch.decode(bytes));
      return merged.encode();
    };
    // Overlapping parts whose union crosses the sparse limit (1,024 entries) or not, dense parts among them.
    for (const sizes of [
      [1, 1],
      [3, 2, 1],
      [600, 500],
      [1_000, 20, 4],
      [1_024, 1],
      [5_000, 3],
      [2, 5_000, 7_000],
      [40, 30, 20, 10, 1_000],
    ]) {
      const parts = sizes.map((size, i) => sketchOf(i * 7, size));
      const expected = viaDecode(parts);
      expect(DistinctSketch.mergeBytes(parts)).toEqual(expected);
      expect(DistinctSketch.mergeBytes([...parts].reverse())).toEqual(expected);
    }
    expect(DistinctSketch.mergeBytes([])).toEqual(new DistinctSketch().encode());
    // One index with two values (as two sketches that saw different values there hold): the highest stays.
    const low = Uint8Array.from([0x11, 12, 0, 0, 1, 0x43]); // index 5, value 3
    const high = Uint8Array.from([0x11, 12, 0, 0, 1, 0x47]); // index 5, value 7
    expect(DistinctSketch.mergeBytes([high, low])).toEqual(high);
    expect(DistinctSketch.mergeBytes([low, high, low])).toEqual(viaDecode([low, high, low]));
    expect(() => DistinctSketch.mergeBytes([low, Uint8Array.from([0x11, 12, 0, 0, 1, 0x3f])])).toThrow(/out of range/);
    expect(() => DistinctSketch.mergeBytes([low, Uint8Array.from([0x11, 12, 0, 0, 0])])).toThrow(/malformed/);
    expect(() => DistinctSketch.mergeBytes([Uint8Array.from([0x11, 14]), low])).toThrow(/precision/);
  });

  it('should refuse malformed bytes', () => {
    expect(() => DistinctSketch.decode(Uint8Array.from([0x11, 12, 0, 0, 0]))).toThrow(/malformed/);
    expect(() => DistinctSketch.decode(Uint8Array.from([0x11, 14]))).toThrow(/precision/);
  });
});

describe('QuantileSketch', () => {
  it('should answer quantiles within the relative accuracy, after encoding and merging, negatives included', () => {
    const samples = Array.from({ length: 20_000 }, (_, i) => (i % 10 === 0 ? -1 : 1) * Math.exp(((i * 7919) % 1000) / 150));
    const parts = [QuantileSketch.empty(), QuantileSketch.empty(), QuantileSketch.empty()];
    samples.forEach((v, i) => parts[i % 3].add(v));
    parts[0].add(0);
    const merged = QuantileSketch.empty();
    for (const part of parts) merged.merge(QuantileSketch.decode(part.encode()));
    const sorted = [...samples, 0].sort((x, y) => x - y);
    expect(merged.count).toBe(sorted.length);
    for (const q of [0, 0.05, 0.5, 0.9, 0.95, 0.99, 1]) {
      const exact = exactQuantile(sorted, q);
      expect(Math.abs(merged.quantile(q)! - exact)).toBeLessThanOrEqual(QUANTILE_RELATIVE_ACCURACY * Math.abs(exact) + 1e-12);
    }
  });

  it('should store a single value in a few bytes and be empty without samples', () => {
    const one = QuantileSketch.empty();
    one.add(36.5);
    expect(one.encode().length).toBeLessThan(8);
    expect(QuantileSketch.empty().quantile(0.5)).toBeNull();
    expect(() => one.add(Number.NaN)).toThrow(RangeError);
  });

  it('should encode a few samples exactly as the DDSketch built from them, and answer the same', () => {
    const sets = [[36.5], [0], [-2, 2], [5, 5, 5], [1e-320, -1e-320, 0, 3], [-7.25, 100, 0.001, 42, 42, -1e6, 1e6, 8.5], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]];
    for (const samples of sets) {
      const inline = QuantileSketch.empty();
      for (const value of samples) inline.add(value);
      const built = QuantileSketch.decode(inline.encode());
      expect(Array.from(built.encode())).toEqual(Array.from(inline.encode()));
      const library = new DDSketch({ relativeAccuracy: QUANTILE_RELATIVE_ACCURACY });
      for (const value of samples) library.accept(value);
      for (const q of [0, 0.5, 0.99, 1]) {
        expect(built.quantile(q)).toBe(library.getValueAtQuantile(q)); // the bytes hold the library's bins
        expect(inline.quantile(q)).toBe(library.getValueAtQuantile(q));
      }
      expect(built.count).toBe(samples.length);
      const merged = QuantileSketch.empty();
      merged.merge(inline);
      merged.merge(inline.clone());
      expect(merged.count).toBe(2 * samples.length);
      const twice = new DDSketch({ relativeAccuracy: QUANTILE_RELATIVE_ACCURACY });
      for (const value of [...samples, ...samples]) twice.accept(value);
      expect(merged.quantile(0.5)).toBe(twice.getValueAtQuantile(0.5));
    }
  });

  it("should hold the library sketch's bins and answer its quantiles, whatever the merge order and sizes", () => {
    // Seeded xorshift: parts of 1 to ~400 samples (sparse and dense bins), negatives and zeros included.
    const random = xorshift(0x2545f491);
    const sample = () => {
      const r = random();
      return r < 0.1 ? -Math.exp(random() * 10) : r < 0.12 ? 0 : Math.exp(random() * 14 - 4);
    };
    for (let trial = 0; trial < 60; trial++) {
      const parts = Array.from({ length: 1 + Math.floor(random() * 30) }, () => Array.from({ length: 1 + Math.floor(random() ** 3 * 400) }, sample));
      const library = new DDSketch({ relativeAccuracy: QUANTILE_RELATIVE_ACCURACY });
      const whole = QuantileSketch.empty();
      const merged = QuantileSketch.empty();
      const halves = [QuantileSketch.empty(), QuantileSketch.empty()];
      parts.forEach((part, i) => {
        const sketch = QuantileSketch.empty();
        for (const value of part) {
          library.accept(value);
          whole.add(value);
          sketch.add(value);
        }
        const read = QuantileSketch.decode(sketch.encode());
        merged.merge(i % 2 ? read : sketch);
        halves[i % 2].merge(read.clone());
      });
      halves[1].merge(halves[0]);
      for (const sketch of [merged, halves[1]]) {
        expect(sketch.count).toBe(library.count);
        expect(Array.from(sketch.encode())).toEqual(Array.from(whole.encode()));
        const qs = [0, 0.01, 0.25, 0.5, 0.75, 0.95, 0.99, 1];
        for (const q of qs) expect(sketch.quantile(q)).toBe(library.getValueAtQuantile(q));
        expect(sketch.quantiles(qs)).toEqual(qs.map((q) => library.getValueAtQuantile(q)));
      }
    }
  });

  it('should read, merge and answer from stored bytes whose counts and key gaps take several bytes, and refuse them cut short', () => {
    // Counts past 127 and 16,383 and gaps past 127 are multi-byte varints: the walks over stored bytes take
    // one-byte ones inline and the rest through the checked reader.
    const samples = [...Array.from({ length: 200 }, () => 1.5), ...Array.from({ length: 20_000 }, () => 40), 3e6, ...Array.from({ length: 130 }, () => 7e9)];
    const library = new DDSketch({ relativeAccuracy: QUANTILE_RELATIVE_ACCURACY });
    const filled = QuantileSketch.empty();
    for (const value of samples) {
      library.accept(value);
      filled.add(value);
    }
    const stored = filled.encode();
    const qs = [0, 0.005, 0.01, 0.5, 0.99, 0.994, 0.999, 1];
    const read = QuantileSketch.decode(stored);
    expect(read.quantiles(qs)).toEqual(qs.map((q) => library.getValueAtQuantile(q)));
    const merged = QuantileSketch.empty();
    for (let i = 0; i < 40; i++) merged.add(1 + i); // dense before the stored bins are added in
    merged.merge(QuantileSketch.decode(stored));
    for (let i = 0; i < 40; i++) library.accept(1 + i);
    expect(merged.quantiles(qs)).toEqual(qs.map((q) => library.getValueAtQuantile(q)));
    for (let cut = 1; cut < stored.length; cut++) expect(() => QuantileSketch.decode(stored.slice(0, cut))).toThrow(/truncated|trailing/);
  });

  it('should leave a copy as it was when either is added to or merged into', () => {
    for (const size of [3, 300]) {
      const values = Array.from({ length: size }, (_, i) => 1 + i * 1.7);
      const read = QuantileSketch.decode(QuantileSketch.empty().encode());
      for (const original of [QuantileSketch.empty(), read]) {
        for (const value of values) original.add(value);
        const before = Array.from(original.encode());
        const copy = original.clone();
        copy.add(1e6);
        copy.merge(original);
        expect(Array.from(original.encode())).toEqual(before);
        const again = original.clone();
        original.add(-3);
        original.merge(again);
        expect(Array.from(again.encode())).toEqual(before);
        expect(copy.count).toBe(2 * size + 1);
        expect(original.count).toBe(2 * size + 1);
      }
    }
  });

  it('should read the bytes stored before it held its own bins, and write them back unchanged', () => {
    // Written by the adapter over the library's stores (36.5, 36.5, 120, -4, 0, 1e-320, 999.99, 0.01, 0.5).
    const stored = Uint8Array.from([33, 2, 5, 203, 3, 1, 196, 1, 1, 214, 1, 2, 60, 1, 106, 1, 1, 140, 1, 1]);
    const library = new DDSketch({ relativeAccuracy: QUANTILE_RELATIVE_ACCURACY });
    for (const value of [36.5, 36.5, 120, -4, 0, 1e-320, 999.99, 0.01, 0.5]) library.accept(value);
    const sketch = QuantileSketch.decode(stored);
    expect(Array.from(sketch.encode())).toEqual(Array.from(stored));
    for (const q of [0, 0.1, 0.5, 0.95, 1]) expect(sketch.quantile(q)).toBe(library.getValueAtQuantile(q));
    // A sketch read from bytes takes samples and merges like one filled sample by sample.
    for (const value of [-4, 37, 5e4, ...Array.from({ length: 40 }, (_, i) => i * 3.3)]) {
      sketch.add(value);
      library.accept(value);
    }
    sketch.merge(QuantileSketch.decode(stored));
    for (const value of [36.5, 36.5, 120, -4, 0, 1e-320, 999.99, 0.01, 0.5]) library.accept(value);
    for (const q of [0, 0.05, 0.1, 0.5, 0.95, 1]) expect(sketch.quantile(q)).toBe(library.getValueAtQuantile(q));
    expect(() => QuantileSketch.decode(Uint8Array.from([33, 0, 2, 4, 1, 0, 1, 0]))).toThrow('keys out of order');
    expect(() => QuantileSketch.decode(Uint8Array.from([0x20, 0, 0, 0]))).toThrow('unknown format');
  });

  it("should merge stored bytes into the bytes of their decoded merge, the library's merge to the bit", () => {
    const random = xorshift(0x1f2e3d4c);
    // Wide key ranges now and then (tiny and huge values), so the summing array grows and re-centres.
    const sample = (negatives: boolean) => {
      const r = random();
      if (negatives && r < 0.1) return -Math.exp(random() * 10);
      if (negatives && r < 0.12) return 0;
      return r > 0.98 ? Math.exp(random() * 120 - 60) : Math.exp(random() * 14 - 4);
    };
    const qs = [0, 0.01, 0.25, 0.5, 0.75, 0.95, 0.99, 1];
    for (let trial = 0; trial < 60; trial++) {
      const negatives = trial % 2 === 0;
      const parts = Array.from({ length: 1 + Math.floor(random() * 30) }, () =>
        Array.from({ length: 1 + Math.floor(random() ** 3 * 400) }, () => sample(negatives)),
      );
      const encoded = parts.map((part) => {
        const sketch = QuantileSketch.empty();
        for (const value of part) sketch.add(value);
        return sketch.encode();
      });
      const viaDecode = QuantileSketch.decode(encoded[0]);
      for (const bytes of encoded.slice(1)) viaDecode.merge(QuantileSketch.decode(bytes));
      const merged = QuantileSketch.mergeBytes(encoded);
      expect(Array.from(merged)).toEqual(Array.from(viaDecode.encode()));
      expect(Array.from(QuantileSketch.mergeBytes([...encoded].reverse()))).toEqual(Array.from(merged));
      // The library's own merge of the parts' sketches (positive samples only: its merge drops negatives,
      // see the next test), else one library sketch of every sample.
      const library = new DDSketch({ relativeAccuracy: QUANTILE_RELATIVE_ACCURACY });
      for (const part of parts) {
        if (negatives) for (const value of part) library.accept(value);
        else {
          const partSketch = new DDSketch({ relativeAccuracy: QUANTILE_RELATIVE_ACCURACY });
          for (const value of part) partSketch.accept(value);
          library.merge(partSketch);
        }
      }
      const decoded = QuantileSketch.decode(merged);
      expect(decoded.count).toBe(library.count);
      for (const q of qs) expect(decoded.quantile(q)).toBe(library.getValueAtQuantile(q));
    }
    const one = QuantileSketch.empty();
    one.add(42);
    expect(Array.from(QuantileSketch.mergeBytes([one.encode()]))).toEqual(Array.from(one.encode()));
    expect(Array.from(QuantileSketch.mergeBytes([]))).toEqual(Array.from(QuantileSketch.empty().encode()));
    const stored = one.encode();
    expect(() => QuantileSketch.mergeBytes([stored, Uint8Array.from([0x20, 0, 0, 0])])).toThrow('unknown format');
    expect(() => QuantileSketch.mergeBytes([stored, Uint8Array.from([33, 0, 2, 4, 1, 0, 1, 0])])).toThrow('keys out of order');
    expect(() => QuantileSketch.mergeBytes([stored, Uint8Array.from([33, 0, 0, 0, 0])])).toThrow('trailing bytes');
    expect(() => QuantileSketch.mergeBytes([stored, Uint8Array.from([33, 0, 1])])).toThrow('truncated');
    // A refused merge leaves nothing behind for the next one.
    one.add(42);
    expect(Array.from(QuantileSketch.mergeBytes([stored, stored]))).toEqual(Array.from(one.encode()));
  });

  it('should pin the library behaviour the adapter works around: merge drops negative values', () => {
    const a = new DDSketch({ relativeAccuracy: QUANTILE_RELATIVE_ACCURACY });
    const b = new DDSketch({ relativeAccuracy: QUANTILE_RELATIVE_ACCURACY });
    a.accept(5);
    b.accept(-5);
    a.merge(b);
    expect(a.negativeStore.count).toBe(0); // when this fails, the library fixed it: drop the workaround
  });
});
