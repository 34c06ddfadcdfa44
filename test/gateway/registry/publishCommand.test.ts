/** `npm run publish -- <domain>`: a repository domain published to a running gateway's registry. */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { RunningGateway } from '../../../gateway/index.js';
import { domainPublication, parsePublishArgs } from '../../../scripts/publishCommand.js';
import { startProductMesh, type ProductMesh } from '../../support/productMeshSubgraphs.js';
import { startRegistryGateway, tokenWith } from './registryHarness.js';
import { buildEntryPoints } from '../../support/useCompiledEntryPoints.js';

const ROOT = path.resolve(__dirname, '../../..');

describe('npm run publish', () => {
  let mesh: ProductMesh;
  let dir: string;
  let gateway: RunningGateway;
  // Compiled, as `npm run publish` runs it (the build is a no-op when up to date).
  beforeAll(buildEntryPoints, 250_000);
  beforeAll(async () => {
    mesh = await startProductMesh();
    dir = mkdtempSync(path.join(os.tmpdir(), 'publish-'));
    gateway = await startRegistryGateway(mesh, { kind: 'file', path: path.join(dir, 'registry.json') });
  });
  afterAll(async () => {
    await gateway?.close();
    await mesh.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("should send a domain's SDL, address and descriptor", () => {
    const publication = domainPublication('inventory', path.join(ROOT, 'schema'), { INVENTORY_PORT: '5003' });

    expect(publication).toMatchObject({
      name: 'inventory',
      urls: ['http://127.0.0.1:5003/graphql'],
      descriptor: { id: 'inventory.stock', owner: { team: 'Warehouse Operations' } },
    });
    expect(publication.sdl).toContain('inventoryHistory(');
    expect(publication.sdl).toContain('scalar DateTime');
    expect(domainPublication('inventory', path.join(ROOT, 'schema'), {}, ['http://a/graphql', 'http://b/graphql']).urls).toEqual([
      'http://a/graphql',
      'http://b/graphql',
    ]);
    expect(() => domainPublication('nowhere', path.join(ROOT, 'schema'), {})).toThrow('unknown domain "nowhere"');
  });

  it('should parse its command line strictly', () => {
    expect(parsePublishArgs(['orders', '--gateway', 'http://g:4000', '--url', 'http://a/graphql', '--url', 'http://b/graphql'])).toEqual({
      help: false,
      domain: 'orders',
      gateway: 'http://g:4000',
      urls: ['http://a/graphql', 'http://b/graphql'],
    });
    expect(parsePublishArgs(['-h'])).toEqual({ help: true });
    expect(() => parsePublishArgs([])).toThrow(/name one domain.*\nusage: npm run publish/s);
    expect(() => parsePublishArgs(['orders', '--gatway', 'x'])).toThrow(/Unknown option '--gatway'/);
  });

  it('should publish through the gateway and exit 0, or print the refusal and exit 1', async () => {
    // Asynchronously: the gateway answering the script runs in this process.
    const run = (token: string) =>
      new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve, reject) => {
        const args = ['dist/scripts/publish.js', 'inventory', '--gateway', gateway.url.replace(/\/graphql$/, ''), '--url', mesh.servers.inventory.url];
        const child = spawn(process.execPath, [...args, '--token', token], { cwd: ROOT, env: { PATH: process.env.PATH, HOME: process.env.HOME } });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (chunk: Buffer) => void (stdout += chunk.toString()));
        child.stderr.on('data', (chunk: Buffer) => void (stderr += chunk.toString()));
        child.once('error', reject);
        child.once('close', (status) => resolve({ status, stdout, stderr }));
      });

    const refused = await run(await tokenWith('orders:read'));
    expect(refused.status).toBe(1);
    expect(JSON.parse(refused.stdout)).toMatchObject({ error: { code: 'FORBIDDEN' } });

    // The demo inventory domain extends Product by key, so it composes beside the test mesh's products.
    const published = await run(await tokenWith('mesh:publish:inventory'));
    expect(published.stderr).toBe('');
    expect(JSON.parse(published.stdout)).toMatchObject({ subgraph: { name: 'inventory', version: 1 }, inService: true });
    expect(published.status).toBe(0);
    expect(gateway.supergraphSdl()).toContain('inventoryHistory');
  });
});
