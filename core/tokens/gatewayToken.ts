/**
 * The wire contract of the gateway token: the short-lived HS256 identity statement the gateway signs for
 * one subgraph (`aud` = the subgraph's name) and the subgraph verifies with the shared secret.
 */

/** The header (and graphql-ws `connection_init` payload key) that carries the gateway token. */
export const GATEWAY_TOKEN_HEADER = 'x-mesh-gateway-token';

/** The `iss` of gateway tokens, and the `sub` of the gateway's own service identity. */
export const GATEWAY_TOKEN_ISSUER = 'mesh-gateway';

/** The shortest shared secret accepted (HS256 needs at least 256 bits of key). */
export const MIN_GATEWAY_SECRET_LENGTH = 32;
