import { allInOneDefaults } from '../../scripts/allInOneDefaults.js';

describe('allInOneDefaults', () => {
  it('should run each subgraph of npm start on one DuckDB thread unless MESH_DUCKDB_THREADS says otherwise', () => {
    expect(allInOneDefaults({})).toEqual({ MESH_DUCKDB_THREADS: '1' });
    expect(allInOneDefaults({ MESH_DUCKDB_THREADS: '' })).toEqual({ MESH_DUCKDB_THREADS: '1' });
    expect(allInOneDefaults({ MESH_DUCKDB_THREADS: '4' })).toEqual({ MESH_DUCKDB_THREADS: '4' });
  });
});
