import path from 'node:path';
import type { DomainName } from '../../subgraphs/domains.js';
import type { SubgraphConfig } from '../../subgraphs/subgraphConfig.js';

/**
 * A subgraph configuration for tests: loopback, a free port, in-memory DuckDB on one thread (as `npm start`
 * runs it: tests run three at a time on two cores, where DuckDB's worker threads only add contention) and
 * bus, the repository's SDL, a week of lateness, auth off. Tests override what they are about (port, auth, store, bus).
 */
export function testSubgraphConfig(domain: DomainName, exportDir: string, overrides: Partial<SubgraphConfig> = {}): SubgraphConfig {
  return {
    domain,
    host: '127.0.0.1',
    port: 0,
    schemaDir: path.resolve('schema'),
    store: { kind: 'duckdb', path: ':memory:', threads: 1 },
    bus: { kind: 'memory' },
    exportDir,
    latenessMs: 7 * 86_400_000,
    ...overrides,
  };
}
