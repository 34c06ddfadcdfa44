/**
 * The storage contract of a data product. An embedded implementation (DuckDB) is the default; a server
 * implementation (PostgreSQL) serves replicas. Stores are deliberately dumb: the kit decides what a fact
 * contributes (see `projectFacts`), the store makes it durable atomically and answers bucket queries.
 */
import type { Sketch, SketchKind } from '../sketches/sketchKinds.js';
import type { SqlViews } from './SqlViews.js';

/** A fact as stored: a validated CloudEvent reduced to what the data product keeps. */
export interface StoredFact {
  /** CloudEvent `source`; with `id` the idempotency key. */
  source: string;
  /** CloudEvent `id`. */
  id: string;
  /** CloudEvent `type`, e.g. `OrderPlaced`. */
  type: string;
  /** Event time (CloudEvent `time`), UTC. */
  time: Date;
  /** The validated `data` payload. */
  data: Record<string, unknown>;
}

/** How a measure column merges two partial aggregates. `sum` also serves counts and averages' parts. */
export type MergeKind = 'sum' | 'min' | 'max';

/** Physical layout of one rollup: its dimension columns and measure columns. */
export interface RollupLayout {
  /** Rollup name; tables are `rollup_<name>_<grain>`. Lowercase identifier. */
  name: string;
  /** Dimension column names (strings), part of the primary key with the bucket start. */
  dimensions: string[];
  /** Measure columns and how each merges. */
  columns: Record<string, MergeKind>;
  /**
   * Sketch columns (BLOB in DuckDB, bytea in PostgreSQL) and their kind: a row's sketch is merged in JS with
   * the stored one on every write (the stores cannot merge them in SQL), and a bucket query returns each
   * group's sketches merged. Names must not collide with `columns`.
   * @default none
   */
  sketches?: Record<string, SketchKind>;
  /**
   * Set on a projection: the rollup (same measures, a subset of its dimensions) this one re-aggregates.
   * The kit writes both from the same facts; a store rebuilds a projection with its rollup, reports no
   * revised rows and publishes no SQL view for it (see `rollups/rollupProjections.ts`).
   * @default absent: a declared rollup
   */
  projectionOf?: string;
  /**
   * The finest grain the kit writes: a repair re-projects this grain from the facts and derives the
   * coarser ones; the finer tables stay empty. Projections start at the hour (see `rollups/rollupProjections.ts`),
   * zone-day tables (`dayZone`) at the day.
   * @default 'minute'
   */
  finestGrain?: 'minute' | 'hour' | 'day';
  /**
   * Set on a zone-day table: its rows live at the day grain only (`finestGrain: 'day'`), and each day
   * bucket starts at a local midnight of the IANA `zone` (a 23- or 25-hour day across DST) instead of a UTC
   * one. A row is the merge of the hour rows of `hoursOf` (a table with the same dimensions and columns)
   * over its local day, which is how a store repairs, builds and keeps it (see `zoneDays.ts`); the
   * projector writes it from the facts like any table. Also carries `projectionOf`.
   * @default absent: UTC days
   */
  dayZone?: { zone: string; hoursOf: string };
}

/**
 * Grains the store materializes (UTC minute, hour and day buckets); a query reads the coarsest one its
 * bucket boundaries align to, so a 90-day DAY query reads at most 90 rows per dimension combination.
 */
export type StoredGrain = 'minute' | 'hour' | 'day';
export const STORED_GRAINS: readonly StoredGrain[] = ['minute', 'hour', 'day'];

/** The finest grain the kit writes for a rollup table (see `RollupLayout.finestGrain`). */
export function finestGrain(layout: RollupLayout): StoredGrain {
  return layout.finestGrain ?? 'minute';
}

/**
 * The most facts a live apply holds: a producer posting facts as they happen, not a backfill. The ingest
 * batcher gives requests this small a lane of their own (`IngestBatcherOptions.liveMaxEvents`' default),
 * and `DuckDbStore`'s backpressure lets such an apply through up to twice its bound.
 */
export const LIVE_APPLY_MAX_FACTS = 16;

/** Length of each stored grain; buckets and query boundaries are multiples of it since the epoch. */
export const GRAIN_MS: Readonly<Record<StoredGrain, number>> = { minute: 60_000, hour: 3_600_000, day: 86_400_000 };

/** Everything a store must create at start. */
export interface StoreLayout {
  rollups: RollupLayout[];
  /** Names of keyed state tables (latest value per key, e.g. current stock per product). */
  states: string[];
}

