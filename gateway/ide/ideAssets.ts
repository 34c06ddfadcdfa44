import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import path from 'node:path';
import { IDE_BOOTSTRAP } from './ideBootstrap.js';

/** One file the IDE page loads: from a package in node_modules, or our own bootstrap (in memory). */
export interface IdeAsset {
  readonly contentType: string;
  /** Absolute path of the package file; absent for an asset held in memory. */
  readonly file?: string;
  readonly body?: string;
}

const require = createRequire(import.meta.url);

/** A file inside an installed package, resolved through the package's own `package.json`. */
function packageFile(pkg: string, file: string): { file: string; version: string } {
  const manifest = require.resolve(`${pkg}/package.json`);
  return { file: path.join(path.dirname(manifest), file), version: (require(manifest) as { version: string }).version };
}

const JS = 'text/javascript; charset=utf-8';
const files = {
  'react.js': { ...packageFile('react', 'umd/react.production.min.js'), contentType: JS },
  'react-dom.js': { ...packageFile('react-dom', 'umd/react-dom.production.min.js'), contentType: JS },
  'graphql-ws.js': { ...packageFile('graphql-ws', 'umd/graphql-ws.min.js'), contentType: JS },
  'graphiql.js': { ...packageFile('graphiql', 'graphiql.min.js'), contentType: JS },
  'graphiql.css': { ...packageFile('graphiql', 'graphiql.min.css'), contentType: 'text/css; charset=utf-8' },
};

/**
 * The IDE's assets by file name. They are served under a path that names their versions' digest
 * (`/ide/assets/<digest>/<file>`), so browsers may cache them for a year: an upgrade changes the path.
 */
export const IDE_ASSETS: Readonly<Record<string, IdeAsset>> = Object.freeze({
  ...Object.fromEntries(Object.entries(files).map(([name, { file, contentType }]) => [name, { file, contentType }])),
  'ide.js': { body: IDE_BOOTSTRAP, contentType: JS },
  // GraphiQL fills its container: the page gives it the whole window.
  'ide.css': { body: 'html,body,#graphiql{height:100%;margin:0}', contentType: 'text/css; charset=utf-8' },
});

/** Digest of every asset's version (and of our bootstrap): the cache-busting path segment. */
export const IDE_ASSETS_DIGEST = createHash('sha256')
  .update(JSON.stringify(Object.values(files).map((f) => f.version)))
  .update(IDE_BOOTSTRAP)
  .digest('hex')
  .slice(0, 12);
