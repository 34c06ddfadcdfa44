/**
 * The bins of one sign of a percentile sketch (`QuantileSketch.ts`): a count per DDSketch key, the same
 * bins `@datadog/sketches-js`'s `DenseStore` keeps, and their stored form (the bin count, the first key
 * and the key gaps as zigzag/plain varints, each followed by its count).
 *
 * Held three ways, so that a query merging thousands of stored sketches allocates almost nothing per
 * sketch, however many facts each one summarises (issue #16):
 * - read: the stored bytes themselves, checked once when read; merging one into another, or answering a
 *   quantile from it, walks the bytes. A copy shares them (they are never written to);
 * - sparse: occupied keys ascending and their counts, for a sketch filled sample by sample (a rollup
 *   delta mostly holds a few samples);
 * - dense: one `Float64Array` over the key range, for a sketch merged into or filled past `SPARSE_LIMIT`
 *   bins: each further merge adds into it and allocates nothing while keys stay in range.
 * The library's `DenseStore` kept every sketch dense in plain arrays grown 128 bins at a time and
 * re-centred on each growth: decoding and merging the ~1,500 sketches of a 30-day per-product query spent
 * more time allocating and collecting than adding counts, the more so as sketches filled.
 */
export class QuantileBins {
  /** Read: the stored bytes, `at` the first bin's key, `stored` the bins there. Null otherwise. */
  private bytes: Uint8Array | null = null;
  private at = 0;
  private stored = 0;
  /** Sparse: occupied keys, ascending. Null when read or dense. */
  private keys: number[] | null;
  /** Sparse: the count of each key in `keys`. Dense: the count of key `offset + i` at `i` (`NONE` until a key). */
  private counts: number[] | Float64Array;
  /** Dense: the key of `counts[0]`. */
  private offset = 0;
  /** Lowest and highest occupied key (Infinity/-Infinity when empty). */
  private low = Infinity;
  private high = -Infinity;
  /** Sum of the counts. */
  count = 0;
  /**
   * Whether `keys`/`counts` are also a copy's (`clone` shares them: a query copies each row's sketch into
   * its group's bucket and rarely merges into it again): copied before the first write.
   */
  private shared = false;

  private constructor(keys: number[] | null, counts: number[] | Float64Array) {
    this.keys = keys;
    this.counts = counts;
  }

  /** Empty bins, sparse: the first samples are inserted into two small arrays. */
  static empty(): QuantileBins {
    return new QuantileBins([], []);
  }

  /**
   * Reads bins written by `write` at `reader.at`, checking every varint and that keys ascend, and moves
   * past them. The bins keep referring to `reader.bytes`, which must not change afterwards.
   */
  static read(reader: Reader): QuantileBins {
    const bins = new QuantileBins(null, NONE);
    const size = readVarint(reader);
    bins.bytes = reader.bytes;
    bins.at = reader.at;
    bins.stored = size;
    bins.count = readStoredBins(reader, size);
    bins.low = walkedLow;
    bins.high = walkedHigh;
    return bins;
  }

  /** Appends the stored form: the number of occupied bins, then each one's key (gap) and count. */
  write(out: number[]): void {
    if (this.bytes !== null) {
      writeVarint(out, this.stored);
      // Already in the stored form: copy it through.
      const end = this.endOfStored();
      for (let i = this.at; i < end; i++) out.push(this.bytes[i]);
      return;
    }
    const keys = this.keys;
    if (keys !== null) {
      // Sparse (every sketch a batch writes): straight over the arrays, no callback.
      const counts = this.counts as number[];
      writeVarint(out, keys.length);
      for (let i = 0; i < keys.length; i++) {
        writeVarint(out, i === 0 ? zigzag(keys[0]) : keys[i] - keys[i - 1]);
        writeVarint(out, counts[i]);
      }
      return;
    }
    writeVarint(out, this.size);
    let previous: number | null = null;
    this.forEach((key, count) => {
      writeVarint(out, previous === null ? zigzag(key) : key - previous);
      writeVarint(out, count);
      previous = key;
    });
  }

