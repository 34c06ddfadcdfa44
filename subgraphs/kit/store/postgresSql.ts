import type { MergeKind, RollupLayout, StoredGrain } from './Store.js';
import { InvalidIdentifierError, assertIdentifier } from './storeIdentifiers.js';
import { isValidDate } from './mergeRollupDeltas.js';

/*
 * SQL text for PostgresStore. Every identifier interpolated here has passed `assertIdentifier` (and is
 * quoted on top); every value is a bound parameter. Tables live in the product's own schema and are always
 * named with it, so no statement depends on a connection's `search_path`.
 *
 * Timestamps are `timestamptz` and travel as ISO strings with `Z`, so neither the session time zone nor the
 * Node process's one can shift them; grain truncation uses `date_trunc(unit, ts, 'UTC')`.
 * Keys and dimensions are `COLLATE "C"`: byte order, like DuckDB, and independent of the database locale.
 */

/** PostgreSQL truncates longer identifiers silently (NAMEDATALEN - 1), which could make two tables one. */
const MAX_IDENTIFIER_BYTES = 63;

/** Quotes an identifier that has already been validated. */
export const ident = (name: string): string => `"${name}"`;

/** Qualified table names of one product's schema. */
export interface SchemaNames {
  schema: string;
  facts: string;
  deadLetters: string;
  meta: string;
  /** The layout record (see postgresLayoutRecord.ts). */
  layout: string;
  retractions: string;
  rollup(name: string, grain: StoredGrain): string;
  state(name: string): string;
}

export function schemaNames(schema: string): SchemaNames {
  assertPgIdentifier('schema', schema);
  const table = (name: string) => `${ident(schema)}.${ident(name)}`;
  return {
    schema,
    facts: table('facts'),
    deadLetters: table('dead_letters'),
    meta: table('meta'),
    layout: table('layout'),
    retractions: table('retractions'),
    rollup: (name, grain) => table(rollupTableName(name, grain)),
    state: (name) => table(stateTableName(name)),
  };
}

export const rollupTableName = (rollup: string, grain: StoredGrain): string => `rollup_${rollup}_${grain}`;
export const stateTableName = (state: string): string => `state_${state}`;

/** `assertIdentifier` plus PostgreSQL's length limit. */
export function assertPgIdentifier(kind: string, name: unknown): string {
  assertIdentifier(kind, name);
  if (Buffer.byteLength(name as string) > MAX_IDENTIFIER_BYTES) {
    throw new InvalidIdentifierError(kind, name, `longer than PostgreSQL's ${MAX_IDENTIFIER_BYTES}-byte identifier limit`);
  }
  return name as string;
}

/** Shared tables of a product. `meta` holds one row, created here so applies only ever UPDATE it. */
export function baseDdl(names: SchemaNames): string[] {
  return [
    `CREATE SCHEMA IF NOT EXISTS ${ident(names.schema)}`,
    `CREATE TABLE IF NOT EXISTS ${names.facts} (source text COLLATE "C" NOT NULL, id text COLLATE "C" NOT NULL,
       type text NOT NULL, "time" timestamptz NOT NULL, data jsonb NOT NULL, PRIMARY KEY (source, id))`,
    // `json`, not `jsonb`: a dead letter keeps the event as received (key order, duplicate keys, \u0000).
    `CREATE TABLE IF NOT EXISTS ${names.deadLetters} (seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
       received_at timestamptz NOT NULL, source text, id text, type text, reason text NOT NULL, event json)`,
    `CREATE INDEX IF NOT EXISTS dead_letters_newest ON ${names.deadLetters} (received_at DESC, seq DESC)`,
    `CREATE TABLE IF NOT EXISTS ${names.meta} (id integer PRIMARY KEY CHECK (id = 1), watermark timestamptz)`,
    `INSERT INTO ${names.meta} (id, watermark) VALUES (1, NULL) ON CONFLICT DO NOTHING`,
    // One row, written by `init` only (see postgresLayoutRecord.ts).
    `CREATE TABLE IF NOT EXISTS ${names.layout} (id integer PRIMARY KEY CHECK (id = 1), fingerprint text NOT NULL,
       layout jsonb NOT NULL, changed_at timestamptz NOT NULL)`,
    // A retracted fact stays in `facts` (so it is still a duplicate when posted again); this marks it.
    `CREATE TABLE IF NOT EXISTS ${names.retractions} (source text COLLATE "C" NOT NULL, id text COLLATE "C" NOT NULL,
       reason text NOT NULL, retracted_at timestamptz NOT NULL, PRIMARY KEY (source, id))`,
  ];
}

