/**
 * Where the public keys that sign producer tokens come from: the identity provider's JWKS URL in
 * production, a JWKS file in development. (The gateway has its own copy of this type: the two layers do
 * not import each other.)
 */
export type KeySource = { kind: 'jwks-url'; url: string } | { kind: 'local'; jwksFile: string };
