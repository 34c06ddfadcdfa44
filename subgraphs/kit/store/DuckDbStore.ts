import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import type {
  ApplyResult,
  BucketQuery,
  BucketRow,
  DeadLetter,
  FactKey,
  Projector,
  RebuildBatch,
  RebuildRange,
  RebuildResult,
  Retraction,
  RetentionCutoffs,
  RetentionResult,
  RetractionResult,
  Reprojector,
  RollupLayout,
  StateListQuery,
  StateRow,
  Store,
  StoreLayout,
  StoredFact,
  StoredGrain,
} from './Store.js';
import { LIVE_APPLY_MAX_FACTS } from './Store.js';
import { assertLayout } from './storeIdentifiers.js';
import { sessionStateReader } from './sessionStateReader.js';
import { checkedDeltaTables, mergeStateWrites } from './mergeRollupDeltas.js';
import {
  assertGrain,
  assertLimit,
  assertProjection,
  declaredRollup,
  declaredState,
  decodeBucketRows,
  sortBucketRows,
  emptyProjection,
  eventJson,
  factBatch,
  factKey,
  latestTime,
} from './storeInputs.js';
import { fromJson, fromTimestamp, ident, readRows, rollupTable, stateTable, toTimestamp } from './duckDbSql.js';
import { initSchema, rollupBucketRange } from './duckDbSchema.js';
import { buildProjections, logBuiltProjections } from './buildProjections.js';
import { bucketStatement, storedSketchList } from './duckDbBucketQuery.js';
import { duckDbRepairSession, decodeRetraction } from './duckDbRepair.js';
import { changeRetraction, rebuildSpan, rebuildSpans, rebuiltRollup, runRebuild, type RepairContext } from './repairSession.js';
import { assertCutoffs, assertFactKey, assertReason } from './storeInputs.js';
import type { SqlViews } from './SqlViews.js';
import { duckDbSqlViews } from './duckDbSqlViews.js';
import { appendFacts, decodeStateRow, loadFactKeys, readStateRows, storedFactKeys, upsertStates } from './duckDbWrites.js';
import {
  DERIVE_MAX_FACTS,
  appendRollupDeltas,
  canDerive,
  compactDeltas,
  derivedZones,
  dropFoldedDeltas,
  moveDeltaFence,
  type FoldedGrains,
} from './duckDbDeltas.js';
import { KeyHashSet } from './KeyHashSet.js';
import { DeferredInserts } from './DeferredInserts.js';
import { tableCutoff } from './tableCutoff.js';
import { DuckDbStateKeys } from './duckDbStateKeys.js';
import { PendingDeltas } from './PendingDeltas.js';
import { registerSketchMergeFunctions } from './duckDbSketchMerge.js';
import { StateRowCache } from './StateRowCache.js';
import {
  CheckpointSchedule,
  DEFAULT_CHECKPOINT_LOG_RATIO,
  DEFAULT_CHECKPOINT_MAX_THRESHOLD,
  DEFAULT_CHECKPOINT_THRESHOLD,
  DUCKDB_AUTOMATIC_CHECKPOINT_OFF,
  parseSize,
} from './duckDbCheckpoints.js';

/** Options of `DuckDbStore.open`. */
export interface DuckDbStoreOptions {
  /**
   * The database file; its folder is created when missing. `':memory:'` keeps everything in memory and
   * loses it on `close` (tests).
   * @default none: required
   */
  path: string;
  /**
   * DuckDB worker threads. Fewer leave more CPU to the Node process (an apply batch is a dozen small
   * statements plus JS work); more speed up large bucket queries and exports.
   * @default DuckDB's default: the number of CPU cores
   */
  threads?: number;
  /**
   * Locks the database down at open, for the SQL port (`sql()`): external access is disabled (no file
   * outside `allowedDirectories`, no network, no extension loading) and the configuration is locked, so no
   * connection can `SET` it back. DuckDB's settings are per database, not per connection: the store's own
   * file exports must then write inside `allowedDirectories`.
   * @default none: the database is not locked down, and `sql()` refuses to serve
   */
  lockDown?: { allowedDirectories: readonly string[] };
  /**
   * Rollup delta rows (all rollups and grains) after which a compaction is queued behind the current
   * writes. Reads scan the delta rows of the grain they read beside the keyed rows, so this bounds what a
   * history query reads on top of its buckets: while more than this and a slice are pending, each slice
   * folds up to twice `compactSliceRows` (`sliceLimit`), and past this and a double slice an apply waits
   * for the running compaction's slices before it takes its write turn, so a bulk load does not outrun the
   * compaction (the backlog stays under that bound and the rows of the applies let through at once; an
   * apply of up to 16 facts, a live one, waits only past twice the bound). Larger values make ingestion
   * cheaper per fact.
   * @default 200_000
   */
  compactAfterRows?: number;
  /**
   * Most delta rows one background compaction slice folds (a slice always takes whole applies, so one
   * apply larger than this is a slice of its own). A background compaction folds the pending deltas in
   * slices, each a short transaction of its own on a connection of its own: applies commit beside its
   * slices (each side on a core of its own), and a read that comes while one runs waits for that slice at
   * most, never for the whole compaction. Smaller slices let reads wait less and cost more in all (each
   * slice scans the keyed tables it merges sketches into). Once a compaction has started, the next one
   * follows it at once while a slice's worth is pending (`queueCompaction`).
   * @default 20_000
   */
  compactSliceRows?: number;
  /**
   * A compaction runs once no apply has come for this long while deltas are pending, so a quiet product
   * reads keyed rows only, and then a write-ahead log past `checkpointThreshold` is checkpointed (however
   * far it is from `checkpointLogRatio`). 0 disables both (compaction then runs only at `compactAfterRows`
   * and before repairs, retention, exports and SQL port statements; checkpoints by the log's share).
   * @default 1_000
   */
  compactIdleMs?: number;
  /**
   * The smallest write-ahead log size (as DuckDB writes sizes: `'16MB'`, `'1GiB'`) from which the store
   * checkpoints, in a write turn of its own after the write that passed it, or between two slices while a
   * compaction runs (`duckDbCheckpoints.ts`: DuckDB's
   * own automatic checkpoint is off, its estimate made every compaction slice checkpoint). Past it, the log
   * may grow to `checkpointLogRatio` of the database file (up to `checkpointMaxThreshold`). Larger means
   * fewer, longer checkpoints and a longer replay after a crash. An in-memory database checkpoints after
   * writes that deleted rows instead (to reclaim them).
   * @default '16MB' (DuckDB's own default)
   */
  checkpointThreshold?: string;
  /**
   * The share of the database file's size the write-ahead log may reach before a checkpoint (when that is
   * more than `checkpointThreshold`). A checkpoint rewrites every row group updated since the last one,
   * and compactions update keyed rollup rows all over their tables, so a checkpoint costs about what the
   * tables weigh: a log that grows with them keeps the checkpoint cost per fact flat as the data grows.
   * Reads go through the updates the log holds, which costs them more as it grows, so this share only
   * holds while writes keep coming: once they pause for `compactIdleMs`, a log past `checkpointThreshold`
   * is checkpointed.
   * @default 0.25
   */
  checkpointLogRatio?: number;
  /**
   * The largest write-ahead log before a checkpoint, whatever the database's size: bounds the replay after
   * a crash and the memory uncheckpointed updates hold.
   * @default '1GiB'
   */
  checkpointMaxThreshold?: string;
  /**
   * Called when a compaction or a checkpoint queued in the background fails (deltas stay and are retried;
   * a checkpoint is tried again after the next write). @default console.error
   */
  onCompactionError?: (error: unknown) => void;
  /**
   * Keyed state rows kept after a read and served again until the store's next write (`StateRowCache`:
   * the store is its file's only writer, so a write turn is the only thing that can change them). Entity
   * fetches of live events read the same few rows again and again. 0 turns it off.
   * @default 10_000
   */
  stateCacheRows?: number;
}

