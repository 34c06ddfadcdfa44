/**
 * The gateway's subgraph HTTP client (`SubgraphDataSource` over `createSubgraphClient`: undici pool,
 * timeout, breaker) against @apollo/gateway's `RemoteGraphQLDataSource` (make-fetch-happen), the same
 * entity-fetch-sized request against one subgraph stand-in in a child process (a fixed ~2 KB JSON
 * answer), interleaved rounds. Reports requests/s, client CPU per request and sockets the subgraph saw.
 *
 *   npx tsx bench/subgraph-client.ts [requests per round=20000] [concurrency=50] [rounds=3]
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { RemoteGraphQLDataSource, type GraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { createSubgraphClient } from '../gateway/upstream/createSubgraphClient.js';
import { SubgraphDataSource } from '../gateway/upstream/SubgraphDataSource.js';
import { DEFAULT_SUBGRAPH_CLIENT_CONFIG } from '../gateway/upstream/SubgraphClientConfig.js';

const requests = Number(process.argv[2] ?? 20_000);
const concurrency = Number(process.argv[3] ?? 50);
const rounds = Number(process.argv[4] ?? 3);

// The stand-in subgraph: counts connections, answers every POST with the same body.
const SERVER = `
const http = require('node:http');
const body = JSON.stringify({ data: { _entities: Array.from({ length: 20 }, (_, i) => ({ __typename: 'Product', id: 'p' + i, name: 'Product number ' + i, stock: i * 7, price: i + 0.99 })) } });
let connections = 0;
const server = http.createServer((req, res) => {
  if (req.method === 'GET') return res.end(String(connections));
  req.resume();
  req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end(body));
});
server.on('connection', () => (connections += 1));
server.keepAliveTimeout = 60000;
server.listen(0, '127.0.0.1', () => console.log('http://127.0.0.1:' + server.address().port + '/graphql'));
`;

const QUERY = 'query Q__inventory__1($representations:[_Any!]!){_entities(representations:$representations){...on Product{name stock price}}}';
const representations = Array.from({ length: 20 }, (_, i) => ({ __typename: 'Product', id: `p${i}` }));
const options = (): GraphQLDataSourceProcessOptions =>
  ({ kind: 'health check', request: { query: QUERY, variables: { representations } }, context: {} }) as unknown as GraphQLDataSourceProcessOptions;

async function load(source: GraphQLDataSource): Promise<{ perSecond: number; cpuMicrosPerRequest: number }> {
  let next = 0;
  const cpu = process.cpuUsage();
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < requests) {
        next += 1;
        const answer = await source.process(options());
        if (!answer.data) throw new Error('no data');
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  return { perSecond: requests / seconds, cpuMicrosPerRequest: (used.user + used.system) / requests };
}

const child = spawn(process.execPath, ['-e', SERVER], { stdio: ['ignore', 'pipe', 'inherit'] });
try {
  const url = await new Promise<string>((resolve) => createInterface({ input: child.stdout }).once('line', resolve));
  const connections = async () => Number(await (await fetch(url)).text());
  const client = createSubgraphClient({ config: { ...DEFAULT_SUBGRAPH_CLIENT_CONFIG, maxSockets: 64 } });
  const variants: Array<[string, GraphQLDataSource]> = [
    ['RemoteGraphQLDataSource (make-fetch-happen)', new RemoteGraphQLDataSource({ url })],
    ['SubgraphDataSource + guard (undici pool)', client.guard('inventory', new SubgraphDataSource({ url, serviceName: 'inventory', http: client }))],
  ];
  const results = new Map<string, Array<{ perSecond: number; cpuMicrosPerRequest: number; sockets: number }>>();
  for (const [, source] of variants) await load(source); // warm-up
  for (let round = 0; round < rounds; round += 1) {
    for (const [name, source] of variants) {
      const before = await connections();
      const result = await load(source);
      results.set(name, [...(results.get(name) ?? []), { ...result, sockets: (await connections()) - before }]);
    }
  }
  console.log(`${requests} requests per round, ${concurrency} concurrent, ${rounds} rounds (median), node ${process.version}`);
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  for (const [name, runs] of results) {
    console.log(
      `${name.padEnd(46)} ${median(runs.map((r) => r.perSecond))
        .toFixed(0)
        .padStart(7)} req/s  ` +
        `${median(runs.map((r) => r.cpuMicrosPerRequest))
          .toFixed(0)
          .padStart(5)} µs CPU/request  ` +
        `new sockets per round: ${runs.map((r) => r.sockets).join(', ')}`,
    );
  }
  await client.close();
} finally {
  child.kill();
}
