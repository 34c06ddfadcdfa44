import express, { Router, type Response } from 'express';
import { ErrorCode } from '../../../core/errors/ErrorCode.js';
import { MeshError } from '../../../core/errors/MeshError.js';
import type { SubgraphPolicies } from '../auth/decideFieldAccess.js';
import type { DataProductRuntime } from '../DataProductRuntime.js';
import type { CallerIdentity } from '../productDeclaration.js';
import { sendError } from '../http/sendError.js';
import type { HttpErrorLog } from '../http/jsonErrorHandler.js';
import { WITHHELD_COLUMNS_HEADER } from '../exports/filesRoute.js';
import type { SqlValue, SqlViews } from '../store/SqlViews.js';
import { createSqlSlots } from './createSqlSlots.js';
import { runSql, type SqlLimits, type SqlResult } from './runSql.js';

/** The media types the port answers in, preferred first (on equal quality, and without `Accept`). */
const ANSWER_TYPES = ['application/json', 'text/csv'] as const;
/**
 * Names the fields whose keys are removed from this caller's state values wherever they hold them (every
 * field the caller may not read, `maskedKeys` of its profile), as the SDL spells them.
 */
export const MASKED_VALUE_KEYS_HEADER = 'x-mesh-masked-value-keys';

/** Options of the SQL port route. */
export interface SqlRouteOptions {
  /** Establishes the caller as for GraphQL (the gateway's signed identity); a throw is a 401. */
  authenticate: (headers: Record<string, string | undefined>) => Promise<CallerIdentity | null>;
  /** Statement timeout and row limit. */
  limits: SqlLimits;
  /** Named policies for `@policy` columns. @default none: a column under a policy is withheld */
  policies?: SubgraphPolicies;
  /** Where unexpected failures go (the caller gets a masked 500). */
  log: HttpErrorLog;
}

/**
 * `POST /sql` with `{ "sql": "SELECT ...", "params": [...] }`: one read-only SELECT over the product's
 * published views (`runSql.ts`), answered as JSON (`{ columns: [{ name, type }], rows: [[...]], rowCount }`)
 * or as CSV with a header line, as the request's `Accept` prefers (q-values weighed; an `Accept` that
 * allows neither is a 406 NOT_ACCEPTABLE before anything runs). The columns the caller's views leave out
 * are named in `x-mesh-withheld-columns`, as for files, and the keys its state values lose in
 * `x-mesh-masked-value-keys`. At most `limits.concurrency` statements run at once (`createSqlSlots`). The
 * gateway's `POST /sql` forwards here with the caller's signed identity.
 */
export function sqlRoute(product: DataProductRuntime, options: SqlRouteOptions): Router {
  const { authenticate, limits, policies, log } = options;
  let sql: SqlViews | undefined;
  let unavailable = `${product.domain} has no SQL port: its store does not serve one`;
  try {
    sql = product.store.sql?.();
  } catch (error) {
    // E.g. a DuckDB database not opened locked down: refused for good, never served unlocked.
    unavailable = `${product.domain} has no SQL port: ${(error as Error).message}`;
  }
  const slots = createSqlSlots(limits.concurrency);
  const router = Router();
  router.post('/sql', express.json({ limit: '256kb' }), async (req, res) => {
    const answerType = req.accepts([...ANSWER_TYPES]);
    if (!answerType)
      return sendError(
        res,
        'rest',
        ErrorCode.NOT_ACCEPTABLE,
        `the SQL port answers ${ANSWER_TYPES.join(' or ')} (Arrow is not offered); the request accepts ${JSON.stringify(req.headers.accept ?? '')}`,
        { accepted: [...ANSWER_TYPES] },
      );
    let identity: CallerIdentity | null;
    try {
      identity = await authenticate(headersOf(req.headers));
    } catch (error) {
      return sendError(res, 'rest', ErrorCode.UNAUTHENTICATED, (error as Error).message || 'unauthenticated');
    }
    if (!sql) return sendError(res, 'rest', ErrorCode.NOT_FOUND, unavailable);
    const body = (req.body ?? {}) as { sql?: unknown; params?: unknown };
    let result: SqlResult;
    try {
      result = await runSql(product.definition, sql, body, identity, { limits, slots, policies });
    } catch (error) {
      if (error instanceof MeshError) return sendError(res, 'rest', error.code, error.message, error.details);
      log('a SQL port statement failed', error);
      return sendError(res, 'rest', ErrorCode.STORE_UNAVAILABLE, 'the store could not run the statement');
    }
    if (result.withheld.length) res.setHeader(WITHHELD_COLUMNS_HEADER, result.withheld.join(','));
    if (result.maskedValueKeys.length) res.setHeader(MASKED_VALUE_KEYS_HEADER, result.maskedValueKeys.join(','));
    if (answerType === 'text/csv') return sendCsv(res, result);
    res.json({ columns: result.columns, rows: result.rows, rowCount: result.rows.length });
  });
  return router;
}

/** RFC 4180: a header line, CRLF line ends, fields quoted when they hold a quote, comma or line break; null is empty. */
function sendCsv(res: Response, result: SqlResult): void {
  const field = (value: SqlValue): string => {
    if (value === null) return '';
    const text = typeof value === 'object' ? JSON.stringify(value) : String(value);
    return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
  };
  res.setHeader('content-type', 'text/csv; charset=utf-8');
  res.write(`${result.columns.map((c) => field(c.name)).join(',')}\r\n`);
  // Written in slices, so a large answer is not one string.
  for (let i = 0; i < result.rows.length; i += 1000)
    res.write(
      result.rows
        .slice(i, i + 1000)
        .map((row) => `${row.map(field).join(',')}\r\n`)
        .join(''),
    );
  res.end();
}

function headersOf(source: Record<string, string | string[] | undefined>): Record<string, string | undefined> {
  return Object.fromEntries(Object.entries(source).map(([key, value]) => [key.toLowerCase(), Array.isArray(value) ? value.join(', ') : value]));
}
