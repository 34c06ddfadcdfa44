/** The oldest pending applies a compaction slice folds: their rows, and the last apply's sequence number. */
export interface DeltaSlice {
  /** Sequence number of the slice's last apply: the slice folds the delta rows with `_seq` up to it. */
  upTo: number;
  /** Delta rows of the slice's applies. */
  rows: number;
  /** How many applies the slice holds. */
  applies: number;
}

/**
 * The rollup delta rows an embedded store has committed and not yet folded into its keyed tables, per
 * apply, oldest first (`duckDbDeltas.ts` numbers each apply's rows): what a background compaction takes
 * slice by slice from the front.
 */
export class PendingDeltas {
  private applies: Array<{ seq: number; rows: number }> = [];
  private total = 0;

  /** Delta rows pending in all. */
  get rows(): number {
    return this.total;
  }

  /** Records the rows an apply committed with its sequence number (increasing from apply to apply). */
  add(seq: number, rows: number): void {
    if (rows <= 0) return;
    this.applies.push({ seq, rows });
    this.total += rows;
  }

  /**
   * The next slice: the oldest pending applies with no more than `maxRows` rows in all (one apply at least,
   * however large) and none past `target`; null when nothing up to `target` is pending.
   */
  nextSlice(target: number, maxRows: number): DeltaSlice | null {
    let applies = 0;
    let rows = 0;
    for (const pending of this.applies) {
      if (pending.seq > target || (applies > 0 && rows + pending.rows > maxRows)) break;
      applies++;
      rows += pending.rows;
    }
    return applies === 0 ? null : { upTo: this.applies[applies - 1].seq, rows, applies };
  }

  /** Forgets a slice once its transaction committed. */
  folded(slice: DeltaSlice): void {
    this.applies.splice(0, slice.applies);
    this.total -= slice.rows;
  }

  /** Forgets everything: a compaction folded every pending row, or the store starts afresh. */
  clear(): void {
    this.applies = [];
    this.total = 0;
  }
}
