/**
 * The store's side of the governed SQL port (`subgraphs/kit/sql/`): views over the published tables, one
 * set per permission profile, and one read-only statement at a time over them. The kit checks the
 * statement first (one SELECT, only these views, no governed column); the store is the second line: a
 * session that cannot write, cannot reach files or other tables, and stops at a timeout and a row limit.
 */

/** What one caller's views leave out: a profile is shared by every caller who may read the same columns. */
export interface SqlViewProfile {
  /** Stable name of the profile (`[a-z0-9]{1,16}`): its views live under a schema named after it. */
  id: string;
  /** Rollup columns (dimensions or measure columns, by their stored name) absent from every view. */
  withheld: readonly string[];
  /** Top-level keys of state values removed from the `value` column, compared lowercase without `_`. */
  maskedKeys: readonly string[];
}

/** A checked statement to run. */
export interface SqlRun {
  /** One SELECT naming only the profile's views (schema-qualified by the kit). */
  sql: string;
  /** Values of `$1`, `$2`, ... */
  params: readonly SqlParam[];
  /** More rows than this is a `SqlLimitError` (`rows`), not a cut answer. */
  maxRows: number;
  /** Longer than this is a `SqlLimitError` (`timeout`). */
  timeoutMs: number;
  /** An answer larger than this ({@link sqlValueBytes} of its values) is a `SqlLimitError` (`bytes`), not a cut answer. */
  maxBytes: number;
}

export type SqlParam = string | number | boolean | null;

/** A column of an answer: its name and its type as the store names it (`BIGINT`, `DOUBLE`, `VARCHAR`, `TIMESTAMP`, ...). */
export interface SqlColumn {
  name: string;
  type: string;
}

/** JSON-ready values: numbers (BIGINTs beyond 2^53 as strings), strings, booleans, null; timestamps as ISO 8601 UTC strings. */
export type SqlValue = string | number | boolean | null | SqlValue[] | { [key: string]: SqlValue };

/** What a statement answered. */
export interface SqlAnswer {
  columns: SqlColumn[];
  rows: SqlValue[][];
}

/** The statement ran past a limit: `timeout` (ms), `rows` or `bytes`. */
export class SqlLimitError extends Error {
  override readonly name = 'SqlLimitError';
  constructor(
    readonly limit: 'timeout' | 'rows' | 'bytes',
    readonly value: number,
  ) {
    super(
      limit === 'timeout'
        ? `the statement ran longer than ${value} ms`
        : limit === 'rows'
          ? `the statement returns more than ${value} rows`
          : `the statement's answer is larger than ${value} bytes`,
    );
  }
}

/**
 * About the bytes a value takes in the JSON answer: a string its length plus quotes, a number or boolean
 * 8, null 4, lists and objects their parts. What the SQL port's byte limit counts as rows arrive, so an
 * answer is refused before it is held whole (a long string repeated on every row).
 */
export function sqlValueBytes(value: SqlValue): number {
  if (value === null) return 4;
  if (typeof value === 'string') return value.length + 2;
  if (typeof value !== 'object') return 8;
  let bytes = 2;
  if (Array.isArray(value)) for (const item of value) bytes += sqlValueBytes(item) + 1;
  else for (const [key, item] of Object.entries(value)) bytes += key.length + 4 + sqlValueBytes(item);
  return bytes;
}

/**
 * Counts an answer's bytes row by row and throws the `bytes` `SqlLimitError` past `maxBytes`: each store
 * adds its rows as it converts them.
 */
export function answerBytesCounter(maxBytes: number): (row: readonly SqlValue[]) => void {
  let bytes = 0;
  return (row) => {
    for (const value of row) bytes += sqlValueBytes(value) + 1;
    if (bytes > maxBytes) throw new SqlLimitError('bytes', maxBytes);
  };
}

/** The database refused or failed the statement; the message is the database's own (no server detail in it). */
export class SqlStatementError extends Error {
  override readonly name = 'SqlStatementError';
}

/** The SQL port of a store. */
export interface SqlViews {
  /** Whose SQL dialect statements run in (the functions each offers differ). */
  readonly dialect: 'duckdb' | 'postgresql';
  /**
   * Creates (once per process, idempotently) the profile's views of every published relation, with their
   * columns listed from the layout (so a column added to a table later never appears by accident), and
   * answers each relation's schema-qualified, quoted name.
   */
  views(profile: SqlViewProfile): Promise<ReadonlyMap<string, string>>;
  /** Runs one statement read-only within the run's limits. */
  run(run: SqlRun): Promise<SqlAnswer>;
}

/**
 * `SqlViews.views` over a store's view creation: each profile's views are created once per process, and
 * a creation that failed is forgotten so the next statement tries again.
 */
export function viewsOncePerProfile(
  create: (profile: SqlViewProfile) => Promise<ReadonlyMap<string, string>>,
): (profile: SqlViewProfile) => Promise<ReadonlyMap<string, string>> {
  const created = new Map<string, Promise<ReadonlyMap<string, string>>>();
  return (profile) => {
    let views = created.get(profile.id);
    if (!views) {
      views = create(profile);
      created.set(profile.id, views);
      views.catch(() => created.delete(profile.id));
    }
    return views;
  };
}

/**
 * The profile's masked state keys as a SQL string list (`'email', 'phone'`) for a `NOT IN`; a key that is
 * not lowercase letters and digits is refused (they come from SDL field names, never from a caller).
 */
export function maskedKeyList(keys: readonly string[]): string {
  for (const key of keys) if (!/^[a-z0-9]+$/.test(key)) throw new Error(`invalid masked key ${JSON.stringify(key)}`);
  return keys.map((k) => `'${k}'`).join(', ');
}
