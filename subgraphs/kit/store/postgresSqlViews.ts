import pg, { type PoolClient } from 'pg';
import { STORED_GRAINS, type RollupLayout } from './Store.js';
import {
  answerBytesCounter,
  maskedKeyList,
  SqlLimitError,
  SqlStatementError,
  viewsOncePerProfile,
  type SqlAnswer,
  type SqlRun,
  type SqlValue,
  type SqlViewProfile,
  type SqlViews,
} from './SqlViews.js';
import { publishedRelations, rollupViewColumns } from './publishedRelations.js';
import { assertPgIdentifier, ident, type SchemaNames } from './postgresSql.js';

/** What the PostgreSQL SQL port needs of its store. */
export interface PostgresSqlViewsOptions {
  names: SchemaNames;
  rollups: readonly RollupLayout[];
  states: readonly string[];
  /** Runs DDL in one transaction on the store's write pool. */
  write: (work: (client: PoolClient) => Promise<void>) => Promise<void>;
  /** A connection of the SQL port's own pool (statements never hold the store's connections). */
  connect: () => Promise<PoolClient>;
}

/** Rows fetched from the cursor at a time. */
const FETCH_ROWS = 1_000;

/** Raw text for every type: values are converted here by type, so no session setting shifts a timestamp. */
const RAW_TYPES = { getTypeParser: () => (value: string) => value } as unknown as pg.CustomTypesConfig;

/** PostgreSQL type OIDs named as DuckDB names them, so both stores describe an answer alike. */
const TYPE_NAMES: Record<number, string> = {
  16: 'BOOLEAN',
  20: 'BIGINT',
  21: 'SMALLINT',
  23: 'INTEGER',
  700: 'FLOAT',
  701: 'DOUBLE',
  1700: 'DECIMAL',
  19: 'VARCHAR',
  25: 'VARCHAR',
  1043: 'VARCHAR',
  1082: 'DATE',
  1114: 'TIMESTAMP',
  1184: 'TIMESTAMP WITH TIME ZONE',
  1186: 'INTERVAL',
  114: 'JSON',
  3802: 'JSON',
};

/**
 * The scale-out store's SQL port. A profile's views live in schema `<product schema>_sql_<profile id>`,
 * owned by the store's user and readable by one role, `<product schema>_sql`, which has no other
 * privilege: each statement runs in a `READ ONLY` transaction as that role, with `statement_timeout`, and
 * its rows are fetched through a cursor up to the row limit. The role and schemas are created on first
 * use (PostgreSQL roles are per cluster: a product that never serves SQL leaves none behind).
 */
export function postgresSqlViews(options: PostgresSqlViewsOptions): SqlViews {
  const { names, rollups, states, write, connect } = options;
  const relations = publishedRelations(rollups, states, STORED_GRAINS);
  const role = assertPgIdentifier('SQL port role', `${names.schema}_sql`);

  const createViews = async (profile: SqlViewProfile): Promise<ReadonlyMap<string, string>> => {
    const schema = ident(assertPgIdentifier('SQL port schema', `${names.schema}_sql_${profile.id}`));
    const views = new Map<string, string>();
    await write(async (client) => {
      // Replicas create the same objects: one at a time, keyed by the profile's schema.
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [schema]);
      const exists = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [role]);
      if (exists.rowCount === 0) await client.query(`CREATE ROLE ${ident(role)} NOLOGIN NOINHERIT`);
      const member = await client.query<{ ok: boolean }>('SELECT pg_has_role(current_user, $1, $2) AS ok', [role, 'MEMBER']);
      if (!member.rows[0]?.ok) await client.query(`GRANT ${ident(role)} TO CURRENT_USER`);
      await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
      await client.query(`GRANT USAGE ON SCHEMA ${schema} TO ${ident(role)}`);
      for (const relation of relations) {
        const view = `${schema}.${ident(relation.name)}`;
        const body =
          relation.kind === 'rollup'
            ? `SELECT ${rollupViewColumns(relation.rollup, profile)
                .map((c) => (c === 'bucket' ? `(bucket AT TIME ZONE 'UTC') AS bucket` : ident(c)))
                .join(', ')} FROM ${names.rollup(relation.rollup.name, relation.grain)}`
            : `SELECT key, (updated_at AT TIME ZONE 'UTC') AS updated_at, ${maskedValue(profile.maskedKeys)} AS value FROM ${names.state(relation.state)}`;
        // Dropped and created, not replaced: a view's columns may not shrink or move in place.
        await client.query(`DROP VIEW IF EXISTS ${view}`);
        await client.query(`CREATE VIEW ${view} AS ${body}`);
        await client.query(`GRANT SELECT ON ${view} TO ${ident(role)}`);
        views.set(relation.name, view);
      }
    });
    return views;
  };

  return {
    dialect: 'postgresql',
    views: viewsOncePerProfile(createViews),
    async run(run) {
      const client = await connect();
      let broken: Error | undefined;
      try {
        return await runReadOnly(client, role, run);
      } finally {
        await client.query('ROLLBACK').catch((error: Error) => (broken = error));
        client.release(broken);
      }
    },
  };
}

