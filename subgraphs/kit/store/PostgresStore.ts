import pg from 'pg';
import type { PoolClient } from 'pg';
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
import { STORED_GRAINS } from './Store.js';
import { assertLayout } from './storeIdentifiers.js';
import { sessionStateReader } from './sessionStateReader.js';
import { mergeRollupDeltas, mergeStateWrites } from './mergeRollupDeltas.js';
import {
  assertGrain,
  assertLimit,
  assertProjection,
  declaredRollup,
  declaredState,
  decodeBucketRows,
  emptyProjection,
  eventJson,
  factBatch,
  latestTime,
} from './storeInputs.js';
import { RETRYABLE_SQLSTATES, schemaNames, timestampParam, withoutNul, type SchemaNames } from './postgresSql.js';
import { initSchema, rollupBucketRange } from './postgresSchema.js';
import { buildProjections, logBuiltProjections } from './buildProjections.js';
import {
  LayoutChangedError,
  beginWithLayoutLockSql,
  layoutFingerprint,
  readLayoutRecord,
  staleProjections,
  writeLayoutRecord,
} from './postgresLayoutRecord.js';
import { bucketStatement } from './postgresBucketQuery.js';
import { decodeStateRow, insertNewFacts, raiseWatermark, readStateRows, rollupPasses, upsertStates, writeRollupTables } from './postgresWrites.js';
import { decodeRetraction, lockFactsForRepairSql, postgresRepairSession } from './postgresRepair.js';
import { changeRetraction, rebuildSpan, rebuildSpans, rebuiltRollup, runRebuild, type RepairContext, type RepairSession } from './repairSession.js';
import { assertCutoffs, assertFactKey, assertReason } from './storeInputs.js';
import { exportRollupCsv } from './postgresCsvExport.js';
import type { SqlViews } from './SqlViews.js';
import { postgresSqlViews } from './postgresSqlViews.js';
import { tableCutoff } from './tableCutoff.js';
import { DEFAULT_POSTGRES_TIMEOUTS, assertTimeouts, explainTimeout, poolTimeoutSettings, type PostgresTimeouts } from './postgresTimeouts.js';
import { FAST_BYTEA_ARRAYS } from './postgresByteaArray.js';

/** Most connections the SQL port's pool opens: a cap on `MESH_SQL_CONCURRENCY` (default 4). */
const SQL_PORT_MAX_CONNECTIONS = 16;

/** Options of `PostgresStore.open`. */
export interface PostgresStoreOptions {
  /**
   * Connection string, e.g. `postgres://user:password@host:5432/database`.
   * @default none: required
   */
  url: string;
  /**
   * The PostgreSQL schema holding this product's tables, e.g. `mesh_orders`; created by `init` when
   * missing. Replicas of one product share it; products must not. A lowercase identifier.
   * @default none: required
   */
  schema: string;
  /**
   * Connections in this process's pool: how many applies and queries run at once.
   * @default 5
   */
  poolSize?: number;
  /**
   * How many times an apply whose transaction lost a deadlock or a serialization conflict against another
   * replica runs again (from scratch, projector included) before its error is thrown.
   * @default 5
   */
  maxRetries?: number;
  /**
   * Connections of a second pool that serves queries (history, states, watermark), so they never wait for
   * a connection behind applies and repairs.
   * @default 2
   */
  readPoolSize?: number;
  /**
   * Time limits of both pools; an error they cause names the option and its value.
   * @default { connectTimeoutMs: 10000, statementTimeoutMs: 60000, queryTimeoutMs: 65000 }
   */
  timeouts?: Partial<PostgresTimeouts>;
  /**
   * Called before each such retry, e.g. to count them. An exception thrown here ends the retries and is
   * thrown from `apply` instead.
   * @default no-op
   */
  onRetry?: (error: unknown, attempt: number) => void;
}

