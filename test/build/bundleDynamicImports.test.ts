/**
 * The built gateway bundle (`dist/bundle/gateway.cjs`, made by build/bundleGateway.ts at `npm install`)
 * holds no `import()` of an external module: scripts/loadBundle.ts runs it as a `vm.Script` from V8's code
 * cache, and on Node 20 such a script loses its dynamic import callback, so each `import()` failed with "A
 * dynamic import callback was not specified" on every start after the first (the leave reclaimer's
 * `node:inspector` and the rate limiter's `ioredis`). They are `require` calls in a resolved promise.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

const bundle = path.resolve('dist/bundle/gateway.cjs');
const externals = path.resolve('dist/bundle/gateway.externals.json');

describe('the gateway bundle', () => {
  it('should reach its external modules through require, never import()', () => {
    if (!existsSync(bundle) || !existsSync(externals)) throw new Error('dist/bundle is missing: npm install (or npm run build) builds it');
    const text = readFileSync(bundle, 'utf8');
    const names = JSON.parse(readFileSync(externals, 'utf8')) as string[];
    const dynamic = names.filter((name) => text.includes(`import(${JSON.stringify(name)})`));
    expect(dynamic).toEqual([]);
    // The ones the gateway loads on demand are there, as requires.
    for (const name of ['node:inspector', 'ioredis']) expect(text).toContain(`require(${JSON.stringify(name)})`);
  });
});