/**
 * The embedded `Store`: one DuckDB database, with a connection for writes, one for queries and one for
 * background compactions. Each `apply` is one transaction whose writes are set-based (appender into TEMP
 * staging tables, then one `INSERT ... SELECT ... ON CONFLICT` per table), so batches of thousands of facts
 * cost a handful of statements.
 *
 * A DuckDB connection runs one transaction at a time, so every write (apply, repair, retention) waits its
 * turn in an internal queue, every query in another one on the query connection, and every compaction
 * slice and checkpoint in a third on the compactor; concurrent callers are safe. Applies append delta rows
 * while slices fold older ones into the keyed tables, so the two never write the same rows; whatever
 * rewrites keyed rows or the layout (repairs, retention, exports, `compact`, `init`) holds both the write
 * and the compactor turn. The projector runs inside the write turn: it must read state through the
 * `StateReader` it is given and never write through the store itself, which would wait on itself forever.
 */
export class DuckDbStore implements Store {
  private rollups = new Map<string, RollupLayout>();
  private states = new Set<string>();
  private initialized = false;
  /**
   * The committed watermark, kept in memory: this store is the database's only writer (DuckDB locks the
   * file), and only `apply` moves the watermark. Ingestion reads it before every batch; reading it from
   * the database cost a statement per batch queued behind history queries on the read connection. It is
   * not written per apply either: it is the newest stored fact's time, so `init` reads it from the facts
   * (an UPDATE of `meta` made every live apply touch one more table, about a millisecond of DuckDB's CPU
   * whatever the batch's size); `meta.watermark`, which files written before keep, only counts at `init`.
   */
  private committedWatermark: Date | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  private readQueue: Promise<unknown> = Promise.resolve();
  private connection: DuckDBConnection | undefined;
  private reader: DuckDBConnection | undefined;
  /**
   * The connection background compactions fold deltas on, so that they run beside applies (each on a core
   * of its own) instead of taking turns with them on the write connection. Its turns (`compactionTurn`)
   * are taken by compaction slices, by checkpoints and by everything that folds every pending delta
   * (`compactedTransaction`), which also holds the write turn.
   */
  private compactor: DuckDBConnection | undefined;
  private compactQueue: Promise<unknown> = Promise.resolve();
  /** The background compaction under way (`queueCompaction`), until it ends: `close` waits for it. */
  private compaction: Promise<void> | undefined;
  /** Resolved (and replaced) whenever a compaction slice ends or a compaction stops: what held-back applies wait for. */
  private sliceEnded = signal();
  private lockedDown = false;
  private sqlPort: (SqlViews & { close(): Promise<void> }) | undefined;
  /** Hashes of every stored fact key: the idempotency check without a primary key (see `KeyHashSet`). */
  private readonly factKeys = new KeyHashSet();
  /** State rows read lately, forgotten after every write turn (`StateRowCache`). */
  private stateCache = new StateRowCache();
  /** What is known of the keyed states' keys without a look-up (`duckDbStateKeys.ts`). */
  private stateKeys = new DuckDbStateKeys([]);
  /** Rollup delta rows not yet compacted, per apply (`duckDbDeltas.ts`). */
  private readonly pending = new PendingDeltas();
  /** Sequence number of the last apply that appended deltas (the fence counts from 0 after `init`). */
  private deltaSeq = 0;
  /**
   * Delta rows compaction slices folded into the minute and hour grains and not yet into the day grain,
   * and the last apply they cover: the day grain is folded once per compaction (`DELTA_FENCE_DDL`).
   */
  private dayBacklog = { rows: 0, upTo: 0 };
  /** Sequence number of the last apply that wrote derived delta rows (`duckDbDeltas.ts`, "Derived delta rows"). */
  private derivedUpTo = 0;
  /** Sequence number up to which every grain, the day grain included, is folded (the day fence). */
  private dayFence = 0;
  /** The zones of the zone-day tables derived from each declared rollup (their day starts go beside derived rows). */
  private derivedZones = new Map<string, string[]>();
  /** Reads queued or running, and when the last one ended: compaction slices let reads in a row go first (`readsQuiet`). */
  private readsInFlight = 0;
  private lastReadAt = 0;
  /** Applies waiting for or holding the write connection: an idle compaction waits for none to be left. */
  private appliesInFlight = 0;
  /** Applies queued for the write connection that have not started: a due checkpoint lets them go first (`checkpointIfDue`). */
  private appliesWaiting = 0;
  /** When the last apply ended (`performance.now()`): writes have paused once `compactIdleMs` passed since (`writesQuiet`). */
  private lastApplyEndedAt = 0;
  /** When a due checkpoint was first put off for a waiting apply (null: not put off). */
  private checkpointPutOffSince: number | null = null;
  private closeRequested = false;
  private idleTimer: NodeJS.Timeout | undefined;
  /** Checks the log once writes have paused (`armQuietCheckpoint`). */
  private quietCheckpointTimer: NodeJS.Timeout | undefined;
  private compactAfterRows = 200_000;
  private compactSliceRows = 20_000;
  private compactIdleMs = 1_000;
  private onCompactionError: (error: unknown) => void = (error) => console.error('DuckDbStore compaction failed', error);
  private checkpoints = new CheckpointSchedule(null, { minBytes: Infinity, logRatio: 0, maxBytes: Infinity });