export function stateDdl(names: SchemaNames, state: string): string {
  return `CREATE TABLE IF NOT EXISTS ${names.state(state)}
    (key text COLLATE "C" PRIMARY KEY, value jsonb NOT NULL, updated_at timestamptz NOT NULL)`;
}

export function rollupDdl(names: SchemaNames, layout: RollupLayout, grain: StoredGrain): string {
  const columns = [
    'bucket timestamptz NOT NULL',
    ...layout.dimensions.map((d) => `${ident(d)} text COLLATE "C" NOT NULL`),
    ...Object.keys(layout.columns).map((c) => `${ident(c)} double precision`),
    ...Object.keys(layout.sketches ?? {}).map((c) => `${ident(c)} bytea`),
  ];
  return `CREATE TABLE IF NOT EXISTS ${names.rollup(layout.name, grain)} (${columns.join(', ')}, PRIMARY KEY (${rollupKey(layout)}))`;
}

export const rollupKey = (layout: RollupLayout): string => ['bucket', ...layout.dimensions.map(ident)].join(', ');

/**
 * Facts travel as ONE JSON array of row objects that `jsonb_to_recordset` turns back into rows, in array
 * order. A `jsonb[]` parameter cost about twice as much per batch: every document escaped into an array
 * literal by the driver, unescaped by the server, then parsed one by one (`npm run bench:ingest-statements`).
 */
export const insertFactsSql = (names: SchemaNames): string =>
  `INSERT INTO ${names.facts} (source, id, type, "time", data)
   SELECT r.source, r.id, r.type, r."time", r.data FROM jsonb_to_recordset($1::jsonb) AS r(source text, id text, type text, "time" timestamptz, data jsonb)
   ON CONFLICT DO NOTHING RETURNING source, id`;

/**
 * Takes a transaction-scoped advisory lock per key, in hash order so two transactions locking overlapping
 * keys queue instead of deadlocking. Covers keys that have no row yet, which `SELECT ... FOR UPDATE`
 * cannot lock. A hash collision only makes two keys wait on each other.
 */
export const lockStateKeysSql = `SELECT count(pg_advisory_xact_lock(l.space, l.hash))
  FROM (SELECT DISTINCT hashtext($1) AS space, hashtext(k) AS hash FROM unnest($2::text[]) AS k ORDER BY 2) AS l`;

export const readStatesSql = (names: SchemaNames, state: string): string =>
  `SELECT key, value, updated_at FROM ${names.state(state)} WHERE key = ANY($1::text[]) ORDER BY key`;

/** State values travel like facts (see `insertFactsSql`): one JSON array of `{ key, value, updated_at }`. */
export const upsertStatesSql = (names: SchemaNames, state: string): string =>
  `INSERT INTO ${names.state(state)} (key, value, updated_at)
   SELECT r.key, r.value, r.updated_at FROM jsonb_to_recordset($1::jsonb) AS r(key text, value jsonb, updated_at timestamptz)
   ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated_at = EXCLUDED.updated_at`;

