import { hashValue } from './hashValue.js';

/*
 * A HyperLogLog sketch for distinct counts (Flajolet et al. 2007) with Ertl's improved estimator
 * ("New cardinality estimation algorithms for HyperLogLog sketches", 2017), which needs no empirical bias
 * tables and stays unbiased from a handful of values to billions.
 *
 * Precision 12: 4096 registers, standard error 1.04 / sqrt(4096) ≈ 1.6 %. A register's index is the high
 * 12 bits of the value's hash (`hashValue.ts`), its value the position of the first 1 bit in the other 32
 * (1..33). Small sets (most minute buckets) are kept sparse: only the registers set, 3 bytes each, so a
 * bucket with 5 distinct values stores 17 bytes instead of 4 KiB. Registers only hold hash bits, never a
 * value, and merging is a register-wise maximum: commutative, associative and idempotent, so a coarser
 * bucket's sketch is exactly the merge of its finer buckets' sketches.
 */

/** Index bits. Changing it makes stored sketches unreadable: a new precision would need a new format byte. */
export const DISTINCT_PRECISION = 12;
/** Relative standard error of an estimate, 1.04 / sqrt(2^precision). */
export const DISTINCT_STANDARD_ERROR = 1.04 / Math.sqrt(2 ** DISTINCT_PRECISION);

const M = 2 ** DISTINCT_PRECISION;
/** Bits a register's value comes from; a register holds 0..Q+1. */
const Q = 32;
/** Sparse while 3 bytes per set register stay well below the dense size. */
const SPARSE_MAX = 1024;
const SPARSE = 0x11;
const DENSE = 0x12;

export class DistinctSketch {
  /** Registers set (index → value) while sparse; null once dense. */
  private sparse: Map<number, number> | null = new Map();
  private dense: Uint8Array | null = null;

  /** Adds a value (its string form is hashed). */
  add(value: string): void {
    const [high, low] = hashValue(value);
    this.addHash(high, low);
  }

  /** Adds a value by its hash, when one value feeds several sketches (hash once). */
  addHash(high: number, low: number): void {
    this.set(high >>> (32 - DISTINCT_PRECISION), Math.clz32(low) + 1);
  }

  /** Folds another sketch in: the union of both sets. */
  merge(other: DistinctSketch): void {
    if (other.dense) {
      this.densify();
      const registers = this.dense!;
      for (let i = 0; i < M; i++) if (other.dense[i] > registers[i]) registers[i] = other.dense[i];
      return;
    }
    for (const [index, value] of other.sparse!) this.set(index, value);
  }

  clone(): DistinctSketch {
    const copy = new DistinctSketch();
    copy.sparse = this.sparse && new Map(this.sparse);
    copy.dense = this.dense && this.dense.slice();
    return copy;
  }

  /** The estimated number of distinct values, rounded. */
  estimate(): number {
    const histogram = new Array<number>(Q + 2).fill(0);
    if (this.dense) for (const value of this.dense) histogram[value]++;
    else {
      histogram[0] = M - this.sparse!.size;
      for (const value of this.sparse!.values()) histogram[value]++;
    }
    let z = M * tau(1 - histogram[Q + 1] / M);
    for (let k = Q; k >= 1; k--) z = 0.5 * (z + histogram[k]);
    z += M * sigma(histogram[0] / M);
    return Math.round(M / (2 * Math.LN2) / z * M);
  }

  /** Bytes as stored: a format byte, the precision, then sorted (index u16, value u8) triples or every register. */
  encode(): Uint8Array {
    if (this.dense) {
      const bytes = new Uint8Array(2 + M);
      bytes[0] = DENSE;
      bytes[1] = DISTINCT_PRECISION;
      bytes.set(this.dense, 2);
      return bytes;
    }
    const entries = [...this.sparse!].sort((a, b) => a[0] - b[0]);
    const bytes = new Uint8Array(2 + 3 * entries.length);
    bytes[0] = SPARSE;
    bytes[1] = DISTINCT_PRECISION;
    entries.forEach(([index, value], i) => {
      bytes[2 + 3 * i] = index >>> 8;
      bytes[3 + 3 * i] = index & 0xff;
      bytes[4 + 3 * i] = value;
    });
    return bytes;
  }

  /** Reads `encode`'s bytes; throws on anything else rather than merging garbage. */
  static decode(bytes: Uint8Array): DistinctSketch {
    const sketch = new DistinctSketch();
    const [format, precision] = bytes;
    if (precision !== DISTINCT_PRECISION) throw new Error(`distinct sketch: unsupported precision ${precision}`);
    if (format === DENSE && bytes.length === 2 + M) {
      sketch.sparse = null;
      sketch.dense = bytes.slice(2);
    } else if (format === SPARSE && (bytes.length - 2) % 3 === 0) {
      for (let i = 2; i < bytes.length; i += 3) sketch.set((bytes[i] << 8) | bytes[i + 1], bytes[i + 2]);
    } else {
      throw new Error(`distinct sketch: malformed (${bytes.length} bytes, format ${format})`);
    }
    for (const value of sketch.dense ?? sketch.sparse!.values()) if (value > Q + 1) throw new Error('distinct sketch: register out of range');
    return sketch;
  }

  private set(index: number, value: number): void {
    if (this.dense) {
      if (value > this.dense[index]) this.dense[index] = value;
      return;
    }
    const sparse = this.sparse!;
    if (value > (sparse.get(index) ?? 0)) {
      sparse.set(index, value);
      if (sparse.size > SPARSE_MAX) this.densify();
    }
  }

  private densify(): void {
    if (this.dense) return;
    this.dense = new Uint8Array(M);
    for (const [index, value] of this.sparse!) this.dense[index] = value;
    this.sparse = null;
  }
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
