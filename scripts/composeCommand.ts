/** Command line and work of `npm run compose` (kept apart from the entry point so tests can import it). */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { composeSchemaDir, type ComposeSchemaDirResult } from '../gateway/index.js';
import { domainUrls } from '../subgraphs/domains.js';

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

/**
 * The routing URL of every subgraph compose writes: the domains' own addresses ({@link domainUrls}),
 * with `MESH_SUBGRAPHS` (`name=url,...`; of `name=url1|url2` replicas, the first) taking precedence for
 * the subgraphs it names.
 */
export function composeUrls(env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const overrides = (env.MESH_SUBGRAPHS ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean)
    .map((entry) => {
      const eq = entry.indexOf('=');
      if (eq <= 0) throw new Error(`invalid MESH_SUBGRAPHS entry ${JSON.stringify(entry)}: use name=url`);
      return [
        entry.slice(0, eq).trim(),
        entry
          .slice(eq + 1)
          .split('|')[0]
          .trim(),
      ] as const;
    });
  return { ...domainUrls(env), ...Object.fromEntries(overrides) };
}

/**
 * Composes the domains' SDL in `schemaDir` routed by {@link composeUrls}; `extraUrls` routes domains the
 * running `subgraphs/domains.ts` does not know yet (one `npm run new-domain` just added).
 */
export function composeDomains(
  schemaDir: string,
  env: Readonly<Record<string, string | undefined>>,
  allowBreaking = false,
  extraUrls: Readonly<Record<string, string>> = {},
): ComposeSchemaDirResult {
  return composeSchemaDir({ schemaDir, urls: { ...composeUrls(env), ...extraUrls }, allowBreaking });
}

/** What a compose run printed and how it exits. */
export interface ComposeOutcome {
  exitCode: 0 | 1;
  /** Lines for stdout. */
  out: string[];
  /** Lines for stderr. */
  err: string[];
}

/** Runs compose as the command line asks: writes `supergraph.graphql` (or, with `--check`, compares it). */
export function runCompose(
  args: Exclude<ComposeArgs, { help: true }>,
  schemaDir: string,
  env: Readonly<Record<string, string | undefined>>,
  extraUrls: Readonly<Record<string, string>> = {},
): ComposeOutcome {
  const result = composeDomains(schemaDir, env, args.allowBreaking, extraUrls);
  if (!result.ok) return { exitCode: 1, out: [], err: [result.report] };
  const err = result.breaking ? [`accepted breaking changes:\n${result.breaking}`] : [];
  const target = path.join(schemaDir, 'supergraph.graphql');
  if (args.check) {
    const current = existsSync(target) ? readFileSync(target, 'utf8') : null;
    if (current === result.supergraphSdl) return { exitCode: 0, out: [`${target} is up to date (${result.hints.length} composition hints)`], err };
    return { exitCode: 1, out: [], err: [...err, `${target} is not what compose produces: run npm run compose and commit it`] };
  }
  writeFileSync(target, result.supergraphSdl);
  return { exitCode: 0, out: [`wrote ${target} (${result.hints.length} composition hints)`], err };
}
