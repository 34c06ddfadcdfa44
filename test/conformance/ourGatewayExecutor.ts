/**
 * The executor under test: our gateway (`startGateway`, gateway/index.ts) on a supergraph file, auth
 * off, default limits and subgraph client, plans run by the given query engine, answering over HTTP on
 * loopback.
 */
import { startGateway } from '../../gateway/index.js';
import { waitFor } from '../support/asyncWait.js';
import type { QueryEngine, QueryPlannerName } from '../../gateway/engine/useMeshEngine.js';
import { httpExecutor, type ExecutorFactory } from './startConformanceMesh.js';

export const ourGatewayExecutor =
  (queryEngine: QueryEngine, queryPlanner: QueryPlannerName = 'apollo'): ExecutorFactory =>
  async ({ file }) => {
    const logs: string[] = [];
    const gateway = await startGateway({
      config: {
        host: '127.0.0.1',
        port: 0,
        supergraph: { kind: 'file', path: file, pollIntervalMs: 600_000 },
        subgraphWsUrls: {},
        introspection: true,
        landingPage: false,
        queryEngine,
        queryPlanner,
      },
      log: (level, message) => void logs.push(`${level}: ${message}`),
    });
    await waitFor(() => gateway.supergraph() != null, 'the supergraph');
    return { execute: httpExecutor(gateway.url), close: () => gateway.close() };
  };
