/**
 * Settings `npm start` gives the pieces it runs unless the environment sets them: on one machine the four
 * subgraphs, the simulator and the gateway share its cores.
 *
 * `MESH_DUCKDB_THREADS=1`: DuckDB's default of one worker thread per core in each of four subgraphs
 * oversubscribes the cores; on the calling thread an apply costs 4–20 % less CPU (the seed's orders
 * facts, `bench/seed.ts` and docs/benchmarks.md "Simulator seed"), and the demo's queries are small.
 */
export function allInOneDefaults(env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  return { MESH_DUCKDB_THREADS: env.MESH_DUCKDB_THREADS || '1' };
}
