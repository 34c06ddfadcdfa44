import { hashValue } from './hashValue.js';

/*
 * A HyperLogLog sketch for distinct counts (Flajolet et al. 2007) with Ertl's improved estimator
 * ("New cardinality estimation algorithms for HyperLogLog sketches", 2017), which needs no empirical bias
 * tables and stays unbiased from a handful of values to billions.
 *
 * Precision 12: 4096 registers, standard error 1.04 / sqrt(4096) ≈ 1.6 %. A register's index is the high
 * 12 bits of the value's 64-bit hash (`hashValue.ts`), its value the position of the first 1 bit in the low
 * 32 bits (1..33). Small sets (most minute buckets) are kept sparse, like HyperLogLog++: up to 1024 entries
 * of a 25-bit index and that value, 4 bytes each, counted by linear counting over 2^25 registers, which is
 * exact but for hash collisions (expected 0.016 at 1024 values), so a bucket with 5 distinct values stores
 * 22 bytes and counts exactly 5. Past 1024 the entries fold into the 4096 dense registers (index >> 13:
 * the value comes from other bits, so folding loses nothing). Registers hold hash bits, never a value, and
 * merging is a register-wise maximum: commutative, associative and idempotent, so a coarser bucket's sketch
 * is exactly the merge of its finer buckets' sketches.
 */

/** Index bits. Changing it makes stored sketches unreadable: a new precision would need a new format byte. */
export const DISTINCT_PRECISION = 12;
/** Relative standard error of an estimate, 1.04 / sqrt(2^precision). */
export const DISTINCT_STANDARD_ERROR = 1.04 / Math.sqrt(2 ** DISTINCT_PRECISION);

const M = 2 ** DISTINCT_PRECISION;
/** Index bits of a sparse entry. */
const SPARSE_PRECISION = 25;
const SPARSE_M = 2 ** SPARSE_PRECISION;
/** Bits a register's value comes from; a register holds 0..Q+1. */
const Q = 32;
/** Sparse while 4 bytes per entry stay within the dense size. */
const SPARSE_MAX = 1024;
const SPARSE = 0x11;
const DENSE = 0x12;

export class DistinctSketch {
  /**
   * Sparse entries (25-bit index → value) past the first; null while there is at most one entry (most
   * rollup deltas of a batch hold one value: a `Map` each was a good part of the projector's garbage),
   * and once dense.
   */
  private sparse: Map<number, number> | null = null;
  /** The only sparse entry while `sparse` and `dense` are null (`single` -1: none). */
  private single = -1;
  private singleValue = 0;
  private dense: Uint8Array | null = null;
  /**
   * Whether `sparse`/`dense` may also be another sketch's (`clone` shares them): copied before the first
   * write. A history query copies each row's sketch into its bucket, its group's and the totals, and most
   * of those copies are never merged into again (one row per bucket once compacted): copying the map or
   * the registers up front was most of a unique-count query's garbage (issue #16).
   */
  private shared = false;

  /** Adds a value (its string form is hashed). */
  add(value: string): void {
    const [high, low] = hashValue(value);
    this.addHash(high, low);
  }

  /** Adds a value by its hash, when one value feeds several sketches (hash once). */
  addHash(high: number, low: number): void {
    this.set(high >>> (32 - SPARSE_PRECISION), Math.clz32(low) + 1);
  }

  /** Folds another sketch in: the union of both sets. */
  merge(other: DistinctSketch): void {
    if (other.dense) {
      this.densify();
      this.own();
      const registers = this.dense!;
      for (let i = 0; i < M; i++) if (other.dense[i] > registers[i]) registers[i] = other.dense[i];
      return;
    }
    if (other.sparse) for (const [index, value] of other.sparse) this.set(index, value);
    else if (other.single >= 0) this.set(other.single, other.singleValue);
  }

  /**
   * Folds in a sketch as `encode` stored it, straight from its bytes: the same as
   * `merge(DistinctSketch.decode(bytes))` without building that sketch (a read or a compaction merges
   * thousands of small stored sketches, each a map of its own when decoded). Throws on anything `decode`
   * refuses, before changing this sketch.
   */
  mergeEncoded(bytes: Uint8Array): void {
    if (checkEncoded(bytes) === DENSE) {
      this.densify();
      this.own();
      const registers = this.dense!;
      for (let i = 0; i < M; i++) if (bytes[2 + i] > registers[i]) registers[i] = bytes[2 + i];
    } else {
      for (let at = 2; at < bytes.length; at += 4) this.set(sparseIndexAt(bytes, at), bytes[at + 3] & 63);
    }
  }

