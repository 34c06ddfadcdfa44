/**
 * `npm run -s token -- --scopes orders:read,finance:read --ttl 1h [--sub alice]`: prints a development
 * user token (and nothing else) on stdout, signed with the committed dev key. The gateway accepts it with
 * its default configuration. Development only: production tokens come from your identity provider.
 */
import { devTokenSettingsFromEnv, signDevToken } from './devToken.js';
import { parseTokenArgs } from './tokenArgs.js';

try {
  const args = parseTokenArgs(process.argv.slice(2));
  // The command line's issuer and audience (`--claim iss=…`) over the environment's.
  const settings = devTokenSettingsFromEnv(process.env);
  const token = await signDevToken({ ...settings, ...args, issuer: args.issuer ?? settings.issuer, audience: args.audience ?? settings.audience });
  process.stdout.write(`${token}\n`);
} catch (error) {
  process.stderr.write(`token: ${(error as Error).message}\n`);
  process.exit(2);
}
