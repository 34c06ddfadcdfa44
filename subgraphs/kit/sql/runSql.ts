import { ErrorCode } from '../../../core/errors/ErrorCode.js';
import { MeshError } from '../../../core/errors/MeshError.js';
import type { SubgraphPolicies } from '../auth/decideFieldAccess.js';
import type { CallerIdentity, DataProductDeclaration } from '../productDeclaration.js';
import { SqlLimitError, SqlStatementError, type SqlAnswer, type SqlParam, type SqlViews } from '../store/SqlViews.js';
import { checkSelect } from './checkSelect.js';
import type { SqlSlots } from './createSqlSlots.js';
import { sqlAccess } from './sqlProfile.js';

/** Limits of the SQL port: settings read in the subgraph's configuration (`MESH_SQL_*`). */
export interface SqlLimits {
  /**
   * A statement not answered within this, from its arrival (waiting for a slot included), is stopped
   * with STATEMENT_TIMEOUT. @default 10000
   */
  timeoutMs: number;
  /** An answer with more rows is refused with RESULT_TOO_LARGE (never cut silently). @default 100000 */
  maxRows: number;
  /**
   * An answer larger than this many bytes (about its JSON size, counted as rows arrive) is refused with
   * RESULT_TOO_LARGE before it is held whole. @default 67108864 (64 MiB)
   */
  maxBytes: number;
  /**
   * Statements of one product running at once, each on a connection of its own; more wait, their timeout
   * running, and one that finds no free slot within its timeout is refused with SERVICE_UNAVAILABLE
   * (retry). @default 4
   */
  concurrency: number;
}

export const DEFAULT_SQL_LIMITS: Readonly<SqlLimits> = { timeoutMs: 10_000, maxRows: 100_000, maxBytes: 64 * 1024 * 1024, concurrency: 4 };

/** The least of its timeout a statement is started with after waiting for its turn (or a tenth of the timeout). */
const MIN_RUN_MS = 100;

/** Longest statement text accepted, in characters. */
const MAX_SQL_LENGTH = 100_000;
/** Most `$n` values accepted. */
const MAX_PARAMS = 100;

/** One SQL port request, as the route read it. */
export interface SqlRequest {
  sql?: unknown;
  params?: unknown;
}

/** An answer, and the columns the caller's views left out. */
export interface SqlResult extends SqlAnswer {
  /** Published columns absent from this caller's views (what `SELECT *` does not show). */
  withheld: readonly string[];
  /** Top-level keys removed from this caller's state values (`value`), as the SDL spells the fields. */
  maskedValueKeys: readonly string[];
}

/**
 * Runs one SQL port request for a caller: the statement is checked and rewritten to the caller's views
 * (`checkSelect`), then, in one of the port's `slots`, run read-only by the store within the limits (the
 * time it waited for the slot taken off its timeout). Every refusal is a coded `MeshError`; anything else
 * thrown is the store failing (the route masks it).
 */
export async function runSql(
  declaration: DataProductDeclaration,
  sql: SqlViews,
  request: SqlRequest,
  identity: CallerIdentity | null | undefined,
  options: { limits: SqlLimits; slots: SqlSlots; policies?: SubgraphPolicies },
): Promise<SqlResult> {
  const { limits, slots, policies } = options;
  const arrived = performance.now();
  if (typeof request.sql !== 'string' || !request.sql.trim())
    throw new MeshError(ErrorCode.BAD_REQUEST, 'the body needs "sql": one SELECT statement as a string');
  if (request.sql.length > MAX_SQL_LENGTH) throw new MeshError(ErrorCode.BAD_REQUEST, `"sql" is longer than ${MAX_SQL_LENGTH} characters`);
  const params = checkParams(request.params);
  const access = sqlAccess(declaration, identity, policies);
  const views = await sql.views(access.profile);
  const statement = await checkSelect(request.sql, { views, forbidden: access.forbidden });
  // A turn that comes with almost none of the timeout left is a busy port too (retry), not a statement
  // that ran too long: it waits for the turn only until that much is left.
  const minimumRun = Math.min(MIN_RUN_MS, limits.timeoutMs / 10);
  const release = await slots.acquire(Math.max(0, limits.timeoutMs - minimumRun - (performance.now() - arrived)));
  if (!release)
    throw new MeshError(
      ErrorCode.SERVICE_UNAVAILABLE,
      `the SQL port is busy: it runs ${slots.count} statements at a time and none came free within its ${limits.timeoutMs} ms timeout; retry later`,
      { details: { concurrency: slots.count, timeoutMs: limits.timeoutMs } },
    );
  const waited = Math.round(performance.now() - arrived);
  try {
    const answer = await sql.run({
      sql: statement,
      params,
      maxRows: limits.maxRows,
      maxBytes: limits.maxBytes,
      timeoutMs: Math.max(1, limits.timeoutMs - waited),
    });
    return { ...answer, withheld: access.profile.withheld, maskedValueKeys: access.maskedValueKeys };
  } catch (error) {
    if (error instanceof SqlLimitError && error.limit === 'rows')
      throw new MeshError(ErrorCode.RESULT_TOO_LARGE, `the statement returns more than ${error.value} rows: aggregate, filter or add a LIMIT`, {
        details: { maxRows: error.value },
      });
    if (error instanceof SqlLimitError && error.limit === 'bytes')
      throw new MeshError(
        ErrorCode.RESULT_TOO_LARGE,
        `the answer is larger than ${error.value} bytes: select fewer or shorter columns, aggregate, filter or add a LIMIT`,
        { details: { maxBytes: error.value } },
      );
    if (error instanceof SqlLimitError) {
      const queued = waited >= 1 ? ` (${waited} ms of it waiting for one of the port's ${slots.count} slots)` : '';
      throw new MeshError(ErrorCode.STATEMENT_TIMEOUT, `the statement ran longer than the SQL port's ${limits.timeoutMs} ms timeout${queued}`, {
        details: { timeoutMs: limits.timeoutMs },
      });
    }
    if (error instanceof SqlStatementError)
      // The database's first line (`Binder Error: Referenced column "x" not found`); later lines quote the rewritten statement.
      throw new MeshError(ErrorCode.SQL_EXECUTION_FAILED, `the database refused the statement: ${error.message.split('\n')[0]}`, { cause: error });
    throw error;
  } finally {
    release();
  }
}

function checkParams(params: unknown): SqlParam[] {
  if (params === undefined || params === null) return [];
  if (!Array.isArray(params)) throw new MeshError(ErrorCode.BAD_REQUEST, '"params" must be an array of the values of $1, $2, ...');
  if (params.length > MAX_PARAMS) throw new MeshError(ErrorCode.BAD_REQUEST, `at most ${MAX_PARAMS} params`);
  return params.map((value, i) => {
    if (value === null || typeof value === 'string' || typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value)))
      return value as SqlParam;
    throw new MeshError(ErrorCode.BAD_REQUEST, `params[${i}] must be a string, a finite number, a boolean or null`);
  });
}
