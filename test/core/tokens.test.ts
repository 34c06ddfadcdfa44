import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generateKeyPair, exportJWK, jwtVerify, SignJWT } from 'jose';
import { gatewaySecretFromEnv } from '../../core/config/gatewaySecretFromEnv.js';
import { keySourceFromEnv } from '../../core/config/keySourceFromEnv.js';
import { secureModeOf } from '../../core/config/secureModeOf.js';
import { bearerTokenOf } from '../../core/tokens/bearerTokenOf.js';
import { DEV_GATEWAY_SECRET, DEV_JWKS_FILE, holdsDevKey } from '../../core/tokens/devCredentials.js';
import { ACCEPTED_ALGORITHMS, keySetOf } from '../../core/tokens/keySetOf.js';
import { scopesFrom } from '../../core/tokens/scopesFrom.js';
import { signingKeysUnavailable } from '../../core/tokens/signingKeysUnavailable.js';
import { producerTokenAuthorizer } from '../../subgraphs/kit/auth/producerTokenAuthorizer.js';
import { refusedUrl } from '../support/refusedUrl.js';

describe('core tokens', () => {
  let dir: string;
  const file = (name: string, content: unknown) => {
    const at = path.join(dir, name);
    writeFileSync(at, typeof content === 'string' ? content : JSON.stringify(content));
    return at;
  };
  beforeAll(() => (dir = mkdtempSync(path.join(os.tmpdir(), 'core-tokens-'))));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  describe('keySetOf', () => {
    it('should refuse a JWKS file that holds a private key', async () => {
      const { privateKey } = await generateKeyPair('ES256', { extractable: true });
      const jwksFile = file('private.json', { keys: [await exportJWK(privateKey)] });
      expect(() => keySetOf({ kind: 'local', jwksFile })).toThrow(/holds a private key/);
    });

    it('should refuse a JWKS file without keys, or that cannot be read', () => {
      expect(() => keySetOf({ kind: 'local', jwksFile: file('empty.json', { keys: [] }) })).toThrow(/has no "keys"/);
      expect(() => keySetOf({ kind: 'local', jwksFile: file('null.json', 'null') })).toThrow(/has no "keys"/);
      expect(() => keySetOf({ kind: 'local', jwksFile: file('bad.json', '{') })).toThrow(/cannot read the JWKS file/);
      expect(() => keySetOf({ kind: 'local', jwksFile: path.join(dir, 'missing.json') })).toThrow(/cannot read the JWKS file/);
    });

    it('should verify a token signed by a listed public key', async () => {
      const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
      const keys = keySetOf({ kind: 'local', jwksFile: file('public.json', { keys: [{ ...(await exportJWK(publicKey)), alg: 'ES256' }] }) });
      const token = await new SignJWT({}).setProtectedHeader({ alg: 'ES256' }).setExpirationTime('1m').sign(privateKey);
      await expect(jwtVerify(token, keys, { algorithms: [...ACCEPTED_ALGORITHMS] })).resolves.toBeDefined();
    });

    it('should accept only the listed algorithms, whatever jose alone would accept', async () => {
      const { publicKey, privateKey } = await generateKeyPair('Ed25519', { extractable: true });
      const keys = keySetOf({ kind: 'local', jwksFile: file('ed.json', { keys: [await exportJWK(publicKey)] }) });
      const token = await new SignJWT({}).setProtectedHeader({ alg: 'Ed25519' }).setExpirationTime('1m').sign(privateKey);
      await expect(jwtVerify(token, keys)).resolves.toBeDefined(); // what jose does without the list
      await expect(jwtVerify(token, keys, { algorithms: [...ACCEPTED_ALGORITHMS] })).rejects.toMatchObject({ code: 'ERR_JOSE_ALG_NOT_ALLOWED' });
      expect(ACCEPTED_ALGORITHMS.some((alg) => alg.startsWith('HS') || alg === 'none')).toBe(false);
    });
  });

  it("should give the subgraphs' producer check the same strict key loading as the gateway", async () => {
    const { publicKey, privateKey } = await generateKeyPair('Ed25519', { extractable: true });
    const privateFile = file('producer-private.json', { keys: [await exportJWK(privateKey)] });
    expect(() =>
      producerTokenAuthorizer({ keys: { kind: 'local', jwksFile: privateFile }, issuer: 'i', audience: 'a', requiredScope: 'orders:write' }),
    ).toThrow(/holds a private key/);
    const authorize = producerTokenAuthorizer({
      keys: { kind: 'local', jwksFile: file('producer.json', { keys: [await exportJWK(publicKey)] }) },
      issuer: 'i',
      audience: 'a',
      requiredScope: 'orders:write',
    });
    const token = await new SignJWT({ scope: 'orders:write' })
      .setProtectedHeader({ alg: 'Ed25519' })
      .setIssuer('i')
      .setAudience('a')
      .setExpirationTime('1m')
      .sign(privateKey);
    const refusal = await authorize({ headers: { authorization: `Bearer ${token}` } } as never);
    expect(refusal).toMatchObject({ reason: expect.stringContaining('ERR_JOSE_ALG_NOT_ALLOWED') });
  });

  it('should refuse producers with SERVICE_UNAVAILABLE (503, as at the gateway) when the JWKS cannot be fetched', async () => {
    const { privateKey } = await generateKeyPair('ES256');
    const authorize = producerTokenAuthorizer({
      keys: { kind: 'jwks-url', url: await refusedUrl() },
      issuer: 'i',
      audience: 'a',
      requiredScope: 'orders:write',
    });
    const token = await new SignJWT({ scope: 'orders:write' })
      .setProtectedHeader({ alg: 'ES256', kid: 'k' })
      .setIssuer('i')
      .setAudience('a')
      .setExpirationTime('1m')
      .sign(privateKey);
    expect(await authorize({ headers: { authorization: `Bearer ${token}` } } as never)).toEqual({
      code: 'SERVICE_UNAVAILABLE',
      reason: expect.stringContaining('retry'),
    });
    expect(await authorize({ headers: {} } as never)).toMatchObject({ code: 'UNAUTHENTICATED' });
  });

  it('should reuse a verified producer token only until it expires, and never a refused one', async () => {
    const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
    const authorize = producerTokenAuthorizer({
      keys: { kind: 'local', jwksFile: file('remembered.json', { keys: [{ ...(await exportJWK(publicKey)), alg: 'ES256' }] }) },
      issuer: 'i',
      audience: 'a',
      requiredScope: 'orders:write',
    });
    const sign = (scope: string, exp: number) =>
      new SignJWT({ scope }).setProtectedHeader({ alg: 'ES256' }).setIssuer('i').setAudience('a').setExpirationTime(exp).sign(privateKey);
    const ask = (token: string) => authorize({ headers: { authorization: `Bearer ${token}` } } as never);
    // With the 5 s clock tolerance this is valid for one to two more seconds, and refused 2.1 s from now.
    const shortLived = await sign('orders:write', Math.floor(Date.now() / 1000) - 3);
    expect(await ask(shortLived)).toBeNull();
    expect(await ask(shortLived)).toBeNull();
    const [header, payload, signature] = (await sign('orders:write', Math.floor(Date.now() / 1000) + 60)).split('.');
    const tampered = `${header}.${payload}.${signature.slice(0, -4)}AAAA`;
    expect(await ask(tampered)).toMatchObject({ code: 'UNAUTHENTICATED' });
    expect(await ask(tampered)).toMatchObject({ code: 'UNAUTHENTICATED' });
    expect(await ask(await sign('orders:read', Math.floor(Date.now() / 1000) + 60))).toMatchObject({ code: 'FORBIDDEN' });
    await new Promise((resolve) => setTimeout(resolve, 2_100));
    expect(await ask(shortLived)).toEqual({ code: 'UNAUTHENTICATED', reason: 'the producer token has expired' });
  });

  it('should tell a signing-key outage from a bad token', () => {
    const remote = { kind: 'jwks-url', url: 'https://idp.example/jwks' } as const;
    const local = { kind: 'local', jwksFile: 'x' } as const;
    expect(signingKeysUnavailable({ code: 'ERR_JWKS_TIMEOUT' }, local)).toBe(true);
    expect(signingKeysUnavailable(new Error('fetch failed'), remote)).toBe(true);
    expect(signingKeysUnavailable({ code: 'ERR_JOSE_GENERIC' }, remote)).toBe(true);
    expect(signingKeysUnavailable({ code: 'ERR_JWT_EXPIRED' }, remote)).toBe(false);
    expect(signingKeysUnavailable(new Error('fetch failed'), local)).toBe(false);
  });

  it('should read scopes from a space-separated string or an array', () => {
    expect(scopesFrom({ scope: ' a  b ' }, 'scope')).toEqual(['a', 'b']);
    expect(scopesFrom({ scp: ['a', 1, '', 'b'] }, 'scp')).toEqual(['a', 'b']);
    expect(scopesFrom({ scope: 42 }, 'scope')).toEqual([]);
  });

  it('should take the token out of a Bearer header only', () => {
    expect(bearerTokenOf(undefined)).toBeUndefined();
    expect(bearerTokenOf('  ')).toBeUndefined();
    expect(bearerTokenOf('bearer abc ')).toBe('abc');
    expect(bearerTokenOf('Basic abc')).toBeNull();
    expect(bearerTokenOf('Bearer a b')).toBeNull();
  });

  it('should recognise the committed development key in the dev JWKS file', () => {
    expect(holdsDevKey(DEV_JWKS_FILE)).toBe(true);
    expect(holdsDevKey(path.join(dir, 'missing.json'))).toBe(false);
  });

  describe('env readers', () => {
    it('should default to the dev secret and the dev key set', () => {
      expect(gatewaySecretFromEnv({})).toBe(DEV_GATEWAY_SECRET);
      expect(keySourceFromEnv({})).toEqual({ kind: 'local', jwksFile: path.resolve(DEV_JWKS_FILE) });
    });

    it('should name the variable of a bad value', () => {
      expect(() => gatewaySecretFromEnv({ MESH_GATEWAY_SECRET: 'short' })).toThrow(/^invalid MESH_GATEWAY_SECRET="<hidden>": at least 32 characters$/);
      expect(() => keySourceFromEnv({ MESH_AUTH_JWKS_URL: 'ftp://x/jwks' })).toThrow(/^invalid MESH_AUTH_JWKS_URL=.*an http\(s\) URL/);
      expect(() => keySourceFromEnv({ MESH_AUTH_JWKS_URL: 'https://x/jwks', MESH_AUTH_JWKS_FILE: 'a.json' })).toThrow(/not both/);
      expect(() => secureModeOf({ MESH_SECURE: 'yes' })).toThrow(/^invalid MESH_SECURE="yes"/);
    });

    it('should read the secret file without its trailing newline', () => {
      expect(gatewaySecretFromEnv({ MESH_GATEWAY_SECRET_FILE: file('secret', `${'s'.repeat(40)}\n`) })).toBe('s'.repeat(40));
    });

    it('should keep production checks on under NODE_ENV=production whatever MESH_SECURE says', () => {
      expect(secureModeOf({ NODE_ENV: 'production', MESH_SECURE: 'false' })).toBe('NODE_ENV=production');
      expect(secureModeOf({ MESH_SECURE: '1' })).toBe('MESH_SECURE=true');
      expect(secureModeOf({})).toBeNull();
    });
  });
});