  /**
   * The bytes of the merge of stored sketches (`encode`'s bytes, any number, in any order): exactly what
   * decoding the first, merging the others in and encoding would give, without a sketch or a `Map`. A
   * compaction merges each contested key's stored sketch and delta sketches this way (issue #16): the
   * sparse entries of all parts are gathered into one typed array, sorted and deduplicated (an entry is
   * index << 6 | value, so the highest value of an index sorts last), and turn dense past `SPARSE_MAX`
   * indexes, as a sketch filled entry by entry would. Throws on anything `decode` refuses.
   */
  static mergeBytes(parts: readonly Uint8Array[]): Uint8Array {
    let entries = 0;
    let dense = false;
    for (const bytes of parts) {
      if (checkEncoded(bytes) === DENSE) dense = true;
      else entries += (bytes.length - 2) / 4;
    }
    if (dense) {
      const out = denseBytes();
      for (const bytes of parts) mergeIntoDense(out, bytes);
      return out;
    }
    if (entryScratch.length < entries) entryScratch = new Uint32Array(Math.max(entries, 2 * entryScratch.length));
    const gathered = entryScratch.subarray(0, entries);
    let n = 0;
    for (const bytes of parts) {
      for (let at = 2; at < bytes.length; at += 4) gathered[n++] = sparseIndexAt(bytes, at) * 64 + (bytes[at + 3] & 63);
    }
    gathered.sort(); // numeric for a typed array
    // Keep the last (highest) entry of each index, in place.
    let kept = 0;
    for (let i = 0; i < n; i++) if (i === n - 1 || gathered[i] >>> 6 !== gathered[i + 1] >>> 6) gathered[kept++] = gathered[i];
    if (kept <= SPARSE_MAX) return sparseBytes(gathered, kept);
    const out = denseBytes();
    for (let i = 0; i < kept; i++) {
      const at = 2 + (gathered[i] >>> (6 + SPARSE_PRECISION - DISTINCT_PRECISION));
      const value = gathered[i] & 63;
      if (value > out[at]) out[at] = value;
    }
    return out;
  }

  /** A copy that shares this sketch's entries or registers until either of them is written to. */
  clone(): DistinctSketch {
    const copy = new DistinctSketch();
    copy.sparse = this.sparse;
    copy.single = this.single;
    copy.singleValue = this.singleValue;
    copy.dense = this.dense;
    if (this.sparse !== null || this.dense !== null) copy.shared = this.shared = true;
    return copy;
  }

  /** The estimated number of distinct values, rounded. */
  estimate(): number {
    if (!this.dense) return Math.round(SPARSE_M * Math.log(SPARSE_M / (SPARSE_M - this.sparseSize())));
    const histogram = new Array<number>(Q + 2).fill(0);
    const registers = this.dense;
    for (let i = 0; i < M; i++) histogram[registers[i]]++;
    let z = M * tau(1 - histogram[Q + 1] / M);
    for (let k = Q; k >= 1; k--) z = 0.5 * (z + histogram[k]);
    z += M * sigma(histogram[0] / M);
    return Math.round((M / (2 * Math.LN2) / z) * M);
  }

  /** Bytes as stored: a format byte, the precision, then sorted sparse entries (index << 6 | value, u32) or every register. */
  encode(): Uint8Array {
    if (this.dense) {
      const bytes = denseBytes();
      bytes.set(this.dense, 2);
      return bytes;
    }
    // Every rollup delta of a batch is encoded, most holding one entry: no entry pairs, no DataView.
    const sparse = this.sparse;
    if (sparse === null) return this.single >= 0 ? sparseBytes([this.single * 64 + this.singleValue], 1) : sparseBytes([], 0);
    const entries = new Uint32Array(sparse.size);
    let n = 0;
    for (const [index, value] of sparse) entries[n++] = index * 64 + value;
    entries.sort(); // numeric for a typed array; the value (< 64) never reorders two indexes
    return sparseBytes(entries, n);
  }

  /** Reads `encode`'s bytes; throws on anything else rather than merging garbage. */
  static decode(bytes: Uint8Array): DistinctSketch {
    const sketch = new DistinctSketch();
    sketch.mergeEncoded(bytes);
    return sketch;
  }

  /** Sets a sparse entry, or its dense register once dense. */
  private set(index: number, value: number): void {
    if (this.shared) this.own();
    if (this.dense) {
      const register = index >>> (SPARSE_PRECISION - DISTINCT_PRECISION);
      if (value > this.dense[register]) this.dense[register] = value;
      return;
    }
    let sparse = this.sparse;
    if (sparse === null) {
      if (this.single === -1 || this.single === index) {
        if (value > this.singleValue) {
          this.single = index;
          this.singleValue = value;
        }
        return;
      }
      // A second index: the entries move into a map.
      sparse = this.sparse = new Map([[this.single, this.singleValue]]);
      this.single = -1;
      this.singleValue = 0;
    }
    if (value > (sparse.get(index) ?? 0)) {
      sparse.set(index, value);
      if (sparse.size > SPARSE_MAX) this.densify();
    }
  }

