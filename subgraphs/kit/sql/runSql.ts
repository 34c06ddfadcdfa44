import { ErrorCode } from '../../../core/errors/ErrorCode.js';
import { MeshError } from '../../../core/errors/MeshError.js';
import type { SubgraphPolicies } from '../auth/decideFieldAccess.js';
import type { CallerIdentity, DataProductDeclaration } from '../productDeclaration.js';
import { SqlLimitError, SqlStatementError, type SqlAnswer, type SqlParam, type SqlViews } from '../store/SqlViews.js';
import { checkSelect } from './checkSelect.js';
import { sqlAccess } from './sqlProfile.js';

/** Limits of the SQL port: settings read in the subgraph's configuration (`MESH_SQL_*`). */
export interface SqlLimits {
  /** A statement running longer is stopped with STATEMENT_TIMEOUT. @default 10000 */
  timeoutMs: number;
  /** An answer with more rows is refused with RESULT_TOO_LARGE (never cut silently). @default 100000 */
  maxRows: number;
}

export const DEFAULT_SQL_LIMITS: Readonly<SqlLimits> = { timeoutMs: 10_000, maxRows: 100_000 };

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
}

/**
 * Runs one SQL port request for a caller: the statement is checked and rewritten to the caller's views
 * (`checkSelect`), then run read-only by the store within the limits. Every refusal is a coded
 * `MeshError`; anything else thrown is the store failing (the route masks it).
 */
export async function runSql(
  declaration: DataProductDeclaration,
  sql: SqlViews,
  request: SqlRequest,
  identity: CallerIdentity | null | undefined,
  options: { limits: SqlLimits; policies?: SubgraphPolicies },
): Promise<SqlResult> {
  const { limits, policies } = options;
  if (typeof request.sql !== 'string' || !request.sql.trim())
    throw new MeshError(ErrorCode.BAD_REQUEST, 'the body needs "sql": one SELECT statement as a string');
  if (request.sql.length > MAX_SQL_LENGTH) throw new MeshError(ErrorCode.BAD_REQUEST, `"sql" is longer than ${MAX_SQL_LENGTH} characters`);
  const params = checkParams(request.params);
  const access = sqlAccess(declaration, identity, policies);
  const views = await sql.views(access.profile);
  const statement = await checkSelect(request.sql, { views, forbidden: access.forbidden });
  try {
    const answer = await sql.run({ sql: statement, params, maxRows: limits.maxRows, timeoutMs: limits.timeoutMs });
    return { ...answer, withheld: access.profile.withheld };
  } catch (error) {
    if (error instanceof SqlLimitError && error.limit === 'rows')
      throw new MeshError(ErrorCode.RESULT_TOO_LARGE, `the statement returns more than ${error.value} rows: aggregate, filter or add a LIMIT`, {
        details: { maxRows: error.value },
      });
    if (error instanceof SqlLimitError)
      throw new MeshError(ErrorCode.STATEMENT_TIMEOUT, `the statement ran longer than the SQL port's ${error.value} ms timeout`, {
        details: { timeoutMs: error.value },
      });
    if (error instanceof SqlStatementError)
      // The database's first line (`Binder Error: Referenced column "x" not found`); later lines quote the rewritten statement.
      throw new MeshError(ErrorCode.SQL_EXECUTION_FAILED, `the database refused the statement: ${error.message.split('\n')[0]}`, { cause: error });
    throw error;
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