  private constructor(
    private readonly instance: DuckDBInstance,
    connection: DuckDBConnection,
    reader: DuckDBConnection,
    compactor: DuckDBConnection,
  ) {
    this.connection = connection;
    this.reader = reader;
    this.compactor = compactor;
  }

  /** Opens (or creates) the database. Call `init` before anything else. */
  static async open(options: DuckDbStoreOptions): Promise<DuckDbStore> {
    const {
      path,
      threads,
      lockDown,
      compactAfterRows = 200_000,
      compactSliceRows = 20_000,
      compactIdleMs = 1_000,
      checkpointThreshold = DEFAULT_CHECKPOINT_THRESHOLD,
      checkpointLogRatio = DEFAULT_CHECKPOINT_LOG_RATIO,
      checkpointMaxThreshold = DEFAULT_CHECKPOINT_MAX_THRESHOLD,
      onCompactionError,
      stateCacheRows = 10_000,
    } = options;
    if (threads !== undefined && (!Number.isSafeInteger(threads) || threads < 1)) throw new Error(`threads must be a positive integer, got ${threads}`);
    if (!Number.isSafeInteger(compactAfterRows) || compactAfterRows < 1)
      throw new Error(`compactAfterRows must be a positive integer, got ${compactAfterRows}`);
    if (!Number.isSafeInteger(compactSliceRows) || compactSliceRows < 1)
      throw new Error(`compactSliceRows must be a positive integer, got ${compactSliceRows}`);
    if (!Number.isSafeInteger(compactIdleMs) || compactIdleMs < 0) throw new Error(`compactIdleMs must be a non-negative integer, got ${compactIdleMs}`);
    const checkpointBytes = parseSize(checkpointThreshold);
    const checkpointMaxBytes = parseSize(checkpointMaxThreshold, 'checkpointMaxThreshold');
    if (!(checkpointLogRatio >= 0 && Number.isFinite(checkpointLogRatio)))
      throw new Error(`checkpointLogRatio must be a non-negative number, got ${checkpointLogRatio}`);
    if (checkpointMaxBytes < checkpointBytes)
      throw new Error(`checkpointMaxThreshold (${checkpointMaxThreshold}) must not be below checkpointThreshold (${checkpointThreshold})`);
    const stateCache = new StateRowCache({ maxRows: stateCacheRows }); // throws on a bad size before anything opens
    if (path !== ':memory:') await mkdir(dirname(path), { recursive: true });
    const config: Record<string, string> = { checkpoint_threshold: DUCKDB_AUTOMATIC_CHECKPOINT_OFF };
    if (threads !== undefined) config.threads = String(threads);
    const instance = await DuckDBInstance.create(path, config);
    const connection = await instance.connect();
    registerSketchMergeFunctions(connection); // compactions merge sketches through them (duckDbSketchMerge.ts)
    if (lockDown) await lockDownDatabase(connection, lockDown.allowedDirectories);
    const compactor = await instance.connect();
    registerSketchMergeFunctions(compactor);
    const store = new DuckDbStore(instance, connection, await instance.connect(), compactor);
    store.lockedDown = Boolean(lockDown);
    store.compactAfterRows = compactAfterRows;
    store.stateCache = stateCache;
    store.compactSliceRows = compactSliceRows;
    store.compactIdleMs = compactIdleMs;
    store.checkpoints = new CheckpointSchedule(path === ':memory:' ? null : path, {
      minBytes: checkpointBytes,
      logRatio: checkpointLogRatio,
      maxBytes: checkpointMaxBytes,
    });
    if (onCompactionError) store.onCompactionError = onCompactionError;
    return store;
  }

  async init(layout: StoreLayout): Promise<void> {
    assertLayout(layout);
    // The compactor's turn too: a background slice must not fold into tables the new layout rebuilds.
    await this.serialize((connection) => this.compactionTurn(() => this.initOn(connection, layout)));
  }

  private async initOn(connection: DuckDBConnection, layout: StoreLayout): Promise<void> {
    const built = await inTransaction(connection, async () => {
      await initSchema(connection, layout);
      // Projections new to a file that holds rows are filled before anything reads them.
      return buildProjections(duckDbRepairSession(connection, new Set()), (rollup, grain) => rollupBucketRange(connection, rollup, grain), layout.rollups);
    });
    logBuiltProjections('DuckDbStore', built);
    if (this.factKeys.size === 0) await loadFactKeys(connection, this.factKeys);
    this.stateKeys = new DuckDbStateKeys(layout.states);
    await this.stateKeys.load(connection);
    const [[stored = null, newest = null] = []] = await readRows(connection, 'SELECT (SELECT watermark FROM meta), (SELECT max(time) FROM facts)');
    const times = [stored, newest].filter((time) => time !== null).map(fromTimestamp);
    this.committedWatermark = times.length === 0 ? null : new Date(Math.max(...times.map((time) => time.getTime())));
    this.deltaSeq = 0;
    this.pending.clear();
    this.dayBacklog = { rows: 0, upTo: 0 };
    this.derivedUpTo = 0;
    this.dayFence = 0;
    this.rollups = new Map(layout.rollups.map((rollup) => [rollup.name, rollup]));
    this.derivedZones = new Map(layout.rollups.map((rollup) => [rollup.name, derivedZones(rollup, layout.rollups)]));
    this.states = new Set(layout.states);
    this.initialized = true;
  }