  /** Adds `weight` (a positive integer) to bin `key`. */
  add(key: number, weight = 1): void {
    if (this.bytes !== null) this.unread();
    else this.own();
    this.count += weight;
    if (key < this.low) this.low = key;
    if (key > this.high) this.high = key;
    const keys = this.keys;
    if (keys === null) {
      this.cover(key, key);
      (this.counts as Float64Array)[key - this.offset] += weight;
      return;
    }
    if (keys.length === 0) {
      // The first key (most rollup deltas hold one sample): arrays of one, not grown from empty ones to 17 slots.
      this.keys = [key];
      this.counts = [weight];
      return;
    }
    const counts = this.counts as number[];
    const at = keys[keys.length - 1] < key ? keys.length : search(keys, key);
    if (keys[at] === key) {
      counts[at] += weight;
      return;
    }
    if (keys.length < SPARSE_LIMIT) {
      keys.splice(at, 0, key);
      counts.splice(at, 0, weight);
      return;
    }
    this.densify(key, key);
    (this.counts as Float64Array)[key - this.offset] += weight;
  }

  /** Adds every bin of `other`. */
  merge(other: QuantileBins): void {
    if (other.count === 0) return;
    if (this.count === 0) return this.copy(other);
    this.own();
    const otherBins = other.bytes !== null ? other.stored : other.keys !== null ? other.keys.length : Infinity;
    const bins = this.bytes !== null ? this.stored : this.keys !== null ? this.keys.length : Infinity;
    if (bins + otherBins <= SPARSE_LIMIT) {
      // Few bins both sides (a batch's deltas mostly): stay sparse rather than allocate a key range.
      if (this.bytes !== null) this.unread();
      other.forEach((key, count) => this.add(key, count));
      return;
    }
    if (this.keys !== null || this.bytes !== null) this.densify(other.low, other.high);
    else this.cover(other.low, other.high);
    const into = this.counts as Float64Array;
    const shift = this.offset;
    if (other.bytes !== null) {
      const bytes = other.bytes;
      let at = other.at;
      let key = 0;
      for (let i = 0; i < other.stored; i++) {
        const gap = varintAt(bytes, at);
        key = i === 0 ? unzigzag(gap) : key + gap;
        into[key - shift] += varintAt(bytes, next);
        at = next;
      }
    } else if (other.keys !== null) {
      const { keys } = other;
      const counts = other.counts as number[];
      for (let i = 0; i < keys.length; i++) into[keys[i] - shift] += counts[i];
    } else {
      const counts = other.counts as Float64Array;
      const delta = other.offset - shift;
      for (let i = other.low - other.offset; i <= other.high - other.offset; i++) into[i + delta] += counts[i];
    }
    this.count += other.count;
    if (other.low < this.low) this.low = other.low;
    if (other.high > this.high) this.high = other.high;
  }

  clone(): QuantileBins {
    const copy = new QuantileBins(null, NONE);
    copy.copy(this);
    return copy;
  }

  /** Calls `visit` for each occupied bin, keys ascending. */
  forEach(visit: (key: number, count: number) => void): void {
    if (this.bytes !== null) {
      const bytes = this.bytes;
      let at = this.at;
      let key = 0;
      for (let i = 0; i < this.stored; i++) {
        const gap = varintAt(bytes, at);
        key = i === 0 ? unzigzag(gap) : key + gap;
        const count = varintAt(bytes, next);
        at = next;
        visit(key, count);
      }
    } else if (this.keys !== null) {
      const counts = this.counts as number[];
      for (let i = 0; i < this.keys.length; i++) visit(this.keys[i], counts[i]);
    } else {
      const counts = this.counts as Float64Array;
      for (let key = this.low; key <= this.high; key++) {
        const count = counts[key - this.offset];
        if (count > 0) visit(key, count);
      }
    }
  }

  /** Occupied bins. */
  get size(): number {
    if (this.bytes !== null) return this.stored;
    if (this.keys !== null) return this.keys.length;
    let size = 0;
    this.forEach(() => size++);
    return size;
  }

