import { openStore } from '../../subgraphs/startSubgraph.js';
import { subgraphConfigFromEnv } from '../../subgraphs/subgraphConfig.js';

describe('MESH_DUCKDB_THREADS', () => {
  it("should leave DuckDB's own thread count when unset", () => {
    expect(subgraphConfigFromEnv('orders', { MESH_STORE: 'memory' }).store).toEqual({ kind: 'duckdb', path: ':memory:' });
    expect(subgraphConfigFromEnv('orders', { MESH_STORE: 'memory', MESH_DUCKDB_THREADS: '' }).store).toEqual({ kind: 'duckdb', path: ':memory:' });
  });

  it('should open the embedded store with the threads it names', async () => {
    const config = subgraphConfigFromEnv('orders', { MESH_STORE: 'memory', MESH_DUCKDB_THREADS: '1' });
    expect(config.store).toEqual({ kind: 'duckdb', path: ':memory:', threads: 1 });
    const store = await openStore(config.store, 'orders');
    await store.close();
  });

  it.each(['0', '-1', '1.5', 'two'])('should refuse %j, naming the variable', (value) => {
    expect(() => subgraphConfigFromEnv('orders', { MESH_DUCKDB_THREADS: value })).toThrow(/^invalid MESH_DUCKDB_THREADS=/);
  });
});

describe('MESH_DUCKDB_MAX_WAL', () => {
  it("should leave the store's own cap when unset, and pass a size on to the store", async () => {
    expect(subgraphConfigFromEnv('orders', { MESH_STORE: 'memory', MESH_DUCKDB_MAX_WAL: '' }).store).toEqual({ kind: 'duckdb', path: ':memory:' });
    const config = subgraphConfigFromEnv('orders', { MESH_STORE: 'memory', MESH_DUCKDB_MAX_WAL: '256MB', MESH_DUCKDB_THREADS: '1' });
    expect(config.store).toEqual({ kind: 'duckdb', path: ':memory:', threads: 1, checkpointMaxThreshold: '256MB' });
    const store = await openStore(config.store, 'orders');
    await store.close();
    // The value reaches the store: one it refuses (below its 16 MB minimum, which the variable cannot be) is refused there.
    await expect(openStore({ kind: 'duckdb', path: ':memory:', checkpointMaxThreshold: '1KB' }, 'orders')).rejects.toThrow(
      /checkpointMaxThreshold \(1KB\) must not be below checkpointThreshold \(16MB\)/,
    );
  });

  it.each([
    ['lots', /a size such as '256MB'/],
    ['256', /a size such as '256MB'/],
    ['1MB', /at least 16MB/],
  ])('should refuse %j, naming the variable', (value, reason) => {
    expect(() => subgraphConfigFromEnv('orders', { MESH_DUCKDB_MAX_WAL: value })).toThrow(/^invalid MESH_DUCKDB_MAX_WAL=/);
    expect(() => subgraphConfigFromEnv('orders', { MESH_DUCKDB_MAX_WAL: value })).toThrow(reason);
  });
});