  async apply(facts: StoredFact[], project: Projector): Promise<ApplyResult> {
    const batch = factBatch(facts);
    if (batch.candidates.length === 0) return { applied: [], duplicates: [], projection: emptyProjection() };

    this.appliesInFlight++;
    let waiting = false;
    const started = () => {
      if (waiting) this.appliesWaiting--;
      waiting = false;
    };
    const enter = <T>(task: (connection: DuckDBConnection) => Promise<T>): Promise<T> => {
      this.appliesWaiting++;
      waiting = true;
      return this.exclusive(task);
    };
    // Backpressure before the write turn, not in it: a turn held while waiting for slices held up every
    // apply queued behind it (a live fact behind a bulk batch waited for a slice) and the checkpoint a
    // slice's end takes. With none to wait for, the apply joins the queue at once, in call order.
    const turn = <T>(task: (connection: DuckDBConnection) => Promise<T>): Promise<T> =>
      this.heldBack(batch.candidates.length) ? this.compactionCaughtUp(batch.candidates.length).then(() => enter(task)) : enter(task);
    return turn(async (connection) => {
      started();
      let raised: Date | null = null;
      let appended = 0;
      let derive = false;
      const seq = ++this.deltaSeq;
      const hashes = batch.candidates.map((fact) => KeyHashSet.hash(factKey(fact.source, fact.id)));
      const fresh: StoredFact[] = [];
      const freshHashes: Array<[number, number]> = [];
      // A live apply's few rows run with its COMMIT, in one call (DeferredInserts.ts).
      const deferred = new DeferredInserts();
      const result = await inTransaction(
        connection,
        async () => {
          // Only keys whose hash is known can be stored already; they are checked against the table.
          const probable = batch.candidates.filter((_, i) => this.factKeys.has(...hashes[i]));
          const stored = await storedFactKeys(connection, probable);
          batch.candidates.forEach((fact, i) => {
            if (probable.length > 0 && stored.has(factKey(fact.source, fact.id))) return;
            fresh.push(fact);
            freshHashes.push(hashes[i]);
          });
          const { applied, duplicates } = batch.split(new Set(fresh.map((fact) => factKey(fact.source, fact.id))));
          if (applied.length === 0) return { applied, duplicates, projection: emptyProjection() };
          await appendFacts(connection, fresh, freshHashes, deferred);

          this.stateKeys.begin();
          const session = duckDbRepairSession(connection, this.states, this.stateKeys);
          // A replay reads the facts table, the batch's held facts included: they go in first.
          const readFacts: typeof session.readFacts = async (query) => (await deferred.flush(connection), session.readFacts(query));
          const reader = sessionStateReader({ ...session, readFacts }, this.states);
          const projection = assertProjection(await project(applied, reader, { finestGrainOnly: true }));
          // Coarser deltas a projector returns anyway are checked, then left out: they derive from each table's finest ones.
          const tables = checkedDeltaTables(projection.deltas, this.rollups);
          derive = applied.length <= DERIVE_MAX_FACTS && canDerive(tables);
          appended = await appendRollupDeltas(connection, tables, seq, { derive, zonesOf: (root) => this.derivedZones.get(root.name) ?? [], deferred });
          await upsertStates(connection, mergeStateWrites(projection.states, this.states), this.stateKeys, deferred);
          // A batch of facts older than the watermark (a backfill, late facts) leaves it where it is.
          const latest = latestTime(applied);
          if (this.committedWatermark === null || latest > this.committedWatermark) raised = latest;
          return { applied, duplicates, projection };
        },
        deferred,
      );
      // Committed: only now do the new keys count as stored and the deltas as pending.
      for (const [high, low] of freshHashes) this.factKeys.add(high, low);
      if (raised) this.committedWatermark = raised;
      this.pending.add(seq, appended);
      if (derive && appended > 0) this.derivedUpTo = seq;
      return result;
    }).finally(() => {
      started(); // refused before its turn (the store closed): it waits no more
      this.appliesInFlight--;
      this.lastApplyEndedAt = performance.now();
      if (this.pending.rows > 0) this.afterDeltas();
    });
  }

  async recordDeadLetter(letter: DeadLetter): Promise<void> {
    await this.exclusive((connection) =>
      connection.run(`INSERT INTO dead_letters (received_at, source, id, type, reason, event) VALUES ($1, $2, $3, $4, $5, $6::JSON)`, [
        toTimestamp(letter.receivedAt),
        letter.source ?? null,
        letter.id ?? null,
        letter.type ?? null,
        String(letter.reason),
        eventJson(letter.event),
      ]),
    );
  }

  async deadLetters(limit: number): Promise<DeadLetter[]> {
    const sql = `SELECT received_at, source, id, type, reason, event FROM dead_letters
      ORDER BY received_at DESC, seq DESC LIMIT ${assertLimit(limit)}`;
    const rows = await this.read((connection) => readRows(connection, sql));
    return rows.map(([receivedAt, source, id, type, reason, event]) => ({
      receivedAt: fromTimestamp(receivedAt),
      source: source === null ? null : String(source),
      id: id === null ? null : String(id),
      type: type === null ? null : String(type),
      reason: String(reason),
      event: fromJson(event),
    }));
  }

  async queryBuckets(query: BucketQuery): Promise<BucketRow[]> {
    const layout = declaredRollup(this.rollups, query.rollup);
    if (query.boundaries.length < 2) return [];
    const statement = bucketStatement(layout, query, this.derivedSource(layout));
    const rows = await this.read((connection) => readRows(connection, statement.sql, statement.params));
    return sortBucketRows(decodeBucketRows(statement, rows, storedSketchList), statement.groupBy);
  }

  async readStates(state: string, keys: string[]): Promise<StateRow[]> {
    declaredState(this.states, state);
    // A key never written is not looked up: a look-up of many keys scans the state table.
    return this.stateCache.read(state, this.stateKeys.mayExist(state, keys), (missing) => this.read((connection) => readStateRows(connection, state, missing)));
  }

  async listStates(query: StateListQuery): Promise<StateRow[]> {
    const { state, afterKey, limit, where = {} } = query;
    const conditions: string[] = [];
    const params: string[] = [];
    if (afterKey !== undefined) conditions.push(`key > $${params.push(String(afterKey))}`);
    for (const [field, value] of Object.entries(where)) {
      if (typeof value !== 'string') throw new Error(`where.${field} must be a string`);
      // A JSON pointer (RFC 6901) names the field exactly, whatever characters it holds.
      const pointer = `/${field.replaceAll('~', '~0').replaceAll('/', '~1')}`;
      conditions.push(`json_extract_string(value, $${params.push(pointer)}) = $${params.push(value)}`);
    }
    const sql = `SELECT key, value, updated_at FROM ${stateTable(declaredState(this.states, state))}
      ${conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : ''} ORDER BY key LIMIT ${assertLimit(limit)}`;
    const rows = await this.read((connection) => readRows(connection, sql, params));
    return rows.map(decodeStateRow);
  }

  async watermark(): Promise<Date | null> {
    if (!this.connection) throw new Error('DuckDbStore is closed');
    if (!this.initialized) throw new Error('DuckDbStore.init must complete before other operations');
    return this.committedWatermark === null ? null : new Date(this.committedWatermark);
  }

