/**
 * `npm run publish -- <domain>`: publishes a domain's subgraph to a running gateway's schema registry
 * (see `scripts/publishCommand.ts`). Prints the gateway's JSON answer; exits 0 when the new supergraph is
 * in service, 1 when refused or not in service, 2 on bad usage.
 */
import path from 'node:path';
import { devTokenSettingsFromEnv, signDevToken } from './devToken.js';
import { domainPublication, parsePublishArgs, PUBLISH_USAGE } from './publishCommand.js';

let args;
try {
  args = parsePublishArgs(process.argv.slice(2));
} catch (error) {
  process.stderr.write(`publish: ${(error as Error).message}\n`);
  process.exit(2);
}
if (args.help) {
  process.stdout.write(`${PUBLISH_USAGE}\n`);
  process.exit(0);
}
try {
  const body = domainPublication(args.domain, path.resolve(process.env.MESH_SCHEMA_DIR ?? 'schema'), process.env, args.urls);
  const gateway = (args.gateway ?? `http://127.0.0.1:${process.env.GATEWAY_PORT || 4000}`).replace(/\/+$/, '');
  const token =
    args.token ??
    (process.env.MESH_PUBLISH_TOKEN ||
      (await signDevToken({
        scopes: [`mesh:publish:${args.domain}`],
        ttlSeconds: 300,
        sub: 'mesh-publish-cli',
        ...devTokenSettingsFromEnv(process.env),
      })));
  const response = await fetch(`${gateway}/registry/subgraphs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });
  const answer = await response.text();
  let shown = answer;
  let warnings: unknown = undefined;
  try {
    const parsed = JSON.parse(answer) as { warnings?: unknown };
    shown = JSON.stringify(parsed, null, 2);
    warnings = parsed.warnings;
  } catch {
    // not JSON: shown as it came
  }
  process.stdout.write(`${shown}\n`);
  if (Array.isArray(warnings)) for (const warning of warnings) process.stderr.write(`publish: warning: ${String(warning)}\n`);
  process.exit(response.status === 201 || response.status === 200 ? 0 : 1);
} catch (error) {
  process.stderr.write(`publish: ${(error as Error).message}\n`);
  process.exit(1);
}