/**
 * Only a later time touches the row: a batch of late facts then takes no lock on the one row every apply
 * shares. READ COMMITTED re-checks the condition against a concurrently committed watermark, so the
 * result is the GREATEST of all batches whatever their order.
 *
 * The same statement returns the recorded layout's fingerprint, which the apply compares with its own
 * (see postgresLayoutRecord.ts): the check costs no round trip of its own. A data-modifying WITH runs
 * whether or not the outer query reads it.
 */
export const raiseWatermarkSql = (names: SchemaNames): string =>
  `WITH raised AS (UPDATE ${names.meta} SET watermark = $1::timestamptz WHERE id = 1 AND (watermark IS NULL OR watermark < $1::timestamptz))
   SELECT fingerprint FROM ${names.layout} WHERE id = 1`;

/**
 * Merges pre-merged (so key-unique) rows into a rollup table. A NULL on either side must not wipe the
 * other: incoming sums are never NULL (an absent sum is sent as 0), a stored one may be (a column added by
 * migration); LEAST/GREATEST already skip NULLs in PostgreSQL.
 *
 * Parameters: `$1` buckets (`bigint` epoch milliseconds), one text array per dimension, one double array per measure, then one bytea
 * array per sketch column (the batch's encoded sketches). Rows are locked in key order by the statement's
 * own `ORDER BY` (bytes, like every other write; see postgresWrites.ts), so the caller need not sort them.
 *
 * A new row is inserted with the batch's sketches as they are. A row that existed keeps its stored
 * sketches, and the statement returns them (with the row's key) for the rows that existed only: its DO
 * UPDATE has locked those rows until commit, so the stored sketches are the latest committed and the merge
 * written back (see `upsertRollups` in postgresWrites.ts) loses no other replica's. "Existed" is read from
 * the new row version's `xmax`, which is 0 for an inserted row and the updating transaction for an updated
 * one (pinned by test/kit/postgresStore.test.ts). A layout whose only measures are sketches sets a sketch
 * to itself, because DO NOTHING would lock nothing.
 */
export function upsertRollupSql(names: SchemaNames, layout: RollupLayout, grain: StoredGrain): string {
  const columns = Object.keys(layout.columns);
  const sketches = Object.keys(layout.sketches ?? {}).map(ident);
  const all = ['bucket', ...layout.dimensions.map(ident), ...columns.map(ident), ...sketches].join(', ');
  const arrays = [
    '$1::bigint[]',
    ...layout.dimensions.map((_, i) => `$${i + 2}::text[]`),
    ...columns.map((_, i) => `$${i + 2 + layout.dimensions.length}::double precision[]`),
    ...sketches.map((_, i) => `$${i + 2 + layout.dimensions.length + columns.length}::bytea[]`),
  ];
  const aliases = ['b', ...layout.dimensions.map((_, i) => `d${i}`), ...columns.map((_, i) => `c${i}`), ...sketches.map((_, i) => `s${i}`)];
  const order = ['k.b', ...layout.dimensions.map((_, i) => `k.d${i} COLLATE "C"`)].join(', ');
  const selected = [epochMsToTimestamptz('k.b'), ...aliases.slice(1).map((alias) => `k.${alias}`)].join(', ');
  const sets = columns.map((column) => `${ident(column)} = ${mergeSql(layout.columns[column], `t.${ident(column)}`, `EXCLUDED.${ident(column)}`)}`);
  if (sets.length === 0 && sketches.length > 0) sets.push(`${sketches[0]} = t.${sketches[0]}`);
  const action = sets.length === 0 ? 'DO NOTHING' : `DO UPDATE SET ${sets.join(', ')}`;
  const insert = `INSERT INTO ${names.rollup(layout.name, grain)} AS t (${all})
    SELECT ${selected} FROM unnest(${arrays.join(', ')}) AS k(${aliases.join(', ')}) ORDER BY ${order}
    ON CONFLICT (${rollupKey(layout)}) ${action}`;
  if (sketches.length === 0) return insert;
  const key = ['bucket', ...layout.dimensions.map(ident)];
  return `WITH merged AS (${insert}
    RETURNING ${[...key, ...sketches].map((c) => `t.${c}`).join(', ')}, t.xmax::text <> '0' AS "row existed")
    SELECT ${[...key, ...sketches].join(', ')} FROM merged WHERE "row existed"`;
}

