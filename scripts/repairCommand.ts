/** Command line and HTTP call of `npm run repair` (kept apart from the entry point so tests can import it). */

export const REPAIR_USAGE = `usage: npm run -s repair -- <domain> <command> [options]
  retract <source> <id> --reason "<why>"   the fact stops counting; its hour's rollups and its states are recomputed
  restore <source> <id>                    undo a retraction
  rebuild [--from <RFC 3339>] [--to <RFC 3339>] [--rollup <name>]
                                           recompute rollups (default: all) from stored facts (default: all), one UTC
                                           day per transaction; also \`npm run rebuild -- <domain> [options]\`
  retractions [--limit <n>]                list retractions in force, newest first
options: --url <subgraph base URL> (default http://127.0.0.1:<DOMAIN>_PORT or the domain's default port)
         --token <admin token> (default $MESH_ADMIN_TOKEN, else a dev token with <domain>:admin)`;

/** What to send to the subgraph. */
export interface RepairRequest {
  domain: string;
  method: 'GET' | 'POST';
  /** Path under the subgraph's base URL, e.g. `/admin/retract`. */
  path: string;
  body?: Record<string, string>;
  url?: string;
  token?: string;
}

/** Parses the command line into a request, or throws with what is wrong and the usage. */
export function parseRepairArgs(argv: readonly string[]): RepairRequest {
  const fail = (why: string): never => {
    throw new Error(`${why}\n${REPAIR_USAGE}`);
  };
  const positional: string[] = [];
  const flags: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--')) {
      positional.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = eq > 0 ? arg.slice(2, eq) : arg.slice(2);
    if (!['reason', 'from', 'to', 'rollup', 'limit', 'url', 'token'].includes(name)) fail(`unknown option --${name}`);
    const value = eq > 0 ? arg.slice(eq + 1) : argv[++i];
    if (value === undefined || value === '') fail(`--${name} needs a value`);
    flags[name] = value;
  }
  const [domain, command, ...rest] = positional;
  if (!domain || !/^[a-z][a-z0-9_]*$/.test(domain)) fail('name the domain first, e.g. orders');
  const common = { domain, url: flags.url, token: flags.token };
  const only = (allowed: string[]) => {
    const extra = Object.keys(flags).find((flag) => !['url', 'token', ...allowed].includes(flag));
    if (extra) fail(`--${extra} does not apply to ${command}`);
  };
  const key = () => {
    if (rest.length !== 2) fail(`${command} takes <source> <id>`);
    return { source: rest[0], id: rest[1] };
  };
  switch (command) {
    case 'retract':
      only(['reason']);
      if (!flags.reason?.trim()) fail('retract needs --reason "<why>" (it is kept for audit)');
      return { ...common, method: 'POST', path: '/admin/retract', body: { ...key(), reason: flags.reason } };
    case 'restore':
      only([]);
      return { ...common, method: 'POST', path: '/admin/restore', body: key() };
    case 'rebuild': {
      only(['from', 'to', 'rollup']);
      if (rest.length > 0) fail('rebuild takes no positional arguments');
      const body: Record<string, string> = {};
      if (flags.rollup !== undefined) body.rollup = flags.rollup;
      for (const bound of ['from', 'to'] as const) {
        if (flags[bound] === undefined) continue;
        if (!Number.isFinite(Date.parse(flags[bound]))) fail(`--${bound} must be an RFC 3339 timestamp, e.g. 2024-05-01T00:00:00Z`);
        body[bound] = flags[bound];
      }
      return { ...common, method: 'POST', path: '/admin/rebuild', body };
    }
    case 'retractions': {
      only(['limit']);
      const limit = flags.limit ?? '100';
      if (!/^\d+$/.test(limit)) fail('--limit must be a positive integer');
      return { ...common, method: 'GET', path: `/admin/retractions?limit=${limit}` };
    }
    default:
      return fail(command ? `unknown command "${command}"` : 'name a command: retract, restore, rebuild or retractions');
  }
}

/** Sends the request to the running subgraph; the answer's status and JSON body, as received. */
export async function sendRepairRequest(request: RepairRequest, baseUrl: string, token: string): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${baseUrl.replace(/\/+$/, '')}${request.path}`, {
    method: request.method,
    headers: { authorization: `Bearer ${token}`, ...(request.body ? { 'content-type': 'application/json' } : {}) },
    body: request.body ? JSON.stringify(request.body) : undefined,
  });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // kept as text: the answer of something that is not a subgraph
  }
  return { status: response.status, body };
}
