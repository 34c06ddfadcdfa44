/**
 * Where the public keys that sign user and producer tokens come from. Production points at the identity
 * provider's JWKS URL (keys rotate there); a JWKS file is for development and tests. The gateway and the
 * subgraphs read the same settings (`MESH_AUTH_JWKS_URL` | `MESH_AUTH_JWKS_FILE`, see `keySourceFromEnv`).
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
