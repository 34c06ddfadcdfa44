import { IDE_ASSETS_DIGEST } from './ideAssets.js';

/** An operation the IDE opens in a tab of its own. */
export interface IdeExample {
  /** Which product it shows (the tab's first comment names it). */
  productId: string;
  query: string;
  /** JSON text of the variables. */
  variables?: string;
}

/** JSON inside `<script type="application/json">`: `<` escaped, so no `</script>` in data ends the element. */
export const jsonForScript = (value: unknown): string =>
  JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');

/**
 * The IDE page: GraphiQL with its assets from this process (no CDN), configured by a JSON element the
 * bootstrap script reads (no inline script, so the CSP forbids all inline code).
 */
export function renderIdePage(options: { graphqlPath: string; assetsPath: string; examples: readonly IdeExample[] }): string {
  const assets = `${options.assetsPath}/${IDE_ASSETS_DIGEST}`;
  const config = { graphqlPath: options.graphqlPath, examples: options.examples };
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Data mesh IDE</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="${assets}/graphiql.css">
<link rel="stylesheet" href="${assets}/ide.css">
</head><body>
<div id="graphiql">Loading the IDE…</div>
<script type="application/json" id="ide-config">${jsonForScript(config)}</script>
<script src="${assets}/react.js"></script>
<script src="${assets}/react-dom.js"></script>
<script src="${assets}/graphql-ws.js"></script>
<script src="${assets}/graphiql.js"></script>
<script src="${assets}/ide.js"></script>
</body></html>`;
}
