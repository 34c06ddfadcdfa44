import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { Router, type Response } from 'express';
import { ErrorCode } from '../../core/errors/ErrorCode.js';
import { httpStatusOf } from '../../core/errors/statusOf.js';
import type { Principal } from '../auth/Principal.js';
import type { SubgraphAddress } from '../supergraph/subgraphAddresses.js';

/** Headers of a subgraph's file answer passed on to the caller; nothing else (no server detail) is. */
const PASSED_HEADERS = ['content-type', 'content-disposition', 'content-length', 'x-mesh-withheld-columns'] as const;

/** An export file name as subgraphs write them (`sales_hour.parquet`): anything else is not a file of ours. */
const FILE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,200}$/;

/** Options of the gateway's file download route. */
export interface FilesRouteOptions {
  /** The subgraphs in service, by name (a product's files are under its subgraph's name); null before the first supergraph. */
  addresses: () => Readonly<Record<string, SubgraphAddress>> | null;
  /**
   * The caller of a request from its `Authorization` header, as for GraphQL. A throw is a 401 with the
   * thrown message. An unauthenticated principal is refused with 401 too: files are for known callers.
   * @default none: every download is refused (no auth, no files)
   */
  authenticate?: (authorization: string | undefined) => Promise<Principal>;
  /** The headers that carry the caller's identity signed for one subgraph (`x-mesh-gateway-token`). */
  upstreamHeaders: (principal: Principal, subgraph: string) => Promise<Record<string, string>>;
  /** Where failures to reach a subgraph go (the caller gets a coded 502 without addresses). */
  log: (message: string) => void;
}

/**
 * `GET /files/<product>/<file>`: a data product's export, fetched from its subgraph's `/files/<file>` with
 * the caller's signed identity and streamed through. The subgraph leaves out the columns governed by
 * fields the caller may not read (e.g. `revenue` without `finance:read`) and names them in
 * `x-mesh-withheld-columns`; this route never reads the file, never names a server path, and tries a
 * product's replicas in turn when one cannot be reached.
 */
export function filesRoute(options: FilesRouteOptions): Router {
  const { addresses, authenticate, upstreamHeaders, log } = options;
  const router = Router();
  router.get('/files/:product/:file', async (req, res) => {
    let principal: Principal;
    try {
      if (!authenticate) return send(res, ErrorCode.UNAUTHENTICATED, 'file downloads need authentication, which is not configured on this gateway');
      principal = await authenticate(req.headers.authorization);
    } catch (error) {
      return send(res, ErrorCode.UNAUTHENTICATED, (error as Error).message || 'the token was refused');
    }
    if (!principal.authenticated) return send(res, ErrorCode.UNAUTHENTICATED, 'downloading a file needs a bearer token (Authorization: Bearer <token>)');
    const { product, file } = req.params;
    const address = Object.hasOwn(addresses() ?? {}, product) ? addresses()![product] : undefined;
    if (!address || address.url.startsWith('local://') || !FILE_NAME.test(file))
      return send(res, ErrorCode.NOT_FOUND, `no file ${JSON.stringify(file)} for product ${JSON.stringify(product)}`);
    const headers = await upstreamHeaders(principal, product);
    for (const url of address.urls) {
      let upstream: globalThis.Response;
      try {
        upstream = await fetch(new URL(`files/${encodeURIComponent(file)}`, baseOf(url)), { headers });
      } catch (error) {
        log(`files: subgraph ${product} at ${url} could not be reached: ${(error as Error).message}`);
        continue;
      }
      if (upstream.status === 404) {
        await upstream.body?.cancel();
        return send(res, ErrorCode.NOT_FOUND, `product ${JSON.stringify(product)} has no file ${JSON.stringify(file)} (not exported yet, or no such export)`);
      }
      if (upstream.status !== 200 || !upstream.body) {
        // A 401 here is the gateway's own identity refused (a secret mismatch): the operator's problem, not the caller's.
        log(`files: subgraph ${product} answered ${upstream.status} for ${file}: ${await upstream.text().catch(() => '')}`);
        return send(res, ErrorCode.DOWNSTREAM_SERVICE_ERROR, `product ${JSON.stringify(product)} could not serve the file`);
      }
      res.status(200);
      for (const name of PASSED_HEADERS) {
        const value = upstream.headers.get(name);
        if (value !== null) res.setHeader(name, value);
      }
      try {
        await pipeline(Readable.fromWeb(upstream.body as WebReadableStream<Uint8Array>), res);
      } catch (error) {
        log(`files: streaming ${product}/${file} broke off: ${(error as Error).message}`);
        res.destroy();
      }
      return;
    }
    send(res, ErrorCode.DOWNSTREAM_SERVICE_ERROR, `product ${JSON.stringify(product)} could not be reached`);
  });
  return router;
}

/** `http://host:port/graphql` → `http://host:port/`: subgraphs serve files beside their GraphQL path. */
function baseOf(graphqlUrl: string): URL {
  return new URL('.', new URL(graphqlUrl));
}

function send(res: Response, code: ErrorCode, message: string): void {
  res.status(httpStatusOf(code)).json({ error: { code, message } });
}
