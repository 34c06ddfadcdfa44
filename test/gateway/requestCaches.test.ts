/**
 * The gateway's per-document caches through the real HTTP path (verified tokens, limits checks, field
 * authorizations, Apollo Server's parsed documents): the same document sent by callers with other scopes
 * is decided for each, and a supergraph reload decides it again on the new supergraph.
 */
import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gatewayConfigFromEnv, startGateway, type RunningGateway } from '../../gateway/index.js';
import { signDevToken } from '../../scripts/devToken.js';
import { waitFor } from '../support/asyncWait.js';

const BASE = readFileSync('schema/supergraph.graphql', 'utf8');
const GOVERNED = 'revenue: Float @requiresScopes(scopes: [["finance:read"]])';

/** BASE with `OrderTotals.revenue` open to every caller. */
function withOpenRevenue(): string {
  const at = BASE.indexOf(GOVERNED, BASE.indexOf('type OrderTotals'));
  if (at < 0) throw new Error('schema/supergraph.graphql no longer governs OrderTotals.revenue: update this test');
  return `${BASE.slice(0, at)}revenue: Float${BASE.slice(at + GOVERNED.length)}`;
}

const QUERY = 'query Revenue($r: TimeRangeInput!) { orderHistory(range: $r, granularity: DAY) { total { orders revenue } } }';
const variables = { r: { from: '2026-01-01T00:00:00Z', to: '2026-01-02T00:00:00Z' } };

describe('the per-document caches of a running gateway', () => {
  let dir: string;
  let file: string;
  let gateway: RunningGateway | undefined;
  let updates = 0;
  let finance: string;
  let plain: string;
  const write = (sdl: string) => {
    writeFileSync(`${file}.tmp`, sdl);
    renameSync(`${file}.tmp`, file);
  };
  /**
   * The codes of the errors at `orderHistory.total.revenue`. Reject mode decides before any fetch, so
   * this needs no subgraph: an allowed operation fails on the unreachable subgraph instead.
   */
  const revenueCodes = async (token: string) => {
    const response = await fetch(gateway!.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: QUERY, variables }),
    });
    const body = (await response.json()) as { errors?: Array<{ path?: string[]; extensions?: { code?: string } }> };
    return (body.errors ?? []).filter((e) => e.path?.join('.') === 'orderHistory.total.revenue').map((e) => e.extensions?.code);
  };

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'request-caches-'));
    file = path.join(dir, 'supergraph.graphql');
    write(BASE);
    finance = await signDevToken({ scopes: ['finance:read'], ttlSeconds: 600, sub: 'fiona' });
    plain = await signDevToken({ scopes: ['orders:read'], ttlSeconds: 600, sub: 'paul' });
    const config = gatewayConfigFromEnv({
      GATEWAY_PORT: '0',
      GATEWAY_HOST: '127.0.0.1',
      MESH_SUPERGRAPH_FILE: file,
      MESH_POLL_INTERVAL_MS: '100',
      MESH_AUTH_MODE: 'reject',
    });
    gateway = await startGateway({
      config,
      log: (_level, message) => {
        if (message === 'supergraph updated') updates++;
      },
    });
  });
  afterAll(async () => {
    await gateway?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('should decide the same document for each scope set, however often they alternate', async () => {
    for (let i = 0; i < 3; i++) {
      expect(await revenueCodes(plain)).toEqual(['UNAUTHORIZED_FIELD_OR_TYPE']);
      expect(await revenueCodes(finance)).not.toContain('UNAUTHORIZED_FIELD_OR_TYPE');
    }
  });

  it('should decide the same document again on a reloaded supergraph', async () => {
    expect(await revenueCodes(plain)).toEqual(['UNAUTHORIZED_FIELD_OR_TYPE']);
    const before = updates;
    write(withOpenRevenue());
    await waitFor(() => updates > before, 'the reload', 10_000);
    // A round trip through the gateway first: anything queued by the reload (schema listeners) has run.
    await revenueCodes(finance);
    expect(await revenueCodes(plain)).not.toContain('UNAUTHORIZED_FIELD_OR_TYPE');
    // And back: governed again on the next reload, for the very same token and document.
    const reopened = updates;
    write(BASE);
    await waitFor(() => updates > reopened, 'the second reload', 10_000);
    await revenueCodes(finance);
    expect(await revenueCodes(plain)).toEqual(['UNAUTHORIZED_FIELD_OR_TYPE']);
  });
});
