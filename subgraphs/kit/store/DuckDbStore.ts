import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import {
  STORED_GRAINS,
  type ApplyResult,
  type BucketQuery,
  type BucketRow,
  type DeadLetter,
  type Projection,
  type Projector,
  type RollupLayout,
  type StateListQuery,
  type StateReader,
  type StateRow,
  type Store,
  type StoreLayout,
  type StoredFact,
  type StoredGrain,
} from './Store.js';
import { assertLayout, InvalidIdentifierError } from './storeIdentifiers.js';
import { isValidDate, mergeRollupDeltas, mergeStateWrites } from './mergeRollupDeltas.js';
import { fromJson, fromTimestamp, ident, readRows, rollupTable, stateTable, toTimestamp } from './duckDbSql.js';
import { initSchema } from './duckDbSchema.js';
import { bucketStatement, decodeBucketRows } from './duckDbBucketQuery.js';
import { decodeStateRow, factKey, insertNewFacts, raiseWatermark, readStateRows, upsertRollups, upsertStates } from './duckDbWrites.js';

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
}

/**
 * The embedded `Store`: one DuckDB database, one connection. Each `apply` is one transaction whose writes
 * are set-based (appender into TEMP staging tables, then one `INSERT ... SELECT ... ON CONFLICT` per table),
 * so batches of thousands of facts cost a handful of statements.
 *
 * A DuckDB connection runs one transaction at a time, so every operation waits its turn in an internal
 * queue; concurrent callers are safe. The projector runs inside that turn: it must read state through the
 * `StateReader` it is given and never call the store itself, which would wait on itself forever.
 */
export class DuckDbStore implements Store {
  private rollups = new Map<string, RollupLayout>();
  private states = new Set<string>();
  private initialized = false;
  private queue: Promise<unknown> = Promise.resolve();
  private connection: DuckDBConnection | undefined;

  private constructor(
    private readonly instance: DuckDBInstance,
    connection: DuckDBConnection,
  ) {
    this.connection = connection;
  }

  /** Opens (or creates) the database. Call `init` before anything else. */
  static async open(options: DuckDbStoreOptions): Promise<DuckDbStore> {
    const { path, threads } = options;
    if (threads !== undefined && (!Number.isSafeInteger(threads) || threads < 1)) throw new Error(`threads must be a positive integer, got ${threads}`);
    if (path !== ':memory:') await mkdir(dirname(path), { recursive: true });
    const instance = await DuckDBInstance.create(path, threads === undefined ? {} : { threads: String(threads) });
    return new DuckDbStore(instance, await instance.connect());
  }

  async init(layout: StoreLayout): Promise<void> {
    assertLayout(layout);
    await this.serialize(async (connection) => {
      await inTransaction(connection, () => initSchema(connection, layout));
      this.rollups = new Map(layout.rollups.map((rollup) => [rollup.name, rollup]));
      this.states = new Set(layout.states);
      this.initialized = true;
    });
  }

  async apply(facts: StoredFact[], project: Projector): Promise<ApplyResult> {
    facts.forEach(assertFact);
    const keys = facts.map((fact) => factKey(fact.source, fact.id));
    // The first occurrence of a key in the batch is the candidate; later ones are duplicates outright.
    const firstIndex = new Map<string, number>();
    keys.forEach((key, i) => firstIndex.has(key) || firstIndex.set(key, i));
    const candidates = [...firstIndex.values()].map((i) => facts[i]);
    if (candidates.length === 0) return { applied: [], duplicates: [], projection: emptyProjection() };

    return this.exclusive((connection) =>
      inTransaction(connection, async () => {
        const inserted = await insertNewFacts(connection, candidates);
        const applied: StoredFact[] = [];
        const duplicates: StoredFact[] = [];
        facts.forEach((fact, i) => (firstIndex.get(keys[i]) === i && inserted.has(keys[i]) ? applied : duplicates).push(fact));
        if (applied.length === 0) return { applied, duplicates, projection: emptyProjection() };

        const reader: StateReader = { read: (state, stateKeys) => this.readStateValues(connection, state, stateKeys) };
        const projection = await project(applied, reader);
        if (!Array.isArray(projection?.deltas) || !Array.isArray(projection?.states)) {
          throw new Error('projector must resolve to { deltas: [], states: [] }');
        }
        await upsertRollups(connection, mergeRollupDeltas(projection.deltas, this.rollups));
        await upsertStates(connection, mergeStateWrites(projection.states, this.states));
        await raiseWatermark(connection, latestTime(applied));
        return { applied, duplicates, projection };
      }),
    );
  }

  async recordDeadLetter(letter: DeadLetter): Promise<void> {
    await this.exclusive((connection) =>
      connection.run(
        `INSERT INTO dead_letters (received_at, source, id, type, reason, event) VALUES ($1, $2, $3, $4, $5, $6::JSON)`,
        [
          toTimestamp(letter.receivedAt),
          letter.source ?? null,
          letter.id ?? null,
          letter.type ?? null,
          String(letter.reason),
          eventJson(letter.event),
        ],
      ),
    );
  }

  async deadLetters(limit: number): Promise<DeadLetter[]> {
    const sql = `SELECT received_at, source, id, type, reason, event FROM dead_letters
      ORDER BY received_at DESC, seq DESC LIMIT ${assertLimit(limit)}`;
    const rows = await this.exclusive((connection) => readRows(connection, sql));
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
    const layout = this.rollup(query.rollup);
    if (query.boundaries.length < 2) return [];
    const statement = bucketStatement(layout, query);
    const rows = await this.exclusive((connection) => readRows(connection, statement.sql, statement.params));
    return decodeBucketRows(statement, rows);
  }