  /**
   * The key holding rank `rank` (0-based, counted from the lowest key), as `DenseStore.keyAtRank` finds
   * it: with `lower`, the first key whose running count exceeds the rank; else the first whose running
   * count reaches rank + 1. The highest key when none does.
   */
  keyAtRank(rank: number, lower: boolean): number {
    // Counts are integers: a running count reaches rank + 1 when it exceeds ceil(rank + 1) - 1.
    return this.keysAtRanks([lower ? rank : Math.ceil(rank + 1) - 1])[0];
  }

  /** `keyAtRank(rank, true)` of each of `ranks` (ascending), in one pass over the bins. */
  keysAtRanks(ranks: readonly number[]): number[] {
    // Straight loops per form, stopping at the last rank: a query answers p50/p95 for every bucket of
    // every group (1,500 stored sketches for 30 days × 50 products), and a callback per bin cost more
    // than the walk itself once sketches fill in (issue #16).
    const found: number[] = [];
    const wanted = ranks.length;
    let running = 0;
    if (this.bytes !== null) {
      const bytes = this.bytes;
      let at = this.at;
      let key = 0;
      for (let i = 0; i < this.stored && found.length < wanted; i++) {
        const gap = varintAt(bytes, at);
        key = i === 0 ? unzigzag(gap) : key + gap;
        running += varintAt(bytes, next);
        at = next;
        while (found.length < wanted && running > ranks[found.length]) found.push(key);
      }
    } else if (this.keys !== null) {
      const { keys } = this;
      const counts = this.counts as number[];
      for (let i = 0; i < keys.length && found.length < wanted; i++) {
        running += counts[i];
        while (found.length < wanted && running > ranks[found.length]) found.push(keys[i]);
      }
    } else {
      const counts = this.counts as Float64Array;
      const offset = this.offset;
      for (let key = this.low; key <= this.high && found.length < wanted; key++) {
        const count = counts[key - offset];
        if (!(count > 0)) continue;
        running += count;
        while (found.length < wanted && running > ranks[found.length]) found.push(key);
      }
    }
    while (found.length < wanted) found.push(this.high);
    return found;
  }

  private copy(other: QuantileBins): void {
    this.bytes = other.bytes;
    this.at = other.at;
    this.stored = other.stored;
    this.keys = other.keys;
    this.counts = other.bytes === null ? other.counts : NONE;
    this.shared = other.bytes === null;
    if (this.shared) other.shared = true;
    this.offset = other.offset;
    this.low = other.low;
    this.high = other.high;
    this.count = other.count;
  }

  /** Copies the arrays if a clone shares them, before writing to them. */
  private own(): void {
    if (!this.shared) return;
    this.keys = this.keys === null ? null : this.keys.slice();
    this.counts = this.counts.slice();
    this.shared = false;
  }

  /** Turns read bins sparse (before an add). */
  private unread(): void {
    const keys: number[] = [];
    const counts: number[] = [];
    this.forEach((key, count) => {
      keys.push(key);
      counts.push(count);
    });
    this.bytes = null;
    this.keys = keys;
    this.counts = counts;
    this.shared = false;
  }

  /** Turns dense over the held keys and [from, to]. */
  private densify(from: number, to: number): void {
    const held = this.clone();
    this.bytes = null;
    this.keys = null;
    this.counts = NONE;
    this.shared = false;
    this.offset = 0;
    this.cover(Math.min(from, this.low), Math.max(to, this.high));
    const dense = this.counts;
    const shift = this.offset;
    held.forEach((key, count) => (dense[key - shift] += count));
  }

  /** Grows the dense array to hold keys [from, to], with room to spare on the side it grows. */
  private cover(from: number, to: number): void {
    const counts = this.counts as Float64Array;
    if (counts.length === 0) {
      this.counts = new Float64Array(to - from + 1);
      this.offset = from;
      return;
    }
    const end = this.offset + counts.length; // exclusive
    if (from >= this.offset && to < end) return;
    const start = from < this.offset ? from - SLACK : this.offset;
    const stop = to >= end ? to + 1 + SLACK : end;
    const grown = new Float64Array(stop - start);
    grown.set(counts, this.offset - start);
    this.counts = grown;
    this.offset = start;
  }

