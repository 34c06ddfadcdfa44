/**
 * The gateways the benchmark compares, each a separate process started by bench/gateway.ts:
 * - `ours`: the compiled gateway (`node <GATEWAY_NODE_FLAGS> dist/scripts/gateway.js`, as `npm run gateway` runs it) on the
 *   supergraph file, auth enforcement on (the default configuration with the dev key set) and a valid
 *   token on every request;
 * - `apollo`: bare @apollo/gateway behind @apollo/server's standalone server, nothing else (plain
 *   JavaScript run by node, no TypeScript loader);
 * - `hive`: Hive Gateway's CLI (`hive-gateway supergraph <file>`), default runtime;
 * - `hive-router`: the same with `--hive-router-runtime` (Hive Router's Rust query planner).
 * Our gateway runs without its rate limit (`MESH_RATE_LIMIT=off`): no peer has one, and the default
 * budget (600 operations a minute per caller) would refuse most of the load. Hive Gateway deduplicates
 * identical in-flight subgraph requests by default; with `hiveDeduplication: false` a config file turns
 * that off (its HTTP transport's `deduplicateInflightRequests`), for a like-for-like count of subgraph
 * requests.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { GATEWAY_NODE_FLAGS } from '../../scripts/gatewayNodeFlags.js';

/** How to start one gateway and talk to it. */
export interface BenchGateway {
  name: string;
  /** Node arguments (after `node`). */
  args: string[];
  env: Record<string, string>;
  /** Headers every request carries. */
  headers: Record<string, string>;
  url: string;
}

/** The bare Apollo gateway, run with `node --input-type=module -e`. */
const APOLLO_GATEWAY_SOURCE = `
import { readFileSync } from 'node:fs';
import { ApolloGateway } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
const server = new ApolloServer({ gateway: new ApolloGateway({ supergraphSdl: readFileSync(process.env.SUPERGRAPH_FILE, 'utf8') }) });
const { url } = await startStandaloneServer(server, { listen: { port: Number(process.env.PORT), host: '127.0.0.1' } });
console.log('apollo gateway ready at ' + url);
`;

export interface BenchGatewaysOptions {
  supergraphFile: string;
  /** A free port per gateway, by name. */
  ports: Record<string, number>;
  /** A valid user token for our gateway. */
  token: string;
  /**
   * Hive Gateway's config file turning its in-flight subgraph request deduplication off, or null to
   * keep its default (on).
   */
  hiveConfigFile: string | null;
  /** A checkout of another commit with its `dist/` built: adds `baseline` and `baseline-no-dedup`. @default none */
  baselineDir?: string;
}

/** The Hive Gateway config that turns off deduplication of in-flight subgraph requests. */
export const HIVE_NO_DEDUPLICATION_CONFIG = `export const gatewayConfig = { transportEntries: { '*.http': { options: { deduplicateInflightRequests: false } } } };\n`;

/**
 * `ours` runs with its defaults (the mesh query engine on Hive Router's plans, in-flight subgraph
 * requests shared, the lean POST /graphql path), `ours-no-dedup` the same without sharing in-flight
 * subgraph requests (MESH_SUBGRAPH_DEDUP=off), `ours-apollo-planner` with @apollo/gateway's planner
 * (MESH_QUERY_PLANNER=apollo), `ours-apollo-engine` with @apollo/gateway's planner and executor
 * (MESH_QUERY_ENGINE=apollo), `ours-express` without the lean POST /graphql path (MESH_LEAN_HTTP=false:
 * every request through Express). `baseline` and `baseline-no-dedup` are ours and ours-no-dedup from another
 * build (`BENCH_BASELINE_DIR`: a checkout of another commit with its `dist/` built), for a before/after
 * comparison in one run under the same load; they are left out unless that directory is given.
 */
export const BENCH_GATEWAY_NAMES = [
  'ours',
  'ours-no-dedup',
  'ours-apollo-planner',
  'ours-apollo-engine',
  'ours-express',
  'apollo',
  'hive',
  'hive-router',
  'baseline',
  'baseline-no-dedup',
] as const;

/**
 * The node flags another checkout's `npm run gateway` starts the gateway with (its package.json), so a
 * baseline runs as its own commit runs it: `node <flags> dist/scripts/gateway.js`.
 */
function nodeFlagsOf(checkout: string): string[] {
  const { scripts } = JSON.parse(readFileSync(path.join(checkout, 'package.json'), 'utf8')) as { scripts?: Record<string, string> };
  const words = (scripts?.gateway ?? '').split(/\s+/);
  return words[0] === 'node' ? words.slice(1, words.indexOf('dist/scripts/gateway.js')).filter((word) => word.startsWith('--')) : [];
}

export function benchGateways({ supergraphFile, ports, token, hiveConfigFile, baselineDir }: BenchGatewaysOptions): BenchGateway[] {
  const url = (name: string) => `http://127.0.0.1:${ports[name]}/graphql`;
  const hiveBin = path.resolve('node_modules/@graphql-hive/gateway/dist/bin.js');
  const common = { METADATA_SERVER_DETECTION: 'none' };
  const hiveConfig = hiveConfigFile ? ['--config-path', hiveConfigFile] : [];
  const ours = (name: string, settings: Record<string, string> = {}): BenchGateway => ({
    name,
    args: [...GATEWAY_NODE_FLAGS, 'dist/scripts/gateway.js'],
    env: {
      ...common,
      GATEWAY_HOST: '127.0.0.1',
      GATEWAY_PORT: String(ports[name]),
      MESH_SUPERGRAPH_FILE: supergraphFile,
      MESH_INTROSPECTION: 'false',
      MESH_RATE_LIMIT: 'off',
      ...settings,
    },
    headers: { authorization: `Bearer ${token}` },
    url: url(name),
  });
  const baseline = (name: string, settings: Record<string, string> = {}): BenchGateway[] =>
    baselineDir ? [{ ...ours(name, settings), args: [...nodeFlagsOf(baselineDir), path.join(path.resolve(baselineDir), 'dist/scripts/gateway.js')] }] : [];
  return [
    ...baseline('baseline'),
    ...baseline('baseline-no-dedup', { MESH_SUBGRAPH_DEDUP: 'off' }),
    ours('ours'),
    ours('ours-no-dedup', { MESH_SUBGRAPH_DEDUP: 'off' }),
    ours('ours-apollo-planner', { MESH_QUERY_PLANNER: 'apollo' }),
    ours('ours-apollo-engine', { MESH_QUERY_ENGINE: 'apollo', MESH_QUERY_PLANNER: 'apollo' }),
    ours('ours-express', { MESH_LEAN_HTTP: 'false' }),
    {
      name: 'apollo',
      args: ['--input-type=module', '-e', APOLLO_GATEWAY_SOURCE],
      env: { ...common, SUPERGRAPH_FILE: supergraphFile, PORT: String(ports.apollo) },
      headers: {},
      url: url('apollo'),
    },
    {
      name: 'hive',
      args: [hiveBin, 'supergraph', supergraphFile, '--host', '127.0.0.1', '--port', String(ports.hive), '--polling', '1h', ...hiveConfig],
      env: common,
      headers: {},
      url: url('hive'),
    },
    {
      name: 'hive-router',
      args: [
        hiveBin,
        'supergraph',
        supergraphFile,
        '--host',
        '127.0.0.1',
        '--port',
        String(ports['hive-router']),
        '--polling',
        '1h',
        '--hive-router-runtime',
        ...hiveConfig,
      ],
      env: common,
      headers: {},
      url: url('hive-router'),
    },
  ];
}
