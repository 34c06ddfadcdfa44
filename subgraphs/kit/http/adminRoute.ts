import express, { type Request, type Response, type Router } from 'express';
import type { DataProductRuntime } from '../DataProductRuntime.js';
import { ErrorCode } from '../../../core/errors/ErrorCode.js';
import type { ProducerRefusal } from '../auth/producerTokenAuthorizer.js';
import { sendError } from './sendError.js';
import type { RebuildRange, RetractionResult } from '../store/Store.js';

/** Options of the admin (repair) routes. */
export interface AdminRouteOptions {
  /**
   * Decides whether the caller may repair the product (the `<domain>:admin` scope in the demo); returns a
   * refusal (UNAUTHENTICATED 401, FORBIDDEN 403, SERVICE_UNAVAILABLE 503). A throw refuses with 401.
   * @default refuses every request: the routes are closed until an authorizer is configured
   */
  authorizeAdmin?: (request: Request) => Promise<ProducerRefusal>;
  /** Largest request body. @default '16kb' */
  bodyLimit?: string;
}

type Body = Record<string, unknown>;

class BadRequest extends Error {}

const closed = async (): Promise<ProducerRefusal> => ({
  code: ErrorCode.FORBIDDEN,
  reason: 'the admin routes are closed: no admin authorizer is configured on this subgraph',
});

/**
 * The repair path of a data product, for operators (see "Repairing a data product" in README.md):
 *
 * - `POST /admin/retract` `{ source, id, reason }`: the fact stops counting; its hour's rollups and the
 *   states it set are recomputed from the remaining facts, in one transaction; revisions are published.
 * - `POST /admin/restore` `{ source, id }`: undoes a retraction the same way.
 * - `POST /admin/rebuild` `{ from?, to?, rollup? }` (RFC 3339): rebuilds the rollups of the range (all facts
 *   by default; one rollup when named) from the stored facts, one transaction per UTC day at most.
 * - `GET /admin/retractions?limit=`: retractions in force, newest first.
 * - `GET /admin/dead-letters?limit=`: rejected events with their reasons, newest first (to fix and replay).
 *
 * It runs in the subgraph process because an embedded DuckDB file has one writer: the running subgraph.
 */
export function adminRoute(product: DataProductRuntime, options: AdminRouteOptions = {}): Router {
  const { authorizeAdmin = closed, bodyLimit = '16kb' } = options;
  const router = express.Router();

  const handle = (work: (body: Body, req: Request) => Promise<{ status: number; body: unknown }>) => async (req: Request, res: Response) => {
    const refusal = await authorizeAdmin(req).catch((): ProducerRefusal => ({
      code: ErrorCode.UNAUTHENTICATED,
      reason: 'the admin token could not be verified',
    }));
    if (refusal) {
      sendError(res, 'rest', refusal.code, refusal.reason);
      return;
    }
    try {
      const answer = await work(req.method === 'POST' ? parseBody(req.body) : {}, req);
      res.status(answer.status).json(answer.body);
    } catch (error) {
      if (error instanceof BadRequest || error instanceof RangeError) {
        res.status(400).json({ error: { code: ErrorCode.BAD_USER_INPUT, message: error.message } });
        return;
      }
      // Nothing of a failed transaction was written: retrying is safe.
      sendError(res, 'rest', ErrorCode.STORE_UNAVAILABLE, 'the repair was not applied; retry');
    }
  };
  const text = express.text({ type: () => true, limit: bodyLimit });

  router.post(
    '/admin/retract',
    text,
    handle(async (body) => {
      const reason = stringField(body, 'reason');
      return retractionAnswer(await product.repair.retract(stringField(body, 'source'), stringField(body, 'id'), reason));
    }),
  );
  router.post(
    '/admin/restore',
    text,
    handle(async (body) => retractionAnswer(await product.repair.restore(stringField(body, 'source'), stringField(body, 'id')))),
  );
  router.post(
    '/admin/rebuild',
    text,
    handle(async (body) => {
      const range: RebuildRange = { from: dateField(body, 'from'), to: dateField(body, 'to') };
      if (body.rollup !== undefined) range.rollup = stringField(body, 'rollup');
      const result = await product.repair.rebuild(range);
      return { status: 200, body: { status: 'rebuilt', ...result, from: result.from?.toISOString() ?? null, to: result.to?.toISOString() ?? null } };
    }),
  );
  router.get(
    '/admin/retractions',
    handle(async (_body, req) => ({ status: 200, body: { retractions: await product.repair.retractions(limitOf(req)) } })),
  );
  router.get(
    '/admin/dead-letters',
    handle(async (_body, req) => ({ status: 200, body: { deadLetters: await product.store.deadLetters(limitOf(req)) } })),
  );
  return router;
}

/** The `limit` query parameter: 1 to 10000, 100 when absent. */
function limitOf(req: Request): number {
  const raw = req.query.limit ?? '100';
  const limit = Number(raw);
  if (typeof raw !== 'string' || !Number.isSafeInteger(limit) || limit < 1 || limit > 10_000) throw new BadRequest('limit must be an integer from 1 to 10000');
  return limit;
}

/** 404 when no fact has the key; otherwise 200, the status saying whether anything changed. */
function retractionAnswer(result: RetractionResult): { status: number; body: unknown } {
  if (result.status === 'not-found')
    return { status: 404, body: { status: result.status, error: { code: ErrorCode.FACT_NOT_FOUND, message: 'no stored fact has this source and id' } } };
  const { fact, retraction } = result;
  return {
    status: 200,
    body: {
      status: result.status,
      // The payload may hold personal data: the answer names the fact, it does not echo it.
      fact: fact && { source: fact.source, id: fact.id, type: fact.type, time: fact.time.toISOString() },
      retraction,
      revisedBuckets: result.revised.length,
      states: result.states.map(({ state, key, value }) => ({ state, key, deleted: value === null })),
    },
  };
}

function parseBody(text: unknown): Body {
  let body: unknown;
  try {
    body = JSON.parse(typeof text === 'string' && text.trim() !== '' ? text : '{}');
  } catch {
    throw new BadRequest('the body is not JSON');
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new BadRequest('the body must be a JSON object');
  return body as Body;
}

function stringField(body: Body, name: string): string {
  const value = body[name];
  if (typeof value !== 'string' || value.trim() === '') throw new BadRequest(`${name} must be a non-empty string`);
  return value;
}

function dateField(body: Body, name: string): Date | undefined {
  const value = body[name];
  if (value === undefined || value === null) return undefined;
  const date = typeof value === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(value) ? new Date(value) : new Date(NaN);
  if (!Number.isFinite(date.getTime())) throw new BadRequest(`${name} must be an RFC 3339 timestamp, e.g. 2024-05-01T12:00:00Z`);
  return date;
}
