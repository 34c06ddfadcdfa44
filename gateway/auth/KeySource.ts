/**
 * Where the public keys that sign tokens come from. Production points at the identity provider's JWKS
 * URL (keys rotate there); a JWKS file is for development and tests.
 */
export type KeySource =
  | {
      kind: 'jwks-url';
      /** The identity provider's `jwks_uri`; fetched on demand, refetched for an unknown `kid`. */
      url: string;
    }
  | {
      kind: 'local';
      /** A JSON Web Key Set file (`{ "keys": [...] }`) holding public keys. */
      jwksFile: string;
    };
