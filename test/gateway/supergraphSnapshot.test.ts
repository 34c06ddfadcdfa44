/**
 * The supergraph snapshot: built once per new SDL (one parse, counted), swapped as one reference for
 * every consumer, and kept whole when a new SDL fails to build.
 */
import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { supergraphParseCount } from '../../core/apollo/index.js';
import { buildSupergraphSnapshot, gatewayConfigFromEnv, startGateway, type RunningGateway } from '../../gateway/index.js';
import { waitFor } from '../support/asyncWait.js';

const BASE = readFileSync('schema/supergraph.graphql', 'utf8');

describe('buildSupergraphSnapshot', () => {
  it('should derive every consumer view from one parse, frozen', () => {
    const before = supergraphParseCount();
    const snapshot = buildSupergraphSnapshot(BASE, { addressOverrides: { otherReplicaUrls: { orders: ['http://replica:1/graphql'] } } });
    expect(supergraphParseCount() - before).toBe(1);
    expect(Object.isFrozen(snapshot)).toBe(true);
    expect(snapshot.gatewaySdl).not.toMatch(/for: SECURITY/);
    expect(snapshot.auth.schema).toBe(snapshot.apiSchema);
    expect(snapshot.supergraph.apiSchema).toBe(snapshot.apiSchema);
    expect(snapshot.addresses.orders?.urls).toEqual(['http://127.0.0.1:4002/graphql', 'http://replica:1/graphql']);
    expect(snapshot.auth.ungoverned).toBe(false);
    expect(snapshot.supergraph.resumableFields.size).toBeGreaterThan(0);
  });

  it('should throw for an SDL that is not a supergraph', () => {
    expect(() => buildSupergraphSnapshot('type Query { a: Int }')).toThrow();
  });
});

describe('a gateway reloading its supergraph', () => {
  let dir: string;
  let file: string;
  let gateway: RunningGateway | undefined;
  const logs: Array<{ level: string; message: string }> = [];
  const write = (sdl: string) => {
    writeFileSync(`${file}.tmp`, sdl);
    renameSync(`${file}.tmp`, file);
  };
  const typename = async () => {
    const response = await fetch(gateway!.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ __typename }' }),
    });
    return response.json();
  };

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'snapshot-'));
    file = path.join(dir, 'supergraph.graphql');
    write(BASE);
    const config = gatewayConfigFromEnv({ GATEWAY_PORT: '0', GATEWAY_HOST: '127.0.0.1', MESH_SUPERGRAPH_FILE: file, MESH_POLL_INTERVAL_MS: '100' });
    gateway = await startGateway({ config, log: (level, message) => void logs.push({ level, message }) });
  });
  afterAll(async () => {
    await gateway?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('should build the new supergraph once and swap it for every consumer', async () => {
    const first = gateway!.supergraph()!;
    expect(first.sdl).toBe(BASE);
    const before = supergraphParseCount();
    const updates = logs.filter((l) => l.message === 'supergraph updated').length;
    write(`${BASE}\n# reloaded\n`);
    await waitFor(() => logs.filter((l) => l.message === 'supergraph updated').length > updates, 'the reload', 5000);
    // A round trip through the gateway: anything queued by the reload (schema listeners) has run.
    expect(await typename()).toEqual({ data: { __typename: 'Query' } });
    expect(supergraphParseCount() - before).toBe(1);
    const second = gateway!.supergraph()!;
    expect(second).not.toBe(first);
    expect(second.sdl).toBe(`${BASE}\n# reloaded\n`);
    expect(gateway!.supergraphSdl()).toBe(second.sdl);
  });

  it('should keep the snapshot in service whole when the new SDL does not build, and log why', async () => {
    const inService = gateway!.supergraph();
    const before = supergraphParseCount();
    write('type Query { this is not a supergraph');
    await waitFor(() => logs.some((l) => l.level === 'error' && l.message.includes('the last good one stays in service')), 'the refusal', 5000);
    expect(gateway!.supergraph()).toBe(inService);
    expect(await typename()).toEqual({ data: { __typename: 'Query' } });
    // Polls of the same bad file do not build it again: the next good file is the only other build.
    const updates = logs.filter((l) => l.message === 'supergraph updated').length;
    write(`${BASE}\n# good again\n`);
    await waitFor(() => logs.filter((l) => l.message === 'supergraph updated').length > updates, 'the good file', 5000);
    expect(supergraphParseCount() - before).toBe(2);
    expect(gateway!.supergraph()?.sdl).toBe(`${BASE}\n# good again\n`);
  });
});
