/**
 * Start-up of the gateway, compiled (`node dist/scripts/gateway.js`) against the TypeScript entry point
 * under tsx: wall time from spawning the process to its first answered query (`{ __typename }`), against
 * the committed supergraph file so no subgraph is needed. Run `npm run build` first.
 *
 *   npx tsx bench/gateway-startup.ts [runs]
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

const runs = Number(process.argv[2] ?? 5);

async function timeToFirstAnswer(args: string[]): Promise<number> {
  const started = performance.now();
  const child = spawn(process.execPath, args, {
    env: { ...process.env, GATEWAY_PORT: '0', MESH_SUPERGRAPH_FILE: 'schema/supergraph.graphql', METADATA_SERVER_DETECTION: 'none' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    const url = await new Promise<string>((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`gateway exited with ${code}`)));
      createInterface({ input: child.stdout }).on('line', (line) => {
        const match = /ready at (\S+)/.exec(line);
        if (match) resolve(match[1]);
      });
    });
    const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ __typename }' }) });
    if (!response.ok) throw new Error(`first query answered ${response.status}`);
    await response.json();
    return performance.now() - started;
  } finally {
    child.kill('SIGKILL');
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const variants: Array<[string, string[]]> = [
  ['tsx scripts/gateway.ts', ['--import', 'tsx', 'scripts/gateway.ts']],
  ['node dist/scripts/gateway.js', ['dist/scripts/gateway.js']],
];
for (const [name, args] of variants) {
  await timeToFirstAnswer(args); // warm the file system cache
  const times: number[] = [];
  for (let i = 0; i < runs; i++) times.push(await timeToFirstAnswer(args));
  console.log(`${name.padEnd(30)} median ${median(times).toFixed(0)} ms  (${times.map((t) => t.toFixed(0)).join(', ')})`);
}
