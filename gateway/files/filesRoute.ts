import { Router } from 'express';
import { ErrorCode } from '../../core/errors/ErrorCode.js';
import type { Principal } from '../auth/Principal.js';
import { admitPortCaller, type PortCallerOptions } from '../products/admitPortCaller.js';
import { forwardToReplicas } from '../products/forwardToReplicas.js';
import { sendPortError } from '../products/sendPortError.js';
import type { SubgraphAddress } from '../supergraph/subgraphAddresses.js';

/** Headers of a subgraph's file answer passed on to the caller; nothing else (no server detail) is. */
const PASSED_HEADERS = ['content-type', 'content-disposition', 'content-length', 'x-mesh-withheld-columns'] as const;

/** An export file name as subgraphs write them (`sales_hour.parquet`): anything else is not a file of ours. */
const FILE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,200}$/;

/** Options of the gateway's file download route; `authenticate` and `admit` as for every product port. */
export interface FilesRouteOptions extends PortCallerOptions {
  /** The subgraphs in service, by name (a product's files are under its subgraph's name); null before the first supergraph. */
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
 * `GET /files/<product>/<file>` (the product by its subgraph's name or its descriptor id): a data product's export, fetched from its subgraph's `/files/<file>` with
 * the caller's signed identity and streamed through. The subgraph leaves out the columns governed by
 * fields the caller may not read (e.g. `revenue` without `finance:read`) and names them in
 * `x-mesh-withheld-columns`; this route never reads the file, never names a server path, and tries a
 * product's replicas in turn when one cannot be reached. Each download spends one operation of the
 * caller's rate-limit budget.
 */
export function filesRoute(options: FilesRouteOptions): Router {
  const { addresses, productSubgraph, upstreamHeaders, log } = options;
  const router = Router();
  router.get('/files/:product/:file', async (req, res) => {
    const principal = await admitPortCaller(req, res, options, 'downloading a file');
    if (!principal) return;
    const { product, file } = req.params;
    // The product by its subgraph's name (`orders`) or its descriptor id (`orders.sales`), as the SQL port takes it.
    const known = addresses() ?? {};
    const name = Object.hasOwn(known, product) ? product : await productSubgraph?.(product).catch(() => null);
    const address = name && Object.hasOwn(known, name) ? known[name] : undefined;
    if (!name || !address || address.url.startsWith('local://') || !FILE_NAME.test(file))
      return sendPortError(res, ErrorCode.NOT_FOUND, `no file ${JSON.stringify(file)} for product ${JSON.stringify(product)}`);
    const subject = `product ${JSON.stringify(product)}`;
    await forwardToReplicas(res, {
      urls: address.urls,
      path: `files/${encodeURIComponent(file)}`,
      init: { headers: await upstreamHeaders(principal, name) },
      passedHeaders: PASSED_HEADERS,
      subject,
      log: (message) => log(`files: ${message}`),
      async refuse(upstream) {
        if (upstream.status === 404)
          return { code: ErrorCode.NOT_FOUND, message: `${subject} has no file ${JSON.stringify(file)} (not exported yet, or no such export)` };
        if (upstream.status === 200) return null;
        // A 401 here is the gateway's own identity refused (a secret mismatch): the operator's problem, not the caller's.
        log(`files: subgraph ${name} answered ${upstream.status} for ${file}: ${await upstream.text().catch(() => '')}`);
        return { code: ErrorCode.DOWNSTREAM_SERVICE_ERROR, message: `${subject} could not serve the file` };
      },
    });
  });
  return router;
}
