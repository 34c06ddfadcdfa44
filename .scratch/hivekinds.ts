import { QueryPlanner } from '@graphql-hive/router-query-planner';
import { CONFORMANCE_CORPUS } from '../test/conformance/conformanceCorpus.js';
import { CONFORMANCE_SCHEMAS } from '../test/conformance/conformanceSubgraphs.js';
import { composeConformanceSchema } from '../test/conformance/startConformanceMesh.js';
import { composeBenchSupergraph, HEAVY_QUERY } from '../bench/support/benchSubgraphs.js';
const kinds = new Map<string, number>();
const walk = (n: any) => { if (!n || typeof n !== 'object') return; if (Array.isArray(n)) return n.forEach(walk); if (n.kind) kinds.set(n.kind, (kinds.get(n.kind) ?? 0) + 1); for (const v of Object.values(n)) walk(v); };
const dummy = (names: readonly string[]) => Object.fromEntries(names.map((n) => [n, `http://${n}.invalid/graphql`]));
for (const [schema, names] of Object.entries(CONFORMANCE_SCHEMAS)) {
  const p = new QueryPlanner(composeConformanceSchema(names, dummy(names)));
  for (const e of CONFORMANCE_CORPUS.filter((e) => e.schema === schema && !e.invalid)) { try { const plan = p.plan(e.operation, null, new Set(), 0); walk(plan); if (JSON.stringify(plan).includes('BatchFetch') && !kinds.has('shown')) { kinds.set('shown', 1); console.log(e.name, JSON.stringify(plan)); } } catch (err) { console.log('ERR', e.name, (err as Error).message.slice(0, 100)); } }
}
const b = new QueryPlanner(composeBenchSupergraph(dummy(['accounts', 'inventory', 'products', 'reviews']) as never));
const hp = b.plan(HEAVY_QUERY, null, new Set(), 0); walk(hp); console.log(JSON.stringify(hp).slice(0, 3000));
console.log([...kinds]);
