import express from 'express';
import { CATALOG_CSS, CATALOG_JS } from './catalogAssets.js';
import type { Catalog } from './createCatalog.js';
import type { CatalogFilters } from './filterProducts.js';
import { CONTRACT_DOCUMENTS } from './publicPorts.js';
import { renderCatalogPage } from './renderCatalogPage.js';
import { renderProductPage } from './renderProductPage.js';

/** Options of the catalog's HTTP routes. */
export interface CatalogRoutesOptions {
  catalog: Catalog;
  /** Whether a supergraph is in service (the pages answer 503 before). */
  ready: () => boolean;
  /** @default '/catalog' */
  catalogPath?: string;
  /** Where "open in IDE" links point. @default '/graphql' */
  graphqlPath?: string;
}

/** Our own script and stylesheet only; `fetch` to the same origin (live freshness); forms to ourselves. */
export const CATALOG_CONTENT_SECURITY_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

const FILTERS = ['q', 'domain', 'tag', 'classification', 'owner'] as const;

/** The contract documents under `/catalog/<id>/`. */
const CONTRACT_ROUTES = new Map<string, { standard: 'odcs' | 'asyncapi'; format: 'yaml' | 'json' }>([
  [CONTRACT_DOCUMENTS.odcs, { standard: 'odcs', format: 'yaml' }],
  [CONTRACT_DOCUMENTS.asyncapi, { standard: 'asyncapi', format: 'yaml' }],
  [CONTRACT_DOCUMENTS.asyncapi.replace(/\.yaml$/, '.json'), { standard: 'asyncapi', format: 'json' }],
]);

/**
 * `/catalog` (the list, `?q=&domain=&tag=&classification=&owner=`), `/catalog/<id>` (a product),
 * `/catalog/<id>.json`, `/catalog.json`, the pages' assets, and each product's contracts:
 * `/catalog/<id>/contract.yaml` (ODCS v3) and `/catalog/<id>/asyncapi.yaml` (AsyncAPI 3.0; `.json` too).
 */
export function catalogRoutes(options: CatalogRoutesOptions): express.Router {
  const { catalog, ready, catalogPath = '/catalog', graphqlPath = '/graphql' } = options;
  const paths = { catalogPath, graphqlPath };
  const router = express.Router();
  const page = (res: express.Response, html: string) =>
    res.set({ 'Content-Security-Policy': CATALOG_CONTENT_SECURITY_POLICY, 'X-Content-Type-Options': 'nosniff' }).type('html').send(html);
  const notReady = (res: express.Response) => res.status(503).type('text/plain').send('the supergraph is not loaded yet');

  router.get(catalogPath, async (req, res) => {
    if (!ready()) return void notReady(res);
    const filters: CatalogFilters = Object.fromEntries(
      FILTERS.flatMap((name) => (typeof req.query[name] === 'string' && req.query[name] ? [[name, req.query[name]]] : [])),
    );
    page(res, renderCatalogPage(await catalog.load(), filters, paths));
  });
  router.get(`${catalogPath}.json`, async (_req, res) => void res.json(await catalog.load()));
  router.get(`${catalogPath}/assets/:file`, (req, res, next) => {
    const asset = req.params.file === 'catalog.css' ? ['text/css', CATALOG_CSS] : req.params.file === 'catalog.js' ? ['text/javascript', CATALOG_JS] : null;
    if (!asset) return next();
    res.set({ 'Cache-Control': 'public, max-age=300', 'X-Content-Type-Options': 'nosniff' }).type(asset[0]).send(asset[1]);
  });
  router.get(`${catalogPath}/:id/:document`, async (req, res, next) => {
    const document = CONTRACT_ROUTES.get(req.params.document);
    if (!document) return next();
    if (!ready()) return void notReady(res);
    const contracts = await catalog.contracts(req.params.id);
    if (!contracts) return next();
    const body = contracts[document.standard];
    res.set({ 'X-Content-Type-Options': 'nosniff', 'Cache-Control': 'no-cache' });
    if (document.format === 'json') return void res.json(body);
    // YAML 1.2 without anchors or folded lines: what a person reads and every ODCS / AsyncAPI tool parses.
    // Loaded at the first YAML document asked for, not at start-up (issue #11).
    const { stringify } = await import('yaml');
    res.type('application/yaml').send(stringify(body, { aliasDuplicateObjects: false, lineWidth: 0 }));
  });
  router.get(`${catalogPath}/:id`, async (req, res, next) => {
    if (!ready()) return void notReady(res);
    const json = req.params.id.endsWith('.json');
    const view = await catalog.view(json ? req.params.id.slice(0, -'.json'.length) : req.params.id);
    if (!view) return next();
    if (json) return void res.json(view.product);
    page(res, renderProductPage(view, paths));
  });
  return router;
}
