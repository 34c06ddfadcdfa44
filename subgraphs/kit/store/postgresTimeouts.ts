/** Time limits of a `PostgresStore`'s connections, in milliseconds. */
export interface PostgresTimeouts {
  /** Waiting for a connection (a new one, or a free one of a full pool): pg's `connectionTimeoutMillis`. */
  connectTimeoutMs: number;
  /** One statement on the server, which cancels it: PostgreSQL's `statement_timeout`. */
  statementTimeoutMs: number;
  /** One query as the client waits for its answer (a dead network never answers): pg's `query_timeout`. */
  queryTimeoutMs: number;
}

export const DEFAULT_POSTGRES_TIMEOUTS: Readonly<PostgresTimeouts> = { connectTimeoutMs: 10_000, statementTimeoutMs: 60_000, queryTimeoutMs: 65_000 };

/** The pool settings of the timeouts (pg passes `statement_timeout` to the server at connect). */
export function poolTimeoutSettings(timeouts: PostgresTimeouts) {
  return { connectionTimeoutMillis: timeouts.connectTimeoutMs, statement_timeout: timeouts.statementTimeoutMs, query_timeout: timeouts.queryTimeoutMs };
}

/** Refuses a timeout that is not a positive integer, naming the option. */
export function assertTimeouts(timeouts: PostgresTimeouts): PostgresTimeouts {
  for (const [name, value] of Object.entries(timeouts)) {
    if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer of milliseconds, got ${String(value)}`);
  }
  return timeouts;
}

/**
 * A timeout error from pg or the server, rewritten to name the setting that fired and its value (pg's own
 * messages name neither); any other error is returned as it is. The original is kept as `cause`.
 */
export function explainTimeout(error: unknown, timeouts: PostgresTimeouts): unknown {
  const message = error instanceof Error ? error.message : '';
  const code = (error as { code?: unknown } | null)?.code;
  const explained = (setting: keyof PostgresTimeouts, what: string) =>
    Object.assign(new Error(`PostgreSQL ${what} within ${setting} (${timeouts[setting]} ms)`, { cause: error }), { code });
  if (/timeout exceeded when trying to connect|connection timeout/i.test(message)) return explained('connectTimeoutMs', 'gave no connection');
  if (code === '57014' && /statement timeout/.test(message)) return explained('statementTimeoutMs', 'cancelled a statement that did not finish');
  if (/Query read timeout/.test(message)) return explained('queryTimeoutMs', 'did not answer a query');
  return error;
}
