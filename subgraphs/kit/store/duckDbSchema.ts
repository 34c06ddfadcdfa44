import type { DuckDBConnection, DuckDBListValue } from '@duckdb/node-api';
import { STORED_GRAINS, type RollupLayout, type StoreLayout, type StoredGrain } from './Store.js';
import { DELTA_FENCE_DDL, DELTA_FENCE_MIGRATION, derivedZones, expandDerivedDeltas, moveDeltaFence, readDeltaFence, resetDeltaTables } from './duckDbDeltas.js';
import { BASE_DDL, fromTimestamp, ident, readRows, rollupDdl, rollupStageDdl, rollupTable, sketchStageDdl, stateDdl, tableColumns } from './duckDbSql.js';

/**
 * Creates what the layout needs, idempotently. An existing rollup table gains measure columns added to the
 * layout; its key (bucket + dimensions) cannot change in place, so a changed dimension list is refused
 * with a clear error instead of failing on the first insert.
 */
export async function initSchema(connection: DuckDBConnection, layout: StoreLayout): Promise<void> {
  const keyedFacts = await factsHavePrimaryKey(connection);
  if (keyedFacts) await connection.run('ALTER TABLE facts RENAME TO facts_keyed');
  for (const sql of BASE_DDL) await connection.run(sql);
  if (keyedFacts) {
    // A file from before `KeyHashSet`: its facts move to the table without a key (their hashes are computed at load).
    await connection.run('INSERT INTO facts (source, id, type, time, data) SELECT source, id, type, time, data FROM facts_keyed');
    await connection.run('DROP TABLE facts_keyed');
  }
  await connection.run(DELTA_FENCE_DDL);
  await connection.run(DELTA_FENCE_MIGRATION);
  await readDeltaFence(connection);
  // Derived rows an earlier run left become rows of the tables they stand for, which fold them below.
  await expandDerivedDeltas(connection, layout.rollups);
  for (const rollup of layout.rollups) {
    // Staging first: folding deltas left by an earlier run goes through it.
    await connection.run(rollupStageDdl(rollup));
    if (rollup.sketches) await connection.run(sketchStageDdl(rollup));
    const kept: StoredGrain[] = [];
    for (const grain of STORED_GRAINS) {
      const existed = await tableExists(connection, `rollup_${rollup.name}_${grain}`);
      await connection.run(rollupDdl(rollup, grain));
      await migrateRollup(connection, rollup, grain);
      if (existed) kept.push(grain);
    }
    // Deltas left by an earlier run fold into the grains that were there; a new grain then starts from
    // the finer grain's keyed rows, which hold them.
    await resetDeltaTables(connection, rollup, kept, derivedZones(rollup, layout.rollups));
    for (const [i, grain] of STORED_GRAINS.entries()) {
      if (i > 0 && !kept.includes(grain)) await backfillFromFinerGrain(connection, rollup, STORED_GRAINS[i - 1], grain);
    }
  }
  // Every delta table is new and empty now: sequence numbers start again.
  await moveDeltaFence(connection, 0);
  for (const state of layout.states) await connection.run(stateDdl(state));
}

async function factsHavePrimaryKey(connection: DuckDBConnection): Promise<boolean> {
  const rows = await readRows(
    connection,
    `SELECT 1 FROM duckdb_constraints() WHERE database_name = current_database() AND schema_name = 'main' AND table_name = 'facts'
     AND constraint_type = 'PRIMARY KEY'`,
  );
  return rows.length > 0;
}

async function tableExists(connection: DuckDBConnection, table: string): Promise<boolean> {
  const rows = await readRows(
    connection,
    `SELECT 1 FROM duckdb_tables() WHERE database_name = current_database() AND schema_name = 'main' AND table_name = $1`,
    [table],
  );
  return rows.length > 0;
}

/**
 * A grain added after data was ingested (e.g. the day grain on a file written by an older version) starts
 * from the next finer grain's rows, so history read from it is complete. Sketch columns are not carried
 * over (SQL cannot merge them): a rebuild fills them.
 */
async function backfillFromFinerGrain(connection: DuckDBConnection, rollup: RollupLayout, finer: StoredGrain, coarser: StoredGrain): Promise<void> {
  const dims = rollup.dimensions.map(ident);
  const columns = Object.entries(rollup.columns).map(([column, merge]) => `${merge === 'sum' ? 'sum' : merge}(${ident(column)})`);
  const names = ['bucket', ...dims, ...Object.keys(rollup.columns).map(ident)].join(', ');
  await connection.run(
    `INSERT INTO ${rollupTable(rollup.name, coarser)} (${names})
     SELECT ${[`date_trunc('${coarser}', bucket)`, ...dims, ...columns].join(', ')}
     FROM ${rollupTable(rollup.name, finer)} GROUP BY ALL`,
  );
}

async function migrateRollup(connection: DuckDBConnection, rollup: RollupLayout, grain: StoredGrain): Promise<void> {
  const table = `rollup_${rollup.name}_${grain}`;
  const keyRows = await readRows(
    connection,
    `SELECT constraint_column_names FROM duckdb_constraints()
     WHERE database_name = current_database() AND schema_name = 'main' AND table_name = $1 AND constraint_type = 'PRIMARY KEY'`,
    [table],
  );
  const keyColumns = (keyRows[0]?.[0] as DuckDBListValue | undefined)?.items ?? [];
  const expected = ['bucket', ...rollup.dimensions];
  if (JSON.stringify(keyColumns) !== JSON.stringify(expected)) {
    throw new Error(
      `rollup table ${table} is keyed by ${JSON.stringify(keyColumns)}, the layout needs ${JSON.stringify(expected)}: ` +
        'dimensions of an existing rollup cannot change, declare a new rollup name instead',
    );
  }
  const existing = await tableColumns(connection, table);
  for (const column of Object.keys(rollup.columns)) {
    if (!existing.has(column)) {
      await connection.run(`ALTER TABLE ${rollupTable(rollup.name, grain)} ADD COLUMN ${ident(column)} DOUBLE`);
    }
  }
  // A sketch column added to a rollup with history starts empty: `npm run rebuild` fills it from the facts.
  for (const column of Object.keys(rollup.sketches ?? {})) {
    if (!existing.has(column)) await connection.run(`ALTER TABLE ${rollupTable(rollup.name, grain)} ADD COLUMN ${ident(column)} BLOB`);
  }
}

/** Earliest and latest bucket of a rollup table (keyed rows: init has folded the deltas), or null when empty. */
export async function rollupBucketRange(connection: DuckDBConnection, layout: RollupLayout, grain: StoredGrain): Promise<{ min: Date; max: Date } | null> {
  const [[min, max]] = await readRows(connection, `SELECT min(bucket), max(bucket) FROM ${rollupTable(layout.name, grain)}`);
  return min === null || max === null ? null : { min: fromTimestamp(min), max: fromTimestamp(max) };
}
