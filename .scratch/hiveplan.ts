import { QueryPlanner } from '@graphql-hive/router-query-planner';
import { composeConformanceSchema } from '../test/conformance/startConformanceMesh.js';
import { CONFORMANCE_SCHEMAS } from '../test/conformance/conformanceSubgraphs.js';
const names = CONFORMANCE_SCHEMAS.full;
const sdl = composeConformanceSchema(names, Object.fromEntries(names.map((n) => [n, `http://x/${n}`])));
const p = new QueryPlanner(sdl);
for (const q of process.argv.slice(2)) console.log(JSON.stringify(p.plan(q, null, new Set(), 0), null, 1));
