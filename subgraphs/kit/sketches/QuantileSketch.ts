import { DDSketch } from '@datadog/sketches-js';
import { QuantileBinSums } from './QuantileBinSums.js';
import { QuantileBins, readVarint, writeVarint, zigzag } from './QuantileBins.js';

/*
 * Percentiles from DDSketch (Masson et al., VLDB 2019): every quantile is within 1 % of the exact value
 * (relative error), and sketches merge by adding bin counts, so a coarser bucket's sketch is exactly the
 * merge of its finer buckets' sketches.
 *
 * This file is the one adapter over @datadog/sketches-js (STYLE 14), pinned by test/kit/sketches.test.ts.
 * Only the library's key mapping is used (which bin a value falls in, and the value a bin stands for), so
 * the bins, quantiles and stored bytes are the library's; the bins themselves are held in `QuantileBins`:
 * - the library's dense stores kept every sketch in plain arrays grown 128 bins at a time, so a query
 *   merging a few thousand sketches spent most of its time allocating and collecting them, the more so
 *   as sketches filled (issue #16);
 * - its `merge` forgets the other sketch's negative values (2.1.1 merges the positive store only);
 * - its protobuf `toProto` allocates whole chunks of 128 bins (1 KiB for a single value), too much for
 *   minute buckets, so the bins are encoded here: a format byte, the zero count, then each store as its bin
 *   count, first key and key gaps (zigzag varints) and counts (varints). One value costs ~6 bytes.
 * The encoding is the one written since percentiles exist: stored sketches read and merge unchanged.
 */

/** Relative accuracy of every quantile. Changing it makes stored sketches unmergeable. */
export const QUANTILE_RELATIVE_ACCURACY = 0.01;

const FORMAT = 0x21;

/** The key mapping every sketch of this accuracy uses; it holds no per-sketch state. */
const MAPPING = new DDSketch({ relativeAccuracy: QUANTILE_RELATIVE_ACCURACY }).mapping;

/** Where `encode` gathers bytes (it runs synchronously, so one array serves every sketch). */
const encodeScratch: number[] = [];

/** Where `mergeBytes` sums the bins of each sign (it runs synchronously, so one pair serves every merge). */
const positiveSums = new QuantileBinSums();
const negativeSums = new QuantileBinSums();

/**
 * The bins of a sign without samples (or, for the positive one, with `soleCount` samples of one key):
 * shared, never written to (see `ownPositive`, `ownNegative`).
 */
const NO_BINS = QuantileBins.empty();

export class QuantileSketch {
  private constructor(
    /** Bins of the positive samples, and of the negative ones by their absolute value. */
    private positive: QuantileBins,
    private negative: QuantileBins,
    /** Samples too close to 0 for a bin (within the mapping's smallest value). */
    private zeros: number,
  ) {}

  /**
   * While `positive` is `NO_BINS`: the key of every positive sample so far and how many there are (0: none).
   * Most sketches of a batch's deltas hold one sample: they need no bins (an object and two arrays each).
   */
  private soleKey = 0;
  private soleCount = 0;

  static empty(): QuantileSketch {
    return new QuantileSketch(NO_BINS, NO_BINS, 0);
  }

  /** Adds one sample; it must be a finite number. */
  add(value: number): void {
    if (!Number.isFinite(value)) throw new RangeError(`a percentile sample must be a finite number, got ${value}`);
    // Where `DDSketch.accept` puts it.
    if (value > MAPPING.minPossible) this.addPositive(MAPPING.key(value), 1);
    else if (value < -MAPPING.minPossible) this.ownNegative().add(MAPPING.key(-value));
    else this.zeros++;
  }

  /** Samples added (over every merged sketch). */
  get count(): number {
    return this.zeros + this.soleCount + this.positive.count + this.negative.count;
  }

  /**
   * The value at quantile `q` (0..1), within 1 % of the exact one; null when empty. The rank and bin
   * chosen are `DDSketch.getValueAtQuantile`'s, so the answer is the library's to the bit.
   */
  quantile(q: number): number | null {
    const count = this.count;
    if (count === 0) return null;
    if (!(q >= 0 && q <= 1)) return Number.NaN;
    const rank = q * (count - 1);
    const negatives = this.negative.count;
    if (rank < negatives) return -MAPPING.value(this.negative.keyAtRank(negatives - rank - 1, false));
    if (rank < this.zeros + negatives) return 0;
    return MAPPING.value(this.ownPositive().keyAtRank(rank - this.zeros - negatives, true));
  }

