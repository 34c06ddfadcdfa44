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
 * checkpoints to one per `threshold` of writes, as before compactions were sliced.
 *
 * An in-memory database has no log: DuckDB checkpoints it only to reclaim deleted rows (no compression),
 * so there the store checkpoints after a write turn that deleted rows (folded deltas, retention, repairs).
 */
export class CheckpointSchedule {
  private deleted = false;

  /**
   * @param walFile the database's write-ahead log (`<file>.wal`), or null for an in-memory database
   * @param thresholdBytes the log size from which a checkpoint is due
   */
  constructor(
    private readonly walFile: string | null,
    private readonly thresholdBytes: number,
  ) {}

  /** Records that committed writes deleted rows (only counts for an in-memory database). */
  rowsDeleted(): void {
    this.deleted = true;
  }

  /** Whether a checkpoint is due now: the log has passed the threshold, or (in memory) rows were deleted. */
  due(): boolean {
    if (this.walFile === null) return this.deleted;
    try {
      return statSync(this.walFile).size >= this.thresholdBytes;
    } catch {
      return false; // no log: nothing written since the last checkpoint
    }
  }

  /** Records a checkpoint that completed. */
  done(): void {
    this.deleted = false;
  }
}

/** DuckDB's own `checkpoint_threshold` while the store schedules checkpoints: never reached. */
export const DUCKDB_AUTOMATIC_CHECKPOINT_OFF = '1000TB';

/** The store's checkpoint threshold when none is given: DuckDB's own default. */
export const DEFAULT_CHECKPOINT_THRESHOLD = '16MB';

const UNITS: Record<string, number> = { '': 1, K: 1e3, M: 1e6, G: 1e9, T: 1e12, KI: 2 ** 10, MI: 2 ** 20, GI: 2 ** 30, TI: 2 ** 40 };

/** Bytes of a size as DuckDB writes it (`'16MB'`, `'1.5 GiB'`; KB = 1000 B, KiB = 1024 B); throws on anything else. */
export function parseSize(text: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*([KMGT]?I?)B$/i.exec(text);
  const unit = match ? UNITS[match[2].toUpperCase()] : undefined;
  if (!match || unit === undefined) throw new Error(`checkpointThreshold must be a size like '256MB', got ${JSON.stringify(text)}`);
  return Number(match[1]) * unit;
}