  async readStates(state: string, keys: string[]): Promise<StateRow[]> {
    this.state(state);
    return this.exclusive((connection) => readStateRows(connection, state, keys));
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
    const sql = `SELECT key, value, updated_at FROM ${stateTable(this.state(state))}
      ${conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : ''} ORDER BY key LIMIT ${assertLimit(limit)}`;
    const rows = await this.exclusive((connection) => readRows(connection, sql, params));
    return rows.map(decodeStateRow);
  }

  async watermark(): Promise<Date | null> {
    const rows = await this.exclusive((connection) => readRows(connection, 'SELECT watermark FROM meta'));
    const value = rows[0]?.[0] ?? null;
    return value === null ? null : fromTimestamp(value);
  }

  async factCount(): Promise<number> {
    const rows = await this.exclusive((connection) => readRows(connection, 'SELECT count(*) FROM facts'));
    return Number(rows[0][0]);
  }

  async exportRollup(rollup: string, grain: StoredGrain, file: string, format: 'parquet' | 'csv'): Promise<number> {
    const layout = this.rollup(rollup);
    if (!STORED_GRAINS.includes(grain)) throw new Error(`unknown grain ${JSON.stringify(grain)}`);
    if (format !== 'parquet' && format !== 'csv') throw new Error(`unknown export format ${JSON.stringify(format)}`);
    // COPY takes no parameter for its target, so the path is inlined: refuse what could end the literal.
    if (/['\0]/.test(file)) throw new Error(`export path must not contain quotes: ${JSON.stringify(file)}`);
    await mkdir(dirname(file), { recursive: true });
    const keys = ['bucket', ...layout.dimensions.map(ident)].join(', ');
    const columns = [keys, ...Object.keys(layout.columns).map(ident)].join(', ');
    const options = format === 'parquet' ? 'FORMAT parquet' : 'FORMAT csv, HEADER';
    const sql = `COPY (SELECT ${columns} FROM ${rollupTable(layout.name, grain)} ORDER BY ${keys}) TO '${file}' (${options})`;
    return this.exclusive(async (connection) => (await connection.run(sql)).rowsChanged);
  }

  async close(): Promise<void> {
    const closing = this.queue.then(() => {
      if (!this.connection) return;
      this.connection.closeSync();
      this.instance.closeSync();
      this.connection = undefined;
    });
    this.queue = closing.catch(() => undefined);
    await closing;
  }

  /** `serialize` for everything but `init`, which must have run: the tables exist only after it. */
  private exclusive<T>(task: (connection: DuckDBConnection) => Promise<T>): Promise<T> {
    return this.serialize((connection) => {
      if (!this.initialized) throw new Error('DuckDbStore.init must complete before other operations');
      return task(connection);
    });
  }

  /** Runs `task` once every earlier operation has settled: one transaction at a time on the connection. */
  private serialize<T>(task: (connection: DuckDBConnection) => Promise<T>): Promise<T> {
    const run = this.queue.then(() => {
      if (!this.connection) throw new Error('DuckDbStore is closed');
      return task(this.connection);
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async readStateValues(connection: DuckDBConnection, state: string, keys: string[]) {
    const rows = await readStateRows(connection, this.state(state), keys);
    return new Map(rows.map((row) => [row.key, row.value]));
  }

  private rollup(name: string): RollupLayout {
    const layout = this.rollups.get(name);
    if (!layout) throw new InvalidIdentifierError('rollup', name, 'not declared in the layout passed to init');
    return layout;
  }

  private state(name: string): string {
    if (!this.states.has(name)) throw new InvalidIdentifierError('state', name, 'not declared in the layout passed to init');
    return name;
  }
}

/** Runs `work` in a transaction: commits its result, or rolls back and rethrows so nothing is half-applied. */
async function inTransaction<T>(connection: DuckDBConnection, work: () => Promise<T>): Promise<T> {
  await connection.run('BEGIN TRANSACTION');
  try {
    const result = await work();
    await connection.run('COMMIT');
    return result;
  } catch (error) {
    await connection.run('ROLLBACK').catch(() => undefined); // a failed COMMIT has already rolled back
    throw error;
  }
}

function latestTime(facts: StoredFact[]): Date {
  let latest = -Infinity;
  for (const fact of facts) latest = Math.max(latest, fact.time.getTime());
  return new Date(latest);
}

const emptyProjection = (): Projection => ({ deltas: [], states: [] });

function assertFact(fact: StoredFact, index: number): void {
  const problem =
    typeof fact?.source !== 'string' ? 'source is not a string'
    : typeof fact.id !== 'string' ? 'id is not a string'
    : typeof fact.type !== 'string' ? 'type is not a string'
    : !isValidDate(fact.time) ? 'time is not a valid Date'
    : typeof fact.data !== 'object' || fact.data === null ? 'data is not an object'
    : undefined;
  if (problem) throw new Error(`fact ${index} of the batch is invalid: ${problem}`);
}

function assertLimit(limit: number): number {
  if (!Number.isSafeInteger(limit) || limit < 0) throw new Error(`limit must be a non-negative integer, got ${limit}`);
  return limit;
}

/** Dead letters keep whatever arrived; something JSON cannot encode is kept as its string form. */
function eventJson(event: unknown): string {
  try {
    return JSON.stringify(event) ?? 'null';
  } catch {
    return JSON.stringify(String(event));
  }
}