/** The state value without the masked top-level keys (compared lowercase without `_`), `{}` when none is left. */
function maskedValue(keys: readonly string[]): string {
  if (keys.length === 0) return 'value::json';
  const list = maskedKeyList(keys);
  return `(SELECT COALESCE(jsonb_object_agg(e.k, e.v), '{}'::jsonb) FROM jsonb_each(value) AS e(k, v) WHERE lower(replace(e.k, '_', '')) NOT IN (${list}))::json`;
}

async function runReadOnly(client: PoolClient, role: string, run: SqlRun): Promise<SqlAnswer> {
  await client.query('BEGIN READ ONLY');
  // LOCAL: all of it ends with the transaction, so the pooled connection goes back as it came.
  await client.query(`SET LOCAL statement_timeout = ${Math.max(1, Math.floor(run.timeoutMs))}`);
  await client.query(`SET LOCAL ROLE ${ident(role)}`);
  await client.query(`SET LOCAL search_path = pg_catalog`);
  await client.query(`SET LOCAL TimeZone = 'UTC'`);
  // `statement_timeout` bounds each statement, and the answer comes in several FETCHes: each is given what
  // is left of the run's timeout, so the whole statement stops within it.
  const deadline = performance.now() + run.timeoutMs;
  const timeLeft = async () => {
    const left = Math.floor(deadline - performance.now());
    if (left < 1) throw new SqlLimitError('timeout', run.timeoutMs);
    await client.query(`SET LOCAL statement_timeout = ${left}`);
  };
  try {
    await client.query({ text: `DECLARE mesh_sql NO SCROLL CURSOR FOR ${run.sql}`, values: [...run.params] });
    // Fetched in slices, each converted and counted before the next, so an answer past a limit stops there.
    const count = answerBytesCounter(run.maxBytes);
    const rows: SqlValue[][] = [];
    let fields: pg.FieldDef[] = [];
    for (;;) {
      const slice = Math.min(FETCH_ROWS, run.maxRows + 1 - rows.length);
      await timeLeft();
      const result = await client.query({ text: `FETCH FORWARD ${slice} FROM mesh_sql`, rowMode: 'array', types: RAW_TYPES });
      fields = result.fields;
      if (rows.length + result.rows.length > run.maxRows) throw new SqlLimitError('rows', run.maxRows);
      for (const row of result.rows as Array<Array<string | null>>) {
        const values = row.map((value, i) => textValue(value, fields[i].dataTypeID));
        count(values);
        rows.push(values);
      }
      if (result.rows.length < slice) break;
    }
    const columns = fields.map((f) => ({ name: f.name, type: TYPE_NAMES[f.dataTypeID] ?? 'OTHER' }));
    return { columns, rows };
  } catch (error) {
    if (error instanceof SqlLimitError) throw error;
    if ((error as { code?: string }).code === '57014') throw new SqlLimitError('timeout', run.timeoutMs);
    throw new SqlStatementError((error as Error).message);
  }
}

/** A value's text as JSON by its type: numbers as numbers (exact BIGINTs only), timestamps as ISO 8601 UTC. */
function textValue(text: string | null, type: number): SqlValue {
  if (text === null) return null;
  switch (type) {
    case 16:
      return text === 't';
    case 20:
    case 21:
    case 23: {
      const n = Number(text);
      return Number.isSafeInteger(n) ? n : text;
    }
    case 700:
    case 701:
    case 1700: {
      const n = Number(text);
      return Number.isFinite(n) ? n : text;
    }
    case 1114:
      return new Date(`${text.replace(' ', 'T')}Z`).toISOString();
    case 1184:
      return new Date(text.replace(' ', 'T').replace(/([+-]\d\d)$/, '$1:00')).toISOString();
    default:
      return text;
  }
}
