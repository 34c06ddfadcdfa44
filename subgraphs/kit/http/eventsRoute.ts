import type { ProducerRefusal } from '../auth/producerTokenAuthorizer.js';
import express, { type Request, type Response, type Router } from 'express';
import type { DataProductRuntime } from '../DataProductRuntime.js';
import { ErrorCode } from '../../../core/errors/ErrorCode.js';
import { toWellFormed } from '../ingest/wellFormed.js';
import { DEFAULT_MAX_JSON_DEPTH, exceedsJsonDepth } from './jsonDepth.js';
import type { HttpErrorLog } from './jsonErrorHandler.js';
import { sendError } from './sendError.js';

/** Options of the ingestion endpoint. */
export interface EventsRouteOptions {
  /** Most events one request may carry; more is a 413 PAYLOAD_TOO_LARGE. @default 10000 */
  maxEventsPerRequest?: number;
  /** Largest request body; larger is a 413 PAYLOAD_TOO_LARGE (JSON). @default '10mb' */
  bodyLimit?: string;
  /** Deepest nesting of arrays/objects in the body; deeper is a 400 JSON_TOO_DEEP. @default 64 */
  maxJsonDepth?: number;
  /**
   * Decides whether the caller may write facts; return a reason string to refuse with 401/403.
   * @default allows everyone (the auth layer installs a real check)
   */
  authorizeProducer?: (request: Request) => Promise<ProducerRefusal>;
  /** Where the detail of a store failure goes (the answer only says "retry"). @default stderr */
  log?: HttpErrorLog;
}

/**
 * `POST /events`: CloudEvents 1.0 in structured mode, one event (`application/cloudevents+json` or JSON
 * object) or a batch (`application/cloudevents-batch+json` or JSON array). Answers 200 when every event
 * was applied or was a duplicate, 207 when some were rejected, 400 when all were; the body reports each
 * event. A body that is not JSON, or nests too deep, is dead-lettered as well (400). Only a store
 * failure answers 503: it is the one case where sending the same request again can succeed.
 */
export function eventsRoute(product: DataProductRuntime, options: EventsRouteOptions = {}): Router {
  const {
    maxEventsPerRequest = 10_000,
    bodyLimit = '10mb',
    maxJsonDepth = DEFAULT_MAX_JSON_DEPTH,
    authorizeProducer = async () => null,
    log = (message, error) => console.error(`${new Date().toISOString()} ${product.domain} events: ${message}`, error),
  } = options;
  const router = express.Router();
  router.post('/events', express.text({ type: () => true, limit: bodyLimit }), async (req: Request, res: Response) => {
    const refusal = await authorizeProducer(req);
    if (refusal) return sendError(res, 'rest', refusal.code, refusal.reason);
    const text = typeof req.body === 'string' ? req.body : '';
    const deadLetter = (reason: string) =>
      product.store.recordDeadLetter({ receivedAt: new Date(), source: null, id: null, type: null, reason, event: toWellFormed(text.slice(0, 65_536)) });
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch (error) {
      const reason = `body is not JSON: ${(error as Error).message}`;
      await deadLetter(reason).catch((e: unknown) => log('dead-lettering a bad body failed', e));
      return sendError(res, 'rest', ErrorCode.BAD_EVENT, reason, { field: '' });
    }
    if (exceedsJsonDepth(body, maxJsonDepth)) {
      const reason = `body nests arrays/objects deeper than ${maxJsonDepth} levels`;
      await deadLetter(reason).catch((e: unknown) => log('dead-lettering a bad body failed', e));
      return sendError(res, 'rest', ErrorCode.JSON_TOO_DEEP, reason, { field: '' });
    }
    const events = Array.isArray(body) ? body : [body];
    if (events.length === 0) return sendError(res, 'rest', ErrorCode.BAD_EVENT, 'an empty batch carries no events', { field: '' });
    if (events.length > maxEventsPerRequest) {
      return sendError(res, 'rest', ErrorCode.PAYLOAD_TOO_LARGE, `a batch may carry at most ${maxEventsPerRequest} events; got ${events.length}`, {
        field: '',
      });
    }
    try {
      const report = await product.ingest(events);
      const status = report.rejected === 0 ? 200 : report.rejected === events.length ? 400 : 207;
      const firstRejection = report.events.find((e) => e.status === 'rejected');
      res.status(status).json({
        ...report,
        ...(firstRejection && firstRejection.status === 'rejected'
          ? { error: { code: ErrorCode.BAD_EVENT, field: firstRejection.field, message: firstRejection.reason } }
          : {}),
      });
    } catch (error) {
      // Input problems are rejections in the report above; what throws is the store (or bus) failing.
      // Nothing of the batch was applied, so the producer retries (ingestion is idempotent). The
      // store's own message may name files or hosts: it goes to the log only.
      log('ingesting a batch failed; nothing was applied', error);
      sendError(res, 'rest', ErrorCode.STORE_UNAVAILABLE, 'the store did not accept the batch; nothing was applied; retry later');
    }
  });
  return router;
}
