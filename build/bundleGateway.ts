/**
 * `npm run build` (after `tsc -b`): bundles the compiled gateway process (dist/scripts/gatewayProcess.js)
 * and what it imports into one CommonJS file, `dist/bundle/gateway.cjs`, which scripts/gateway.ts loads
 * through V8's code cache (scripts/loadBundle.ts). Loading about 1,250 modules through Node's ES module
 * loader (resolving, reading, the CommonJS export scan) was most of the gateway's start-up (issue #11).
 * A no-op while the bundle is newer than the compiled code and holds the packages installed (its first
 * line records them, scripts/bundledPackages.ts); `--force` rebuilds.
 *
 *   npx tsx build/bundleGateway.ts [--force]
 */
import { build, type Plugin } from 'esbuild';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { APOLLO_GATEWAY_MODULE } from '../core/apollo/deferMakeFetchHappen.js';
import { APOLLO_TELEMETRY_MODULE, APOLLO_TELEMETRY_ONLY } from '../core/apollo/withoutApolloTelemetry.js';
import { bundledPackagesHeader, holdsInstalledPackages, packageFoldersOf } from '../scripts/bundledPackages.js';
import { GATEWAY_NODE_FLAGS } from '../scripts/gatewayNodeFlags.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DIST = path.join(ROOT, 'dist');
const ENTRY = path.join(DIST, 'scripts', 'gatewayProcess.js');
/** Where scripts/gateway.ts looks for it. */
export const GATEWAY_BUNDLE = path.join(DIST, 'bundle', 'gateway.cjs');
/** What the bundle still requires at run time, for test/build/compiledEntryPoints.test.ts. */
export const GATEWAY_BUNDLE_EXTERNALS = path.join(DIST, 'bundle', 'gateway.externals.json');

/**
 * Left to Node at run time: native addons, and packages that find files of their own next to their
 * code (pino's transport worker, ioredis's package.json) or that only some configurations load.
 */
const EXTERNAL = [
  '@graphql-hive/router-query-planner',
  '@duckdb/*',
  'libpg-query',
  'pino',
  'pino-pretty',
  'ioredis',
  'pg',
  'pg-native',
  'graphiql',
  'react',
  'react-dom',
];

/**
 * The start-up trims of scripts/lightApolloGateway.ts, which intercept `require` at run time and so see
 * nothing in a bundle, made at bundle time instead: @apollo/gateway's `make-fetch-happen` is a stand-in
 * that loads it at first use, and its telemetry-only imports are stand-ins while `APOLLO_TELEMETRY_DISABLED`
 * is on. The real modules are required as @apollo/gateway would require them, from its own folder.
 */
