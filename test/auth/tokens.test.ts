/**
 * Identity: user tokens verified with jose (JWKS file or URL, expiry, issuer, audience, scopes claim),
 * the gateway's signed identity for subgraphs, the dev token command's arguments, and the env config.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { exportJWK, generateKeyPair, importJWK, SignJWT, type JWK } from 'jose';
import { createGatewayTokenSigner } from '../../gateway/auth/createGatewayTokenSigner.js';
import { AuthenticationError, createTokenVerifier, SigningKeysUnavailableError } from '../../gateway/auth/createTokenVerifier.js';
import { ANONYMOUS } from '../../gateway/auth/Principal.js';
import { DEV_GATEWAY_SECRET } from '../../core/tokens/devCredentials.js';
import { gatewayConfigFromEnv } from '../../gateway/config/gatewayConfig.js';
import { gatewayTokenAuthenticator } from '../../subgraphs/kit/auth/gatewayTokenAuthenticator.js';
import { subgraphConfigFromEnv } from '../../subgraphs/subgraphConfig.js';
import { signDevToken } from '../../scripts/devToken.js';
import { parseTokenArgs } from '../../scripts/tokenArgs.js';
import { startOfNextSecond } from '../support/asyncWait.js';

const DEV_JWKS = path.resolve('config/dev-jwks.public.json');
const verifier = createTokenVerifier({ keys: { kind: 'local', jwksFile: DEV_JWKS }, issuer: 'mesh-dev', audience: 'mesh' });

async function reasonOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(AuthenticationError);
    return (error as AuthenticationError).reason;
  }
  throw new Error('expected a refusal');
}

describe('createTokenVerifier', () => {
  it('should turn a dev token into a principal with sub, scopes and expiry', async () => {
    const token = await signDevToken({ scopes: ['orders:read', 'finance:read'], ttlSeconds: 60, sub: 'alice' });
    const principal = await verifier.fromAuthorization(`Bearer ${token}`);
    expect(principal).toMatchObject({ authenticated: true, sub: 'alice', scopes: ['orders:read', 'finance:read'] });
    expect(principal.expiresAt).toBeGreaterThan(Date.now() / 1000);
  });

  it('should treat a missing or empty header as anonymous', async () => {
    expect(await verifier.fromAuthorization(undefined)).toBe(ANONYMOUS);
    expect(await verifier.fromAuthorization('')).toBe(ANONYMOUS);
  });

  it('should read scopes from a configured claim holding an array or a string', async () => {
    const custom = createTokenVerifier({ keys: { kind: 'local', jwksFile: DEV_JWKS }, issuer: 'mesh-dev', audience: 'mesh', scopesClaim: 'permissions' });
    const asArray = await signDevToken({ scopes: ['a', 'b'], ttlSeconds: 60, scopesClaim: 'permissions' });
    expect((await custom.verify(asArray)).scopes).toEqual(['a', 'b']);
    const asString = await signDevToken({ scopes: [], ttlSeconds: 60, claims: { permissions: 'c  d' } });
    expect((await custom.verify(asString)).scopes).toEqual(['c', 'd']);
  });

  it.each([
    ['an expired token', () => signDevToken({ scopes: [], ttlSeconds: -60 }), 'the token has expired'],
    ['another issuer', () => signDevToken({ scopes: [], ttlSeconds: 60, issuer: 'evil' }), 'the token\'s issuer is not trusted (expected "mesh-dev")'],
    ['another audience', () => signDevToken({ scopes: [], ttlSeconds: 60, audience: 'other' }), 'the token is not for this audience (expected "mesh")'],
    ['garbage', async () => 'not-a-jwt', 'the token is malformed'],
  ])('should refuse %s with a clear reason', async (_what, mint, reason) => {
    expect(await reasonOf(verifier.fromAuthorization(`Bearer ${await mint()}`))).toBe(reason);
  });

  it('should refuse a token signed by a key it does not trust, with or without a known kid', async () => {
    const { privateKey } = await generateKeyPair('ES256');
    const base = () => new SignJWT({ scope: 'finance:read' }).setIssuer('mesh-dev').setAudience('mesh').setExpirationTime('1m');
    const unknownKid = await base().setProtectedHeader({ alg: 'ES256', kid: 'stranger' }).sign(privateKey);
    expect(await reasonOf(verifier.verify(unknownKid))).toBe('the token is not signed by a trusted key');
    const devKid = (JSON.parse(readFileSync(DEV_JWKS, 'utf8')) as { keys: Array<{ kid: string }> }).keys[0].kid;
    const forged = await base().setProtectedHeader({ alg: 'ES256', kid: devKid }).sign(privateKey);
    expect(await reasonOf(verifier.verify(forged))).toBe('the token signature is invalid');
  });

  it('should refuse a token without exp, and a header that is not Bearer', async () => {
    const devKey = (JSON.parse(readFileSync('config/dev-jwks.private.json', 'utf8')) as { keys: JWK[] }).keys[0];
    const noExp = await new SignJWT({})
      .setProtectedHeader({ alg: 'ES256', kid: devKey.kid })
      .setIssuer('mesh-dev')
      .setAudience('mesh')
      .sign(await importJWK(devKey, 'ES256'));
    expect(await reasonOf(verifier.verify(noExp))).toBe('the token lacks the "exp" claim');
    const symmetric = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer('mesh-dev')
      .setAudience('mesh')
      .setExpirationTime('1m')
      .sign(new TextEncoder().encode(DEV_GATEWAY_SECRET));
    expect(await reasonOf(verifier.verify(symmetric))).toBe('the token is signed with an algorithm that is not accepted');
    expect(await reasonOf(verifier.fromAuthorization('Basic dXNlcjpwdw=='))).toBe('the Authorization header must be "Bearer <token>"');
  });

  it('should refuse to start with a private key or a missing JWKS file', () => {
    expect(() => createTokenVerifier({ keys: { kind: 'local', jwksFile: path.resolve('config/dev-jwks.private.json') }, issuer: 'i', audience: 'a' })).toThrow(
      /private key/,
    );
    expect(() => createTokenVerifier({ keys: { kind: 'local', jwksFile: '/nonexistent/jwks.json' }, issuer: 'i', audience: 'a' })).toThrow(
      /cannot read the JWKS file/,
    );
  });

  describe('with a JWKS URL', () => {
    let server: Server;
    let jwks = '{"keys":[]}';
    let status = 200;
    let url: string;
    beforeAll(async () => {
      server = createServer((_req, res) => void res.writeHead(status, { 'content-type': 'application/json' }).end(jwks));
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`;
    });
    afterAll(() => new Promise((resolve) => server.close(resolve)));

    it('should fetch the keys and verify with them', async () => {
      const { publicKey, privateKey } = await generateKeyPair('ES256');
      jwks = JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256' }] });
      const remote = createTokenVerifier({ keys: { kind: 'jwks-url', url }, issuer: 'idp', audience: 'mesh' });
      const token = await new SignJWT({ scope: 'x' })
        .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
        .setIssuer('idp')
        .setAudience('mesh')
        .setExpirationTime('1m')
        .setSubject('u')
        .sign(privateKey);
      expect(await remote.verify(token)).toMatchObject({ sub: 'u', scopes: ['x'] });
    });

    it('should report keys it cannot fetch as unavailable, not as a bad token', async () => {
      status = 500;
      const remote = createTokenVerifier({ keys: { kind: 'jwks-url', url }, issuer: 'idp', audience: 'mesh' });
      const token = await signDevToken({ scopes: [], ttlSeconds: 60, issuer: 'idp' });
      await expect(remote.verify(token)).rejects.toBeInstanceOf(SigningKeysUnavailableError);
      status = 200;
    });
  });
});

describe('gateway identity tokens', () => {
  const secret = 'a-test-secret-of-at-least-32-characters!';
  const authenticate = gatewayTokenAuthenticator({ secret, audience: 'orders' });

  it('should carry sub and scopes to the subgraph', async () => {
    const signer = createGatewayTokenSigner({ secret });
    const headers = await signer.headersFor('orders', { authenticated: true, sub: 'alice', scopes: ['finance:read'], claims: {} });
    expect(await authenticate(headers)).toMatchObject({ sub: 'alice', scopes: ['finance:read'], claims: { kind: 'user', aud: 'orders' } });
    expect(await authenticate(await signer.headersFor('orders', ANONYMOUS))).toMatchObject({ sub: undefined, scopes: [], claims: { kind: 'anonymous' } });
    expect(await authenticate(await signer.headersFor('orders'))).toMatchObject({ sub: 'mesh-gateway', claims: { kind: 'service' } });
  });

  it('should reuse a token per identity while more than half its life is left', async () => {
    let now = 1_800_000_000_000;
    const signer = createGatewayTokenSigner({ secret, ttlSeconds: 60, now: () => now });
    const alice = { authenticated: true, sub: 'alice', scopes: ['b', 'a'], claims: {} };
    const first = await signer.tokenFor('orders', alice);
    expect(await signer.tokenFor('orders', { ...alice, scopes: ['a', 'b'] })).toBe(first);
    expect(await signer.tokenFor('orders', { ...alice, sub: 'bob' })).not.toBe(first);
    expect(await signer.tokenFor('inventory', alice)).not.toBe(first);
    now += 31_000;
    expect(await signer.tokenFor('orders', alice)).not.toBe(first);
  });

  it('should refuse a missing, forged or expired token', async () => {
    await expect(authenticate({})).rejects.toThrow(/only answers the gateway/);
    const forged = await createGatewayTokenSigner({ secret: 'another-secret-of-at-least-32-characters' }).headersFor('orders');
    await expect(authenticate(forged)).rejects.toThrow(/signature is invalid/);
    const old = await createGatewayTokenSigner({ secret, now: () => Date.now() - 3_600_000 }).headersFor('orders');
    await expect(authenticate(old)).rejects.toThrow(/expired/);
  });

  it('should take a token verified before only until it expires, and check every other string', async () => {
    // Verified payloads are reused per token string (the gateway sends the same token for half a minute).
    const strict = gatewayTokenAuthenticator({ secret, audience: 'orders', clockToleranceSeconds: 0 });
    await startOfNextSecond();
    const headers = await createGatewayTokenSigner({ secret, ttlSeconds: 2 }).headersFor('orders');
    expect(await strict(headers)).toMatchObject({ sub: 'mesh-gateway' });
    expect(await strict(headers)).toMatchObject({ sub: 'mesh-gateway' });
    const token = headers['x-mesh-gateway-token'];
    const tampered = `${token.slice(0, -2)}${token.endsWith('AA') ? 'AB' : 'AA'}`;
    await expect(strict({ 'x-mesh-gateway-token': tampered })).rejects.toThrow(/refused/);
    const exp = (JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()) as { exp: number }).exp;
    await new Promise((resolve) => setTimeout(resolve, exp * 1000 - Date.now() + 50));
    await expect(strict(headers)).rejects.toThrow(/expired/);
  });

  it('should refuse a token signed for another subgraph, or for several', async () => {
    const alice = { authenticated: true, sub: 'alice', scopes: ['finance:read'], claims: {} };
    await expect(authenticate(await createGatewayTokenSigner({ secret }).headersFor('inventory', alice))).rejects.toThrow(
      'it was signed for another subgraph (this one is "orders")',
    );
    const iat = Math.floor(Date.now() / 1000);
    const both = await new SignJWT({ kind: 'user', scopes: ['finance:read'] })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer('mesh-gateway')
      .setAudience(['inventory', 'orders'])
      .setIssuedAt(iat)
      .setExpirationTime(iat + 60)
      .sign(new TextEncoder().encode(secret));
    await expect(authenticate({ 'x-mesh-gateway-token': both })).rejects.toThrow(/signed for this subgraph \("orders"\) alone/);
  });

  it('should refuse a secret shorter than 32 characters', () => {
    expect(() => createGatewayTokenSigner({ secret: 'short' })).toThrow(/32/);
    expect(() => gatewayTokenAuthenticator({ secret: 'short', audience: 'orders' })).toThrow(/32/);
  });
});

describe('npm run token arguments', () => {
  it('should parse scopes, ttl and sub', () => {
    expect(parseTokenArgs(['--scopes', 'orders:read,finance:read', '--ttl', '1h', '--sub', 'alice'])).toEqual({
      scopes: ['orders:read', 'finance:read'],
      ttlSeconds: 3600,
      sub: 'alice',
      claims: {},
    });
    expect(parseTokenArgs(['--scopes=a', '--ttl=90s']).ttlSeconds).toBe(90);
    expect(parseTokenArgs(['--scopes', '']).scopes).toEqual([]);
  });

  it('should take the issuer, audience and subject from --claim, and refuse the claims the signer sets', () => {
    expect(parseTokenArgs(['--scopes', 'a', '--claim', 'iss=evil', '--claim', 'aud=other', '--claim', 'sub=bob', '--claim', 'team=x'])).toEqual({
      scopes: ['a'],
      ttlSeconds: 3600,
      sub: 'bob',
      claims: { team: 'x' },
      issuer: 'evil',
      audience: 'other',
    });
    expect(() => parseTokenArgs(['--scopes', 'a', '--claim', 'exp=1'])).toThrow(/"exp" is set by the signer; use --ttl/);
  });

  it.each([
    [[], /--scopes is required/],
    [['--scopes', 'a', '--ttl', '1x'], /not a positive duration/],
    [['--scopes', 'a', '--ttl'], /--ttl needs a value/],
    [['--scopes', 'a b"'], /not a valid scope/],
    [['--scopes', 'a', '--bogus'], /unknown argument "--bogus"/],
    [['--scopes', 'a', '--ttl', '90d'], /at most 30d/],
  ])('should refuse %j clearly', (argv, message) => {
    expect(() => parseTokenArgs(argv)).toThrow(message);
  });
});

describe('auth configuration from the environment', () => {
  it('should default to the dev key, issuer, audience, filter mode and the shared dev secret', () => {
    const { auth } = gatewayConfigFromEnv({});
    expect(auth).toMatchObject({
      keys: { kind: 'local', jwksFile: DEV_JWKS },
      issuer: 'mesh-dev',
      audience: 'mesh',
      scopesClaim: 'scope',
      mode: 'filter',
      gatewaySecret: DEV_GATEWAY_SECRET,
      warnings: [],
    });
    expect(subgraphConfigFromEnv('orders', {}).auth).toMatchObject({
      gatewaySecret: DEV_GATEWAY_SECRET,
      producers: { keys: { kind: 'local', jwksFile: DEV_JWKS }, issuer: 'mesh-dev', audience: 'mesh' },
    });
  });

  it('should refuse dev credentials in production, naming the settings to change', () => {
    const secret = 'x'.repeat(40);
    const idp = { MESH_AUTH_JWKS_URL: 'https://idp.example/jwks.json' };
    for (const secure of [{ NODE_ENV: 'production' }, { MESH_SECURE: 'true' }, { NODE_ENV: 'production', MESH_SECURE: 'false' }]) {
      expect(() => gatewayConfigFromEnv({ ...secure, ...idp })).toThrow(
        /^refusing to start with (NODE_ENV=production|MESH_SECURE=true): MESH_GATEWAY_SECRET is the committed development secret: set MESH_GATEWAY_SECRET or MESH_GATEWAY_SECRET_FILE/,
      );
      expect(() => subgraphConfigFromEnv('orders', { ...secure, ...idp })).toThrow(/^refusing to start with .*MESH_GATEWAY_SECRET or MESH_GATEWAY_SECRET_FILE/);
      expect(() => gatewayConfigFromEnv({ ...secure, MESH_GATEWAY_SECRET: secret })).toThrow(/committed development key: set MESH_AUTH_JWKS_URL/);
      expect(() => subgraphConfigFromEnv('orders', { ...secure, MESH_GATEWAY_SECRET: secret })).toThrow(/committed development key: set MESH_AUTH_JWKS_URL/);
    }
    // The dev key is recognised in a copy too, whatever its kid.
    const dir = mkdtempSync(path.join(os.tmpdir(), 'jwks-'));
    try {
      const copy = JSON.parse(readFileSync(DEV_JWKS, 'utf8'));
      copy.keys[0].kid = 'renamed';
      writeFileSync(path.join(dir, 'copy.json'), JSON.stringify(copy));
      expect(() => gatewayConfigFromEnv({ MESH_SECURE: 'true', MESH_GATEWAY_SECRET: secret, MESH_AUTH_JWKS_FILE: path.join(dir, 'copy.json') })).toThrow(
        /committed development key/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(gatewayConfigFromEnv({ NODE_ENV: 'production', ...idp, MESH_GATEWAY_SECRET: secret }).auth).toMatchObject({
      keys: { kind: 'jwks-url', url: idp.MESH_AUTH_JWKS_URL },
      gatewaySecret: secret,
    });
    expect(subgraphConfigFromEnv('orders', { NODE_ENV: 'production', ...idp, MESH_GATEWAY_SECRET: secret }).auth).toMatchObject({ gatewaySecret: secret });
    expect(() => gatewayConfigFromEnv({ MESH_SECURE: 'maybe' })).toThrow(/invalid MESH_SECURE/);
  });

  it('should read the gateway secret from MESH_GATEWAY_SECRET_FILE (Docker secrets)', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'secret-'));
    try {
      const file = path.join(dir, 'gateway_secret');
      writeFileSync(file, `${'s'.repeat(48)}\n`);
      const env = { NODE_ENV: 'production', MESH_AUTH_JWKS_URL: 'https://idp.example/jwks.json', MESH_GATEWAY_SECRET_FILE: file };
      expect(gatewayConfigFromEnv(env).auth?.gatewaySecret).toBe('s'.repeat(48));
      expect(subgraphConfigFromEnv('orders', env).auth?.gatewaySecret).toBe('s'.repeat(48));
      expect(() => gatewayConfigFromEnv({ ...env, MESH_GATEWAY_SECRET: 'y'.repeat(40) })).toThrow(/MESH_GATEWAY_SECRET_FILE.*not both/);
      expect(() => gatewayConfigFromEnv({ MESH_GATEWAY_SECRET_FILE: path.join(dir, 'missing') })).toThrow(
        /invalid MESH_GATEWAY_SECRET_FILE=.*cannot be read \(ENOENT\)/,
      );
      expect(() => subgraphConfigFromEnv('orders', { MESH_GATEWAY_SECRET_FILE: path.join(dir, 'missing') })).toThrow(
        /invalid MESH_GATEWAY_SECRET_FILE=.*cannot be read \(ENOENT\)/,
      );
      writeFileSync(file, 'short\n');
      expect(() => gatewayConfigFromEnv({ MESH_GATEWAY_SECRET_FILE: file })).toThrow(/MESH_GATEWAY_SECRET_FILE.*32/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('should trust the subgraphs named in MESH_SUBGRAPHS, or MESH_TRUSTED_SUBGRAPHS', () => {
    expect(gatewayConfigFromEnv({}).auth?.trustedSubgraphs).toEqual(['catalog', 'orders', 'inventory', 'shipping']);
    expect(
      gatewayConfigFromEnv({ MESH_SUBGRAPHS: 'orders=http://a:1/graphql,partner=http://p:2/graphql', MESH_TRUSTED_SUBGRAPHS: 'orders' }).auth?.trustedSubgraphs,
    ).toEqual(['orders']);
    // A supergraph file may hold subgraphs the mesh does not own: production must name the trusted ones.
    expect(gatewayConfigFromEnv({ MESH_SUPERGRAPH_FILE: 'schema/supergraph.graphql' }).auth?.trustedSubgraphs).toBeUndefined();
    const production = {
      NODE_ENV: 'production',
      MESH_AUTH_JWKS_URL: 'https://idp.example/jwks.json',
      MESH_GATEWAY_SECRET: 'x'.repeat(40),
      MESH_SUPERGRAPH_FILE: 'schema/supergraph.graphql',
    };
    expect(() => gatewayConfigFromEnv(production)).toThrow(/MESH_TRUSTED_SUBGRAPHS is required with MESH_SUPERGRAPH_FILE/);
    expect(gatewayConfigFromEnv({ ...production, MESH_TRUSTED_SUBGRAPHS: 'orders, inventory' }).auth?.trustedSubgraphs).toEqual(['orders', 'inventory']);
    expect(() => gatewayConfigFromEnv({ MESH_TRUSTED_SUBGRAPHS: 'orders,,x y' })).toThrow(/invalid MESH_TRUSTED_SUBGRAPHS/);
  });

  it('should read every variable', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'jwks-'));
    try {
      writeFileSync(path.join(dir, 'k.json'), '{"keys":[]}');
      const { auth } = gatewayConfigFromEnv({
        MESH_AUTH_JWKS_FILE: path.join(dir, 'k.json'),
        MESH_AUTH_ISSUER: 'idp',
        MESH_AUTH_AUDIENCE: 'api',
        MESH_AUTH_SCOPES_CLAIM: 'scp',
        MESH_AUTH_MODE: 'reject',
        MESH_GATEWAY_SECRET: 'y'.repeat(32),
      });
      expect(auth).toMatchObject({
        keys: { kind: 'local', jwksFile: path.join(dir, 'k.json') },
        issuer: 'idp',
        audience: 'api',
        scopesClaim: 'scp',
        mode: 'reject',
        gatewaySecret: 'y'.repeat(32),
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.each([
    [{ MESH_AUTH_MODE: 'lenient' }, /MESH_AUTH_MODE.*filter or reject/],
    [{ MESH_GATEWAY_SECRET: 'short' }, /MESH_GATEWAY_SECRET.*32/],
    [{ MESH_AUTH_JWKS_URL: 'https://idp/jwks', MESH_AUTH_JWKS_FILE: 'x.json' }, /not both/],
    [{ MESH_AUTH_JWKS_URL: 'ftp://idp/jwks' }, /MESH_AUTH_JWKS_URL/],
  ])('should refuse %j with the variable named', (env, message) => {
    expect(() => gatewayConfigFromEnv(env as NodeJS.ProcessEnv)).toThrow(message);
  });
});