  /** Where the stored bins end in `bytes`. */
  private endOfStored(): number {
    let at = this.at;
    for (let i = 0; i < 2 * this.stored; i++) {
      varintAt(this.bytes!, at);
      at = next;
    }
    return at;
  }
}

/** Receives each bin {@link readStoredBins} walks, keys ascending. */
export interface StoredBinSink {
  add(key: number, count: number): void;
}

/** The first and last key the last {@link readStoredBins} walked (Infinity/-Infinity: none): module variables, so a walk allocates nothing. */
let walkedLow = Infinity;
let walkedHigh = -Infinity;

/**
 * Walks the `size` bins `QuantileBins.write` wrote at `reader.at` (after their count) and moves past them,
 * checking every varint, that keys ascend and that the counts sum to a safe integer; `sink`, if given,
 * gets each bin. Returns the summed count. The one reader of the stored bins both `QuantileBins.read`
 * and `QuantileBinSums.addStored` go through.
 */
export function readStoredBins(reader: Reader, size: number, sink?: StoredBinSink): number {
  // One-byte varints (most gaps and counts) are read inline; longer ones, and the checks at the end of
  // the bytes, go through `readVarint`.
  const bytes = reader.bytes;
  const length = bytes.length;
  let at = reader.at;
  let key = 0;
  let total = 0;
  walkedLow = Infinity;
  for (let i = 0; i < size; i++) {
    let value: number;
    if (at < length && bytes[at] < 0x80) value = bytes[at++];
    else {
      reader.at = at;
      value = readVarint(reader);
      at = reader.at;
    }
    if (i === 0) walkedLow = key = unzigzag(value);
    else {
      if (value === 0) throw new Error('quantile sketch: keys out of order');
      key += value;
    }
    let count: number;
    if (at < length && bytes[at] < 0x80) count = bytes[at++];
    else {
      reader.at = at;
      count = readVarint(reader);
      at = reader.at;
    }
    total += count;
    sink?.add(key, count);
  }
  reader.at = at;
  walkedHigh = size > 0 ? key : -Infinity;
  if (!Number.isSafeInteger(total)) throw new Error('quantile sketch: count out of range');
  return total;
}

/** Where `readVarint` reads. */
export interface Reader {
  bytes: Uint8Array;
  at: number;
}

/**
 * Bins a sketch filled sample by sample keeps sparse. A minute's rollup delta rarely holds more; past it,
 * inserting into sorted arrays would cost more than one dense array over the key range.
 */
const SPARSE_LIMIT = 32;

/** No counts (read bins, or dense before the first key): empty, so nothing can write into it. */
const NONE = new Float64Array(0);

/** Keys a dense array grows by beyond what a merge needs, so a run of merges reallocates rarely. */
const SLACK = 32;

/** The index of the first key at or above `key` (keys ascending). */
function search(keys: readonly number[], key: number): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (keys[mid] < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Non-negative integers up to 2^53, 7 bits a byte (arithmetic, not bit operators, past 2^31). */
export function writeVarint(out: number[], value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`quantile sketch: cannot encode ${value}`);
  while (value >= 0x80) {
    out.push((value % 0x80) | 0x80);
    value = Math.floor(value / 0x80);
  }
  out.push(value);
}

/** Reads a varint, checking it is whole and at most 8 bytes long. */
export function readVarint(reader: Reader): number {
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

/** Where the last `varintAt` stopped: a module variable, so walking stored bins allocates nothing. */
let next = 0;

/** The varint at `at` of bytes `read` already checked; sets `next` past it. */
function varintAt(bytes: Uint8Array, at: number): number {
  let byte = bytes[at++];
  if (byte < 0x80) {
    next = at;
    return byte;
  }
  let value = byte & 0x7f;
  let scale = 0x80;
  for (;;) {
    byte = bytes[at++];
    value += (byte & 0x7f) * scale;
    if (byte < 0x80) {
      next = at;
      return value;
    }
    scale *= 0x80;
  }
}

export const zigzag = (n: number): number => (n < 0 ? -2 * n - 1 : 2 * n);
export const unzigzag = (n: number): number => (n % 2 === 1 ? -(n + 1) / 2 : n / 2);
