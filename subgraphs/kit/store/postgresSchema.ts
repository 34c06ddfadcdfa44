import type { PoolClient } from 'pg';
import { STORED_GRAINS, type RollupLayout, type StoreLayout, type StoredGrain } from './Store.js';
import { layoutLockKey, lockLayoutExclusiveSql } from './postgresLayoutRecord.js';
import { AGGREGATE, assertPgIdentifier, baseDdl, ident, rollupDdl, rollupTableName, stateDdl, stateTableName, type SchemaNames } from './postgresSql.js';

/**
 * Creates what the layout needs, idempotently, inside the caller's transaction. Replicas starting together
 * queue on an advisory lock per schema: `CREATE ... IF NOT EXISTS` alone is not safe under concurrency
 * (two sessions can both see "missing" and one fails on the catalog's unique index). Writes take the same
 * lock shared, so none runs until the caller's transaction ends (see postgresLayoutRecord.ts).
 *
 * An existing rollup table gains measure columns added to the layout; its key (bucket + dimensions) cannot
 * change in place, so a changed dimension list is refused with a clear error instead of failing on the
 * first insert.
 */
export async function initSchema(client: PoolClient, names: SchemaNames, layout: StoreLayout): Promise<void> {
  for (const rollup of layout.rollups) {
    for (const grain of STORED_GRAINS) assertPgIdentifier('rollup table', rollupTableName(rollup.name, grain));
    for (const name of [...rollup.dimensions, ...Object.keys(rollup.columns), ...Object.keys(rollup.sketches ?? {})]) assertPgIdentifier('column', name);
  }
  for (const state of layout.states) assertPgIdentifier('state table', stateTableName(state));

  await client.query(lockLayoutExclusiveSql, [layoutLockKey(names)]);
  for (const sql of baseDdl(names)) await client.query(sql);
  for (const rollup of layout.rollups) {
    for (const [i, grain] of STORED_GRAINS.entries()) {
      const existed = await tableExists(client, names, rollupTableName(rollup.name, grain));
      await client.query(rollupDdl(names, rollup, grain));
      await migrateRollup(client, names, rollup, grain);
      if (!existed && i > 0) await backfillFromFinerGrain(client, names, rollup, STORED_GRAINS[i - 1], grain);
    }
  }
  for (const state of layout.states) await client.query(stateDdl(names, state));
}

async function tableExists(client: PoolClient, names: SchemaNames, table: string): Promise<boolean> {
  const { rows } = await client.query<{ present: boolean }>(`SELECT to_regclass($1) IS NOT NULL AS present`, [`${ident(names.schema)}.${ident(table)}`]);
  return rows[0].present === true;
}

/**
 * A grain added after data was ingested starts from the next finer grain's rows, so history read from it
 * is complete. Truncation is in UTC whatever the session's time zone. Sketch columns are not carried over
 * (SQL cannot merge them): a rebuild fills them.
 */
async function backfillFromFinerGrain(client: PoolClient, names: SchemaNames, rollup: RollupLayout, finer: StoredGrain, coarser: StoredGrain): Promise<void> {
  const dims = rollup.dimensions.map(ident);
  const columns = Object.keys(rollup.columns).map(ident);
  const measures = Object.entries(rollup.columns).map(([column, merge]) => `${AGGREGATE[merge]}(${ident(column)})`);
  const groups = dims.map((_, i) => i + 2);
  await client.query(
    `INSERT INTO ${names.rollup(rollup.name, coarser)} (${['bucket', ...dims, ...columns].join(', ')})
     SELECT ${[`date_trunc('${coarser}', bucket, 'UTC')`, ...dims, ...measures].join(', ')}
     FROM ${names.rollup(rollup.name, finer)} GROUP BY ${[1, ...groups].join(', ')}`,
  );
}

async function migrateRollup(client: PoolClient, names: SchemaNames, rollup: RollupLayout, grain: StoredGrain): Promise<void> {
  const table = `${ident(names.schema)}.${ident(rollupTableName(rollup.name, grain))}`;
  const key = await client.query<{ name: string }>(
    `SELECT a.attname AS name
     FROM pg_index i CROSS JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, n)
     JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
     WHERE i.indrelid = to_regclass($1) AND i.indisprimary ORDER BY k.n`,
    [table],
  );
  const keyColumns = key.rows.map((row) => row.name);
  const expected = ['bucket', ...rollup.dimensions];
  if (JSON.stringify(keyColumns) !== JSON.stringify(expected)) {
    throw new Error(
      `rollup table ${names.schema}.${rollupTableName(rollup.name, grain)} is keyed by ${JSON.stringify(keyColumns)}, ` +
        `the layout needs ${JSON.stringify(expected)}: dimensions of an existing rollup cannot change, declare a new rollup name instead`,
    );
  }
  // Only missing columns are altered: ALTER TABLE takes an ACCESS EXCLUSIVE lock even when IF NOT EXISTS
  // finds nothing to do, which would stall every replica's reads and writes on each start.
  const present = await client.query<{ name: string }>(
    `SELECT attname AS name FROM pg_attribute WHERE attrelid = to_regclass($1) AND attnum > 0 AND NOT attisdropped`,
    [table],
  );
  const existing = new Set(present.rows.map((row) => row.name));
  for (const column of Object.keys(rollup.columns)) {
    if (!existing.has(column)) {
      await client.query(`ALTER TABLE ${names.rollup(rollup.name, grain)} ADD COLUMN IF NOT EXISTS ${ident(column)} double precision`);
    }
  }
  // A sketch column added to a rollup with history starts empty: `npm run rebuild` fills it from the facts.
  for (const column of Object.keys(rollup.sketches ?? {})) {
    if (!existing.has(column)) await client.query(`ALTER TABLE ${names.rollup(rollup.name, grain)} ADD COLUMN IF NOT EXISTS ${ident(column)} bytea`);
  }
}

/** Earliest and latest bucket of a rollup table, or null when empty. */
export async function rollupBucketRange(
  client: PoolClient,
  names: SchemaNames,
  layout: RollupLayout,
  grain: StoredGrain,
): Promise<{ min: Date; max: Date } | null> {
  const { rows } = await client.query<{ min: Date | null; max: Date | null }>(
    `SELECT min(bucket) AS min, max(bucket) AS max FROM ${names.rollup(layout.name, grain)}`,
  );
  const { min, max } = rows[0];
  return min === null || max === null ? null : { min, max };
}
