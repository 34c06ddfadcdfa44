import type { DuckDBConnection, DuckDBTimestampValue } from '@duckdb/node-api';
import type { RowWriter } from './duckDbRowInserts.js';
import { ident, stringLiteral } from './duckDbSql.js';

/**
 * The few-row INSERTs of one apply transaction, held as SQL text and run together with its COMMIT in one
 * call (`takeWithCommit`), instead of one prepared statement each.
 *
 * Why: every DuckDB call from Node is a round trip through libuv's thread pool (a futex wake there, an
 * eventfd write back, an epoll wake here), which on this project's 2-core VM costs about as much as a
 * small INSERT itself, and under load each trip also waits for a core. A live apply of one fact ran five
 * calls (BEGIN, facts, state, delta rows, COMMIT); with its INSERTs deferred it runs two. Measured
 * alone (`INSERT`s of one row into a facts, a state and a delta table, load ~5): 1.6–1.9 ms of CPU per
 * transaction against 2.3–2.8 ms through prepared statements.
 *
 * Only INSERTs go here that nothing later in the transaction reads, or whose reader runs `flush` first
 * (facts, which an apply's replay reads; delta rows; new state keys);
 * every value is written as a literal that round-trips exactly (`LiteralRow`), and a row holding a value
 * no literal can carry (a string with U+0000) is refused, so its caller inserts it the prepared way.
 */
export class DeferredInserts {
  private readonly statements: string[] = [];

  /**
   * Holds `INSERT INTO table VALUES ...` for `rows`, `writeRow` filling each as it would an appender's.
   * Returns false, holding nothing, when a value cannot be written as a literal.
   */
  add<T>(
    table: string,
    rows: readonly T[],
    writeRow: (writer: RowWriter, row: T, index: number) => void,
    place: { schema?: string; catalog?: string } = {},
  ): boolean {
    const values: string[] = [];
    for (let i = 0; i < rows.length; i++) {
      const row = new LiteralRow();
      writeRow(row, rows[i], i);
      if (row.refused) return false;
      values.push(`(${row.values.join(', ')})`);
    }
    const target = [place.catalog, place.schema, table]
      .filter((part): part is string => part !== undefined)
      .map(ident)
      .join('.');
    this.statements.push(`INSERT INTO ${target} VALUES ${values.join(', ')}`);
    return true;
  }

  /**
   * Runs the held INSERTs now, in one call, for a statement of the transaction that reads what they write
   * (an apply's replay of stored facts reads the batch's own).
   */
  async flush(connection: DuckDBConnection): Promise<void> {
    if (this.statements.length === 0) return;
    const sql = this.statements.join(';\n');
    this.statements.length = 0;
    await connection.run(sql);
  }

  /** The SQL that runs every held INSERT, then `COMMIT`; the held statements are given up. */
  takeWithCommit(): string {
    const sql = [...this.statements, 'COMMIT'].join(';\n');
    this.statements.length = 0;
    return sql;
  }
}

/** A row's values as DuckDB literals, each cast to the type the appender method names. */
class LiteralRow implements RowWriter {
  readonly values: string[] = [];
  /** A value had no literal form: the row cannot be deferred. */
  refused = false;

  appendVarchar(value: string): void {
    const literal = stringLiteral(value);
    if (literal === undefined) this.refused = true;
    else this.values.push(literal);
  }

  appendBlob(value: Uint8Array): void {
    this.values.push(`from_hex('${Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('hex')}')`);
  }

  appendDouble(value: number): void {
    // Through a string cast: JavaScript's shortest round-trip text, parsed with correct rounding, and the
    // one form NaN and the infinities have.
    if (Object.is(value, -0)) this.values.push(`'-0.0'::DOUBLE`);
    else this.values.push(`'${String(value)}'::DOUBLE`);
  }

  appendBigInt(value: bigint): void {
    // A string cast: the literal -9223372036854775808 would be the negation of a number past BIGINT's range.
    this.values.push(`'${value}'::BIGINT`);
  }

  appendUInteger(value: number): void {
    this.values.push(`${value}::UINTEGER`);
  }

  appendTimestamp(value: DuckDBTimestampValue): void {
    this.values.push(`make_timestamp(${value.micros}::BIGINT)`);
  }

  appendBoolean(value: boolean): void {
    this.values.push(value ? 'TRUE' : 'FALSE');
  }

  appendNull(): void {
    this.values.push('NULL');
  }
}
