/**
 * The four demo subgraphs and a gateway on loopback (auth off, in-memory stores), each with a logger
 * whose records the test reads back, for the observability suites: logs, `/metrics`, request ids.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createLogger } from '../../core/observability/createLogger.js';
import { startGateway, type GatewayConfig, type RunningGateway } from '../../gateway/index.js';
import { DOMAIN_NAMES, type DomainName } from '../../subgraphs/domains.js';
import { startSubgraph, type RunningSubgraph } from '../../subgraphs/startSubgraph.js';
import { meshStory } from '../support/startTestMesh.js';
import { testSubgraphConfig } from '../support/testSubgraphConfig.js';

/** A pino record as written. */
export type LogRecord = Record<string, unknown> & { level: number; msg?: string; name: string };

/** A logger's records, and the raw lines (to prove what never appears in them). */
export interface CapturedLog {
  records: LogRecord[];
  lines: string[];
}

/** A logger at `debug` whose output is kept in memory. */
export function capturedLogger(name: string) {
  const captured: CapturedLog = { records: [], lines: [] };
  const logger = createLogger({
    name,
    level: 'debug',
    destination: {
      write(line: string) {
        captured.lines.push(line);
        captured.records.push(JSON.parse(line) as LogRecord);
      },
    },
  });
  return { logger, captured };
}

export interface ObservedMesh {
  gateway: RunningGateway;
  gatewayLog: CapturedLog;
  subgraphs: Record<DomainName, RunningSubgraph>;
  subgraphLogs: Record<DomainName, CapturedLog>;
  /** `http://127.0.0.1:<port>` of the gateway. */
  base: string;
  close(): Promise<void>;
}

/** Starts the mesh, seeds the story, and starts the gateway with `gatewayConfig` merged in. */
export async function startObservedMesh(gatewayConfig: Partial<GatewayConfig> = {}): Promise<ObservedMesh> {
  const exportDir = mkdtempSync(path.join(os.tmpdir(), 'mesh-observed-'));
  const subgraphs = {} as Record<DomainName, RunningSubgraph>;
  const subgraphLogs = {} as Record<DomainName, CapturedLog>;
  const story = meshStory();
  await Promise.all(
    DOMAIN_NAMES.map(async (domain) => {
      const { logger, captured } = capturedLogger(`${domain}-subgraph`);
      subgraphLogs[domain] = captured;
      subgraphs[domain] = await startSubgraph(testSubgraphConfig(domain, exportDir), { logger });
      const response = await fetch(subgraphs[domain].served.url.replace(/graphql$/, 'events'), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(story.events[domain]),
      });
      if (response.status !== 200) throw new Error(`seeding ${domain} answered ${response.status}`);
    }),
  );
  const { logger, captured } = capturedLogger('gateway');
  const gateway = await startGateway({
    config: {
      host: '127.0.0.1',
      port: 0,
      supergraph: { kind: 'subgraphs', subgraphs: DOMAIN_NAMES.map((name) => ({ name, url: subgraphs[name].served.url })), pollIntervalMs: 60_000 },
      subgraphWsUrls: {},
      introspection: true,
      landingPage: false,
      ...gatewayConfig,
    },
    logger,
  });
  return {
    gateway,
    gatewayLog: captured,
    subgraphs,
    subgraphLogs,
    base: gateway.url.replace(/\/graphql$/, ''),
    async close() {
      await gateway.close();
      await Promise.all(Object.values(subgraphs).map((s) => s.close()));
      rmSync(exportDir, { recursive: true, force: true });
    },
  };
}

/** The value of one series in a Prometheus text exposition (0 when absent), labels matched exactly. */
export function seriesValue(text: string, name: string, labels: Record<string, string> = {}): number {
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const found = Object.fromEntries([...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]));
    const wanted = Object.entries(labels);
    if (wanted.length === Object.keys(found).length && wanted.every(([k, v]) => found[k] === v)) return Number(match[3]);
  }
  return 0;
}
