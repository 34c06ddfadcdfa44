/**
 * `npm run compose [-- --allow-breaking] [--check]`: composes `schema/<subgraph>.graphql` into
 * `schema/supergraph.graphql`. Fails with a readable report when the SDL does not compose, or when it
 * breaks clients of the existing supergraph. `--check` writes nothing (for CI).
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { composeSchemaDir } from '../gateway/index.js';

const args = new Set(process.argv.slice(2));
const schemaDir = path.resolve(process.env.MESH_SCHEMA_DIR ?? 'schema');
const urls = Object.fromEntries(
  (process.env.MESH_SUBGRAPHS ?? '')
    .split(',')
    .filter(Boolean)
    // A subgraph's replicas (`name=url1|url2`): the supergraph names the first.
    .map((entry) => entry.split('=').map((s) => s.trim().split('|')[0].trim()) as [string, string]),
);
const result = composeSchemaDir({ schemaDir, urls, allowBreaking: args.has('--allow-breaking') });
if (!result.ok) {
  console.error(result.report);
  process.exit(1);
}
if (result.breaking) console.warn(`accepted breaking changes:\n${result.breaking}`);
const target = path.join(schemaDir, 'supergraph.graphql');
if (args.has('--check')) {
  console.log(`the schema composes (${result.hints.length} hints); ${target} not written (--check)`);
} else {
  writeFileSync(target, result.supergraphSdl);
  console.log(`wrote ${target} (${result.hints.length} composition hints)`);
}
