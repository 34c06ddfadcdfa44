import { DuckDBInstance } from '@duckdb/node-api';
const orig = DuckDBInstance.create; const th = process.env.TH;
(DuckDBInstance as any).create = (p: string, o?: any) => orig.call(DuckDBInstance, p, th ? { ...o, threads: th } : o);
await import('./scratch-store-bench.js');