/**
 * The scale-out `Store`: every replica of a product opens one on the same schema. Each `apply` is one
 * READ COMMITTED transaction made safe for concurrent replicas by the database itself:
 *
 * - facts are inserted `ON CONFLICT DO NOTHING`, so a fact both replicas receive is applied by whichever
 *   inserts it first; the other waits for that transaction and then sees a duplicate;
 * - the `StateReader` locks the keys it reads (advisory transaction locks, present keys or not), so
 *   read-modify-write projections of the same key serialize instead of losing updates;
 * - rollup rows merge with `INSERT ... ON CONFLICT DO UPDATE` arithmetic, which commutes across replicas;
 * - writes visit rows in one global order, and a transaction chosen as a deadlock victim runs again;
 * - every write holds the schema's layout lock shared and checks the schema still records this replica's
 *   layout, so a replica on an older definition fails closed instead of letting a projection drift from
 *   its rollup (see postgresLayoutRecord.ts).
 *
 * Because of that retry, the projector may run more than once per `apply`: it must not have side effects
 * beyond its result. Statements are set-based (`unnest` of one array per column), a handful per batch.
 */
export class PostgresStore implements Store {
  private rollups = new Map<string, RollupLayout>();
  private rollupOrder: RollupLayout[] = [];
  private states = new Set<string>();
  private stateOrder: string[] = [];
  private initialized = false;
  /** Fingerprint of the layout this replica writes, compared with the schema's record by every write. */
  private fingerprint = '';
  private closed = false;
  private sqlPort: SqlViews | undefined;

  private constructor(
    private readonly pool: pg.Pool,
    private readonly readPool: pg.Pool,
    private readonly sqlPool: pg.Pool,
    private readonly timeouts: PostgresTimeouts,
    private readonly names: SchemaNames,
    private readonly maxRetries: number,
    private readonly onRetry: (error: unknown, attempt: number) => void,
  ) {}

