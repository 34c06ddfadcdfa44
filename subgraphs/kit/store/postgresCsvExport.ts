import { mkdir, open } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { PoolClient } from 'pg';
import type { RollupLayout, StoredGrain } from './Store.js';
import { ident, rollupKey, type SchemaNames } from './postgresSql.js';

/** Rows fetched per round trip: memory stays flat however large the rollup is. */
const FETCH = 10_000;

/**
 * Writes one rollup grain as CSV with a header, ordered by its key, through a cursor in a read-only
 * transaction (one consistent snapshot). `pg` has no COPY TO STDOUT stream without pg-copy-streams, so rows
 * are formatted here: bucket as ISO 8601 UTC, numbers in JavaScript's shortest round-trip form, NULL as an
 * empty field. Returns rows written.
 */
export async function exportRollupCsv(client: PoolClient, names: SchemaNames, layout: RollupLayout, grain: StoredGrain, file: string): Promise<number> {
  await mkdir(dirname(file), { recursive: true });
  const columns = ['bucket', ...layout.dimensions, ...Object.keys(layout.columns)];
  const output = await open(file, 'w');
  let written = 0;
  try {
    await output.write(`${columns.map(csvField).join(',')}\n`);
    await client.query('BEGIN READ ONLY');
    try {
      await client.query(
        `DECLARE rollup_export NO SCROLL CURSOR FOR
         SELECT ${columns.map(ident).join(', ')} FROM ${names.rollup(layout.name, grain)} ORDER BY ${rollupKey(layout)}`,
      );
      for (;;) {
        const { rows } = await client.query<unknown[]>({ text: `FETCH FORWARD ${FETCH} FROM rollup_export`, rowMode: 'array' });
        if (rows.length === 0) break;
        await output.write(rows.map((row) => `${row.map(csvValue).join(',')}\n`).join(''));
        written += rows.length;
      }
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
  } finally {
    await output.close();
  }
  return written;
}

function csvValue(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return csvField(String(value));
  return csvField(JSON.stringify(value));
}

/** RFC 4180: quote a field holding a separator, quote or line break, doubling its quotes. */
function csvField(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}
