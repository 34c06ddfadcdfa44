import express from 'express';
import { IDE_ASSETS, IDE_ASSETS_DIGEST } from './ideAssets.js';
import { renderIdePage, type IdeExample } from './renderIdePage.js';

/** Options of the IDE routes. */
export interface IdeRoutesOptions {
  /**
   * Path of the GraphQL endpoint: a browser's GET there (`Accept: text/html`) gets the IDE; the query
   * string's `query`, `variables` and `operationName` preload an operation (the catalog links so).
   * @default '/graphql'
   */
  graphqlPath?: string;
  /** @default '/ide/assets' */
  assetsPath?: string;
  /**
   * The operations opened as tabs when no operation is preloaded (one per product and access style). A
   * throw or rejection opens the IDE without examples.
   * @default none
   */
  examples?: () => Promise<readonly IdeExample[]>;
}

/**
 * Same-origin everything: no inline script or style (the page's data is a JSON element; GraphiQL sets
 * styles through the CSSOM, which the CSP does not govern), no other origin, no framing.
 * `connect-src 'self'` covers the websocket on the same host (CSP level 3). test/browser/ proves the
 * IDE runs under it without a single violation.
 */
export const IDE_CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** A year: asset paths name their versions' digest, so a cached file is never stale. */
const IMMUTABLE = 'public, max-age=31536000, immutable';

/**
 * The offline GraphQL IDE: GraphiQL, React and graphql-ws served from the installed packages, the page
 * on the GraphQL path for browsers. Mount before the GraphQL handler; other GETs pass through.
 */
export function ideRoutes(options: IdeRoutesOptions = {}): express.Router {
  const { graphqlPath = '/graphql', assetsPath = '/ide/assets', examples = async () => [] } = options;
  const router = express.Router();
  router.get(`${assetsPath}/:digest/:file`, (req, res, next) => {
    const asset = Object.hasOwn(IDE_ASSETS, req.params.file) ? IDE_ASSETS[req.params.file] : undefined;
    if (!asset || req.params.digest !== IDE_ASSETS_DIGEST) return next();
    res.set({ 'Cache-Control': IMMUTABLE, 'X-Content-Type-Options': 'nosniff', 'Content-Type': asset.contentType });
    if (asset.body !== undefined) return void res.send(asset.body);
    res.sendFile(asset.file!, { headers: { 'Content-Type': asset.contentType }, cacheControl: false }, (error) => error && next(error));
  });
  router.get(graphqlPath, async (req, res, next) => {
    if (req.accepts(['application/graphql-response+json', 'application/json', 'text/html']) !== 'text/html') return next();
    const tabs = await examples().catch(() => []);
    res.set({ 'Content-Security-Policy': IDE_CONTENT_SECURITY_POLICY, 'X-Content-Type-Options': 'nosniff', 'Cache-Control': 'no-store' });
    res.type('html').send(renderIdePage({ graphqlPath, assetsPath, examples: tabs }));
  });
  return router;
}