const apolloTrims: Plugin = {
  name: 'apollo-start-up-trims',
  setup(bundle) {
    const fromApollo = (request: string) =>
      `(() => { const { createRequire } = require('node:module'); return createRequire(createRequire(__filename).resolve('@apollo/gateway'))(${JSON.stringify(request)}); })()`;
    bundle.onResolve({ filter: /^make-fetch-happen$/ }, ({ path: request, importer }) =>
      APOLLO_GATEWAY_MODULE.test(importer) ? { path: request, namespace: 'deferred-make-fetch-happen' } : undefined,
    );
    bundle.onResolve({ filter: /^@opentelemetry\// }, ({ path: request, importer }) =>
      APOLLO_TELEMETRY_ONLY.has(request) && APOLLO_TELEMETRY_MODULE.test(importer) ? { path: request, namespace: 'apollo-telemetry-only' } : undefined,
    );
    const resolveDir = path.join(DIST, 'core', 'apollo');
    bundle.onLoad({ filter: /.*/, namespace: 'deferred-make-fetch-happen' }, ({ path: request }) => ({
      contents: `module.exports = require('./deferMakeFetchHappen.js').deferredMakeFetchHappen(() => ${fromApollo(request)});`,
      resolveDir,
      loader: 'js',
    }));
    bundle.onLoad({ filter: /.*/, namespace: 'apollo-telemetry-only' }, ({ path: request }) => ({
      contents: `const t = require('./withoutApolloTelemetry.js');
module.exports = t.isApolloTelemetryOff(process.env) ? t.apolloTelemetryStandIn(${JSON.stringify(request)}) : ${fromApollo(request)};`,
      resolveDir,
      loader: 'js',
    }));
  },
};

/**
 * The subgraph client (gateway/upstream/) takes only `Pool` and `util.parseHeaders` from undici; undici's
 * entry point also loads its fetch, WebSocket, cookies, cache and mock modules, and through them Node's
 * own copy of undici (a tenth of the bundle's start-up). Here it gets `Pool` with the request API that
 * entry point would mix into every dispatcher (undici 7's index.js does the same two steps), and the
 * header parser its `util` exports.
 */
const undiciPoolOnly: Plugin = {
  name: 'undici-pool-only',
  setup(bundle) {
    bundle.onResolve({ filter: /^undici$/ }, ({ importer }) =>
      /[\\/]gateway[\\/]upstream[\\/][^\\/]+\.js$/.test(importer) ? { path: 'undici', namespace: 'undici-pool-only' } : undefined,
    );
    bundle.onLoad({ filter: /.*/, namespace: 'undici-pool-only' }, () => ({
      contents: `Object.assign(require('undici/lib/dispatcher/dispatcher.js').prototype, require('undici/lib/api/index.js'));
module.exports = { Pool: require('undici/lib/dispatcher/pool.js'), util: { parseHeaders: require('undici/lib/core/util.js').parseHeaders } };`,
      resolveDir: ROOT,
      loader: 'js',
    }));
  },
};

/**
 * `@apollo/utils.createhash` (Apollo Server's hash of every query text, its document cache key) takes
 * Node's crypto through `module.require`, which a bundled module does not have, and otherwise hashes with
 * `sha.js` in JavaScript: about 2 % of the CPU per request (issue #11). In the bundle it is Node's crypto.
 */
const nodeCryptoHash: Plugin = {
  name: 'node-crypto-hash',
  setup(bundle) {
    bundle.onResolve({ filter: /^@apollo\/utils\.createhash$/ }, () => ({ path: 'createhash', namespace: 'node-crypto-hash' }));
    bundle.onLoad({ filter: /.*/, namespace: 'node-crypto-hash' }, () => ({
      contents: `const { createHash } = require('node:crypto');\nexports.createHash = (kind) => createHash(kind);`,
      loader: 'js',
    }));
  },
};

const mtime = (file: string) => {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return Infinity;
  }
};

/** Whether the bundle is older than the compiled code, or holds other versions of its packages than are installed. */
function stale(): boolean {
  const built = mtime(GATEWAY_BUNDLE);
  if (built === Infinity || mtime(path.join(DIST, '.tsbuildinfo')) > built) return true;
  // A change to this build (e.g. how it writes dynamic imports) makes the bundle stale too.
  if (mtime(fileURLToPath(import.meta.url)) > built) return true;
  try {
    return !holdsInstalledPackages(readFileSync(GATEWAY_BUNDLE, 'utf8'), ROOT);
  } catch {
    return true;
  }
}

/**
 * The bundle's `import("x")` of external modules (the leave reclaimer's `node:inspector`, the rate
 * limiter's `ioredis`, …) as `require("x")` in a resolved promise. scripts/loadBundle.ts runs the bundle
 * as a `vm.Script`, and on Node 20 a script compiled from V8's code cache loses its dynamic import
 * callback: every `import()` then failed with "A dynamic import callback was not specified" on each start
 * after the first (seen as a leave collection that freed nothing, and a rate limiter that could not load
 * its Redis client). These modules are CommonJS or built in, so `require` gives what they export.
 */
export function requireDynamicExternals(text: string, specifiers: ReadonlySet<string>): string {
  let out = text;
  for (const specifier of specifiers) {
    const literal = JSON.stringify(specifier);
    out = out.split(`import(${literal})`).join(`Promise.resolve().then(() => require(${literal}))`);
  }
  return out;
}

