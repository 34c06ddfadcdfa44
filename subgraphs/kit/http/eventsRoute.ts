import express, { type Request, type Response, type Router } from 'express';
import type { DataProductRuntime } from '../DataProductRuntime.js';
import { ErrorCode } from '../errors.js';

/** Options of the ingestion endpoint. */
export interface EventsRouteOptions {
  /** Most events one request may carry. @default 10000 */
  maxEventsPerRequest?: number;
  /** Largest request body. @default '10mb' */
  bodyLimit?: string;
  /**
   * Decides whether the caller may write facts; return a reason string to refuse with 401/403.
   * @default allows everyone (the auth layer installs a real check)
   */
  authorizeProducer?: (request: Request) => Promise<{ status: 401 | 403; reason: string } | null>;
}

/**
 * `POST /events`: CloudEvents 1.0 in structured mode, one event (`application/cloudevents+json` or JSON
 * object) or a batch (`application/cloudevents-batch+json` or JSON array). Answers 200 when every event
 * was applied or was a duplicate, 207 when some were rejected, 400 when all were; the body reports each
 * event. A body that is not JSON is dead-lettered as well.
 */
export function eventsRoute(product: DataProductRuntime, options: EventsRouteOptions = {}): Router {
  const { maxEventsPerRequest = 10_000, bodyLimit = '10mb', authorizeProducer = async () => null } = options;
  const router = express.Router();
  router.post('/events', express.text({ type: () => true, limit: bodyLimit }), async (req: Request, res: Response) => {
    const refusal = await authorizeProducer(req);
    if (refusal) {
      res.status(refusal.status).json({ error: { code: refusal.status === 401 ? ErrorCode.UNAUTHENTICATED : ErrorCode.FORBIDDEN, message: refusal.reason } });
      return;
    }
    const text = typeof req.body === 'string' ? req.body : '';
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch (error) {
      const reason = `body is not JSON: ${(error as Error).message}`;
      await product.store.recordDeadLetter({ receivedAt: new Date(), source: null, id: null, type: null, reason, event: text.slice(0, 65_536) });
      res.status(400).json({ error: { code: ErrorCode.BAD_EVENT, field: '', message: reason } });
      return;
    }
    const events = Array.isArray(body) ? body : [body];
    if (events.length === 0) {
      res.status(400).json({ error: { code: ErrorCode.BAD_EVENT, field: '', message: 'an empty batch carries no events' } });
      return;
    }
    if (events.length > maxEventsPerRequest) {
      res.status(413).json({ error: { code: ErrorCode.BAD_EVENT, field: '', message: `a batch may carry at most ${maxEventsPerRequest} events; got ${events.length}` } });
      return;
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
      // A store failure: nothing of the batch was applied; the producer retries (ingestion is idempotent).
      res.status(503).json({ error: { code: 'STORE_UNAVAILABLE', message: `nothing was applied; retry: ${(error as Error).message}` } });
    }
  });
  return router;
}
