/**
 * `npm run new-domain -- <name> [--owner "<team>"] [--contact <e-mail>] [--port <n>]`: scaffolds a working
 * data product in this repository and composes the supergraph with it (see `scripts/newDomainCommand.ts`).
 * Exits 0 when written, 1 when the new SDL does not compose (nothing kept), 2 on bad usage or a name
 * that is taken (nothing written).
 */
import { NEW_DOMAIN_USAGE, parseNewDomainArgs } from './newDomainArgs.js';

let args;
try {
  args = parseNewDomainArgs(process.argv.slice(2));
} catch (error) {
  process.stderr.write(`new-domain: ${(error as Error).message}\n`);
  process.exit(2);
}
if (args.help) {
  process.stdout.write(`${NEW_DOMAIN_USAGE}\n`);
  process.exit(0);
}
// Composition (and every domain's code) loads only now: usage answers do not wait for it.
const { scaffoldDomain } = await import('./newDomainCommand.js');
const result = scaffoldDomain(process.cwd(), args, process.env);
if (!result.ok) {
  process.stderr.write(`new-domain: ${result.report}\n`);
  process.exit(result.refused ? 2 : 1);
}
const { name } = args;
process.stdout.write(`created domain "${name}" (default port ${result.port}):
${result.files.map((f) => `  ${f}`).join('\n')}
${result.composed}
next:
  npx jest test/subgraphs/${name}.test.ts      its tests
  npm start                                    the mesh with it (sample facts posted after seeding)
  then reshape schema/${name}.graphql and subgraphs/${name}/ to the domain, and run npm run compose
`);
