/**
 * `npm run compose [-- --check] [--allow-breaking]`: composes `schema/<domain>.graphql` into
 * `schema/supergraph.graphql`, each subgraph routed to its domain's address (`subgraphs/domains.ts`).
 * Exits 0 when done (or up to date with `--check`), 1 when the SDL does not compose, breaks clients or is
 * stale, 2 on bad usage (nothing is written then). See `scripts/composeCommand.ts`.
 */
import path from 'node:path';
import { COMPOSE_USAGE, parseComposeArgs } from './composeArgs.js';

let args;
try {
  args = parseComposeArgs(process.argv.slice(2));
} catch (error) {
  process.stderr.write(`compose: ${(error as Error).message}\n`);
  process.exit(2);
}
if (args.help) {
  process.stdout.write(`${COMPOSE_USAGE}\n`);
  process.exit(0);
}
// Composition (and every domain's code) loads only now: usage answers do not wait for it.
const { runCompose } = await import('./composeCommand.js');
try {
  const outcome = runCompose(args, path.resolve(process.env.MESH_SCHEMA_DIR ?? 'schema'), process.env);
  for (const line of outcome.out) process.stdout.write(`${line}\n`);
  for (const line of outcome.err) process.stderr.write(`${line}\n`);
  process.exit(outcome.exitCode);
} catch (error) {
  process.stderr.write(`compose: ${(error as Error).message}\n`);
  process.exit(1);
}
