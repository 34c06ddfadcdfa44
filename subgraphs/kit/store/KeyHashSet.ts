import { hashValue } from '../sketches/hashValue.js';

/**
 * The 64-bit hashes of a set of keys, in memory: the embedded store's "may this key be stored?" filter.
 * A key whose hash is absent is certainly not stored, so the database is not asked; a key whose hash is
 * present probably is, and the database is asked (a collision between two keys, about 3 in a million at
 * 10M keys, must never be taken for a stored key). Hashes are only added, never removed: a stale one
 * (a deleted fact, a rolled-back write) costs a database look-up that finds nothing, never a wrong answer.
 *
 * `DuckDbStore` keeps one for fact keys (the idempotency check without a primary key: DuckDB keeps a key
 * as an ART index, whose upkeep was the dominant ingestion cost) and one per keyed state (a batch of new
 * keys, such as new orders, reads nothing: a look-up of thousands of keys scans the state table). It
 * costs 8 bytes per slot at most 3/4 full (about 110 MB at 10M keys) and ~0.2 µs per key.
 */
export class KeyHashSet {
  /** Open addressing, linear probing: slot i holds high at 2i, low at 2i+1; (0, 0) marks an empty slot. */
  private slots: Uint32Array;
  private mask: number;
  private count = 0;

  constructor(capacity = 1 << 16) {
    let size = 1 << 4;
    while (size * 0.75 < capacity) size *= 2;
    this.slots = new Uint32Array(size * 2);
    this.mask = size - 1;
  }

  /** Number of hashes held. */
  get size(): number {
    return this.count;
  }

  /** The hash of a key, as `add` and `has` take it. */
  static hash(key: string): [high: number, low: number] {
    const [high, low] = hashValue(key);
    // (0, 0) marks an empty slot: the one key hashing there shares a slot with (0, 1), which is only a
    // false "probably stored" for two keys, checked like any other.
    return high === 0 && low === 0 ? [0, 1] : [high, low];
  }

  /** Whether the hash was added (a probable duplicate). */
  has(high: number, low: number): boolean {
    const { slots, mask } = this;
    for (let i = (low ^ Math.imul(high, 0x9e3779b1)) & mask; ; i = (i + 1) & mask) {
      const h = slots[2 * i];
      const l = slots[2 * i + 1];
      if (h === 0 && l === 0) return false;
      if (h === high && l === low) return true;
    }
  }

  /** Adds a hash (idempotent). */
  add(high: number, low: number): void {
    if ((this.count + 1) * 4 > (this.mask + 1) * 3) this.grow();
    const { slots, mask } = this;
    for (let i = (low ^ Math.imul(high, 0x9e3779b1)) & mask; ; i = (i + 1) & mask) {
      const h = slots[2 * i];
      const l = slots[2 * i + 1];
      if (h === high && l === low) return;
      if (h === 0 && l === 0) {
        slots[2 * i] = high;
        slots[2 * i + 1] = low;
        this.count++;
        return;
      }
    }
  }

  private grow(): void {
    const old = this.slots;
    this.slots = new Uint32Array(old.length * 2);
    this.mask = old.length - 1; // old.length / 2 slots before, twice that now
    this.count = 0;
    for (let i = 0; i < old.length; i += 2) if (old[i] !== 0 || old[i + 1] !== 0) this.add(old[i], old[i + 1]);
  }
}
