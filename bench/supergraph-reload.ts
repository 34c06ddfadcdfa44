/**
 * Cost of one supergraph reload in a running gateway (auth on, as `gatewayConfigFromEnv` sets it), against
 * the committed supergraph file: the file is rewritten with a new comment, so the SDL differs and the whole
 * reload path runs (build, breaking-change diff, every consumer, @apollo/gateway's own update). Reported:
 * event-loop busy time from the write to the "supergraph updated" log (plus the callbacks it queues), and
 * the longest single block (event-loop delay max), and the process's CPU time over the same window (the
 * steadiest of the three on a shared machine), as medians over the runs.
 *
 *   npx tsx bench/supergraph-reload.ts [runs]
 */
import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { supergraphParseCount } from '../core/apollo/index.js';
import { gatewayConfigFromEnv, startGateway } from '../gateway/index.js';

const runs = Number(process.argv[2] ?? 15);
const dir = mkdtempSync(path.join(os.tmpdir(), 'reload-bench-'));
const file = path.join(dir, 'supergraph.graphql');
const base = readFileSync('schema/supergraph.graphql', 'utf8');
const write = (n: number) => {
  writeFileSync(`${file}.tmp`, `${base}\n# reload ${n}\n`);
  renameSync(`${file}.tmp`, file);
};
write(0);

let updated: (() => void) | null = null;
const config = gatewayConfigFromEnv({ GATEWAY_PORT: '0', GATEWAY_HOST: '127.0.0.1', MESH_SUPERGRAPH_FILE: file, MESH_POLL_INTERVAL_MS: '100' });
const gateway = await startGateway({
  config,
  log: (level, message) => {
    if (message === 'supergraph updated') updated?.();
    else if (level !== 'info' && !message.includes('!!!')) console.error(level, message);
  },
});
const settle = () => new Promise((resolve) => setTimeout(resolve, 20));
const busy: number[] = [];
const cpu: number[] = [];
const parsesBefore = supergraphParseCount();
const longest: number[] = [];
for (let n = 1; n <= runs + 2; n++) {
  const done = new Promise<void>((resolve) => (updated = resolve));
  await settle();
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  const before = performance.eventLoopUtilization();
  const cpuBefore = process.cpuUsage();
  write(n);
  await done;
  await settle();
  const elu = performance.eventLoopUtilization(before);
  const cpuUsed = process.cpuUsage(cpuBefore);
  delay.disable();
  if (n <= 2) continue; // warm-up
  busy.push(elu.active);
  cpu.push((cpuUsed.user + cpuUsed.system) / 1000);
  longest.push(delay.max / 1e6);
}
const parses = (supergraphParseCount() - parsesBefore) / (runs + 2);
await gateway.close();
rmSync(dir, { recursive: true, force: true });
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(
  `supergraph reload (${runs} runs): CPU median ${median(cpu).toFixed(0)} ms, busy median ${median(busy).toFixed(0)} ms (min ${Math.min(...busy).toFixed(0)}, max ${Math.max(...busy).toFixed(0)}), longest block median ${median(longest).toFixed(0)} ms, ${parses} parse(s) of ours per reload`,
);
