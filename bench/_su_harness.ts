// temp harness: not committed
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { signDevToken } from '../scripts/devToken.js';
import { composeBenchSupergraph, SMALL_QUERY, startBenchSubgraphs } from './support/benchSubgraphs.js';
import { freePort } from './support/freePort.js';

const runs = Number(process.argv[2] ?? 3);
const extra = (process.env.SU_NODE_ARGS ?? '').split(' ').filter(Boolean);
const subgraphs = await startBenchSubgraphs();
const dir = mkdtempSync(path.join(tmpdir(), 'su-'));
const file = path.join(dir, 'supergraph.graphql');
writeFileSync(file, composeBenchSupergraph(subgraphs.urls));
const token = await signDevToken({ scopes: [], ttlSeconds: 3600, sub: 'bench' });
const times: number[] = [];
const cpus: number[] = [];
for (let i = 0; i < runs; i++) {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/graphql`;
  const started = performance.now();
  const child = spawn(process.execPath, [...extra, process.env.SU_ENTRY ?? 'dist/scripts/gateway.js'], {
    env: { ...process.env, METADATA_SERVER_DETECTION: 'none', GATEWAY_HOST: '127.0.0.1', GATEWAY_PORT: String(port), MESH_SUPERGRAPH_FILE: file, MESH_INTROSPECTION: 'false', MESH_RATE_LIMIT: 'off' },
    stdio: ['ignore', 'ignore', process.env.SU_STDERR ? 'inherit' : 'ignore'],
  });
  let listening = 0;
  for (;;) {
    try {
      const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ query: SMALL_QUERY }) });
      if (!listening) listening = performance.now() - started;
      await r.text();
      if (r.status === 200) break;
    } catch {}
    await new Promise((r) => setTimeout(r, 20));
  }
  times.push(performance.now() - started);
  const stat = (await import('node:fs')).readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1].split(' ');
  const cpu = ((Number(stat[11]) + Number(stat[12])) * 10);
  cpus.push(cpu);
  console.log(`run ${i}: first answer ${times.at(-1)!.toFixed(0)} ms (first HTTP reply at ${listening.toFixed(0)} ms), cpu ${cpu} ms`);
  child.kill('SIGINT');
  await new Promise((r) => child.once('exit', r));
}
console.log('median cpu', [...cpus].sort((a, b) => a - b)[Math.floor(cpus.length / 2)], 'median', [...times].sort((a, b) => a - b)[Math.floor(times.length / 2)].toFixed(0));
await subgraphs.close();
