/**
 * Spike (issue #11, item 3): can Hive Router's Rust query planner (`@graphql-hive/router-query-planner`)
 * plan our supergraphs, and how do its plans compare with @apollo/query-planner's (the one our gateway
 * runs today)? For each operation: whether each planner plans it, the number of subgraph fetches, the
 * fetch waves on the critical path (sequence steps), and the median planning time. Operations: the
 * gateway benchmark's two queries on its supergraph, the valid operations of the conformance corpus on
 * their supergraphs, and the README's first query on the committed `schema/supergraph.graphql`.
 * No product code changes; the Apollo side reads the federation model directly (a spike, not core/apollo/).
 *
 *   npx tsx bench/query-planner-spike.ts [--verbose]
 */
import { readFileSync } from 'node:fs';
import { operationFromDocument, Supergraph } from '@apollo/federation-internals';
import { QueryPlanner as ApolloPlanner, type PlanNode as ApolloNode } from '@apollo/query-planner';
import { QueryPlanner as HivePlanner, type PlanNode as HiveNode } from '@graphql-hive/router-query-planner';
import { parse } from 'graphql';
import { CONFORMANCE_CORPUS } from '../test/conformance/conformanceCorpus.js';
import { CONFORMANCE_SCHEMAS } from '../test/conformance/conformanceSubgraphs.js';
import { composeConformanceSchema } from '../test/conformance/startConformanceMesh.js';
import { composeBenchSupergraph, HEAVY_QUERY, SMALL_QUERY } from './support/benchSubgraphs.js';

const VERBOSE = process.argv.includes('--verbose');
const REPEAT = 15;

interface Shape {
  fetches: number;
  waves: number;
}

/** Fetch count and critical-path length of a plan node (both planners share the node kinds that matter). */
function shapeOf(node: ApolloNode | HiveNode | undefined): Shape {
  if (!node) return { fetches: 0, waves: 0 };
  switch (node.kind) {
    case 'Fetch':
    case 'BatchFetch':
      return { fetches: 1, waves: 1 };
    case 'Flatten':
      return shapeOf(node.node);
    case 'Sequence': {
      const shapes = (node.nodes as ApolloNode[]).map(shapeOf);
      return { fetches: shapes.reduce((a, s) => a + s.fetches, 0), waves: shapes.reduce((a, s) => a + s.waves, 0) };
    }
    case 'Parallel': {
      const shapes = (node.nodes as ApolloNode[]).map(shapeOf);
      return { fetches: shapes.reduce((a, s) => a + s.fetches, 0), waves: Math.max(0, ...shapes.map((s) => s.waves)) };
    }
    case 'Condition': {
      const branches = [node.ifClause, node.elseClause].map((n) => shapeOf(n as ApolloNode));
      return { fetches: Math.max(...branches.map((s) => s.fetches)), waves: Math.max(...branches.map((s) => s.waves)) };
    }
    default:
      return { fetches: NaN, waves: NaN };
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function timed<T>(plan: () => T): { result: T; ms: number } {
  let result = plan();
  const times: number[] = [];
  for (let i = 0; i < REPEAT; i++) {
    const started = performance.now();
    result = plan();
    times.push(performance.now() - started);
  }
  return { result, ms: median(times) };
}

interface Row {
  schema: string;
  name: string;
  apollo: (Shape & { ms: number }) | { error: string };
  hive: (Shape & { ms: number }) | { error: string };
}

function compare(schema: string, sdl: string, operations: Array<{ name: string; operation: string }>): Row[] {
  const supergraph = Supergraph.build(parse(sdl), { supportedFeatures: null });
  const apiSchema = supergraph.apiSchema();
  const apollo = new ApolloPlanner(supergraph);
  let hive: HivePlanner | null = null;
  let hiveError = '';
  try {
    hive = new HivePlanner(sdl);
  } catch (error) {
    hiveError = `cannot load the supergraph: ${(error as Error).message}`;
  }
  return operations.map(({ name, operation }) => {
    const row: Row = { schema, name, apollo: { error: '' }, hive: { error: hiveError } };
    try {
      const { result, ms } = timed(() => apollo.buildQueryPlan(operationFromDocument(apiSchema, parse(operation))));
      row.apollo = { ...shapeOf(result.node as ApolloNode | undefined), ms };
    } catch (error) {
      row.apollo = { error: (error as Error).message.split('\n')[0] };
    }
    if (hive)
      try {
        const planner = hive;
        const { result, ms } = timed(() => planner.plan(operation, null, new Set(), 0));
        row.hive = { ...shapeOf(result.node), ms };
        if (VERBOSE && name.startsWith('bench')) console.log(name, JSON.stringify(result, null, 1).slice(0, 4000));
      } catch (error) {
        row.hive = { error: (error as Error).message.split('\n')[0] };
      }
    return row;
  });
}

const dummyUrls = (names: readonly string[]) => Object.fromEntries(names.map((n) => [n, `http://${n}.invalid/graphql`]));
const rows: Row[] = [
  ...compare('bench', composeBenchSupergraph(dummyUrls(['accounts', 'inventory', 'products', 'reviews']) as never), [
    { name: 'bench heavy', operation: HEAVY_QUERY },
    { name: 'bench small', operation: SMALL_QUERY },
  ]),
  ...Object.entries(CONFORMANCE_SCHEMAS).flatMap(([schema, names]) =>
    compare(
      schema,
      composeConformanceSchema(names, dummyUrls(names)),
      CONFORMANCE_CORPUS.filter((e) => e.schema === schema && !e.invalid && !e.name.includes('[')),
    ),
  ),
  ...compare('mesh', readFileSync('schema/supergraph.graphql', 'utf8'), [
    {
      name: 'README first query',
      operation:
        'query($r: TimeRangeInput!) { products(first: 5) { edges { node { id name price sales(range: $r, granularity: DAY) { total { units revenue } } stock { onHand } delivery { avgLeadTimeHours onTimeRate } } } } }',
    },
  ]),
];

const fmt = (side: Row['apollo']) =>
  'error' in side ? `ERROR ${side.error.slice(0, 80)}` : `${side.fetches} fetches / ${side.waves} waves / ${side.ms.toFixed(2)} ms`;
let bothOk = 0;
let fewer = 0;
let more = 0;
const apolloMs: number[] = [];
const hiveMs: number[] = [];
for (const row of rows) {
  const a = row.apollo;
  const h = row.hive;
  const ok = !('error' in a) && !('error' in h);
  if (ok) {
    bothOk++;
    apolloMs.push(a.ms);
    hiveMs.push(h.ms);
    if (h.fetches < a.fetches) fewer++;
    if (h.fetches > a.fetches) more++;
  }
  const differs = !ok || a.fetches !== h.fetches || a.waves !== h.waves;
  if (VERBOSE || differs || row.schema === 'bench' || row.schema === 'mesh')
    console.log(`${`${row.schema}: ${row.name}`.padEnd(70).slice(0, 70)}  apollo ${fmt(a).padEnd(36)}  hive ${fmt(h)}`);
}
console.log(
  `\n${rows.length} operations; both planned ${bothOk}; Hive Router planner used fewer fetches on ${fewer}, more on ${more}; ` +
    `median planning time apollo ${median(apolloMs).toFixed(2)} ms, hive ${median(hiveMs).toFixed(2)} ms`,
);
