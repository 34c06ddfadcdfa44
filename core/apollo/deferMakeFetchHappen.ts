import { interceptRequires } from './interceptRequires.js';

/**
 * What `make-fetch-happen` exports (a function with these properties). @apollo/gateway requires it at
 * load time for `RemoteGraphQLDataSource` and the Uplink supergraph manager; the gateway uses neither
 * (its subgraph client is gateway/upstream/, its supergraph comes from a file or its own composition),
 * and the package with its agents, cache and proxy support is a tenth of the gateway's module loading.
 */
const EXPORTS = ['defaults', 'FetchError', 'Headers', 'Request', 'Response'] as const;

/** The modules whose requires of it are deferred (any other requirer gets it at once). */
export const APOLLO_GATEWAY_MODULE = /[\\/]@apollo[\\/]gateway[\\/]dist[\\/]/;

type Real = Record<string | symbol, unknown> & ((...args: unknown[]) => unknown);

/**
 * A stand-in that loads the real module at its first use (a call, a property read), so code that uses
 * it works unchanged, a little later. Its keys are listed without loading (TypeScript's `__importStar`
 * enumerates them at require time and binds each as a getter). `load` runs once, at the first use. The
 * gateway's bundle (build/bundleGateway.ts) puts it in place of @apollo/gateway's import.
 */
export function deferredMakeFetchHappen(load: () => unknown): object {
  const keys: readonly string[] = EXPORTS;
  let real: Real | undefined;
  return new Proxy(() => {}, {
    get: (_target, key) => (key === '__esModule' ? undefined : (real ??= load() as Real)[key]),
    apply: (_target, thisArg, args: unknown[]) => (real ??= load() as Real).apply(thisArg, args),
    ownKeys: () => [...keys],
    // Listed, not read: the value comes through `get` (a binding getter), so listing loads nothing.
    getOwnPropertyDescriptor: (_target, key) =>
      typeof key === 'string' && keys.includes(key) ? { configurable: true, enumerable: true, writable: true, value: undefined } : undefined,
    has: (_target, key) => typeof key === 'string' && keys.includes(key),
  });
}

let installed = false;

/**
 * Defers @apollo/gateway's `make-fetch-happen` to its first use (none in this gateway). Call it before
 * the first import of @apollo/gateway. Idempotent. Relies on @apollo/gateway 2.14's module layout and on
 * make-fetch-happen's export names (test/apollo/deferMakeFetchHappen.test.ts pins both).
 */
export function deferMakeFetchHappen(): void {
  if (installed) return;
  installed = true;
  interceptRequires((request, parentFilename, loadReal) => {
    if (request !== 'make-fetch-happen' || !APOLLO_GATEWAY_MODULE.test(parentFilename)) return undefined;
    return deferredMakeFetchHappen(loadReal);
  });
}