async function bundleGateway(): Promise<void> {
  mkdirSync(path.dirname(GATEWAY_BUNDLE), { recursive: true });
  const result = await build({
    entryPoints: [ENTRY],
    // Metafile inputs relative to the project root, as the package folders the bundle records are.
    absWorkingDir: ROOT,
    outfile: GATEWAY_BUNDLE,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: EXTERNAL,
    plugins: [apolloTrims, undiciPoolOnly, nodeCryptoHash],
    // The bundle's own address where a module asks for its own (e.g. createRequire(import.meta.url)):
    // packages it requires are then found from dist/, as from the compiled modules.
    define: { 'import.meta.url': '__bundleUrl' },
    banner: { js: "const __bundleUrl = require('node:url').pathToFileURL(__filename).href;" },
    metafile: true,
    // Written below through a temporary file: a gateway starting meanwhile reads the old bundle or the new one, never half of one.
    write: false,
    legalComments: 'none',
    logLevel: 'warning',
  });
  const externals = new Set<string>();
  const dynamicExternals = new Set<string>();
  for (const output of Object.values(result.metafile.outputs)) {
    for (const i of output.imports) {
      if (i.external) externals.add(i.path);
      if (i.external && i.kind === 'dynamic-import') dynamicExternals.add(i.path);
    }
  }
  // First line: the packages it holds and their versions, for the checks of stale() and scripts/loadBundle.ts.
  const header = Buffer.from(bundledPackagesHeader(ROOT, packageFoldersOf(Object.keys(result.metafile.inputs))));
  for (const file of result.outputFiles) {
    const temporary = `${file.path}.${process.pid}.tmp`;
    const contents = file.path === GATEWAY_BUNDLE ? Buffer.from(requireDynamicExternals(file.text, dynamicExternals)) : file.contents;
    writeFileSync(temporary, file.path === GATEWAY_BUNDLE ? Buffer.concat([header, contents]) : contents);
    renameSync(temporary, file.path);
  }
  writeFileSync(GATEWAY_BUNDLE_EXTERNALS, `${JSON.stringify([...externals].sort(), null, 2)}\n`);
}

/**
 * Starts the bundled gateway once on the committed supergraph and asks it one query, so it writes its
 * code cache (scripts/gateway.ts does after its first answer) and the first real start after a build
 * compiles nothing either. A minimal environment: nothing of the caller's configuration (subgraphs, a
 * registry database) is touched. Best effort: a failure only costs that first start its compiling.
 */
async function warmCodeCache(): Promise<string | null> {
  const cache = `${GATEWAY_BUNDLE}.cache`;
  rmSync(cache, { force: true });
  // With the gateway's own V8 flags, as `npm start` and `npm run gateway` run it: V8 rejects a code cache
  // made under other flags.
  const child = spawn(process.execPath, [...GATEWAY_NODE_FLAGS, path.join(DIST, 'scripts', 'gateway.js')], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      GATEWAY_HOST: '127.0.0.1',
      GATEWAY_PORT: '0',
      MESH_SUPERGRAPH_FILE: path.join(ROOT, 'schema', 'supergraph.graphql'),
      METADATA_SERVER_DETECTION: 'none',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => void (stderr = (stderr + chunk.toString()).slice(-2000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const timeout = setTimeout(() => child.kill('SIGKILL'), 60_000);
  try {
    const url = await new Promise<string>((resolve, reject) => {
      void exited.then(() => reject(new Error(`the gateway exited before it was ready: ${stderr.trim()}`)));
      createInterface({ input: child.stdout }).on('line', (line) => {
        const ready = /gateway ready at (\S+)/.exec(line);
        if (ready) resolve(ready[1]);
      });
    });
    const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ __typename }' }) });
    await response.arrayBuffer();
    if (response.status !== 200) throw new Error(`the warm-up query answered ${response.status}`);
  } catch (error) {
    return (error as Error).message;
  } finally {
    // A graceful stop: the cache is written right after the first answer, before the signal is handled.
    child.kill('SIGTERM');
    await exited;
    clearTimeout(timeout);
  }
  return existsSync(cache) ? null : `no code cache was written: ${stderr.trim()}`;
}

if (process.argv.includes('--force') || stale()) {
  await bundleGateway();
  const failure = await warmCodeCache();
  if (failure) console.warn(`the gateway's code cache is made at its first start instead (${failure})`);
}
