/** Command line and request of `npm run publish` (kept apart from the entry point so tests can import it). */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { readSubgraphSdl } from '../core/graphql/readSubgraphSdl.js';
import { loadTypeDefs } from '../subgraphs/kit/essentials.js';
import { DOMAINS, domainUrls, type DomainEntry } from '../subgraphs/domains.js';

export const PUBLISH_USAGE = `usage: npm run publish -- <domain> [--gateway <url>] [--url <subgraph url>]... [--token <token>]
  Publishes a domain's subgraph to a running gateway's schema registry: its SDL (schema/<domain>.graphql
  with the shared types), its URL (as npm run compose routes it) and its descriptor (subgraphs/domains.ts).
  The gateway composes it with the others and answers with the version, or refuses naming each problem.
options:
  --gateway  the gateway's base URL (default http://127.0.0.1:<GATEWAY_PORT or 4000>)
  --url      the subgraph's URL, once per replica (default its address from subgraphs/domains.ts)
  --token    a token with mesh:publish or mesh:publish:<domain> (default $MESH_PUBLISH_TOKEN, else a dev token)
  --help     print this text`;

/** What the command line asks for. */
export type PublishArgs = { help: true } | { help: false; domain: string; gateway?: string; urls: string[]; token?: string };

/** Parses the command line strictly, or throws with what is wrong and the usage. */
export function parsePublishArgs(argv: readonly string[]): PublishArgs {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: true,
      options: { gateway: { type: 'string' }, url: { type: 'string', multiple: true }, token: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    });
  } catch (error) {
    throw new Error(`${(error as Error).message}\n${PUBLISH_USAGE}`, { cause: error });
  }
  const { values, positionals } = parsed;
  if (values.help) return { help: true };
  if (positionals.length !== 1) throw new Error(`name one domain, e.g. npm run publish -- orders\n${PUBLISH_USAGE}`);
  return {
    help: false,
    domain: positionals[0],
    urls: values.url ?? [],
    ...(values.gateway && { gateway: values.gateway }),
    ...(values.token && { token: values.token }),
  };
}

/** The body of `POST /registry/subgraphs` for a domain of this repository. */
export function domainPublication(domain: string, schemaDir: string, env: Readonly<Record<string, string | undefined>>, urls: readonly string[] = []) {
  const entry = (DOMAINS as Record<string, DomainEntry>)[domain];
  if (!entry) throw new Error(`unknown domain "${domain}"; known: ${Object.keys(DOMAINS).join(', ')}`);
  const { descriptor } = entry.define(loadTypeDefs(schemaDir, domain));
  return {
    name: domain,
    urls: urls.length ? [...urls] : [(domainUrls(env) as Record<string, string>)[domain]],
    sdl: readSubgraphSdl(path.resolve(schemaDir), domain),
    descriptor,
  };
}