  /**
   * Rollup delta rows committed and not yet folded into the keyed tables of the minute and hour grains:
   * the compaction's backlog (the day grain catches up at the end of each compaction, `compactSlice`).
   */
  get pendingDeltaRows(): number {
    return this.pending.rows;
  }

  async factCount(): Promise<number> {
    const rows = await this.read((connection) =>
      readRows(connection, 'SELECT count(*) FROM facts f WHERE NOT EXISTS (SELECT 1 FROM retractions r WHERE r.source = f.source AND r.id = f.id)'),
    );
    return Number(rows[0][0]);
  }

  async retract(key: FactKey, reason: string, at: Date, reprojector: Reprojector): Promise<RetractionResult> {
    const retraction: Retraction = { ...assertFactKey(key), reason: assertReason(reason), retractedAt: at };
    return this.repair((session, context) => changeRetraction(session, context, retraction, retraction), reprojector);
  }

  async restore(key: FactKey, reprojector: Reprojector): Promise<RetractionResult> {
    const { source, id } = assertFactKey(key);
    return this.repair((session, context) => changeRetraction(session, context, { source, id }, null), reprojector);
  }

  async rebuild(range: RebuildRange, reprojector: Reprojector, onBatch?: (batch: RebuildBatch) => Promise<void>): Promise<RebuildResult> {
    if (range.rollup !== undefined) rebuiltRollup(this.rollups, range.rollup);
    const spans = await this.exclusive((connection) => rebuildSpans(duckDbRepairSession(connection, this.states), range));
    return runRebuild(spans, (span) => this.repair((session, context) => rebuildSpan(session, context, span, range.rollup), reprojector), onBatch);
  }

  async retractions(limit: number): Promise<Retraction[]> {
    const sql = `SELECT source, id, reason, retracted_at FROM retractions ORDER BY retracted_at DESC, source, id LIMIT ${assertLimit(limit)}`;
    return (await this.read((connection) => readRows(connection, sql))).map(decodeRetraction);
  }

  async enforceRetention(cutoffs: RetentionCutoffs): Promise<RetentionResult> {
    const { facts: before, grains } = assertCutoffs(cutoffs);
    return this.exclusive((connection) =>
      this.compactedTransaction(connection, async () => {
        this.checkpoints.rowsDeleted();
        const at = [toTimestamp(before)];
        await connection.run(`DELETE FROM retractions WHERE (source, id) IN (SELECT source, id FROM facts WHERE time < $1)`, at);
        const facts = (await connection.run(`DELETE FROM facts WHERE time < $1`, at)).rowsChanged;
        const deadLetters = (await connection.run(`DELETE FROM dead_letters WHERE received_at < $1`, at)).rowsChanged;
        const rows = { minute: 0, hour: 0, day: 0 };
        for (const [grain, cutoff] of Object.entries(grains) as Array<[StoredGrain, Date | undefined]>) {
          if (!cutoff) continue;
          for (const layout of this.rollups.values()) {
            const before = tableCutoff(layout, grain, cutoff, this.rollups.values());
            rows[grain] += (await connection.run(`DELETE FROM ${rollupTable(layout.name, grain)} WHERE bucket < $1`, [toTimestamp(before)])).rowsChanged;
          }
        }
        return { facts, deadLetters, rows };
      }),
    );
  }

