import { readStoredBins, readVarint, writeVarint, zigzag, type Reader, type StoredBinSink } from './QuantileBins.js';

/**
 * Bin counts of one sign summed over many stored sketches, for `QuantileSketch.mergeBytes`: one
 * `Float64Array` over the key range, kept between merges (they run synchronously) and cleared over the
 * range the last one touched, so merging a key's stored sketch with its delta sketches allocates nothing
 * but the bytes it returns (issue #16: a compaction merges tens of thousands of such keys).
 */
export class QuantileBinSums implements StoredBinSink {
  /** The count of key `offset + i` at `i`. */
  private counts = new Float64Array(1024);
  private offset = -512;
  /** Lowest and highest key added since `clear` (Infinity/-Infinity: none). */
  private low = Infinity;
  private high = -Infinity;
  /** Keys with a count since `clear`. */
  private occupied = 0;

  /** Forgets every count. */
  clear(): void {
    if (this.low <= this.high) this.counts.fill(0, this.low - this.offset, this.high - this.offset + 1);
    this.low = Infinity;
    this.high = -Infinity;
    this.occupied = 0;
  }

  /**
   * Adds the bins `QuantileBins.write` wrote at `reader.at` and moves past them, with `QuantileBins.read`'s
   * checks and errors (varints whole, keys ascending, a safe total). Returns the count added.
   */
  addStored(reader: Reader): number {
    return readStoredBins(reader, readVarint(reader), this);
  }

  /** Adds `count` to key `key` (`StoredBinSink`, called by `readStoredBins`). */
  add(key: number, count: number): void {
    if (key < this.offset || key >= this.offset + this.counts.length) this.cover(key);
    const at = key - this.offset;
    if (this.counts[at] === 0 && count > 0) this.occupied++;
    this.counts[at] += count;
    if (key < this.low) this.low = key;
    if (key > this.high) this.high = key;
  }

  /** Appends the summed bins in `QuantileBins.write`'s form: the occupied bins, each key (gap) and count. */
  write(out: number[]): void {
    const counts = this.counts;
    writeVarint(out, this.occupied);
    let previous: number | null = null;
    for (let key = this.low; key <= this.high; key++) {
      const count = counts[key - this.offset];
      if (!(count > 0)) continue;
      writeVarint(out, previous === null ? zigzag(key) : key - previous);
      writeVarint(out, count);
      previous = key;
    }
  }

  /** Grows the array (to twice the span it needs, keeping the counts) so that it holds `key`. */
  private cover(key: number): void {
    const from = Math.min(key, this.offset);
    const to = Math.max(key + 1, this.offset + this.counts.length);
    const grown = new Float64Array(2 * (to - from));
    const start = from - (to - from) / 2;
    grown.set(this.counts, this.offset - Math.floor(start));
    this.counts = grown;
    this.offset = Math.floor(start);
  }
}
