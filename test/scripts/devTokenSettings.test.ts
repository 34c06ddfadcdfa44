/**
 * The `MESH_AUTH_*` settings the command-line tools (`npm run token`, `publish`, `repair`) sign their dev
 * tokens with, so a gateway configured with the same settings accepts them.
 */
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { devTokenSettingsFromEnv, signDevToken } from '../../scripts/devToken.js';

describe('devTokenSettingsFromEnv', () => {
  it('should sign with the issuer, audience and scopes claim the environment names', async () => {
    const settings = devTokenSettingsFromEnv({ MESH_AUTH_ISSUER: 'idp', MESH_AUTH_AUDIENCE: 'api', MESH_AUTH_SCOPES_CLAIM: 'scp' });
    const claims = decodeJwt(await signDevToken({ scopes: ['orders:admin'], ttlSeconds: 60, ...settings }));
    expect(claims).toMatchObject({ iss: 'idp', aud: 'api', scp: ['orders:admin'] });
    expect(claims).not.toHaveProperty('scope');
  });

  it('should treat empty variables as unset, leaving the dev defaults', async () => {
    const settings = devTokenSettingsFromEnv({ MESH_AUTH_ISSUER: '', MESH_AUTH_AUDIENCE: '', MESH_AUTH_SCOPES_CLAIM: '', MESH_AUTH_PRIVATE_JWKS_FILE: '' });
    expect(settings).toEqual({ issuer: undefined, audience: undefined, scopesClaim: undefined, privateJwksFile: undefined });
    const token = await signDevToken({ scopes: ['orders:admin'], ttlSeconds: 60, ...settings });
    expect(decodeJwt(token)).toMatchObject({ iss: 'mesh-dev', aud: 'mesh', scope: 'orders:admin' });
    expect(decodeProtectedHeader(token).alg).toBeDefined();
  });

  it('should sign with the private key file the environment names', async () => {
    await expect(
      signDevToken({ scopes: [], ttlSeconds: 60, ...devTokenSettingsFromEnv({ MESH_AUTH_PRIVATE_JWKS_FILE: 'config/no-such-file.json' }) }),
    ).rejects.toThrow(/no-such-file\.json/);
  });
});
