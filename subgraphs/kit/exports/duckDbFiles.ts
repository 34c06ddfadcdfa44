import { DuckDBInstance } from '@duckdb/node-api';
import type { ExportFormat } from './exportFiles.js';

/** What an exported file holds: its row count and the hours it covers, `[coveredFrom, coveredTo)`. */
export interface ExportSummary {
  rows: number;
  /** Start of the first hour bucket (ISO 8601 UTC), null for an empty file. */
  coveredFrom: string | null;
  /**
   * End of what the file covers (ISO 8601 UTC, exclusive), null for an empty file: the end of the last hour
   * bucket, or, when that hour was still going on as the export began, that moment, so its row is not
   * taken for a whole hour.
   */
  coveredTo: string | null;
}

/**
 * Runs `work` on a throw-away in-memory DuckDB in UTC: the one engine that reads and writes both export
 * formats, whatever store the product runs on (PostgreSQL has no Parquet writer of its own).
 */
async function withDuckDb<T>(work: (run: (sql: string) => Promise<Record<string, unknown>[]>) => Promise<T>): Promise<T> {
  const instance = await DuckDBInstance.create(':memory:', { threads: '1' });
  const connection = await instance.connect();
  try {
    await connection.run("SET TimeZone = 'UTC'");
    return await work(async (sql) => (await connection.runAndReadAll(sql)).getRowObjectsJson());
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

/** A file path as a SQL string literal: COPY and the readers take no parameters, so a quote is refused. */
function literal(file: string): string {
  if (/['\0]/.test(file)) throw new Error(`export path must not contain quotes: ${JSON.stringify(file)}`);
  return `'${file}'`;
}

const identifier = (name: string) => `"${name.replaceAll('"', '""')}"`;

function reader(file: string, format: ExportFormat): string {
  // Text stays text: a CSV is re-read without type guessing, so a served copy has the exported values verbatim.
  return format === 'parquet' ? `read_parquet(${literal(file)})` : `read_csv(${literal(file)}, header = true, all_varchar = true)`;
}

// CSV timestamps in ISO 8601 with the UTC marker (`2026-09-04T00:00:00.000Z`), as the SQL port and GraphQL
// write them: DuckDB's default (`2026-09-04 00:00:00`) names no zone.
const writer = (format: ExportFormat) => (format === 'parquet' ? 'FORMAT parquet' : "FORMAT csv, HEADER, TIMESTAMPFORMAT '%Y-%m-%dT%H:%M:%S.%gZ'");

/**
 * Converts a rollup's CSV export (bucket, dimensions, measures) to Parquet with the column types the DuckDB
 * store writes (bucket TIMESTAMP in UTC, dimensions VARCHAR, measures DOUBLE), so both stores' Parquet reads
 * the same.
 */
export async function csvToParquet(csv: string, parquet: string, dimensions: readonly string[]): Promise<void> {
  await withDuckDb(async (run) => {
    const columns = (await run(`DESCRIBE SELECT * FROM ${reader(csv, 'csv')}`)).map((row) => String(row.column_name));
    const typed = columns.map((column) => {
      const name = identifier(column);
      if (column === 'bucket') return `CAST(CAST(${name} AS TIMESTAMPTZ) AS TIMESTAMP) AS ${name}`;
      return dimensions.includes(column) ? name : `CAST(${name} AS DOUBLE) AS ${name}`;
    });
    await run(`COPY (SELECT ${typed.join(', ')} FROM ${reader(csv, 'csv')}) TO ${literal(parquet)} (${writer('parquet')})`);
  });
}

/** Writes `source` again in `format` (all columns, same order): the second format of one consistent export. */
export async function convertExport(source: string, from: ExportFormat, target: string, to: ExportFormat): Promise<void> {
  await withDuckDb((run) => run(`COPY (SELECT * FROM ${reader(source, from)}) TO ${literal(target)} (${writer(to)})`));
}

/** Rows and covered hours of an hourly export whose snapshot was taken from `startedAt` on. */
export async function summarizeExport(parquet: string, startedAt: Date): Promise<ExportSummary> {
  return withDuckDb(async (run) => {
    const [row] = await run(
      `SELECT count(*)::INTEGER AS rows,
              strftime(min(bucket)::TIMESTAMP, '%Y-%m-%dT%H:%M:%S.000Z') AS coveredFrom,
              strftime(max(bucket)::TIMESTAMP + INTERVAL 1 HOUR, '%Y-%m-%dT%H:%M:%S.000Z') AS coveredTo
       FROM ${reader(parquet, 'parquet')}`,
    );
    const lastHourEnd = (row.coveredTo as string | null) ?? null;
    const coveredTo = lastHourEnd !== null && startedAt.getTime() < Date.parse(lastHourEnd) ? startedAt.toISOString() : lastHourEnd;
    return { rows: Number(row.rows), coveredFrom: (row.coveredFrom as string | null) ?? null, coveredTo };
  });
}

/** The columns of an export file, in order. */
export async function exportColumns(file: string, format: ExportFormat): Promise<string[]> {
  return withDuckDb(async (run) => (await run(`DESCRIBE SELECT * FROM ${reader(file, format)}`)).map((row) => String(row.column_name)));
}

/** Writes a copy of an export without some of its columns (the governed ones a caller may not read). */
export async function copyWithout(source: string, format: ExportFormat, target: string, dropped: readonly string[]): Promise<void> {
  const projection = dropped.length ? `* EXCLUDE (${dropped.map(identifier).join(', ')})` : '*';
  await withDuckDb((run) => run(`COPY (SELECT ${projection} FROM ${reader(source, format)}) TO ${literal(target)} (${writer(format)})`));
}
