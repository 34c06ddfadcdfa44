/**
 * The gateways the benchmark compares, each a separate process started by bench/gateway.ts:
 * - `ours`: the compiled gateway (`node dist/scripts/gateway.js`, as `npm run gateway` runs it) on the
 *   supergraph file, auth enforcement on (the default configuration with the dev key set) and a valid
 *   token on every request;
 * - `apollo`: bare @apollo/gateway behind @apollo/server's standalone server, nothing else (plain
 *   JavaScript run by node, no TypeScript loader);
 * - `hive`: Hive Gateway's CLI (`hive-gateway supergraph <file>`), default runtime;
 * - `hive-router`: the same with `--hive-router-runtime` (Hive Router's Rust query planner).
 */
import path from 'node:path';

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
}

export const BENCH_GATEWAY_NAMES = ['ours', 'apollo', 'hive', 'hive-router'] as const;

export function benchGateways({ supergraphFile, ports, token }: BenchGatewaysOptions): BenchGateway[] {
  const url = (name: string) => `http://127.0.0.1:${ports[name]}/graphql`;
  const hiveBin = path.resolve('node_modules/@graphql-hive/gateway/dist/bin.js');
  const common = { METADATA_SERVER_DETECTION: 'none' };
  return [
    {
      name: 'ours',
      args: ['dist/scripts/gateway.js'],
      env: { ...common, GATEWAY_HOST: '127.0.0.1', GATEWAY_PORT: String(ports.ours), MESH_SUPERGRAPH_FILE: supergraphFile, MESH_INTROSPECTION: 'false' },
      headers: { authorization: `Bearer ${token}` },
      url: url('ours'),
    },
    {
      name: 'apollo',
      args: ['--input-type=module', '-e', APOLLO_GATEWAY_SOURCE],
      env: { ...common, SUPERGRAPH_FILE: supergraphFile, PORT: String(ports.apollo) },
      headers: {},
      url: url('apollo'),
    },
    {
      name: 'hive',
      args: [hiveBin, 'supergraph', supergraphFile, '--host', '127.0.0.1', '--port', String(ports.hive), '--polling', '1h'],
      env: common,
      headers: {},
      url: url('hive'),
    },
    {
      name: 'hive-router',
      args: [hiveBin, 'supergraph', supergraphFile, '--host', '127.0.0.1', '--port', String(ports['hive-router']), '--polling', '1h', '--hive-router-runtime'],
      env: common,
      headers: {},
      url: url('hive-router'),
    },
  ];
}
