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

/**
 * Samples a sketch keeps as plain numbers before it builds its DDSketch. A rollup delta of a busy batch
 * mostly holds one sample per minute bucket, and a DDSketch costs ~1 KiB and a few µs to build (its dense
 * stores allocate 128 bins at the first value): most deltas never need one, since `encode` writes the
 * same bytes from the samples.
 */
const INLINE_SAMPLES = 8;

/** The key mapping every sketch of this accuracy uses; it holds no per-sketch state. */
const MAPPING = new DDSketch({ relativeAccuracy: QUANTILE_RELATIVE_ACCURACY }).mapping;

export class QuantileSketch {
  /** The DDSketch, once built; until then the samples are in `inline`. */
  private built: DDSketch | null;
  private inline: number[] = [];

  private constructor(sketch: DDSketch | null) {
    this.built = sketch;
  }

  static empty(): QuantileSketch {
    return new QuantileSketch(null);
  }

  /** The DDSketch holding every sample, built on first need. */
  private get sketch(): DDSketch {
    if (this.built) return this.built;
    const sketch = new DDSketch({ relativeAccuracy: QUANTILE_RELATIVE_ACCURACY });
    for (const value of this.inline) sketch.accept(value);
    this.inline = [];
    return (this.built = sketch);
  }

  /** Adds one sample; it must be a finite number. */
  add(value: number): void {
    if (!Number.isFinite(value)) throw new RangeError(`a percentile sample must be a finite number, got ${value}`);
    if (this.built === null && this.inline.length < INLINE_SAMPLES) this.inline.push(value);
    else this.sketch.accept(value);
  }

  /** Samples added (over every merged sketch). */
  get count(): number {
    return this.built ? this.built.count : this.inline.length;
  }

  /** The value at quantile `q` (0..1), within 1 % of the exact one; null when empty. */
  quantile(q: number): number | null {
    return this.count === 0 ? null : this.sketch.getValueAtQuantile(q);
  }

  merge(other: QuantileSketch): void {
    if (other.count === 0) return;
    if (this.built === null && other.built === null && this.inline.length + other.inline.length <= INLINE_SAMPLES) {
      this.inline.push(...other.inline);
      return;
    }
    const from = other.sketch;
    if (this.sketch.count === 0) return this.sketch.merge(from); // copies every store
    this.sketch.merge(from);
    this.sketch.negativeStore.merge(from.negativeStore);
  }

  clone(): QuantileSketch {
    const copy = QuantileSketch.empty();
    if (this.built === null) copy.inline = this.inline.slice();
    else copy.merge(this);
    return copy;
  }

  encode(): Uint8Array {
    const out: number[] = [FORMAT];
    if (this.built === null) {
      encodeSamples(out, this.inline);
      return Uint8Array.from(out);
    }
    writeVarint(out, this.built.zeroCount);
    writeStore(out, this.built.store);
    writeStore(out, this.built.negativeStore);
    return Uint8Array.from(out);
  }

  /** Reads `encode`'s bytes; throws on anything else rather than merging garbage. */
  static decode(bytes: Uint8Array): QuantileSketch {
    if (bytes[0] !== FORMAT) throw new Error(`quantile sketch: unknown format ${bytes[0]}`);
    const reader = { bytes, at: 1 };
    const result = new QuantileSketch(new DDSketch({ relativeAccuracy: QUANTILE_RELATIVE_ACCURACY }));
    const sketch = result.sketch;
    sketch.zeroCount = readVarint(reader);
    const positive = readStore(reader, sketch.store);
    const negative = readStore(reader, sketch.negativeStore);
    if (reader.at !== bytes.length) throw new Error('quantile sketch: trailing bytes');
    sketch.count = sketch.zeroCount + positive + negative;
    return result;
  }
}

/**
 * The bytes a DDSketch of these samples encodes to, without building it: each sample goes where
 * `DDSketch.accept` puts it (the positive store, the negative store by its absolute value, or the zero
 * count), and each store is written as its occupied bins in key order.
 */
function encodeSamples(out: number[], samples: readonly number[]): void {
  const positive: number[] = [];
  const negative: number[] = [];
  let zeros = 0;
  for (const value of samples) {
    if (value > MAPPING.minPossible) positive.push(MAPPING.key(value));
    else if (value < -MAPPING.minPossible) negative.push(MAPPING.key(-value));
    else zeros++;
  }
  writeVarint(out, zeros);
  writeBins(out, positive);
  writeBins(out, negative);
}

/** A store's bins from the keys of its samples (one per sample), as `writeStore` writes them. */
function writeBins(out: number[], keys: number[]): void {
  keys.sort((a, b) => a - b);
  const bins: Array<[number, number]> = [];
  for (const key of keys) {
    const last = bins[bins.length - 1];
    if (last && last[0] === key) last[1]++;
    else bins.push([key, 1]);
  }
  writeBinList(out, bins);
}

function writeStore(out: number[], store: Store): void {
  const bins: Array<[number, number]> = [];
  if (store.count > 0) {
    for (let key = store.minKey; key <= store.maxKey; key++) {
      const count = store.bins[key - store.offset] ?? 0;
      if (count > 0) bins.push([key, count]);
    }
  }
  writeBinList(out, bins);
}

function writeBinList(out: number[], bins: ReadonlyArray<readonly [number, number]>): void {
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
