import { statSync } from 'node:fs';

/**
 * When the embedded store checkpoints. DuckDB's own automatic checkpoint is turned off (its threshold is
 * set out of reach, {@link DUCKDB_AUTOMATIC_CHECKPOINT_OFF}) and the store checkpoints in a write turn of
 * its own once the write-ahead log on disk has passed the threshold. DuckDB decides at each commit from an
 * estimate of what the transaction adds to the log, and that estimate counts an undo entry per vector an
 * UPDATE touches, whatever the rows updated in it: a compaction slice updates keyed rows spread over whole
 * tables, so each slice was estimated past 16 MB and checkpointed instead of writing its ~3 MB to the log,
 * one checkpoint per slice, each rewriting every row group it touched (issue #13: 20 checkpoints per 100k
 * facts instead of 6, most of the slices' cost, and growing with the tables). The log's real size keeps
 * checkpoints to one per threshold of writes, as before compactions were sliced.
 *
 * The threshold grows with the database: a checkpoint rewrites every row group an UPDATE touched since the
 * last one, and compactions update keyed rollup rows spread over whole tables, so a checkpoint costs about
 * what the keyed tables weigh, not what the log holds. With a fixed threshold the checkpoints per fact stay
 * the same while each costs more as the tables grow: the bench's bulk load spent 1.7 s per 100k facts in
 * checkpoints at 100k facts in the table and 8.7 s at 400k (issue #13). A log allowed to reach a share of
 * the database file (`logRatio`, between `minBytes` and `maxBytes`) keeps the checkpoint cost per fact
 * about the same at any size, up to the cap. A larger log has a price for reads: they go through the
 * updates held since the last checkpoint (after 300k bench facts with a 364 MB log, the bench's queries
 * took 1.2–1.5× as long as after the checkpoint). So the larger threshold holds while writes keep coming,
 * and once they pause (`quiet`) a log past `minBytes` is checkpointed, as with the fixed threshold.
 *
 * An in-memory database has no log: DuckDB checkpoints it only to reclaim deleted rows (no compression),
 * so there the store checkpoints after a write turn that deleted rows (folded deltas, retention, repairs).
 */
export class CheckpointSchedule {
  private deleted = false;
  private requested = false;
  private readonly walFile: string | null;

  /**
   * @param databaseFile the database file (its log is `<file>.wal`), or null for an in-memory database
   * @param threshold when a checkpoint is due (see {@link CheckpointThreshold})
   */
  constructor(
    private readonly databaseFile: string | null,
    private readonly threshold: CheckpointThreshold,
  ) {
    this.walFile = databaseFile === null ? null : `${databaseFile}.wal`;
  }

  /** The log size from which a checkpoint is due, for a database file of `databaseBytes`. */
  static thresholdFor(threshold: CheckpointThreshold, databaseBytes: number): number {
    return Math.min(threshold.maxBytes, Math.max(threshold.minBytes, threshold.logRatio * databaseBytes));
  }

  /** Records that committed writes deleted rows (only counts for an in-memory database). */
  rowsDeleted(): void {
    this.deleted = true;
  }

  /** Makes the next checkpoint due whatever the log's size (a store settling: `DuckDbStore.settle`). */
  request(): void {
    this.requested = true;
  }

  /**
   * When a checkpoint is due, from one look at the files: `'now'` (the log has passed the threshold, or (in
   * memory) rows were deleted, or one was requested and there is something to write), `'quiet'` (the log
   * has passed `minBytes` only: due once writes have paused), or null.
   */
  pending(): 'now' | 'quiet' | null {
    if (this.walFile === null || this.databaseFile === null) return this.deleted ? 'now' : null;
    let logged = 0;
    try {
      logged = statSync(this.walFile).size;
    } catch {
      // no log: nothing written since the last checkpoint
    }
    if (logged === 0) {
      this.requested = false; // nothing to write: a request is answered already
      return null;
    }
    if (this.requested) return 'now';
    if (logged < this.threshold.minBytes) return null;
    let databaseBytes = 0;
    try {
      databaseBytes = statSync(this.databaseFile).size;
    } catch {
      // not written yet: the minimum applies
    }
    return logged >= CheckpointSchedule.thresholdFor(this.threshold, databaseBytes) ? 'now' : 'quiet';
  }

  /** Records a checkpoint that completed. */
  done(): void {
    this.deleted = false;
    this.requested = false;
  }
}

/** When the embedded store checkpoints: the log passed `logRatio` × the database file, within `minBytes`–`maxBytes`. */
export interface CheckpointThreshold {
  /** The smallest log that is checkpointed (also the threshold of a small or new database). */
  minBytes: number;
  /** The log may grow to this share of the database file's size before a checkpoint. */
  logRatio: number;
  /** The largest log left unchecked, whatever the database's size (bounds replay after a crash and the memory updates hold). */
  maxBytes: number;
}

/** DuckDB's own `checkpoint_threshold` while the store schedules checkpoints: never reached. */
export const DUCKDB_AUTOMATIC_CHECKPOINT_OFF = '1000TB';

/** The store's smallest checkpoint threshold when none is given: DuckDB's own default. */
export const DEFAULT_CHECKPOINT_THRESHOLD = '16MB';

/** The share of the database file the log may reach before a checkpoint, when none is given. */
export const DEFAULT_CHECKPOINT_LOG_RATIO = 0.25;

/** The largest log before a checkpoint, when none is given. */
export const DEFAULT_CHECKPOINT_MAX_THRESHOLD = '1GiB';

const UNITS: Record<string, number> = { '': 1, K: 1e3, M: 1e6, G: 1e9, T: 1e12, KI: 2 ** 10, MI: 2 ** 20, GI: 2 ** 30, TI: 2 ** 40 };

/** Bytes of a size as DuckDB writes it (`'16MB'`, `'1.5 GiB'`; KB = 1000 B, KiB = 1024 B); throws on anything else. */
export function parseSize(text: string, option = 'checkpointThreshold'): number {
  const match = /^(\d+(?:\.\d+)?)\s*([KMGT]?I?)B$/i.exec(text);
  const unit = match ? UNITS[match[2].toUpperCase()] : undefined;
  if (!match || unit === undefined) throw new Error(`${option} must be a size like '256MB', got ${JSON.stringify(text)}`);
  return Number(match[1]) * unit;
}
