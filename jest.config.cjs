/**
 * Jest runs TypeScript through @swc/jest (fast cold start) as CommonJS. `jose` ships ESM only, so it is
 * transformed too; every other package in node_modules ships CommonJS. The global setup and teardown
 * fail the run when it touched PostgreSQL schemas or JetStream streams it did not create. Coverage is
 * collected only when asked (`npm run test:coverage`; CI does not, for time) with V8's own counters, and fails the run below
 * the floor in `coverageThreshold` (set a little under the measured figure, to catch regressions).
 * @type {import('jest').Config}
 */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.(t|j)s$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } }],
  },
  transformIgnorePatterns: ['/node_modules/(?!(jose)/)'],
  // The default resolver, plus the gateway entry points' trims of @apollo/gateway's Apollo-telemetry and
  // make-fetch-happen imports: a quarter less module loading in each file that imports the gateway.
  resolver: '<rootDir>/test/support/jestResolver.cjs',
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  testTimeout: 30000,
  // Three workers on the 2-core machine: most suites wait on loopback servers and child processes, so
  // three run side by side (jest's default there is one, in band, where every suite's leftovers slow the
  // next). Measured 2026-11-30 on the whole suite with coverage: 742 s with three workers against
  // 974 s with two (no coverage, a similar load). A worker that grows past the limit is replaced between files.
  maxWorkers: 3,
  workerIdleMemoryLimit: '1GB',
  // Longest files first, also on a clean machine without Jest's timing cache (test/support/testDurations.json).
  testSequencer: '<rootDir>/test/support/slowFirstSequencer.cjs',
  setupFiles: ['<rootDir>/test/support/quietApollo.cjs'],
  globalSetup: '<rootDir>/test/support/scaleOutDataGuard.ts',
  globalTeardown: '<rootDir>/test/support/globalTeardown.ts',
  coverageProvider: 'v8',
  collectCoverageFrom: ['<rootDir>/{core,gateway,subgraphs,simulator}/**/*.ts'],
  coverageDirectory: '<rootDir>/coverage',
  // Measured 2026-11-30 on the whole merged suite: lines 97.2 %, branches 85.9 %, functions 95.8 %.
  coverageThreshold: { global: { statements: 95, lines: 95, branches: 83, functions: 94 } },
};