  /** `quantile` of each of `qs`, in one pass over the bins when `qs` ascend (as a measure's percentiles do). */
  quantiles(qs: readonly number[]): Array<number | null> {
    const ascending = qs.every((q, i) => q >= 0 && q <= 1 && (i === 0 || qs[i - 1] <= q));
    if (this.count === 0 || !ascending) return qs.map((q) => this.quantile(q));
    const answers: Array<number | null> = [];
    const ranks: number[] = [];
    const below = this.zeros + this.negative.count;
    for (const q of qs) {
      const rank = q * (this.count - 1);
      if (rank >= below) ranks.push(rank - below);
      else answers.push(this.quantile(q));
    }
    for (const key of this.ownPositive().keysAtRanks(ranks)) answers.push(MAPPING.value(key));
    return answers;
  }

  merge(other: QuantileSketch): void {
    if (other === this) other = other.clone();
    if (other.soleCount > 0) this.addPositive(other.soleKey, other.soleCount);
    else if (other.positive.count > 0) this.ownPositive().merge(other.positive);
    if (other.negative.count > 0) this.ownNegative().merge(other.negative);
    this.zeros += other.zeros;
  }

  clone(): QuantileSketch {
    const copy = new QuantileSketch(
      this.positive === NO_BINS ? NO_BINS : this.positive.clone(),
      this.negative === NO_BINS ? NO_BINS : this.negative.clone(),
      this.zeros,
    );
    copy.soleKey = this.soleKey;
    copy.soleCount = this.soleCount;
    return copy;
  }

  /** Adds `count` samples of positive bin `key`: kept as the sole key while they all share it. */
  private addPositive(key: number, count: number): void {
    if (this.positive === NO_BINS && (this.soleCount === 0 || this.soleKey === key)) {
      this.soleKey = key;
      this.soleCount += count;
    } else this.ownPositive().add(key, count);
  }

  /** The positive bins, made (holding the sole key's samples) when a second key comes or bins are read. */
  private ownPositive(): QuantileBins {
    if (this.positive === NO_BINS) {
      this.positive = QuantileBins.empty();
      if (this.soleCount > 0) this.positive.add(this.soleKey, this.soleCount);
      this.soleCount = 0;
    }
    return this.positive;
  }

  /** The negative bins, made on the first negative sample: most sketches never get one. */
  private ownNegative(): QuantileBins {
    if (this.negative === NO_BINS) this.negative = QuantileBins.empty();
    return this.negative;
  }

  encode(): Uint8Array {
    // Every sketch of a batch's deltas is encoded: the bytes are gathered in one reused array, then copied.
    const out = encodeScratch;
    out.length = 0;
    out.push(FORMAT);
    writeVarint(out, this.zeros);
    if (this.soleCount > 0) {
      // What the bins would write for one key: one bin, its key zigzagged, its count.
      writeVarint(out, 1);
      writeVarint(out, zigzag(this.soleKey));
      writeVarint(out, this.soleCount);
    } else this.positive.write(out);
    this.negative.write(out);
    const bytes = new Uint8Array(out.length);
    for (let i = 0; i < out.length; i++) bytes[i] = out[i]; // faster than a typed array made from the array
    return bytes;
  }

  /**
   * The bytes of the merge of stored sketches (`encode`'s bytes, any number, in any order): exactly what
   * decoding the first, merging the others in and encoding would give, without a sketch or bins built per
   * part: each part's bins are added into one array per sign, written once. A compaction merges each
   * contested key's stored sketch and delta sketches this way (issue #16). Throws on anything `decode`
   * refuses.
   */
  static mergeBytes(parts: readonly Uint8Array[]): Uint8Array {
    positiveSums.clear();
    negativeSums.clear();
    let zeros = 0;
    for (const bytes of parts) {
      if (bytes[0] !== FORMAT) throw new Error(`quantile sketch: unknown format ${bytes[0]}`);
      const reader = { bytes, at: 1 };
      zeros += readVarint(reader);
      positiveSums.addStored(reader);
      negativeSums.addStored(reader);
      if (reader.at !== bytes.length) throw new Error('quantile sketch: trailing bytes');
    }
    const out = encodeScratch;
    out.length = 0;
    out.push(FORMAT);
    writeVarint(out, zeros);
    positiveSums.write(out);
    negativeSums.write(out);
    return Uint8Array.from(out);
  }

  /** Reads `encode`'s bytes; throws on anything else rather than merging garbage. */
  static decode(bytes: Uint8Array): QuantileSketch {
    if (bytes[0] !== FORMAT) throw new Error(`quantile sketch: unknown format ${bytes[0]}`);
    const reader = { bytes, at: 1 };
    const zeros = readVarint(reader);
    const positive = QuantileBins.read(reader);
    const negative = QuantileBins.read(reader);
    if (reader.at !== bytes.length) throw new Error('quantile sketch: trailing bytes');
    return new QuantileSketch(positive, negative, zeros);
  }
}
