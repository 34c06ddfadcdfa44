import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import express, { Router, type Response } from 'express';
import { ErrorCode } from '../../core/errors/ErrorCode.js';
import { httpStatusOf } from '../../core/errors/statusOf.js';
import type { Principal } from '../auth/Principal.js';
import type { SubgraphAddress } from '../supergraph/subgraphAddresses.js';

/** Headers of a subgraph's SQL answer passed on to the caller; nothing else (no server detail) is. */
const PASSED_HEADERS = ['content-type', 'content-length', 'x-mesh-withheld-columns'] as const;

/** Options of the gateway's SQL port route. */
export interface SqlRouteOptions {
  /** The subgraphs in service, by name (a product is named by its subgraph); null before the first supergraph. */
  addresses: () => Readonly<Record<string, SubgraphAddress>> | null;
  /**
   * The caller of a request from its `Authorization` header, as for GraphQL. A throw is a 401 with the
   * thrown message. An unauthenticated principal is refused with 401 too: SQL is for known callers.
   * @default none: every statement is refused (no auth, no SQL)
   */
  authenticate?: (authorization: string | undefined) => Promise<Principal>;
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
 * allowed, the timeout and the row limit. A product's replicas are tried in turn when one cannot be reached.
 */
export function sqlRoute(options: SqlRouteOptions): Router {
  const { addresses, authenticate, productSubgraph, upstreamHeaders, log } = options;
  const router = Router();
  router.post('/sql', express.json({ limit: '256kb' }), async (req, res) => {
    let principal: Principal;
    try {
      if (!authenticate) return send(res, ErrorCode.UNAUTHENTICATED, 'the SQL port needs authentication, which is not configured on this gateway');
      principal = await authenticate(req.headers.authorization);
    } catch (error) {
      return send(res, ErrorCode.UNAUTHENTICATED, (error as Error).message || 'the token was refused');
    }
    if (!principal.authenticated) return send(res, ErrorCode.UNAUTHENTICATED, 'the SQL port needs a bearer token (Authorization: Bearer <token>)');
    const body = (req.body ?? {}) as { product?: unknown; sql?: unknown; params?: unknown };
    if (typeof body.product !== 'string')
      return send(res, ErrorCode.BAD_REQUEST, 'the body needs "product": the data product, by id ("orders.sales") or subgraph name ("orders")');
    const known = addresses() ?? {};
    const name = Object.hasOwn(known, body.product) ? body.product : await productSubgraph?.(body.product).catch(() => null);
    const address = name && Object.hasOwn(known, name) ? known[name] : undefined;
    if (!name || !address || address.url.startsWith('local://'))
      return send(res, ErrorCode.NOT_FOUND, `no data product ${JSON.stringify(body.product)} with a SQL port; products: ${Object.keys(known).join(', ')}`);
    const headers = {
      ...(await upstreamHeaders(principal, name)),
      'content-type': 'application/json',
      accept: req.headers.accept ?? 'application/json',
    };
    const payload = JSON.stringify({ sql: body.sql, params: body.params });
    for (const url of address.urls) {
      let upstream: globalThis.Response;
      try {
        upstream = await fetch(new URL('sql', baseOf(url)), { method: 'POST', headers, body: payload });
      } catch (error) {
        log(`sql: subgraph ${name} at ${url} could not be reached: ${(error as Error).message}`);
        continue;
      }
      if (upstream.status === 401 || !upstream.body) {
        // A 401 here is the gateway's own identity refused (a secret mismatch): the operator's problem, not the caller's.
        log(`sql: subgraph ${name} answered ${upstream.status}: ${await upstream.text().catch(() => '')}`);
        return send(res, ErrorCode.DOWNSTREAM_SERVICE_ERROR, `product ${JSON.stringify(body.product)} could not run the statement`);
      }
      // The subgraph's answers, refusals included, are public already (coded, masked): passed on as they are.
      res.status(upstream.status);
      for (const name of PASSED_HEADERS) {
        const value = upstream.headers.get(name);
        if (value !== null) res.setHeader(name, value);
      }
      try {
        await pipeline(Readable.fromWeb(upstream.body as WebReadableStream<Uint8Array>), res);
      } catch (error) {
        log(`sql: streaming the answer of ${name} broke off: ${(error as Error).message}`);
        res.destroy();
      }
      return;
    }
    send(res, ErrorCode.DOWNSTREAM_SERVICE_ERROR, `product ${JSON.stringify(body.product)} could not be reached`);
  });
  return router;
}

/** `http://host:port/graphql` → `http://host:port/`: subgraphs serve SQL beside their GraphQL path. */
function baseOf(graphqlUrl: string): URL {
  return new URL('.', new URL(graphqlUrl));
}

function send(res: Response, code: ErrorCode, message: string): void {
  res.status(httpStatusOf(code)).json({ error: { code, message } });
}