/** One partial aggregate to merge into a rollup row. */
export interface RollupDelta {
  rollup: string;
  grain: StoredGrain;
  /** Bucket start, truncated to the grain, UTC. */
  bucket: Date;
  /** One value per dimension of the rollup (missing dimensions are stored as ''). */
  dims: Record<string, string>;
  /** Column values to merge by each column's MergeKind. */
  values: Record<string, number>;
  /** Sketches to merge into the row's sketch columns (the layout's `sketches`). @default none */
  sketches?: Record<string, Sketch>;
}

/** A new value for a keyed state row. */
export interface StateWrite {
  state: string;
  key: string;
  value: Record<string, unknown>;
  /** Event time of the fact that produced this value. */
  updatedAt: Date;
  /** The value before this batch (for change events); stores ignore it. */
  previous?: Record<string, unknown> | null;
}

/** What the kit wants written for the facts that were new. */
export interface Projection {
  deltas: RollupDelta[];
  states: StateWrite[];
}

/** Reads current state inside the apply transaction, so projections see the latest committed values. */
export interface StateReader {
  /** Current values of the given keys; absent keys are missing from the map. */
  read(state: string, keys: string[]): Promise<Map<string, Record<string, unknown>>>;
  /**
   * Current rows (value and the event time it holds) of the given keys; absent keys are missing. The kit's
   * projector compares a fact's time with `updatedAt` to tell a late fact from a newer one.
   * @default absent: every fact counts as newer than the stored value
   */
  rows?(state: string, keys: string[]): Promise<Map<string, StateRow>>;
  /**
   * The stored, unretracted facts of the given types in event-time order (time, then source, then id), in
   * pages, the facts of this apply included: what a key is folded from again when a late fact reaches it.
   * @default absent: a late fact cannot be folded in and leaves the stored value as it is
   */
  replay?(types: readonly string[]): AsyncIterable<StoredFact[]>;
}

/**
 * Computes what new facts contribute. Called by the store inside the transaction, with only the facts
 * that were not stored before (dedupe by source+id), in input order.
 *
 * Must be free of side effects beyond the projection it resolves to, and read state only through the
 * `StateReader`: a store may run it more than once for one `apply` (`PostgresStore` runs a transaction
 * that lost a deadlock or serialization conflict again, projector included), and only the projection of
 * the run that commits is written.
 */
export type Projector = (newFacts: StoredFact[], states: StateReader, options?: ProjectOptions) => Promise<Projection>;

/** What a store asks of a projection. */
export interface ProjectOptions {
  /**
   * Deltas at each rollup table's finest grain only (`RollupLayout.finestGrain`: the minute for a rollup,
   * the hour for a projection). A batch's deltas describe the same contributions at every grain (a
   * coarser bucket is the truncation of a finer one), so a store may derive the coarser grains from the
   * finest deltas: `DuckDbStore` asks for this and ignores coarser deltas a projector returns anyway.
   * Change events are built from the rollups' minute deltas, which are there either way.
   * @default false: deltas at every grain each table keeps
   */
  finestGrainOnly?: boolean;
}

/** Result of applying a batch. */
export interface ApplyResult {
  /** Facts that were new and are now applied. */
  applied: StoredFact[];
  /** Facts already stored (same source+id), skipped. */
  duplicates: StoredFact[];
  /** The projection that was written for the applied facts. */
  projection: Projection;
}

/** A rejected event, kept for inspection and replay. */
export interface DeadLetter {
  receivedAt: Date;
  source: string | null;
  id: string | null;
  type: string | null;
  reason: string;
  /** The event as received (any JSON). */
  event: unknown;
}

/** A query over one rollup: aggregate rows into the given buckets. */
export interface BucketQuery {
  rollup: string;
  /** Which materialized grain to read from. Buckets' boundaries must be aligned to it. */
  grain: StoredGrain;
  /**
   * Bucket boundaries, ascending: bucket i covers [boundaries[i], boundaries[i+1]).
   * So N buckets need N+1 boundaries.
   */
  boundaries: Date[];
  /** Dimensions to group by (subset of the rollup's dimensions). Empty: one row per bucket. */
  groupBy: string[];
  /** Keep only rows whose dimension value is one of the listed values. */
  filter: Record<string, string[]>;
  /**
   * Sketch columns to return, merged per bucket and group, in `BucketRow.sketches`. They cost a read and a
   * decode per stored row, so only the ones asked for are read.
   * @default none
   */
  sketches?: string[];
}

/** One aggregated row: which bucket, which group, merged column values. */
export interface BucketRow {
  /** Index into the query's buckets (0-based). */
  bucket: number;
  /** Values of the groupBy dimensions. */
  group: Record<string, string>;
  /** Column values merged over the bucket (sum/min/max per column). Columns with no rows are null. */
  values: Record<string, number | null>;
  /** The query's `sketches` merged over the bucket; a column no row had a sketch for is absent. */
  sketches?: Record<string, Sketch>;
}

