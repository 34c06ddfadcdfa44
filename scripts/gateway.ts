/**
 * `npm run gateway`: the gateway alone, configured by env (see README). Runs the bundle of
 * scripts/gatewayProcess.ts (`dist/bundle/gateway.cjs`, written by `npm run build`) through V8's code
 * cache when it is there and up to date: one file instead of about 1,250 modules to resolve and read, and
 * no compiling after the first start (issue #11, start-up to first answer). Otherwise, e.g. under tsx or
 * after a bare `tsc -b`, the same code unbundled.
 */
import { loadBundle } from './loadBundle.js';
import type { runGatewayProcess } from './gatewayProcess.js';

type GatewayProcess = { runGatewayProcess: typeof runGatewayProcess };

const bundle = loadBundle<GatewayProcess>({
  file: new URL('../bundle/gateway.cjs', import.meta.url),
  builtFrom: new URL('../.tsbuildinfo', import.meta.url),
  // After `npm install <package>` (which builds nothing) the unbundled modules run the installed packages.
  packagesRoot: new URL('../../', import.meta.url),
});
if (bundle) {
  // After the first answer the cache holds what start-up and a first request compiled.
  await bundle.exports.runGatewayProcess({
    onFirstAnswer: () =>
      setImmediate(() => {
        const failure = bundle.saveCodeCache();
        if (failure) console.error(`gateway: code cache not written (the next start compiles again): ${failure.message}`);
      }),
  });
} else {
  await (await import('./gatewayProcess.js')).runGatewayProcess();
}
