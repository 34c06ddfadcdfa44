import { createRequire } from 'node:module';

type Load = (request: string, parent: { filename?: string | null } | undefined, isMain: boolean) => unknown;

/**
 * Decides one CommonJS `require`: what to answer instead, or `undefined` to load the module as usual.
 * `loadReal` loads the real module (for a stand-in that loads it later).
 */
export type RequireInterceptor = (request: string, parentFilename: string, loadReal: () => unknown) => unknown;

/**
 * Puts `interceptor` in front of Node's CommonJS loader (`Module._load`) for every later `require` that
 * has a requiring file; requires it answers `undefined` for load as before. For the gateway entry point's
 * start-up trims of @apollo/gateway's dependencies (deferMakeFetchHappen.ts, withoutApolloTelemetry.ts).
 */
export function interceptRequires(interceptor: RequireInterceptor): void {
  const require = createRequire(import.meta.url);
  const Module = require('node:module') as { _load: Load };
  const load = Module._load;
  Module._load = function (this: unknown, request, parent, _isMain) {
    if (parent?.filename) {
      const answer = interceptor(request, parent.filename, () => load.call(this, request, parent, false));
      if (answer !== undefined) return answer;
    }
    // eslint-disable-next-line prefer-rest-params
    return load.apply(this, arguments as unknown as Parameters<Load>);
  };
}
