/**
 * The command line of `npm run new-domain`, apart from its work (`newDomainCommand.ts`): the entry point
 * parses it before loading composition, so `--help` and a bad name answer at once.
 */
import { parseArgs } from 'node:util';

export const NEW_DOMAIN_USAGE = `usage: npm run new-domain -- <name> [--owner "<team>"] [--contact <e-mail>] [--port <n>]
  Scaffolds a working data product: schema/<name>.graphql, subgraphs/<name>/ (facts, descriptor, resolvers,
  sample facts for npm start), test/subgraphs/<name>.test.ts, its line in subgraphs/domains.ts, and composes
  schema/supergraph.graphql with it. <name>: a lowercase letter, then 1-29 lowercase letters or digits.
options:
  --owner    owning team shown in the catalog (default "<Name> team")
  --contact  the team's e-mail (default <name>-team@example.com)
  --port     default port of its subgraph (default one above the highest port in subgraphs/domains.ts)
  --help     print this text`;

/** A domain name: also a TypeScript identifier prefix, a GraphQL type prefix, `<NAME>_PORT` and a schema name. */
export const DOMAIN_NAME = /^[a-z][a-z0-9]{1,29}$/;

/** Names taken by the repository's own folders and files, or by the gateway's own subgraph. */
const RESERVED = new Set(['kit', 'shared', 'supergraph', 'mesh', 'gateway', 'core', 'test', 'schema', 'domains']);

/** What the command line asks for. */
export type NewDomainArgs = { help: true } | { help: false; name: string; owner?: string; contact?: string; port?: number };

/** Parses the command line strictly, or throws with what is wrong and the usage. */
export function parseNewDomainArgs(argv: readonly string[]): NewDomainArgs {
  const fail = (why: string): never => {
    throw new Error(`${why}\n${NEW_DOMAIN_USAGE}`);
  };
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: true,
      options: { owner: { type: 'string' }, contact: { type: 'string' }, port: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    });
  } catch (error) {
    return fail((error as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) return { help: true };
  if (positionals.length !== 1)
    return fail(positionals.length ? `one name only; got ${positionals.join(' ')}` : 'name the domain, e.g. npm run new-domain -- returns');
  const [name] = positionals;
  if (!DOMAIN_NAME.test(name)) fail(`invalid name ${JSON.stringify(name)}: a lowercase letter, then 1-29 lowercase letters or digits`);
  if (RESERVED.has(name)) fail(`"${name}" is reserved; choose another name`);
  let port: number | undefined;
  if (values.port !== undefined) {
    port = Number(values.port);
    if (!/^\d+$/.test(values.port) || port < 1 || port > 65535) fail(`invalid --port ${JSON.stringify(values.port)}: a port number 1-65535`);
  }
  if (values.owner !== undefined && !values.owner.trim()) fail('--owner must not be empty');
  if (values.contact !== undefined && !/^[^\s@]+@[^\s@]+$/.test(values.contact)) fail(`invalid --contact ${JSON.stringify(values.contact)}: an e-mail address`);
  return { help: false, name, ...(values.owner && { owner: values.owner.trim() }), ...(values.contact && { contact: values.contact }), ...(port && { port }) };
}
