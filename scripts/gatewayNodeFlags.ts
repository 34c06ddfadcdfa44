/**
 * Node flags the gateway process runs with, wherever our launchers start it (`npm start` through
 * scripts/start.ts, `npm run gateway` in package.json, the benchmark's `ours`): a young generation of
 * 32 MB per semi-space instead of V8's 16 MB. A request of the heavy benchmark query allocates a few
 * hundred KB that die young (parsed subgraph answers, the response); with 50 requests in flight the
 * default young generation fills before they end and the survivors are copied and promoted, which the
 * benchmark showed as ~15 % of the CPU in GC. Measured (docs/benchmarks.md, "Gateway CPU per request: the
 * engine passes"): about 0.88× the CPU per heavy request, ~45 MB more peak RSS. V8 reads the size when the heap is set up, so it has to be a
 * command-line flag (or NODE_OPTIONS); `v8.setFlagsFromString` at start-up leaves the heap as it is.
 */
export const GATEWAY_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=32'];
