/**
 * Development tokens signed with the committed dev key (`config/dev-jwks.private.json`): for
 * `npm run token`, the demo simulator's producer token, and tests. Production tokens come from your
 * identity provider; the gateway then verifies them with `MESH_AUTH_JWKS_URL`.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { importJWK, SignJWT, type JWK } from 'jose';

export const DEV_PRIVATE_JWKS_FILE = 'config/dev-jwks.private.json';

/** What to put in a dev token. */
export interface DevTokenOptions {
  /** Granted scopes (space-joined into the `scope` claim, or an array in another claim). */
  scopes: readonly string[];
  /** Lifetime in seconds (negative mints an already expired token, for tests). */
  ttlSeconds: number;
  /** @default 'dev-user' */
  sub?: string;
  /** @default 'mesh-dev' */
  issuer?: string;
  /** @default 'mesh' */
  audience?: string;
  /** @default 'scope' */
  scopesClaim?: string;
  /** Extra claims (for policies). */
  claims?: Record<string, unknown>;
  /** @default config/dev-jwks.private.json (relative to the working directory) */
  privateJwksFile?: string;
}

type SigningKey = Awaited<ReturnType<typeof importJWK>>;

const keys = new Map<string, Promise<{ key: SigningKey; kid?: string; alg: string }>>();

function signingKey(file: string) {
  let loaded = keys.get(file);
  if (!loaded) {
    loaded = (async () => {
      const jwk = (JSON.parse(readFileSync(file, 'utf8')) as { keys: JWK[] }).keys[0];
      if (!jwk?.d) throw new Error(`${file} holds no private key`);
      const alg = jwk.alg ?? 'ES256';
      return { key: await importJWK(jwk, alg), kid: jwk.kid, alg };
    })();
    keys.set(file, loaded);
  }
  return loaded;
}

/**
 * The signing settings the command-line tools (`npm run token`, `publish`, `repair`) take from the
 * environment, so the dev tokens they mint pass a gateway configured with the same `MESH_AUTH_*` settings.
 * An empty variable counts as unset.
 */
export function devTokenSettingsFromEnv(env: NodeJS.ProcessEnv): Pick<DevTokenOptions, 'issuer' | 'audience' | 'scopesClaim' | 'privateJwksFile'> {
  return {
    issuer: env.MESH_AUTH_ISSUER || undefined,
    audience: env.MESH_AUTH_AUDIENCE || undefined,
    scopesClaim: env.MESH_AUTH_SCOPES_CLAIM || undefined,
    privateJwksFile: env.MESH_AUTH_PRIVATE_JWKS_FILE || undefined,
  };
}

/** Signs a token the gateway (and subgraphs, for producer tokens) accept with the default dev config. */
export async function signDevToken(options: DevTokenOptions): Promise<string> {
  const {
    scopes,
    ttlSeconds,
    sub = 'dev-user',
    issuer = 'mesh-dev',
    audience = 'mesh',
    scopesClaim = 'scope',
    claims = {},
    privateJwksFile = DEV_PRIVATE_JWKS_FILE,
  } = options;
  const { key, kid, alg } = await signingKey(path.resolve(privateJwksFile));
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ ...claims, [scopesClaim]: scopesClaim === 'scope' ? scopes.join(' ') : [...scopes] })
    .setProtectedHeader({ alg, typ: 'JWT', ...(kid ? { kid } : {}) })
    .setSubject(sub)
    .setIssuer(issuer)
    .setAudience(audience)
    .setIssuedAt(now)
    .setExpirationTime(now + ttlSeconds)
    .sign(key);
}

/**
 * A producer token for the demo simulator, re-minted before it runs out: `<domain>:write` for every
 * domain. Returns the headers `runSimulator` sends with each request.
 */
export function devProducerHeaders(domains: readonly string[], env: NodeJS.ProcessEnv = process.env): () => Promise<Record<string, string>> {
  const ttlSeconds = 3600;
  let current: { token: string; renewAt: number } | null = null;
  return async () => {
    if (env.MESH_PRODUCER_TOKEN) return { authorization: `Bearer ${env.MESH_PRODUCER_TOKEN}` };
    if (!current || Date.now() >= current.renewAt) {
      const token = await signDevToken({
        scopes: domains.map((d) => `${d}:write`),
        ttlSeconds,
        sub: 'mesh-simulator',
        issuer: env.MESH_AUTH_ISSUER || undefined,
        audience: env.MESH_AUTH_AUDIENCE || undefined,
        scopesClaim: env.MESH_AUTH_SCOPES_CLAIM || undefined,
      });
      current = { token, renewAt: Date.now() + (ttlSeconds / 2) * 1000 };
    }
    return { authorization: `Bearer ${current.token}` };
  };
}
