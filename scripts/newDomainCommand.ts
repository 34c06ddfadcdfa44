/** Command line and work of `npm run new-domain` (kept apart from the entry point so tests can import it). */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { runCompose } from './composeCommand.js';
import { domainTemplate } from './domainTemplate.js';
import type { NewDomainArgs } from './newDomainArgs.js';

export { DOMAIN_NAME, NEW_DOMAIN_USAGE, parseNewDomainArgs, type NewDomainArgs } from './newDomainArgs.js';

const IMPORTS_MARKER = '// new-domain: imports above this line';
const ENTRIES_MARKER = '  // new-domain: entries above this line';

/** The outcome of a scaffold: the files written, or why nothing was (`refused`: bad input, exit 2). */
export type ScaffoldResult = { ok: true; files: string[]; port: number; composed: string } | { ok: false; refused: boolean; report: string };

/**
 * Writes a new domain into the repository at `root` and composes the supergraph with it. Refuses a name
 * a domain or a file already has, and a port another domain or the gateway (`GATEWAY_PORT`) has; when the new SDL does not compose (e.g. a type name another
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
  const gatewayPort = Number(env.GATEWAY_PORT || 4000);
  if (port === gatewayPort) return refuse(`port ${port} is the gateway's (GATEWAY_PORT, default 4000)`);

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
