/** Command line and work of `npm run new-domain` (kept apart from the entry point so tests can import it). */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { runCompose } from './composeCommand.js';
import { domainTemplate } from './domainTemplate.js';

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

const IMPORTS_MARKER = '// new-domain: imports above this line';
const ENTRIES_MARKER = '  // new-domain: entries above this line';

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

/** The outcome of a scaffold: the files written, or why nothing was (`refused`: bad input, exit 2). */
export type ScaffoldResult = { ok: true; files: string[]; port: number; composed: string } | { ok: false; refused: boolean; report: string };

/**
 * Writes a new domain into the repository at `root` and composes the supergraph with it. Refuses a name
 * a domain, a file or a port already has; when the new SDL does not compose (e.g. a type name another
 * domain owns), removes what it wrote and returns the composition report.
 */
export function scaffoldDomain(root: string, args: Exclude<NewDomainArgs, { help: true }>, env: Readonly<Record<string, string | undefined>>): ScaffoldResult {
  const { name } = args;
  const refuse = (report: string): ScaffoldResult => ({ ok: false, refused: true, report });
  const domainsFile = path.join(root, 'subgraphs/domains.ts');
  const domains = readFileSync(domainsFile, 'utf8');
  if (!domains.includes(IMPORTS_MARKER) || !domains.includes(ENTRIES_MARKER))
    return refuse(`${domainsFile} lost its "new-domain:" marker comments; add the domain by hand`);
  if (new RegExp(`^\\s+${name}: \\{`, 'm').test(domains)) return refuse(`domain "${name}" exists already (subgraphs/domains.ts)`);
  const files = domainTemplate({
    name,
    owner: args.owner ?? `${name[0].toUpperCase()}${name.slice(1)} team`,
    contact: args.contact ?? `${name}-team@example.com`,
  });
  const taken = [`subgraphs/${name}`, ...files.map((f) => f.path)].filter((f) => existsSync(path.join(root, f)));
  if (taken.length) return refuse(`domain "${name}" exists already: ${taken.join(', ')}`);
  const ports = [...domains.matchAll(/defaultPort: (\d+)/g)].map((m) => Number(m[1]));
  const port = args.port ?? Math.max(4000, ...ports) + 1;
  if (ports.includes(port)) return refuse(`port ${port} is another domain's default port (subgraphs/domains.ts)`);

  const written: string[] = [];
  const undo = () => {
    for (const file of written) rmSync(path.join(root, file), { force: true });
    rmSync(path.join(root, `subgraphs/${name}`), { recursive: true, force: true });
    writeFileSync(domainsFile, domains);
  };
  for (const file of files) {
    mkdirSync(path.dirname(path.join(root, file.path)), { recursive: true });
    writeFileSync(path.join(root, file.path), file.content);
    written.push(file.path);
  }
  writeFileSync(
    domainsFile,
    domains
      .replace(
        IMPORTS_MARKER,
        `import { ${name}Product } from './${name}/${name}Product.js';\nimport { ${name}SampleFacts } from './${name}/${name}SampleFacts.js';\n${IMPORTS_MARKER}`,
      )
      .replace(ENTRIES_MARKER, `  ${name}: { define: ${name}Product, defaultPort: ${port}, sampleFacts: ${name}SampleFacts },\n${ENTRIES_MARKER}`),
  );
  // This process runs the domains.ts it was started with, which lacks the new line: name its URL here.
  const url = `http://${env.MESH_HOST || '127.0.0.1'}:${env[`${name.toUpperCase()}_PORT`] || port}/graphql`;
  const composed = runCompose({ help: false, check: false, allowBreaking: false }, path.join(root, 'schema'), env, { [name]: url });
  if (composed.exitCode !== 0) {
    undo();
    return { ok: false, refused: false, report: `the new domain does not compose with the others, nothing was kept:\n${composed.err.join('\n')}` };
  }
  return { ok: true, files: [...written, 'subgraphs/domains.ts', 'schema/supergraph.graphql'], port, composed: composed.out.join('\n') };
}