/** Listing keyed state rows, ordered by key. */
export interface StateListQuery {
  state: string;
  /** Only keys strictly greater than this. */
  afterKey?: string;
  /** At most this many rows. */
  limit: number;
  /** Only rows whose top-level string field equals the value. */
  where?: Record<string, string>;
}

export interface StateRow {
  key: string;
  value: Record<string, unknown>;
  updatedAt: Date;
}

/** The idempotency key of a fact. */
export interface FactKey {
  source: string;
  id: string;
}

/** Why and when a fact was retracted; the fact itself stays stored (and deduplicated) for audit. */
export interface Retraction extends FactKey {
  reason: string;
  retractedAt: Date;
}

/**
 * What a repair re-projects facts with: the projector ingestion uses. Its rollup deltas must depend on
 * the facts alone (never on state it reads) and land in the buckets holding each fact's time, which is
 * what the kit's projector does; only its minute-grain deltas are used (hours and days are derived).
 */
export interface Reprojector {
  project: Projector;
  /**
   * Fact types that may write keyed states: recomputing a state folds only facts of these types.
   * @default every type (all facts are scanned)
   */
  stateFactTypes?: readonly string[];
}

/** A minute rollup row whose values a repair changed (created, revised or removed). */
export interface RevisedBucket {
  rollup: string;
  /** Minute bucket start, UTC. */
  bucket: Date;
  dims: Record<string, string>;
}

/** A keyed state value a repair recomputed; `value` null means no remaining fact sets it (row deleted). */
export interface StateRepair {
  state: string;
  key: string;
  value: Record<string, unknown> | null;
  previous: Record<string, unknown> | null;
  /** Event time of the last fact folded into `value`, or null when the row was deleted. */
  updatedAt: Date | null;
}

/** What `retract` or `restore` did. Nothing was changed unless `status` is `retracted` or `restored`. */
export interface RetractionResult {
  status: 'retracted' | 'restored' | 'already-retracted' | 'not-retracted' | 'not-found';
  /** The fact, when one is stored under the key. */
  fact: StoredFact | null;
  /** The retraction now in force (after `retract`), or the one that was lifted (after `restore`). */
  retraction: Retraction | null;
  revised: RevisedBucket[];
  states: StateRepair[];
}

/** A rebuild range; hours are the unit, so `from` is floored and `to` ceiled to whole UTC hours. */
export interface RebuildRange {
  /** @default the earliest stored fact */
  from?: Date;
  /** Exclusive. @default just after the latest stored fact */
  to?: Date;
  /** Only this rollup (e.g. after its definition changed); an unknown name is a `RangeError`. @default every rollup */
  rollup?: string;
}

/** One committed transaction of a rebuild: whole UTC hours within one UTC day. */
export interface RebuildBatch {
  from: Date;
  to: Date;
  /** Facts re-projected. */
  facts: number;
  revised: RevisedBucket[];
}

/** What `rebuild` did in total. */
export interface RebuildResult {
  /** The hour-aligned range actually rebuilt (null when there were no facts and no range). */
  from: Date | null;
  to: Date | null;
  batches: number;
  facts: number;
  revised: number;
}

/**
 * What `enforceRetention` deletes: every row strictly before its cutoff. Cutoffs are whole UTC days, so a
 * coarser grain never keeps a row whose finer rows are half gone. Zone-day tables go by local day: the
 * local day holding the day cutoff is kept, and the hour rows local days merge keep that day's earlier
 * hours too (`tableCutoff.ts`).
 */
export interface RetentionCutoffs {
  /** Facts (with their retractions) whose event time is before this, and dead letters received before it. */
  facts: Date;
  /** Per grain, rollup rows whose bucket starts before the cutoff; a grain left out is kept whole. */
  grains: Partial<Record<StoredGrain, Date>>;
}

/** What one `enforceRetention` deleted. */
export interface RetentionResult {
  facts: number;
  deadLetters: number;
  rows: Record<StoredGrain, number>;
}

/**
 * The storage contract. Implementations: `DuckDbStore` (embedded), `PostgresStore` (scale-out).
 *
 * A store rejects identifiers and values it cannot hold rather than altering them: `init` throws
 * `InvalidIdentifierError` for a name that cannot become one of its identifiers (e.g. longer than
 * PostgreSQL's 63-byte limit, which it would silently truncate), and `apply` writes nothing of a batch
 * holding a value it cannot store. Dead letters alone are kept whatever arrived (see `recordDeadLetter`).
 */