  async exportRollup(rollup: string, grain: StoredGrain, file: string, format: 'parquet' | 'csv'): Promise<number> {
    const layout = declaredRollup(this.rollups, rollup);
    assertGrain(grain);
    if (format !== 'parquet' && format !== 'csv') throw new Error(`unknown export format ${JSON.stringify(format)}`);
    // COPY takes no parameter for its target, so the path is inlined: refuse what could end the literal.
    if (/['\0]/.test(file)) throw new Error(`export path must not contain quotes: ${JSON.stringify(file)}`);
    await mkdir(dirname(file), { recursive: true });
    const keys = ['bucket', ...layout.dimensions.map(ident)].join(', ');
    const columns = [keys, ...Object.keys(layout.columns).map(ident)].join(', ');
    const options = format === 'parquet' ? 'FORMAT parquet' : 'FORMAT csv, HEADER';
    const sql = `COPY (SELECT ${columns} FROM ${rollupTable(layout.name, grain)} ORDER BY ${keys}) TO '${file}' (${options})`;
    return this.exclusive(async (connection) => {
      await this.compactedTransaction(connection, async () => undefined);
      return (await connection.run(sql)).rowsChanged;
    });
  }

  /** The SQL port over this database's published views; only on a database opened with `lockDown`. */
  sql(): SqlViews {
    if (!this.lockedDown) throw new Error('the SQL port needs a DuckDbStore opened with lockDown (external access off, configuration locked)');
    if (!this.initialized) throw new Error('DuckDbStore.init must complete before other operations');
    this.sqlPort ??= duckDbSqlViews({
      instance: this.instance,
      rollups: [...this.rollups.values()],
      states: [...this.states],
      write: (work) => this.exclusive(work),
      // The views read keyed tables: a statement first waits for pending deltas to be folded in.
      settle: () => this.compact(),
    });
    return this.sqlPort;
  }

  async close(): Promise<void> {
    clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    clearTimeout(this.quietCheckpointTimer);
    this.quietCheckpointTimer = undefined;
    this.closeRequested = true; // operations from now on are refused; those already queued finish
    await this.sqlPort?.close();
    // Writes drain before reads: a compaction still queued takes a read turn of its own.
    await settled(() => this.queue);
    await this.compaction?.catch(() => undefined); // none starts once close is requested
    await settled(() => this.compactQueue);
    await settled(() => this.readQueue);
    if (!this.connection) return;
    this.reader?.closeSync();
    this.compactor?.closeSync();
    this.compactor = undefined;
    this.connection.closeSync();
    this.instance.closeSync();
    this.connection = undefined;
    this.reader = undefined;
  }

  /** One repair transaction on the connection, its turn taken like an apply's. */
  private repair<T>(work: (session: ReturnType<typeof duckDbRepairSession>, context: RepairContext) => Promise<T>, reprojector: Reprojector): Promise<T> {
    // Repairs read and rewrite keyed rows: pending deltas are folded in first, in the same transaction.
    return this.exclusive((connection) =>
      this.compactedTransaction(connection, () => {
        this.stateKeys.begin();
        this.checkpoints.rowsDeleted(); // repairs rewrite keyed rows
        return work(duckDbRepairSession(connection, this.states, this.stateKeys), { rollups: this.rollups, states: this.states, reprojector });
      }),
    );
  }

  /**
   * Folds every pending rollup delta into the keyed tables, in one transaction (reads see all of it or
   * none); callable any time. The store compacts by itself at `compactAfterRows` and after
   * `compactIdleMs` of quiet, in slices (`compactSliceRows`) that let applies and reads in between.
   */
  compact(): Promise<void> {
    return this.exclusive((connection) => this.compactedTransaction(connection, async () => undefined));
  }

  /**
   * `compact`, then checkpoints: waits for the write turns queued meanwhile and a checkpoint after them,
   * whatever the log's size (`serialize` runs it once the compaction's caller has its answer): once it
   * resolves every update is in the database file and the store does no background work until the next
   * write. For measurements that must not share the machine with a compaction or a checkpoint, nor read
   * through updates not yet checkpointed (`bench/ingest-and-history.ts`), and for maintenance windows.
   */
  async settle(): Promise<void> {
    // A compaction under way ends first: one paused between slices would otherwise fold (or delete folded
    // rows) after the checkpoint below, and its slices' ends are where checkpoints run while it does.
    while (this.compaction) await this.compaction.catch(() => undefined);
    // Requested inside the compaction's own turn: a turn queued before it (a background slice, an apply)
    // would otherwise take the request with its checkpoint and leave the compaction's writes in the log.
    await this.exclusive((connection) => this.compactedTransaction(connection, async () => this.checkpoints.request()));
    await settled(() => this.queue);
  }

  /**
   * One transaction that first folds the pending deltas into the keyed tables, then does `work`; the
   * pending count resets only once it commits (writes are serialized, so nothing adds deltas meanwhile).
   */
  private compactedTransaction<T>(connection: DuckDBConnection, work: () => Promise<T>): Promise<T> {
    // The compactor's turn too: no background slice folds (or checkpoints) beside it.
    return this.compactionTurn(() => this.foldAllThen(connection, work));
  }

  private async foldAllThen<T>(connection: DuckDBConnection, work: () => Promise<T>): Promise<T> {
    const pending = this.pending.rows + this.dayBacklog.rows;
    // While deltas are folded, reads wait: DuckDB 1.5.6 let a read running beside the first compaction of
    // a fresh file see none of the deltas and none of the keyed rows (an empty history, reproduced in
    // test/kit/duckDbCompaction.test.ts), so a compaction never overlaps a read.
    const transaction = () =>
      inTransaction(connection, async () => {
        if (pending > 0) {
          for (const layout of this.rollups.values()) await compactDeltas(connection, layout, undefined, 'all', this.derivedSource(layout));
          await moveDeltaFence(connection, this.deltaSeq);
        }
        return work();
      });
    const result = pending > 0 ? await this.read(transaction, true) : await transaction();
    if (pending > 0) this.dayFence = this.deltaSeq; // writes are serialized: no apply came since the fence moved
    this.pending.clear();
    this.dayBacklog = { rows: 0, upTo: 0 };
    if (pending > 0) this.checkpoints.rowsDeleted(); // the delta clean-up below (repairs and retention mark their own)
    if (pending > 0) {
      // Behind the fence now: no read takes them, so deleting them is housekeeping (retried by the next compaction).
      for (const layout of this.rollups.values()) await dropFoldedDeltas(connection, layout).catch(this.onCompactionError);
    }
    return result;
  }

  /** Queues a compaction once enough deltas are pending, else (re)arms the idle one. */
  private afterDeltas(): void {
    clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    if (this.pending.rows >= this.compactAfterRows) return this.queueCompaction();
    if (this.compactIdleMs > 0) this.armIdleCompaction();
  }

  /** Compacts once `compactIdleMs` pass with no apply waiting or running (ingestion is never made to wait). */
  private armIdleCompaction(): void {
    this.idleTimer = setTimeout(() => {
      this.idleTimer = undefined;
      if (this.appliesInFlight > 0 || (this.pending.rows === 0 && this.dayBacklog.rows === 0)) return; // the last of them re-arms it
      this.queueCompaction();
    }, this.compactIdleMs);
    this.idleTimer.unref();
  }

  /**
   * Starts a background compaction of the deltas pending now, unless one is running: slice after slice,
   * each its own turn on the compactor, so applies commit beside them. Once it is done, the next one
   * starts at once while a slice's worth (`compactSliceRows`) is pending: during a bulk load the rows
   * applied while one compaction ran would otherwise wait for `compactAfterRows` more (the backlog a read
   * merges was left at 217k rows after a 100k-fact bulk load and 415k after 1M, issue #16). Less than a slice waits for the idle compaction or the next threshold,
   * so a live stream of single facts does not keep a compaction (and its day fold) running for a trickle.
   */
  private queueCompaction(): void {
    if (this.compaction || !this.connection || this.closeRequested) return;
    const target = this.deltaSeq;
    const slices = async () => {
      // A compaction under way when `close` is called finishes first (close waits for it).
      for (;;) {
        const more = await this.compactionTurn((compactor) => this.compactSlice(compactor, target)).finally(() => this.endSlice());
        await this.checkpointBetweenSlices();
        if (!more) return;
        await this.readsQuiet();
      }
    };
    this.compaction = slices().then(
      () => {
        this.compaction = undefined;
        this.endSlice();
        if (this.checkpoints.pending() !== null) this.armQuietCheckpoint(); // the quiet check its slices skipped
        if (this.pending.rows >= Math.min(this.compactAfterRows, this.compactSliceRows)) this.queueCompaction();
        else if (this.pending.rows + this.dayBacklog.rows > 0 && this.compactIdleMs > 0 && !this.idleTimer) this.armIdleCompaction();
      },
      (error: unknown) => {
        this.compaction = undefined;
        this.endSlice();
        // A slice rolled back leaves its deltas pending (reads stay correct); the next compaction retries them.
        if (this.connection) this.onCompactionError(error);
      },
    );
  }

  /**
   * Resolves once no read has been queued or run for `READ_QUIET_MS`, or after `READ_YIELD_MS` in any
   * case (or at once when the store is closing). A slice makes every read wait while it runs (see
   * `compactedTransaction`), so reads in a row (a dashboard's panels, one query after another) would each
   * wait for a slice; they go first instead, and the compaction goes on in their gaps, never stalled by
   * more than `READ_YIELD_MS` per slice. Applies never wait for this: the slice holds no turn meanwhile.
   */
  private async readsQuiet(): Promise<void> {
    const started = Date.now();
    while (!this.closeRequested && Date.now() - started < READ_YIELD_MS) {
      if (this.readsInFlight === 0 && Date.now() - this.lastReadAt >= READ_QUIET_MS) return;
      await new Promise((resolve) => setTimeout(resolve, READ_QUIET_MS / 2));
    }
  }

  /**
   * Folds the oldest pending applies' deltas (up to `compactSliceRows` rows, whole applies, none past
   * `target`) into the minute and hour grains in one transaction that moves their fence behind them; once
   * none up to `target` are left, one last slice folds everything the slices folded into the day grain
   * (`DELTA_FENCE_DDL`). Reads wait for each slice, as for every compaction (see `compactedTransaction`).
   * Returns whether a slice is left; once none is, the folded delta rows are deleted.
   */
  private async compactSlice(connection: DuckDBConnection, target: number): Promise<boolean> {
    const slice = this.pending.nextSlice(target, this.sliceLimit());
    const fold = async (upTo: number, which: FoldedGrains) =>
      this.read(
        () =>
          inTransaction(connection, async () => {
            for (const layout of this.rollups.values()) await compactDeltas(connection, layout, upTo, which, this.derivedSource(layout));
            await moveDeltaFence(connection, upTo, which);
          }),
        true,
      );
    if (slice) {
      await fold(slice.upTo, 'fine');
      this.pending.folded(slice);
      this.dayBacklog = { rows: this.dayBacklog.rows + slice.rows, upTo: slice.upTo };
    } else if (this.dayBacklog.rows > 0) {
      await fold(this.dayBacklog.upTo, 'day');
      this.dayFence = this.dayBacklog.upTo;
      this.dayBacklog = { rows: 0, upTo: 0 };
    }
    const more = this.pending.nextSlice(target, this.compactSliceRows) !== null || this.dayBacklog.rows > 0;
    // Behind the fence now: no read takes them, so deleting them is housekeeping (retried by the next compaction).
    if (!more) {
      for (const layout of this.rollups.values()) await dropFoldedDeltas(connection, layout).catch(this.onCompactionError);
      this.checkpoints.rowsDeleted();
    }
    return more;
  }

  /**
   * Most rows the next slice folds: `compactSliceRows`, twice that while more than `compactAfterRows` and
   * a slice are pending. Each compaction's day fold is a slice that takes no apply's rows, so with slices
   * of an apply's size the backlog grew with the length of a bulk load (issue #16); a double slice while
   * over the bound wins them back (and `compactionCaughtUp` holds applies back past it).
   */
  private sliceLimit(): number {
    return this.pending.rows >= this.compactAfterRows + this.compactSliceRows ? 2 * this.compactSliceRows : this.compactSliceRows;
  }

  /**
   * The declared rollup whose derived delta rows `layout`'s pending rows include (`duckDbDeltas.ts`,
   * "Derived delta rows"): its rollup, while an apply's derived rows may be past the day fence; otherwise
   * none, so reads of a table whose rows were all written out scan nothing more.
   */
  private derivedSource(layout: RollupLayout): RollupLayout | undefined {
    if (layout.projectionOf === undefined || this.derivedUpTo <= this.dayFence) return undefined;
    return this.rollups.get(layout.projectionOf);
  }

  /**
   * Runs `task` on the compactor once every earlier compaction turn has settled: one transaction at a time
   * there, as on the write connection. Refused once the store is closed.
   */
  private compactionTurn<T>(task: (compactor: DuckDBConnection) => Promise<T>): Promise<T> {
    const run = this.compactQueue.then(() => {
      if (!this.compactor) throw new Error('DuckDbStore is closed');
      return task(this.compactor);
    });
    this.compactQueue = run.catch(() => undefined);
    return run;
  }

  /**
   * Backpressure for applies, which do not take turns with the compaction: while a compaction is under way
   * and more deltas are pending than `compactAfterRows` and one of the largest slices (`sliceLimit`), an
   * apply of `facts` facts waits for its slices to end, before it takes the write turn (so it holds up no
   * apply queued after it, and no checkpoint between slices). Reads merge the pending deltas, so this
   * bounds what they merge (about the bound and the rows of the applies let through at once); below it
   * applies and slices run at once. During a bulk load the slices are the slower side: the backlog reaches
   * the bound and each apply then commits beside the next slice. A live apply (`LIVE_APPLY_MAX_FACTS`)
   * goes on up to twice the bound, so live facts keep their latency while a bulk load is held back; its
   * few rows cannot outgrow the compaction the way a bulk load's can.
   */
  private async compactionCaughtUp(facts: number): Promise<void> {
    while (this.heldBack(facts)) await this.sliceEnded.promise;
  }

  /** Whether backpressure holds an apply of `facts` facts back now (see `compactionCaughtUp`). */
  private heldBack(facts: number): boolean {
    const bound = (this.compactAfterRows + 2 * this.compactSliceRows) * (facts <= LIVE_APPLY_MAX_FACTS ? 2 : 1);
    return this.compaction !== undefined && this.pending.rows > bound && !this.closeRequested;
  }

  private endSlice(): void {
    this.sliceEnded.resolve();
    this.sliceEnded = signal();
  }

  /** `serialize` for everything but `init`, which must have run: the tables exist only after it. */
  private exclusive<T>(task: (connection: DuckDBConnection) => Promise<T>): Promise<T> {
    return this.serialize((connection) => {
      if (!this.initialized) throw new Error('DuckDbStore.init must complete before other operations');
      return task(connection);
    });
  }

  /**
   * Queries run on a connection of their own, one at a time in their own queue: a history query never
   * waits behind an apply (DuckDB's MVCC shows it the last committed state), only behind other reads.
   */
  private read<T>(task: (connection: DuckDBConnection) => Promise<T>, internal = false): Promise<T> {
    if (this.closeRequested && !internal) return Promise.reject(new Error('DuckDbStore is closed'));
    if (!internal) this.readsInFlight++;
    const run = this.readQueue.then(() => {
      if (!this.reader) throw new Error('DuckDbStore is closed');
      if (!this.initialized) throw new Error('DuckDbStore.init must complete before other operations');
      return task(this.reader);
    });
    this.readQueue = run.catch(() => undefined);
    if (internal) return run;
    return run.finally(() => {
      this.readsInFlight--;
      this.lastReadAt = Date.now();
    });
  }

  /**
   * Runs `task` once every earlier operation has settled: one transaction at a time on the connection.
   * `internal` work (the next slice of a compaction) is still taken once `close` was called. A checkpoint
   * due after `task` (`duckDbCheckpoints.ts`) runs next, before any later task: `task`'s caller has its
   * answer without waiting for it.
   */
  private serialize<T>(task: (connection: DuckDBConnection) => Promise<T>, internal = false): Promise<T> {
    if (this.closeRequested && !internal) return Promise.reject(new Error('DuckDbStore is closed'));
    const run = this.queue
      .then(() => {
        if (!this.connection) throw new Error('DuckDbStore is closed');
        return task(this.connection);
      })
      // Whatever the turn wrote (or half wrote and rolled back), state rows read before it are forgotten.
      .finally(() => this.stateCache.invalidate());
    this.queue = run.catch(() => undefined).then(() => this.checkpointIfDue());
    return run;
  }

  /**
   * Once writes have paused, a write turn of its own checks the log against the quiet threshold (the
   * checkpoint after it). The timer checks again while writes go on, and gives up once the log is under
   * the quiet threshold (a checkpoint by size emptied it meanwhile).
   */
  private armQuietCheckpoint(): void {
    if (this.quietCheckpointTimer || this.compactIdleMs === 0 || this.closeRequested) return;
    this.quietCheckpointTimer = setTimeout(() => {
      this.quietCheckpointTimer = undefined;
      if (!this.connection || this.closeRequested || this.checkpoints.pending() === null) return;
      if (!this.writesQuiet()) return this.armQuietCheckpoint();
      void this.serialize(async () => undefined, true).catch(() => undefined);
    }, this.compactIdleMs);
    this.quietCheckpointTimer.unref();
  }

  /**
   * Whether writes have paused: none in flight, none ended in the last `compactIdleMs` (never when that is
   * 0), and no compaction under way (the idle compaction starts as writes pause: its slices checkpointing
   * at the quiet threshold would checkpoint a backlog several times; the quiet check follows it instead).
   */
  private writesQuiet(): boolean {
    return this.compactIdleMs > 0 && this.appliesInFlight === 0 && !this.compaction && performance.now() - this.lastApplyEndedAt >= this.compactIdleMs;
  }

  /**
   * A checkpoint due while a compaction runs, taken after one of its slices: the write turn first (the
   * apply under way ends, none starts), then the compactor's, free between slices. From a write turn the
   * checkpoint would wait for the slice running on the compactor, and every apply queued behind that turn
   * with it (issue #13). Put off like any checkpoint while applies wait (`checkpointIfDue`), up to the next
   * slice's end; a checkpoint due once the compaction is over runs after the next write turn.
   */
  private async checkpointBetweenSlices(): Promise<void> {
    if (this.closeRequested || this.checkpoints.pending() !== 'now') return;
    await this.serialize(() => this.checkpointIfDue(true), true).catch(() => undefined);
  }

  /**
   * Checkpoints when due; a failure is reported and the checkpoint tried again after the next write. An
   * apply already waiting for the connection goes first (a checkpoint of a 16 MB log takes ~60 ms, which
   * every apply queued behind it waited on top of its own, issue #13): the checkpoint runs after the first
   * write turn that leaves none waiting, or once it has been put off for `CHECKPOINT_PUT_OFF_MS`, so a
   * stream that always has an apply waiting still checkpoints. While a compaction runs, only its slices'
   * ends checkpoint (`betweenSlices`, see `checkpointBetweenSlices`); when closing, the write turn does.
   */
  private async checkpointIfDue(betweenSlices = false): Promise<void> {
    if (!this.connection || !this.initialized) return;
    if (this.compaction && !betweenSlices && !this.closeRequested) return;
    const when = this.checkpoints.pending();
    if (when === null) return;
    if (when === 'quiet' && !this.writesQuiet()) return this.armQuietCheckpoint();
    if (this.appliesWaiting > 0 && !this.closeRequested) {
      this.checkpointPutOffSince ??= Date.now();
      if (Date.now() - this.checkpointPutOffSince < CHECKPOINT_PUT_OFF_MS) return;
    }
    this.checkpointPutOffSince = null;
    try {
      // DuckDB refuses a checkpoint while any transaction is open: it takes the compactor's turn too.
      const connection = this.connection;
      await this.compactionTurn(() => connection.run('CHECKPOINT'));
      this.checkpoints.done();
    } catch (error) {
      this.onCompactionError(error);
    }
  }
}

/**
 * External access off except the given folders, then the configuration locked: DuckDB refuses every later
 * `SET` (including these) on every connection, so a statement of the SQL port cannot turn them back on.
 */
async function lockDownDatabase(connection: DuckDBConnection, allowedDirectories: readonly string[]): Promise<void> {
  for (const dir of allowedDirectories) if (/['\0]/.test(dir)) throw new Error(`allowed directory must not contain quotes: ${JSON.stringify(dir)}`);
  if (allowedDirectories.length) await connection.run(`SET allowed_directories = [${allowedDirectories.map((d) => `'${d}'`).join(', ')}]`);
  await connection.run('SET enable_external_access = false');
  await connection.run('SET lock_configuration = true');
}

/** How long reads must have been quiet before the next compaction slice starts, and the longest a slice waits for that. */
const READ_QUIET_MS = 20;
const READ_YIELD_MS = 1_000;

/** The longest a due checkpoint is put off for applies waiting for the write connection (`checkpointIfDue`). */
const CHECKPOINT_PUT_OFF_MS = 1_000;

/**
 * Runs `work` in a transaction: commits its result (running the INSERTs it left in `deferred` first, in
 * the same call), or rolls back and rethrows so nothing is half-applied.
 */
async function inTransaction<T>(connection: DuckDBConnection, work: () => Promise<T>, deferred?: DeferredInserts): Promise<T> {
  await connection.run('BEGIN TRANSACTION');
  try {
    const result = await work();
    await connection.run(deferred?.takeWithCommit() ?? 'COMMIT');
    return result;
  } catch (error) {
    await connection.run('ROLLBACK').catch(() => undefined); // a failed COMMIT has already rolled back
    throw error;
  }
}

/** A promise and the function that resolves it. */
function signal(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((done) => (resolve = done));
  return { promise, resolve };
}

/** Waits until the queue `current()` returns stops changing: tasks queued while waiting are waited for too. */
async function settled(current: () => Promise<unknown>): Promise<void> {
  for (let queue = current(); ;) {
    await queue.catch(() => undefined);
    if (queue === current()) return;
    queue = current();
  }
}