  /** Creates the pool (connections open lazily). Call `init` before anything else. */
  static async open(options: PostgresStoreOptions): Promise<PostgresStore> {
    const { url, schema, poolSize = 5, readPoolSize = 2, maxRetries = 5, onRetry = () => undefined } = options;
    const timeouts = assertTimeouts({ ...DEFAULT_POSTGRES_TIMEOUTS, ...options.timeouts });
    if (typeof url !== 'string' || !/^postgres(ql)?:\/\//.test(url)) throw new Error('url must be a postgres:// connection string');
    for (const [name, size] of [
      ['poolSize', poolSize],
      ['readPoolSize', readPoolSize],
    ] as const) {
      if (!Number.isSafeInteger(size) || size < 1) throw new Error(`${name} must be a positive integer, got ${size}`);
    }
    if (!Number.isSafeInteger(maxRetries) || maxRetries < 0) throw new Error(`maxRetries must be a non-negative integer, got ${maxRetries}`);
    const names = schemaNames(schema);
    const settings = { connectionString: url, application_name: `mesh-store:${schema}`, ...poolTimeoutSettings(timeouts) };
    const pool = new pg.Pool({ ...settings, max: poolSize });
    const readPool = new pg.Pool({ ...settings, max: readPoolSize });
    // The SQL port's statements get connections of their own (opened on first use), so a slow one never
    // holds a connection history queries or applies wait for. How many run at once is the kit's bound
    // (`MESH_SQL_CONCURRENCY`, sql/createSqlSlots.ts), which waits with the statement's timeout running;
    // the pool's maximum only caps it.
    const sqlPool = new pg.Pool({ ...settings, application_name: `mesh-sql:${schema}`, max: SQL_PORT_MAX_CONNECTIONS });
    sqlPool.on('error', () => undefined);
    // An idle connection the server drops emits 'error' on the pool; unhandled it would crash the process.
    // The pool discards that connection and the next query opens a fresh one, so nothing is lost here.
    pool.on('error', () => undefined);
    readPool.on('error', () => undefined);
    return new PostgresStore(pool, readPool, sqlPool, timeouts, names, maxRetries, onRetry);
  }

  /**
   * Creates or migrates the schema and records this layout as the one every writer maintains, under the
   * schema's advisory lock taken exclusively (writes of every replica wait meanwhile, see
   * postgresLayoutRecord.ts). When the recorded layout differs, projections it did not maintain are built
   * from their rollups here, once: a replica starting later with the same layout finds the record equal.
   * Writes of replicas on another layout then fail with `LayoutChangedError`.
   */
  async init(layout: StoreLayout): Promise<void> {
    assertLayout(layout);
    this.assertOpen();
    const fingerprint = layoutFingerprint(layout);
    const built = await this.transaction(async (client) => {
      await initSchema(client, this.names, layout);
      const recorded = await readLayoutRecord(client, this.names);
      if (recorded?.fingerprint === fingerprint) return {};
      // Projections new to a schema that holds rows are filled before anything reads them (under init's lock).
      const session = postgresRepairSession(client, this.names, layout.rollups);
      const stale = staleProjections(layout, recorded) ?? undefined;
      const result = await buildProjections(session, (rollup, grain) => rollupBucketRange(client, this.names, rollup, grain), layout.rollups, stale);
      await writeLayoutRecord(client, this.names, layout, fingerprint);
      return result;
    });
    logBuiltProjections('PostgresStore', built);
    this.rollups = new Map(layout.rollups.map((rollup) => [rollup.name, rollup]));
    this.rollupOrder = [...layout.rollups];
    this.states = new Set(layout.states);
    this.stateOrder = [...layout.states];
    this.fingerprint = fingerprint;
    this.initialized = true;
  }

  async apply(facts: StoredFact[], project: Projector): Promise<ApplyResult> {
    this.assertReady();
    const batch = factBatch(facts);
    if (batch.candidates.length === 0) return { applied: [], duplicates: [], projection: emptyProjection() };

    return this.writeTransaction(async (client) => {
      const { applied, duplicates } = batch.split(await insertNewFacts(client, this.names, batch.candidates));
      if (applied.length === 0) return { applied, duplicates, projection: emptyProjection() };

      const reader = sessionStateReader(postgresRepairSession(client, this.names, this.rollupOrder), this.states);
      const projection = assertProjection(await project(applied, reader));
      // Recent rollup rows last, after the states: see `rollupPasses`.
      const rollups = rollupPasses(mergeRollupDeltas(projection.deltas, this.rollups), this.rollupOrder);
      await writeRollupTables(client, this.names, rollups.settled);
      await upsertStates(client, this.names, mergeStateWrites(projection.states, this.states), this.stateOrder);
      await writeRollupTables(client, this.names, rollups.recent);
      this.assertLayoutCurrent(await raiseWatermark(client, this.names, latestTime(applied)));
      return { applied, duplicates, projection };
    });
  }

  async recordDeadLetter(letter: DeadLetter): Promise<void> {
    this.assertReady();
    await this.write(`INSERT INTO ${this.names.deadLetters} (received_at, source, id, type, reason, event) VALUES ($1, $2, $3, $4, $5, $6::json)`, [
      timestampParam(letter.receivedAt),
      withoutNul(letter.source),
      withoutNul(letter.id),
      withoutNul(letter.type),
      withoutNul(String(letter.reason)),
      eventJson(letter.event),
    ]);
  }

  async deadLetters(limit: number): Promise<DeadLetter[]> {
    this.assertReady();
    const { rows } = await this.read<{
      received_at: Date;
      source: string | null;
      id: string | null;
      type: string | null;
      reason: string;
      event: unknown;
    }>(`SELECT received_at, source, id, type, reason, event FROM ${this.names.deadLetters} ORDER BY received_at DESC, seq DESC LIMIT $1`, [assertLimit(limit)]);
    return rows.map((row) => ({ receivedAt: row.received_at, source: row.source, id: row.id, type: row.type, reason: row.reason, event: row.event }));
  }

  async queryBuckets(query: BucketQuery): Promise<BucketRow[]> {
    this.assertReady();
    const layout = declaredRollup(this.rollups, query.rollup);
    if (query.boundaries.length < 2) return [];
    const statement = bucketStatement(this.names, layout, query);
    const { rows } = await this.read<unknown[]>({ text: statement.sql, values: statement.params, rowMode: 'array', types: FAST_BYTEA_ARRAYS });
    // `FAST_BYTEA_ARRAYS` already gave each sketch array as bytes or null; a group without sketches is NULL.
    return decodeBucketRows(statement, rows, (value) => (Array.isArray(value) ? (value as Array<Uint8Array | null>) : []));
  }

  async readStates(state: string, keys: string[]): Promise<StateRow[]> {
    this.assertReady();
    const name = declaredState(this.states, state);
    const client = await this.connect(this.readPool);
    try {
      return await readStateRows(client, this.names, name, keys);
    } finally {
      client.release();
    }
  }

  async listStates(query: StateListQuery): Promise<StateRow[]> {
    this.assertReady();
    const { state, afterKey, limit, where = {} } = query;
    const conditions: string[] = [];
    const params: unknown[] = [];
    if (afterKey !== undefined) conditions.push(`key > $${params.push(String(afterKey))}`);
    for (const [field, value] of Object.entries(where)) {
      if (typeof value !== 'string') throw new Error(`where.${field} must be a string`);
      // `->>` takes the field name as a value: any characters, no escaping, no injection.
      conditions.push(`value ->> $${params.push(field)}::text = $${params.push(value)}::text`);
    }
    const sql = `SELECT key, value, updated_at FROM ${this.names.state(declaredState(this.states, state))}
      ${conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : ''} ORDER BY key LIMIT $${params.push(assertLimit(limit))}`;
    const { rows } = await this.read<{ key: string; value: Record<string, unknown>; updated_at: Date }>(sql, params);
    return rows.map(decodeStateRow);
  }

  async watermark(): Promise<Date | null> {
    this.assertReady();
    const { rows } = await this.read<{ watermark: Date | null }>(`SELECT watermark FROM ${this.names.meta} WHERE id = 1`);
    return rows[0]?.watermark ?? null;
  }

  async factCount(): Promise<number> {
    this.assertReady();
    const { rows } = await this.read<{ count: string }>(
      `SELECT count(*) AS count FROM ${this.names.facts} f WHERE NOT EXISTS (SELECT 1 FROM ${this.names.retractions} r WHERE r.source = f.source AND r.id = f.id)`,
    );
    return Number(rows[0].count);
  }

  async retract(key: FactKey, reason: string, at: Date, reprojector: Reprojector): Promise<RetractionResult> {
    this.assertReady();
    const retraction: Retraction = { ...assertFactKey(key), reason: assertReason(reason), retractedAt: at };
    return this.repair((session, context) => changeRetraction(session, context, retraction, retraction), reprojector);
  }

  async restore(key: FactKey, reprojector: Reprojector): Promise<RetractionResult> {
    this.assertReady();
    const { source, id } = assertFactKey(key);
    return this.repair((session, context) => changeRetraction(session, context, { source, id }, null), reprojector);
  }

  /** Each batch is one transaction holding applies back while it runs (see `lockFactsForRepairSql`). */
  async rebuild(range: RebuildRange, reprojector: Reprojector, onBatch?: (batch: RebuildBatch) => Promise<void>): Promise<RebuildResult> {
    this.assertReady();
    if (range.rollup !== undefined) rebuiltRollup(this.rollups, range.rollup);
    const client = await this.connect(this.pool);
    let spans;
    try {
      spans = await rebuildSpans(postgresRepairSession(client, this.names, this.rollupOrder), range);
    } finally {
      client.release();
    }
    return runRebuild(spans, (span) => this.repair((session, context) => rebuildSpan(session, context, span, range.rollup), reprojector), onBatch);
  }

  async retractions(limit: number): Promise<Retraction[]> {
    this.assertReady();
    const { rows } = await this.read<{ source: string; id: string; reason: string; retracted_at: Date }>(
      `SELECT source, id, reason, retracted_at FROM ${this.names.retractions} ORDER BY retracted_at DESC, source, id LIMIT $1`,
      [assertLimit(limit)],
    );
    return rows.map(decodeRetraction);
  }

  /** Holds applies back while it runs, like a repair: a fact deleted here cannot be half-applied there. */
  async enforceRetention(cutoffs: RetentionCutoffs): Promise<RetentionResult> {
    this.assertReady();
    const { facts: before, grains } = assertCutoffs(cutoffs);
    return this.writeTransaction(async (client) => {
      const at = [timestampParam(before)];
      await this.assertLayoutRecorded(client);
      await client.query(lockFactsForRepairSql(this.names));
      await client.query(`DELETE FROM ${this.names.retractions} r USING ${this.names.facts} f WHERE f.source = r.source AND f.id = r.id AND f."time" < $1`, at);
      const facts = (await client.query(`DELETE FROM ${this.names.facts} WHERE "time" < $1`, at)).rowCount ?? 0;
      const deadLetters = (await client.query(`DELETE FROM ${this.names.deadLetters} WHERE received_at < $1`, at)).rowCount ?? 0;
      const rows = { minute: 0, hour: 0, day: 0 };
      for (const [grain, cutoff] of Object.entries(grains) as Array<[StoredGrain, Date | undefined]>) {
        if (!cutoff) continue;
        for (const layout of this.rollupOrder) {
          const { rowCount } = await client.query(`DELETE FROM ${this.names.rollup(layout.name, grain)} WHERE bucket < $1`, [
            timestampParam(tableCutoff(layout, grain, cutoff, this.rollupOrder)),
          ]);
          rows[grain] += rowCount ?? 0;
        }
      }
      return { facts, deadLetters, rows };
    });
  }

  /** CSV only: PostgreSQL cannot write Parquet (`exportRollups` converts the CSV). */
  readonly exportFormats = ['csv'] as const;

  /** CSV only: PostgreSQL cannot write Parquet (export from a DuckDB store, or convert the CSV). */
  async exportRollup(rollup: string, grain: StoredGrain, file: string, format: 'parquet' | 'csv'): Promise<number> {
    this.assertReady();
    const layout = declaredRollup(this.rollups, rollup);
    assertGrain(grain);
    if (format !== 'csv') throw new Error(`PostgresStore exports csv only, not ${JSON.stringify(format)}`);
    const client = await this.connect(this.readPool);
    try {
      return await exportRollupCsv(client, this.names, layout, grain, file);
    } finally {
      client.release();
    }
  }

  /**
   * Vacuums and analyzes the tables applies upsert (every rollup table and keyed state): an upsert leaves
   * the row's old version behind, and until a vacuum removes them, reads step over them (after a 1M-fact
   * bulk load the by-product Paris-day table held 4,550 rows and 78,658 dead versions; a 30-day percentile
   * query over it took ~6 ms more until they were vacuumed, issue #16). Autovacuum does this on a server
   * that runs it; this is for one that does not, a maintenance window, or a measurement right after a load
   * (`bench/ingest-and-history.ts`). Applies go on meanwhile: VACUUM takes no lock they wait for.
   */
  async settle(): Promise<void> {
    this.assertReady();
    const tables = [
      ...this.rollupOrder.flatMap((layout) => STORED_GRAINS.map((grain) => this.names.rollup(layout.name, grain))),
      ...this.stateOrder.map((state) => this.names.state(state)),
    ];
    const client = await this.connect(this.pool);
    try {
      // One statement per table: VACUUM runs outside a transaction, and a list would hold every table's lock at once.
      for (const table of tables) await client.query(`VACUUM (ANALYZE) ${table}`);
    } catch (error) {
      throw explainTimeout(error, this.timeouts);
    } finally {
      client.release();
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([this.pool.end(), this.readPool.end(), this.sqlPool.end()]);
  }

  /** The SQL port over this product's published views (a read-only role, views per permission profile). */
  sql(): SqlViews {
    this.assertReady();
    this.sqlPort ??= postgresSqlViews({
      names: this.names,
      rollups: this.rollupOrder,
      states: this.stateOrder,
      write: (work) => this.transaction(work),
      connect: () => this.connect(this.sqlPool),
    });
    return this.sqlPort;
  }

  /**
   * Runs `work` in a transaction opened by `begin` (BEGIN, perhaps with a first statement in the same
   * round trip): commits its result, or rolls back and rethrows so nothing is half-applied. A deadlock or
   * serialization failure runs the whole transaction again, after a short random pause so the two
   * contenders do not collide in lockstep.
   */
  private async transaction<T>(work: (client: PoolClient) => Promise<T>, begin = 'BEGIN'): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const client = await this.connect(this.pool);
      let broken: Error | undefined;
      try {
        await client.query(begin);
        const result = await work(client);
        await client.query('COMMIT');
        return result;
      } catch (error) {
        // A connection that cannot even roll back is destroyed rather than returned to the pool.
        await client.query('ROLLBACK').catch((rollbackError: Error) => (broken = rollbackError));
        if (attempt > this.maxRetries || !RETRYABLE_SQLSTATES.has((error as { code?: string })?.code ?? '')) throw explainTimeout(error, this.timeouts);
        this.onRetry(error, attempt);
      } finally {
        client.release(broken);
      }
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 5 * attempt));
    }
  }

  /** A query on the read pool; a timeout error names its setting. */
  private async read<R extends pg.QueryResultRow = pg.QueryResultRow>(
    query: string | (pg.QueryConfig & { rowMode?: 'array' }),
    values?: unknown[],
  ): Promise<pg.QueryResult<R>> {
    try {
      return await this.readPool.query<R>(query as string, values);
    } catch (error) {
      throw explainTimeout(error, this.timeouts);
    }
  }

  /** A statement outside a transaction on the write pool; a timeout error names its setting. */
  private async write(query: string, values: unknown[]): Promise<void> {
    try {
      await this.pool.query(query, values);
    } catch (error) {
      throw explainTimeout(error, this.timeouts);
    }
  }

  private async connect(pool: pg.Pool): Promise<PoolClient> {
    try {
      return await pool.connect();
    } catch (error) {
      throw explainTimeout(error, this.timeouts);
    }
  }

  /** One repair transaction, applies of every replica held back until it commits. */
  private repair<T>(work: (session: RepairSession, context: RepairContext) => Promise<T>, reprojector: Reprojector): Promise<T> {
    return this.writeTransaction(async (client) => {
      await this.assertLayoutRecorded(client);
      await client.query(lockFactsForRepairSql(this.names));
      return work(postgresRepairSession(client, this.names, this.rollupOrder), { rollups: this.rollups, states: this.states, reprojector });
    });
  }

  /**
   * A transaction of a write (apply, repair, retention): it holds the schema's layout lock shared from its
   * first statement to its end, so no `init` of any replica changes the layout (or builds a projection)
   * in between. An in-memory lock, sent with BEGIN: no row written, no round trip of its own.
   */
  private writeTransaction<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
    return this.transaction(work, beginWithLayoutLockSql(this.names));
  }

  /** Reads the record in a statement of its own: repairs and retention are rare (an apply's read rides on its watermark update). */
  private async assertLayoutRecorded(client: PoolClient): Promise<void> {
    const { rows } = await client.query<{ fingerprint: string }>(`SELECT fingerprint FROM ${this.names.layout} WHERE id = 1`);
    this.assertLayoutCurrent(rows[0]?.fingerprint ?? null);
  }

  /** Fails the write (its transaction rolls back) unless the schema still records this replica's layout. */
  private assertLayoutCurrent(recorded: string | null): void {
    if (recorded !== this.fingerprint) throw new LayoutChangedError(this.names.schema, this.fingerprint, recorded);
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('PostgresStore is closed');
  }

  private assertReady(): void {
    this.assertOpen();
    if (!this.initialized) throw new Error('PostgresStore.init must complete before other operations');
  }
}