export interface Store {
  /** Create (or migrate) tables for the layout. Idempotent. */
  init(layout: StoreLayout): Promise<void>;
  /**
   * In one transaction: store the facts that are new (by source+id), call `project` with them, write its
   * deltas and state values. Either everything of the batch is written or nothing is.
   *
   * `project` may be called more than once (see `Projector`), so it must be free of side effects. A value
   * the store cannot hold (e.g. U+0000 in a PostgreSQL `jsonb` state value) is rejected, never altered:
   * the batch is then not written at all.
   */
  apply(facts: StoredFact[], project: Projector): Promise<ApplyResult>;
  /**
   * Keep a rejected event, even one the store cannot hold as is: `PostgresStore` replaces U+0000 in its
   * text columns with U+FFFD, and an event JSON cannot encode is kept as its string form.
   */
  recordDeadLetter(letter: DeadLetter): Promise<void>;
  /** Most recent dead letters first. */
  deadLetters(limit: number): Promise<DeadLetter[]>;
  /** Aggregate a rollup into buckets. Cost grows with rollup rows in range, never with raw facts. */
  queryBuckets(query: BucketQuery): Promise<BucketRow[]>;
  /** Current state rows for the keys (missing keys absent). */
  readStates(state: string, keys: string[]): Promise<StateRow[]>;
  /** A page of state rows ordered by key. */
  listStates(query: StateListQuery): Promise<StateRow[]>;
  /** Latest event time applied (the `asOf` watermark), or null before the first fact. */
  watermark(): Promise<Date | null>;
  /**
   * Does the upkeep the writes so far left behind, and resolves once it is done: `DuckDbStore` folds every
   * pending rollup delta and checkpoints, `PostgresStore` vacuums and analyzes the tables applies upsert.
   * Answers are the same before and after; only their cost changes. For maintenance windows and for
   * measurements that must not share the machine with background work (`bench/ingest-and-history.ts`).
   */
  settle(): Promise<void>;
  /**
   * Number of facts the product holds: stored and not retracted, i.e. the facts its history is computed
   * from (the descriptor's `factCount`). A retracted fact stays stored for audit and is not counted; it
   * counts again once restored.
   */
  factCount(): Promise<number>;
  /**
   * In ONE transaction: marks the fact stored under `key` as retracted (it stays stored, so posting it
   * again is still a duplicate), recomputes every rollup row of the UTC hour holding its time from the
   * remaining facts (minute rows re-projected, hour and day rows derived from them), and recomputes the
   * keyed states it wrote from the remaining facts (folded in event-time order). Retracting a retracted
   * fact changes nothing. On PostgreSQL it holds applies of other replicas back until it commits.
   */
  retract(key: FactKey, reason: string, at: Date, reprojector: Reprojector): Promise<RetractionResult>;
  /** Lifts a retraction and repairs the same rows and states as `retract`, in one transaction. */
  restore(key: FactKey, reprojector: Reprojector): Promise<RetractionResult>;
  /**
   * Recomputes every rollup row of a range from the stored, unretracted facts: idempotent. Each batch
   * (whole hours within one UTC day) is its own transaction, so a large range never holds one huge
   * transaction; an interrupted rebuild leaves each batch either rebuilt or untouched, every grain
   * consistent with the others, and running it again completes it. `onBatch` runs after each commit (its
   * throw stops the rebuild there). Keyed states are not rebuilt.
   */
  rebuild(range: RebuildRange, reprojector: Reprojector, onBatch?: (batch: RebuildBatch) => Promise<void>): Promise<RebuildResult>;
  /** Retractions in force, most recent first. */
  retractions(limit: number): Promise<Retraction[]>;
  /**
   * Deletes, in one transaction, what is past the retention window: facts, retractions and dead letters
   * before `cutoffs.facts`, rollup rows before their grain's cutoff. Keyed states are kept (they hold the
   * latest value, not history). Idempotent.
   */
  enforceRetention(cutoffs: RetentionCutoffs): Promise<RetentionResult>;
  /**
   * The SQL port's database side (`SqlViews.ts`): views of the published tables per permission profile,
   * and read-only statements over them. Throws when this store cannot serve it safely (a DuckDB database
   * not opened with `lockDown`).
   * @default absent: the store has no SQL port
   */
  sql?(): SqlViews;
  /** Export a rollup grain to a file (Parquet or CSV). Returns rows written. */
  exportRollup?(rollup: string, grain: StoredGrain, file: string, format: 'parquet' | 'csv'): Promise<number>;
  /**
   * The formats `exportRollup` writes, so the export schedule asks for one it can (a refused format was
   * a store error in the metrics on every run).
   * @default both
   */
  readonly exportFormats?: ReadonlyArray<'parquet' | 'csv'>;
  /** Release connections and files. */
  close(): Promise<void>;
}
