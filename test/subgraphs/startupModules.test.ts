/**
 * A subgraph on DuckDB and the in-process bus loads none of the optional transport clients (PostgreSQL,
 * NATS, the MQTT / AMQP event-mesh bridge, the SQL port's parser): subgraphs/startSubgraph.ts imports them
 * only when its configuration names them (see subgraphs/kit/index.ts). Each case runs in a fresh node
 * process (a module loads once per process) and reports which of those packages node has loaded.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';

jest.setTimeout(120_000);

const ROOT = path.resolve(__dirname, '../..');
const OPTIONAL = /node_modules[\\/](pg|@nats-io[\\/][^\\/]+|mqtt|amqplib|libpg-query)[\\/]/;

/** Runs `body` (an ES module body with `found()` in scope) in a fresh process; it prints one JSON line. */
function probe(body: string): { optional: string[]; answered?: boolean } {
  const source = `
    import { createRequire } from 'node:module';
    const require = createRequire(process.cwd() + '/');
    const found = () => [...new Set(Object.keys(require.cache).map((file) => (${OPTIONAL}.exec(file) ?? [])[1]).filter(Boolean))].sort();
    ${body}
    process.exit(0);
  `;
  const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', source], { cwd: ROOT, encoding: 'utf8', timeout: 110_000 });
  const line = run.stdout.trim().split('\n').pop() ?? '';
  if (!line.startsWith('{')) throw new Error(`probe failed (${run.status}): ${run.stderr}`);
  return JSON.parse(line) as { optional: string[]; answered?: boolean };
}

describe('subgraph start-up', () => {
  it('should see the optional clients when the whole kit API is imported (what the probe detects)', () => {
    const result = probe(`await import('./subgraphs/kit/index.ts'); console.log(JSON.stringify({ optional: found() }));`);
    expect(result.optional).toEqual(expect.arrayContaining(['pg', 'mqtt', 'amqplib', '@nats-io/jetstream', '@nats-io/transport-node']));
  });

  it('should start and answer on DuckDB and the in-process bus without loading any optional client', () => {
    const result = probe(`
      const { mkdtempSync, rmSync } = await import('node:fs');
      const { tmpdir } = await import('node:os');
      const { startSubgraph } = await import('./subgraphs/startSubgraph.ts');
      const dir = mkdtempSync(tmpdir() + '/startup-modules-');
      const running = await startSubgraph({
        domain: 'orders', host: '127.0.0.1', port: 0, schemaDir: 'schema', exportDir: dir, latenessMs: 60_000,
        store: { kind: 'duckdb', path: ':memory:' }, bus: { kind: 'memory' },
      });
      const response = await fetch(running.served.url, {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ __typename }' }),
      });
      const answered = response.status === 200;
      await running.close();
      rmSync(dir, { recursive: true, force: true });
      console.log(JSON.stringify({ optional: found(), answered }));
    `);
    expect(result).toEqual({ optional: [], answered: true });
  });
});
