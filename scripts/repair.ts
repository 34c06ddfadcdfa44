/**
 * `npm run -s repair -- <domain> retract <source> <id> --reason "..."` (and `restore`, `rebuild`,
 * `retractions`): calls the admin routes of the RUNNING subgraph, which owns its store (an embedded DuckDB
 * file has a single writer). Prints the subgraph's JSON answer; exits 0 on 2xx, 1 otherwise, 2 on bad usage.
 * The token is `--token`, else `MESH_ADMIN_TOKEN`, else a dev token with `<domain>:admin` signed like
 * `npm run token` signs (development only).
 */
import { devTokenSettingsFromEnv, signDevToken } from './devToken.js';
import { parseRepairArgs, sendRepairRequest } from './repairCommand.js';
import { DOMAINS } from '../subgraphs/domains.js';

let request;
try {
  request = parseRepairArgs(process.argv.slice(2));
} catch (error) {
  process.stderr.write(`repair: ${(error as Error).message}\n`);
  process.exit(2);
}
try {
  const port =
    process.env[`${request.domain.toUpperCase()}_PORT`] ?? (DOMAINS as Record<string, { defaultPort: number } | undefined>)[request.domain]?.defaultPort;
  const baseUrl = request.url ?? (port ? `http://127.0.0.1:${port}` : undefined);
  if (!baseUrl) throw new Error(`no default port for domain "${request.domain}": pass --url`);
  const token =
    request.token ??
    (process.env.MESH_ADMIN_TOKEN ||
      (await signDevToken({
        scopes: [`${request.domain}:admin`],
        ttlSeconds: 300,
        sub: 'mesh-repair-cli',
        ...devTokenSettingsFromEnv(process.env),
      })));
  const { status, body } = await sendRepairRequest(request, baseUrl, token);
  process.stdout.write(`${typeof body === 'string' ? body : JSON.stringify(body, null, 2)}\n`);
  process.exit(status >= 200 && status < 300 ? 0 : 1);
} catch (error) {
  process.stderr.write(`repair: ${(error as Error).message}\n`);
  process.exit(1);
}
