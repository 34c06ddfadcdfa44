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