/** Rows as arrays: the key columns (`$1` buckets, then one array per dimension) unnested as k(b, d0, d1...). */
function keyArrays(layout: RollupLayout): { arrays: string[]; names: string[]; match: string } {
  const arrays = ['$1::bigint[]', ...layout.dimensions.map((_, i) => `$${i + 2}::text[]`)];
  const names = ['b', ...layout.dimensions.map((_, i) => `d${i}`)];
  const match = [`t.bucket = ${epochMsToTimestamptz('k.b')}`, ...layout.dimensions.map((d, i) => `t.${ident(d)} = k.d${i}`)].join(' AND ');
  return { arrays, names, match };
}

/** Sets the sketches of existing rows: keys as arrays, then one bytea array per sketch column. */
export function writeSketchesSql(names: SchemaNames, layout: RollupLayout, grain: StoredGrain): string {
  const key = keyArrays(layout);
  const sketches = Object.keys(layout.sketches ?? {});
  const arrays = [...key.arrays, ...sketches.map((_, i) => `$${key.arrays.length + 1 + i}::bytea[]`)];
  const columns = [...key.names, ...sketches.map((_, i) => `s${i}`)];
  const sets = sketches.map((c, i) => `${ident(c)} = k.s${i}`);
  return `UPDATE ${names.rollup(layout.name, grain)} t SET ${sets.join(', ')}
    FROM unnest(${arrays.join(', ')}) AS k(${columns.join(', ')}) WHERE ${key.match}`;
}

function mergeSql(kind: MergeKind, current: string, incoming: string): string {
  if (kind === 'sum') return `COALESCE(${current}, 0) + ${incoming}`;
  return `${kind === 'min' ? 'LEAST' : 'GREATEST'}(${current}, ${incoming})`;
}

/** SQL aggregate of a merge kind, for bucket queries and grain backfills. */
export const AGGREGATE: Readonly<Record<MergeKind, string>> = { sum: 'sum', min: 'min', max: 'max' };

/**
 * A `timestamptz` from milliseconds since the epoch (a `bigint`): rollup buckets travel as such numbers
 * (`epochMsArray`), cheaper to write in JavaScript and to parse in the server than ISO text. PostgreSQL
 * multiplies an interval in double precision, exact only below 2^53 microseconds (the year 2255), so the
 * value is split into whole hours and the milliseconds left, each product exact: every millisecond JavaScript
 * can hold comes back as it was. Hours are not days, so the session's time zone plays no part.
 */
export const epochMsToTimestamptz = (column: string): string =>
  `(timestamptz 'epoch' + (${column} / 3600000) * interval '1 hour' + (${column} % 3600000) * interval '1 millisecond')`;

/** A timestamptz parameter: ISO with `Z`. Throws on an invalid Date rather than storing garbage. */
export function timestampParam(date: Date): string {
  if (!isValidDate(date)) throw new Error(`invalid timestamp: ${String(date)}`);
  return date.toISOString();
}

/** SQLSTATEs after which the whole transaction may simply run again. */
export const RETRYABLE_SQLSTATES: ReadonlySet<string> = new Set([
  '40001', // serialization_failure
  '40P01', // deadlock_detected
]);

/**
 * PostgreSQL text cannot hold U+0000, and a dead letter must never be lost over the bytes that made it
 * bad: NUL becomes U+FFFD in its text columns (the `event` JSON keeps it as the escape `\u0000`).
 */
export function withoutNul(text: string | null | undefined): string | null {
  return text === null || text === undefined ? null : text.replaceAll('\0', '\uFFFD');
}
