/**
 * The command line of `npm run compose`, apart from its work (`composeCommand.ts`): the entry point parses
 * it before loading composition, so `--help` and a misspelt flag answer at once.
 */
import { parseArgs } from 'node:util';

export const COMPOSE_USAGE = `usage: npm run compose [-- [--check] [--allow-breaking]]
  Composes schema/<domain>.graphql (every domain of subgraphs/domains.ts) into schema/supergraph.graphql,
  routing each domain to http://<MESH_HOST>:<<DOMAIN>_PORT>/graphql (defaults: 127.0.0.1, the domain's
  defaultPort). Refuses SDL that does not compose, and changes that break clients of the current supergraph.
options:
  --check           write nothing; exit 1 when schema/supergraph.graphql differs from what compose produces
  --allow-breaking  accept breaking changes against the current supergraph (they are listed)
  --help            print this text
environment: MESH_SCHEMA_DIR (default schema), MESH_HOST, <DOMAIN>_PORT (e.g. ORDERS_PORT),
  MESH_SUBGRAPHS (name=url,... overrides the URL of the subgraphs it names)`;

/** What the command line asks for. */
export type ComposeArgs = { help: true } | { help: false; check: boolean; allowBreaking: boolean };

/** Parses the command line strictly (no positionals, no unknown or misspelt flags), or throws with the usage. */
export function parseComposeArgs(argv: readonly string[]): ComposeArgs {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: { check: { type: 'boolean' }, 'allow-breaking': { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    }));
  } catch (error) {
    throw new Error(`${(error as Error).message}\n${COMPOSE_USAGE}`, { cause: error });
  }
  if (values.help) return { help: true };
  return { help: false, check: values.check === true, allowBreaking: values['allow-breaking'] === true };
}
