/**
 * Verified tokens remembered per token string (gateway/auth/createTokenVerifier.ts): the same token is
 * verified once, but never accepted past its expiry, a refusal is never remembered, and another token
 * (another identity or scope set) is always verified on its own.
 */
import path from 'node:path';
import { AuthenticationError, createTokenVerifier } from '../../gateway/auth/createTokenVerifier.js';
import { signDevToken } from '../../scripts/devToken.js';
import { startOfNextSecond } from '../support/asyncWait.js';

const DEV_JWKS = path.resolve('config/dev-jwks.public.json');
const options = { keys: { kind: 'local', jwksFile: DEV_JWKS }, issuer: 'mesh-dev', audience: 'mesh' } as const;

describe('the verified token cache', () => {
  it('should hand back the same principal for the same token, and verify another token on its own', async () => {
    const verifier = createTokenVerifier(options);
    const finance = await signDevToken({ scopes: ['finance:read'], ttlSeconds: 60, sub: 'fiona' });
    const plain = await signDevToken({ scopes: [], ttlSeconds: 60, sub: 'paul' });
    const first = await verifier.fromAuthorization(`Bearer ${finance}`);
    expect(await verifier.fromAuthorization(`Bearer ${finance}`)).toBe(first);
    expect(await verifier.fromAuthorization(`Bearer ${plain}`)).toMatchObject({ sub: 'paul', scopes: [] });
    expect(await verifier.fromAuthorization(`Bearer ${finance}`)).toMatchObject({ sub: 'fiona', scopes: ['finance:read'] });
  });

  it('should refuse a remembered token once it has expired', async () => {
    const verifier = createTokenVerifier({ ...options, clockToleranceSeconds: 0 });
    // `exp` is in whole seconds: signed at the start of one, this token lives almost two.
    await startOfNextSecond();
    const token = await signDevToken({ scopes: [], ttlSeconds: 2 });
    const principal = await verifier.verify(token);
    const expiresAtMs = principal.expiresAt! * 1000;
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, expiresAtMs - Date.now()) + 50));
    await expect(verifier.verify(token)).rejects.toThrow(AuthenticationError);
  });

  it('should not remember a refusal (a tampered token stays refused, the genuine one passes)', async () => {
    const verifier = createTokenVerifier(options);
    const token = await signDevToken({ scopes: [], ttlSeconds: 60 });
    const [header, payload, signature] = token.split('.');
    const tampered = `${header}.${payload}.${signature.slice(0, -4)}AAAA`;
    await expect(verifier.verify(tampered)).rejects.toThrow(AuthenticationError);
    await expect(verifier.verify(tampered)).rejects.toThrow(AuthenticationError);
    expect((await verifier.verify(token)).authenticated).toBe(true);
  });

  it('should verify every time with the cache off', async () => {
    const verifier = createTokenVerifier({ ...options, verifiedCacheSeconds: 0 });
    const token = await signDevToken({ scopes: [], ttlSeconds: 60 });
    const first = await verifier.verify(token);
    const second = await verifier.verify(token);
    expect(second).toEqual(first);
    expect(second).not.toBe(first);
  });
});
