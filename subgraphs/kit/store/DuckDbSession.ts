import type {
  DuckDBConnection,
  DuckDBMaterializedResult,
  DuckDBPreparedStatement,
  DuckDBType,
  DuckDBValue,
} from '@duckdb/node-api';

/**
 * The store's one connection plus prepared statements for the fixed SQL of the apply path. A parameterized
 * `connection.run` extracts, prepares and runs (three trips to the worker pool) and plans the statement
 * every time; a batch of apply runs about a dozen such statements, so reusing them measurably cuts the
 * fixed cost per batch. Only fixed SQL texts are cached (one per table), so the cache stays small.
 */
export class DuckDbSession {
  private readonly prepared = new Map<string, DuckDBPreparedStatement>();

  constructor(readonly connection: DuckDBConnection) {}

  /** Runs fixed SQL through a cached prepared statement. */
  async runPrepared(sql: string, values: DuckDBValue[] = [], types?: DuckDBType[]): Promise<DuckDBMaterializedResult> {
    let statement = this.prepared.get(sql);
    if (!statement) {
      statement = await this.connection.prepare(sql);
      this.prepared.set(sql, statement);
    }
    statement.clearBindings();
    if (values.length > 0) statement.bind(values, types);
    return statement.run();
  }

  /** Runs one-off SQL (e.g. a query with generated literals): nothing is cached. */
  run(sql: string, values?: DuckDBValue[], types?: DuckDBType[]): Promise<DuckDBMaterializedResult> {
    return this.connection.run(sql, values, types);
  }

  /** Runs one-off SQL and returns all rows. */
  async rows(sql: string, values?: DuckDBValue[], types?: DuckDBType[]): Promise<DuckDBValue[][]> {
    return (await this.connection.runAndReadAll(sql, values, types)).getRows();
  }

  /** Forgets prepared statements, e.g. after the schema changed. */
  clearPrepared(): void {
    for (const statement of this.prepared.values()) statement.destroySync();
    this.prepared.clear();
  }

  close(): void {
    this.clearPrepared();
    this.connection.closeSync();
  }
}
