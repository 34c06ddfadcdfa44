import express, { Router } from 'express';
import { ErrorCode } from '../../core/errors/ErrorCode.js';
import type { Principal } from '../auth/Principal.js';
import { admitPortCaller, type PortCallerOptions } from '../products/admitPortCaller.js';
import { forwardToReplicas } from '../products/forwardToReplicas.js';
import { sendPortError } from '../products/sendPortError.js';
import type { SubgraphAddress } from '../supergraph/subgraphAddresses.js';

/** Headers of a subgraph's SQL answer passed on to the caller; nothing else (no server detail) is. */
const PASSED_HEADERS = ['content-type', 'content-length', 'x-mesh-withheld-columns', 'x-mesh-masked-value-keys'] as const;

/** Options of the gateway's SQL port route; `authenticate` and `admit` as for every product port. */
export interface SqlRouteOptions extends PortCallerOptions {
  /** The subgraphs in service, by name (a product is named by its subgraph); null before the first supergraph. */
  addresses: () => Readonly<Record<string, SubgraphAddress>> | null;
  /**
   * The subgraph of a data product named by its descriptor id (`orders.sales`), from the catalog; a throw
   * or null is an unknown product.
   * @default none: products are named by their subgraph only
   */
  productSubgraph?: (id: string) => Promise<string | null>;
  /** The headers that carry the caller's identity signed for one subgraph (`x-mesh-gateway-token`). */
  upstreamHeaders: (principal: Principal, subgraph: string) => Promise<Record<string, string>>;
  /** Where failures to reach a subgraph go (the caller gets a coded 502 without addresses). */
  log: (message: string) => void;
}

/**
 * `POST /sql` with `{ "product": "orders.sales", "sql": "SELECT ...", "params": [...] }` (the product by its id or
 * its subgraph's name): one read-only SELECT
 * over a data product's published views, forwarded to its subgraph's `POST /sql` with the caller's signed
 * identity, and its answer streamed back (JSON, or CSV with `Accept: text/csv`). The subgraph decides
 * everything about the statement (`subgraphs/kit/sql/`): which columns this caller may read, what SQL is
 * allowed, the timeout and the row limit. Each statement spends one operation of the caller's rate-limit
 * budget. A product's replicas are tried in turn when one cannot be reached.
 */
export function sqlRoute(options: SqlRouteOptions): Router {
  const { addresses, productSubgraph, upstreamHeaders, log } = options;
  const router = Router();
  router.post('/sql', express.json({ limit: '256kb' }), async (req, res) => {
    const principal = await admitPortCaller(req, res, options, 'the SQL port');
    if (!principal) return;
    const body = (req.body ?? {}) as { product?: unknown; sql?: unknown; params?: unknown };
    if (typeof body.product !== 'string')
      return sendPortError(res, ErrorCode.BAD_REQUEST, 'the body needs "product": the data product, by id ("orders.sales") or subgraph name ("orders")');
    const known = addresses() ?? {};
    const name = Object.hasOwn(known, body.product) ? body.product : await productSubgraph?.(body.product).catch(() => null);
    const address = name && Object.hasOwn(known, name) ? known[name] : undefined;
    if (!name || !address || address.url.startsWith('local://'))
      return sendPortError(
        res,
        ErrorCode.NOT_FOUND,
        // The gateway's own subgraphs (the catalog's `mesh`) serve no SQL: not offered.
        `no data product ${JSON.stringify(body.product)} with a SQL port; products: ${Object.entries(known)
          .filter(([, subgraph]) => !subgraph.url.startsWith('local://'))
          .map(([subgraph]) => subgraph)
          .join(', ')}`,
      );
    const subject = `product ${JSON.stringify(body.product)}`;
    await forwardToReplicas(res, {
      urls: address.urls,
      path: 'sql',
      init: {
        method: 'POST',
        headers: { ...(await upstreamHeaders(principal, name)), 'content-type': 'application/json', accept: req.headers.accept ?? 'application/json' },
        body: JSON.stringify({ sql: body.sql, params: body.params }),
      },
      passedHeaders: PASSED_HEADERS,
      subject,
      log: (message) => log(`sql: ${message}`),
      // The subgraph's answers, refusals included, are public already (coded, masked): passed on as they are.
      async refuse(upstream) {
        if (upstream.status !== 401) return null;
        // A 401 here is the gateway's own identity refused (a secret mismatch): the operator's problem, not the caller's.
        log(`sql: subgraph ${name} answered 401: ${await upstream.text().catch(() => '')}`);
        return { code: ErrorCode.DOWNSTREAM_SERVICE_ERROR, message: `${subject} could not run the statement` };
      },
    });
  });
  return router;
}