  /** Copies the entries or registers a clone shares, before writing to them. */
  private own(): void {
    if (!this.shared) return;
    if (this.sparse !== null) this.sparse = new Map(this.sparse);
    if (this.dense !== null) this.dense = this.dense.slice();
    this.shared = false;
  }

  private sparseSize(): number {
    return this.sparse ? this.sparse.size : this.single >= 0 ? 1 : 0;
  }

  private densify(): void {
    if (this.dense) return;
    const dense = new Uint8Array(M);
    for (const [index, value] of this.sparse ?? (this.single >= 0 ? [[this.single, this.singleValue]] : [])) {
      const register = index >>> (SPARSE_PRECISION - DISTINCT_PRECISION);
      if (value > dense[register]) dense[register] = value;
    }
    this.dense = dense;
    this.sparse = null;
    this.single = -1;
    this.singleValue = 0;
    this.shared = false; // new registers, this sketch's own
  }
}

/** Where `mergeBytes` gathers sparse entries (it runs synchronously, so one array serves every merge). */
let entryScratch = new Uint32Array(1024);

/**
 * Checks stored bytes as `decode` does (precision, format and length, register values) and returns
 * their format, `SPARSE` or `DENSE`; throws on anything else.
 */
function checkEncoded(bytes: Uint8Array): number {
  const [format, precision] = bytes;
  if (precision !== DISTINCT_PRECISION) throw new Error(`distinct sketch: unsupported precision ${precision}`);
  if (format === DENSE && bytes.length === 2 + M) {
    for (let at = 2; at < bytes.length; at++) if (bytes[at] > Q + 1) throw new Error('distinct sketch: register out of range');
    return DENSE;
  }
  if (format === SPARSE && (bytes.length - 2) % 4 === 0) {
    // An entry is index << 6 | value, big-endian: the value is the low 6 bits of its last byte.
    for (let at = 5; at < bytes.length; at += 4) if ((bytes[at] & 63) > Q + 1) throw new Error('distinct sketch: register out of range');
    return SPARSE;
  }
  throw new Error(`distinct sketch: malformed (${bytes.length} bytes, format ${format})`);
}

/** The 25-bit index of the sparse entry at `at`. */
const sparseIndexAt = (bytes: Uint8Array, at: number): number => bytes[at] * 2 ** 18 + bytes[at + 1] * 2 ** 10 + bytes[at + 2] * 4 + (bytes[at + 3] >>> 6);

/** The dense form with every register 0, to be filled. */
function denseBytes(): Uint8Array {
  const bytes = new Uint8Array(2 + M);
  bytes[0] = DENSE;
  bytes[1] = DISTINCT_PRECISION;
  return bytes;
}

/** Folds checked stored bytes, sparse or dense, into dense bytes' registers. */
function mergeIntoDense(out: Uint8Array, bytes: Uint8Array): void {
  if (bytes[0] === DENSE) {
    for (let at = 2; at < bytes.length; at++) if (bytes[at] > out[at]) out[at] = bytes[at];
    return;
  }
  for (let at = 2; at < bytes.length; at += 4) {
    const register = 2 + (sparseIndexAt(bytes, at) >>> (SPARSE_PRECISION - DISTINCT_PRECISION));
    const value = bytes[at + 3] & 63;
    if (value > out[register]) out[register] = value;
  }
}

/** The sparse form of `n` entries (index << 6 | value), ascending. */
function sparseBytes(entries: ArrayLike<number>, n: number): Uint8Array {
  const bytes = new Uint8Array(2 + 4 * n);
  bytes[0] = SPARSE;
  bytes[1] = DISTINCT_PRECISION;
  for (let i = 0, at = 2; i < n; i++, at += 4) {
    const entry = entries[i];
    bytes[at] = entry >>> 24;
    bytes[at + 1] = (entry >>> 16) & 0xff;
    bytes[at + 2] = (entry >>> 8) & 0xff;
    bytes[at + 3] = entry & 0xff;
  }
  return bytes;
}

/** Ertl's σ(x) = x + Σ_{k≥1} x^(2^k) 2^(k−1), for the share of empty registers. */
function sigma(x: number): number {
  if (x === 1) return Infinity;
  let y = 1;
  let z = x;
  for (;;) {
    x *= x;
    const previous = z;
    z += x * y;
    y += y;
    if (z === previous) return z;
  }
}

/** Ertl's τ(x), for the share of saturated registers. */
function tau(x: number): number {
  if (x === 0 || x === 1) return 0;
  let y = 1;
  let z = 1 - x;
  for (;;) {
    x = Math.sqrt(x);
    const previous = z;
    y *= 0.5;
    z -= (1 - x) ** 2 * y;
    if (z === previous) return z / 3;
  }
}
