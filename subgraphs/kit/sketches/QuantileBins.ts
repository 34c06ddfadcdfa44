/**
 * The bins of one sign of a percentile sketch (`QuantileSketch.ts`): a count per DDSketch key, the same
 * bins `@datadog/sketches-js`'s `DenseStore` keeps, held so that reads stay cheap as sketches fill.
 *
 * A sketch read from storage holds its occupied bins only (sparse: ascending keys and their counts, one
 * allocation each, however wide the key range). A sketch merged into, or filled sample by sample past
 * `SPARSE_LIMIT` bins, turns dense: one `Float64Array` over its key range, so each further merge is one
 * add per bin of the other sketch and allocates nothing while the keys stay in range. The library's
 * `DenseStore` instead kept every sketch dense in plain arrays grown 128 bins at a time and re-centred on
 * each growth: decoding and merging the ~1,500 sketches of a 30-day per-product query then spent more
 * time in allocation and garbage collection than in adding counts, and more so as sketches filled with
 * facts (issue #16).
 */
export class QuantileBins {
  /** Sparse: occupied keys, ascending. Null when dense. */
  private keys: number[] | null = [];
  /** Sparse: the count of each key in `keys`. Dense: the count of key `offset + i` at `i`. */
  private counts: number[] | Float64Array = [];
  /** Dense: the key of `counts[0]`. */
  private offset = 0;
  /** Lowest and highest occupied key (Infinity/-Infinity when empty). */
  private low = Infinity;
  private high = -Infinity;
  /** Sum of the counts. */
  count = 0;

  /** Adds `weight` (a positive integer) to bin `key`. */
  add(key: number, weight = 1): void {
    this.count += weight;
    if (key < this.low) this.low = key;
    if (key > this.high) this.high = key;
    const keys = this.keys;
    if (keys === null) {
      this.cover(key, key);
      (this.counts as Float64Array)[key - this.offset] += weight;
      return;
    }
    const counts = this.counts as number[];
    // Keys mostly come ascending (decoding): look at the end first.
    const last = keys.length - 1;
    if (last < 0 || keys[last] < key) {
      if (keys.length < SPARSE_LIMIT) {
        keys.push(key);
        counts.push(weight);
        return;
      }
    } else {
      const at = search(keys, key);
      if (keys[at] === key) {
        counts[at] += weight;
        return;
      }
      if (keys.length < SPARSE_LIMIT) {
        keys.splice(at, 0, key);
        counts.splice(at, 0, weight);
        return;
      }
    }
    this.densify(key, key);
    (this.counts as Float64Array)[key - this.offset] += weight;
  }

  /**
   * Appends bin `key` past every key held (sparse only, as `decode` reads them): no search, no limit, so
   * a stored sketch is read into exactly two arrays.
   */
  append(key: number, weight: number): void {
    (this.keys as number[]).push(key);
    (this.counts as number[]).push(weight);
    this.count += weight;
    if (key < this.low) this.low = key;
    this.high = key;
  }

  /** Adds every bin of `other`. */
  merge(other: QuantileBins): void {
    if (other.count === 0) return;
    if (this.count === 0) return this.copy(other);
    if (this.keys !== null) this.densify(other.low, other.high);
    else this.cover(other.low, other.high);
    const into = this.counts as Float64Array;
    const shift = this.offset;
    if (other.keys !== null) {
      const { keys, counts } = other;
      for (let i = 0; i < keys.length; i++) into[keys[i] - shift] += counts[i];
    } else {
      const counts = other.counts as Float64Array;
      const from = other.low - other.offset;
      const to = other.high - other.offset;
      const delta = other.offset - shift;
      for (let i = from; i <= to; i++) into[i + delta] += counts[i];
    }
    this.count += other.count;
    if (other.low < this.low) this.low = other.low;
    if (other.high > this.high) this.high = other.high;
  }

  clone(): QuantileBins {
    const copy = new QuantileBins();
    copy.copy(this);
    return copy;
  }

  /** Calls `visit` for each occupied bin, keys ascending. */
  forEach(visit: (key: number, count: number) => void): void {
    if (this.keys !== null) {
      const counts = this.counts as number[];
      this.keys.forEach((key, i) => visit(key, counts[i]));
      return;
    }
    const counts = this.counts as Float64Array;
    for (let key = this.low; key <= this.high; key++) {
      const count = counts[key - this.offset];
      if (count > 0) visit(key, count);
    }
  }

  /** Occupied bins. */
  get size(): number {
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
    let running = 0;
    if (this.keys !== null) {
      const { keys } = this;
      const counts = this.counts as number[];
      for (let i = 0; i < keys.length; i++) {
        running += counts[i];
        if (lower ? running > rank : running >= rank + 1) return keys[i];
      }
      return this.high;
    }
    const counts = this.counts as Float64Array;
    const shift = this.offset;
    for (let key = this.low; key <= this.high; key++) {
      running += counts[key - shift];
      if (lower ? running > rank : running >= rank + 1) return key;
    }
    return this.high;
  }

  /** `keyAtRank(rank, true)` of each of `ranks` (ascending), in one pass over the bins. */
  keysAtRanks(ranks: readonly number[]): number[] {
    const found: number[] = [];
    let running = 0;
    const visit = (key: number, count: number) => {
      running += count;
      while (found.length < ranks.length && running > ranks[found.length]) found.push(key);
    };
    if (this.keys !== null) {
      const counts = this.counts as number[];
      for (let i = 0; i < this.keys.length && found.length < ranks.length; i++) visit(this.keys[i], counts[i]);
    } else {
      const counts = this.counts as Float64Array;
      for (let key = this.low; key <= this.high && found.length < ranks.length; key++) visit(key, counts[key - this.offset]);
    }
    while (found.length < ranks.length) found.push(this.high);
    return found;
  }

  private copy(other: QuantileBins): void {
    this.keys = other.keys === null ? null : other.keys.slice();
    this.counts = other.counts.slice();
    this.offset = other.offset;
    this.low = other.low;
    this.high = other.high;
    this.count = other.count;
  }

  /** Turns dense over the held keys and [from, to]. */
  private densify(from: number, to: number): void {
    const keys = this.keys as number[];
    const counts = this.counts as number[];
    this.keys = null;
    this.counts = new Float64Array(0);
    this.offset = 0;
    this.cover(Math.min(from, this.low), Math.max(to, this.high));
    const dense = this.counts;
    for (let i = 0; i < keys.length; i++) dense[keys[i] - this.offset] += counts[i];
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
}

/**
 * Bins a sketch filled sample by sample keeps sparse. A minute's rollup delta rarely holds more; past it,
 * inserting into sorted arrays would cost more than one dense array over the key range.
 */
const SPARSE_LIMIT = 32;

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
