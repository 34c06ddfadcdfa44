/**
 * What an export's manifest says it covers (subgraphs/kit/exports/duckDbFiles.ts): `[coveredFrom, coveredTo)`
 * from the first hour bucket to the end of the last, except that an hour still going on when the export
 * began is covered only up to that moment: its row holds part of the hour, and a consumer must not take
 * it for a whole one.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { summarizeExport } from '../../subgraphs/kit/exports/duckDbFiles.js';

const HOUR = 3_600_000;

describe('summarizeExport', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'mesh-summary-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  /** A Parquet file of hourly rows at these bucket starts, as an export writes them (bucket TIMESTAMP, UTC). */
  async function exportOf(buckets: number[]): Promise<string> {
    const file = path.join(dir, `export-${buckets.length}-${buckets[0]}.parquet`);
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    try {
      await connection.run("SET TimeZone = 'UTC'");
      const rows = buckets.map((b) => `(make_timestamp(${b * 1000}::BIGINT), 1.0)`).join(', ');
      await connection.run(`COPY (SELECT * FROM (VALUES ${rows}) t(bucket, orders)) TO '${file}' (FORMAT parquet)`);
    } finally {
      connection.closeSync();
      instance.closeSync();
    }
    return file;
  }

  it('should cover whole hours up to the end of the last one when it was over as the export began', async () => {
    const first = Date.parse('2026-09-04T10:00:00Z');
    const file = await exportOf([first, first + 2 * HOUR]);

    expect(await summarizeExport(file, new Date(first + 5 * HOUR))).toEqual({
      rows: 2,
      coveredFrom: '2026-09-04T10:00:00.000Z',
      coveredTo: '2026-09-04T13:00:00.000Z',
    });
  });

  it('should cover an hour still going on only up to when the export began', async () => {
    const first = Date.parse('2026-09-04T14:00:00Z');
    const file = await exportOf([first - HOUR, first]);

    expect(await summarizeExport(file, new Date('2026-09-04T14:22:29.000Z'))).toEqual({
      rows: 2,
      coveredFrom: '2026-09-04T13:00:00.000Z',
      coveredTo: '2026-09-04T14:22:29.000Z',
    });
  });
});
