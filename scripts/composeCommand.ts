/** Command line and work of `npm run compose` (kept apart from the entry point so tests can import it). */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { composeSchemaDir, type ComposeSchemaDirResult } from '../gateway/index.js';
import { domainUrls } from '../subgraphs/domains.js';
import type { ComposeArgs } from './composeArgs.js';

export { COMPOSE_USAGE, parseComposeArgs, type ComposeArgs } from './composeArgs.js';

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
