/** Command-line arguments of `npm run token` (kept apart from the entry point so tests can import it). */

export const USAGE =
  'usage: npm run -s token -- --scopes <scope,scope,...> [--ttl <n>s|m|h|d] [--sub <subject>] [--claim key=value ...] (iss= and aud= set the issuer and audience)';

/** The parsed command line; `issuer` and `audience` only when a `--claim iss=` / `aud=` named them. */
export interface TokenArgs {
  scopes: string[];
  ttlSeconds: number;
  sub: string;
  claims: Record<string, unknown>;
  issuer?: string;
  audience?: string;
}

/**
 * The parsed command line, or a message saying what is wrong. `--claim iss=…` and `aud=…` set the issuer and
 * audience (a token for another issuer, to see it refused), `sub=…` the subject; `exp`, `iat` and `nbf` are
 * refused (`--ttl` sets the expiry): the signer sets those claims itself, and a claim it overwrote silently
 * was a token other than the one asked for.
 */
export function parseTokenArgs(argv: readonly string[]): TokenArgs {
  const fail = (why: string): never => {
    throw new Error(`${why}\n${USAGE}`);
  };
  let scopes: string[] | null = null;
  let ttlSeconds = 3600;
  let sub = 'dev-user';
  const claims: Record<string, unknown> = {};
  const registered: { issuer?: string; audience?: string } = {};
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const [name, inline] =
      flag.startsWith('--') && flag.includes('=') ? [flag.slice(0, flag.indexOf('=')), flag.slice(flag.indexOf('=') + 1)] : [flag, undefined];
    const value = () => inline ?? (argv[i + 1] !== undefined && !argv[i + 1].startsWith('--') ? argv[++i] : fail(`${name} needs a value`));
    switch (name) {
      case '--scopes': {
        const raw = value();
        scopes = raw.split(/[,\s]+/).filter(Boolean);
        const bad = scopes.find((s) => !/^[A-Za-z0-9_.:\-/*]+$/.test(s));
        if (bad) fail(`--scopes: "${bad}" is not a valid scope (letters, digits and _ . : - / *)`);
        break;
      }
      case '--ttl': {
        const raw = value();
        const match = /^(\d+)\s*(s|m|h|d)?$/.exec(raw);
        if (!match || Number(match[1]) <= 0) fail(`--ttl: "${raw}" is not a positive duration such as 90s, 15m, 1h or 7d`);
        ttlSeconds = Number(match![1]) * { s: 1, m: 60, h: 3600, d: 86400 }[(match![2] ?? 's') as 's' | 'm' | 'h' | 'd'];
        if (ttlSeconds > 30 * 86400) fail('--ttl: at most 30d');
        break;
      }
      case '--sub':
        sub = value();
        if (!sub.trim()) fail('--sub must not be empty');
        break;
      case '--claim': {
        const raw = value();
        const eq = raw.indexOf('=');
        if (eq <= 0) fail(`--claim: "${raw}" is not key=value`);
        const [key, claimed] = [raw.slice(0, eq), raw.slice(eq + 1)];
        if (key === 'iss') registered.issuer = claimed;
        else if (key === 'aud') registered.audience = claimed;
        else if (key === 'sub') sub = claimed;
        else if (['exp', 'iat', 'nbf'].includes(key)) fail(`--claim: "${key}" is set by the signer; use --ttl for the expiry`);
        else claims[key] = claimed;
        break;
      }
      case '--help':
      case '-h':
        fail('prints a development token on stdout');
        break;
      default:
        fail(`unknown argument "${flag}"`);
    }
  }
  if (scopes === null) fail('--scopes is required (use --scopes "" for a token without scopes)');
  return { scopes: scopes!, ttlSeconds, sub, claims, ...registered };
}
