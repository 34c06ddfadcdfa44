import { DDSketch } from '@datadog/sketches-js';

/*
 * Percentiles from DDSketch (Masson et al., VLDB 2019) through @datadog/sketches-js: every quantile it
 * answers is within 1 % of the exact value (relative error), and sketches merge by adding bin counts, so a
 * coarser bucket's sketch is exactly the merge of its finer buckets' sketches.
 *
 * This file is the one adapter over the library (STYLE 14), pinned by test/kit/sketches.test.ts:
 * - its `merge` forgets the other sketch's negative values (2.1.1 merges the positive store only), so
 *   negative stores are merged here;
 * - its protobuf `toProto` allocates whole chunks of 128 bins (1 KiB for a single value), too much for
 *   minute buckets, so the bins are encoded here: a format byte, the zero count, then each store as its bin
 *   count, first key and key gaps (zigzag varints) and counts (varints). One value costs ~6 bytes.
 */

/** Relative accuracy of every quantile. Changing it makes stored sketches unmergeable. */
export const QUANTILE_RELATIVE_ACCURACY = 0.01;

const FORMAT = 0x21;

type Store = DDSketch['store'];

export class QuantileSketch {
  private constructor(private readonly sketch: DDSketch) {}

  static empty(): QuantileSketch {
    return new QuantileSketch(new DDSketch({ relativeAccuracy: QUANTILE_RELATIVE_ACCURACY }));
  }

  /** Adds one sample; it must be a finite number. */
  add(value: number): void {
    if (!Number.isFinite(value)) throw new RangeError(`a percentile sample must be a finite number, got ${value}`);
    this.sketch.accept(value);
  }

  /** Samples added (over every merged sketch). */
  get count(): number {
    return this.sketch.count;
  }

  /** The value at quantile `q` (0..1), within 1 % of the exact one; null when empty. */
  quantile(q: number): number | null {
    return this.sketch.count === 0 ? null : this.sketch.getValueAtQuantile(q);
  }

  merge(other: QuantileSketch): void {
    const from = other.sketch;
    if (from.count === 0) return;
    if (this.sketch.count === 0) return this.sketch.merge(from); // copies every store
    this.sketch.merge(from);
    this.sketch.negativeStore.merge(from.negativeStore);
  }

  clone(): QuantileSketch {
    const copy = QuantileSketch.empty();
    copy.merge(this);
    return copy;
  }

  encode(): Uint8Array {
    const out: number[] = [FORMAT];
    writeVarint(out, this.sketch.zeroCount);
    writeStore(out, this.sketch.store);
    writeStore(out, this.sketch.negativeStore);
    return Uint8Array.from(out);
  }

  /** Reads `encode`'s bytes; throws on anything else rather than merging garbage. */
  static decode(bytes: Uint8Array): QuantileSketch {
    if (bytes[0] !== FORMAT) throw new Error(`quantile sketch: unknown format ${bytes[0]}`);
    const reader = { bytes, at: 1 };
    const result = QuantileSketch.empty();
    const sketch = result.sketch;
    sketch.zeroCount = readVarint(reader);
    const positive = readStore(reader, sketch.store);
    const negative = readStore(reader, sketch.negativeStore);
    if (reader.at !== bytes.length) throw new Error('quantile sketch: trailing bytes');
    sketch.count = sketch.zeroCount + positive + negative;
    return result;
  }
}

function writeStore(out: number[], store: Store): void {
  const bins: Array<[number, number]> = [];
  if (store.count > 0) {
    for (let key = store.minKey; key <= store.maxKey; key++) {
      const count = store.bins[key - store.offset] ?? 0;
      if (count > 0) bins.push([key, count]);
    }
  }
  writeVarint(out, bins.length);
  let previous = 0;
  bins.forEach(([key, count], i) => {
    writeVarint(out, i === 0 ? zigzag(key) : key - previous);
    writeVarint(out, count);
    previous = key;
  });
}

function readStore(reader: Reader, store: Store): number {
  const bins = readVarint(reader);
  let key = 0;
  let total = 0;
  for (let i = 0; i < bins; i++) {
    key = i === 0 ? unzigzag(readVarint(reader)) : key + readVarint(reader);
    const count = readVarint(reader);
    store.add(key, count);
    total += count;
  }
  return total;
}

interface Reader {
  bytes: Uint8Array;
  at: number;
}

/** Non-negative integers up to 2^53, 7 bits a byte (arithmetic, not bit operators, past 2^31). */
function writeVarint(out: number[], value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`quantile sketch: cannot encode ${value}`);
  while (value >= 0x80) {
    out.push((value % 0x80) | 0x80);
    value = Math.floor(value / 0x80);
  }
  out.push(value);
}

function readVarint(reader: Reader): number {
  let value = 0;
  let scale = 1;
  for (;;) {
    if (reader.at >= reader.bytes.length) throw new Error('quantile sketch: truncated');
    const byte = reader.bytes[reader.at++];
    value += (byte & 0x7f) * scale;
    if (byte < 0x80) return value;
    scale *= 0x80;
    if (scale > 2 ** 56) throw new Error('quantile sketch: varint too long');
  }
}

const zigzag = (n: number): number => (n < 0 ? -2 * n - 1 : 2 * n);
const unzigzag = (n: number): number => (n % 2 === 1 ? -(n + 1) / 2 : n / 2);
