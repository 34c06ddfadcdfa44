/**
 * What @apollo/gateway's `make-fetch-happen` import resolves to in jest (test/support/jestResolver.cjs):
 * the product's stand-in, which loads the real package (resolved from @apollo/gateway's folder) at its
 * first use.
 */
import path from 'node:path';
import { deferredMakeFetchHappen } from '../../core/apollo/deferMakeFetchHappen.js';

const fromApolloGateway = path.dirname(require.resolve('@apollo/gateway/package.json'));

// A synchronous require: the stand-in loads the package when it is first used, in the middle of a call.
// eslint-disable-next-line @typescript-eslint/no-require-imports
module.exports = deferredMakeFetchHappen(() => require(require.resolve('make-fetch-happen', { paths: [fromApolloGateway] })));
