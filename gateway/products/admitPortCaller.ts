import type { Request, Response } from 'express';
import { ErrorCode } from '../../core/errors/ErrorCode.js';
import { MeshError } from '../../core/errors/MeshError.js';
import type { Principal } from '../auth/Principal.js';
import { sendPortError } from './sendPortError.js';

/** How a product port (`POST /sql`, `GET /files/…`) knows and charges its caller. */
export interface PortCallerOptions {
  /**
   * The caller of a request from its `Authorization` header, as for GraphQL. A throw is a 401 with the
   * thrown message. An unauthenticated principal is refused with 401 too: ports are for known callers.
   * @default none: every request is refused (no auth, no port)
   */
  authenticate?: (authorization: string | undefined) => Promise<Principal>;
  /**
   * Spends one operation of the caller's budget, the same budget as GraphQL operations; throws the
   * refusal (`REQUEST_RATE_LIMITED`, 429 with `Retry-After`).
   * @default none: no rate limit
   */
  admit?: (principal: Principal, clientAddress: string | undefined) => Promise<void>;
}

/**
 * The authenticated caller of one port request, charged one operation of its rate-limit budget; or null
 * once the refusal has been answered (the port must then stop). `port` names the port in the messages
 * (`'the SQL port'`). Any failure of the checks is a refusal, never a pass.
 */
export async function admitPortCaller(req: Request, res: Response, options: PortCallerOptions, port: string): Promise<Principal | null> {
  const { authenticate, admit } = options;
  if (!authenticate) {
    sendPortError(res, ErrorCode.UNAUTHENTICATED, `${port} needs authentication, which is not configured on this gateway`);
    return null;
  }
  let principal: Principal;
  try {
    principal = await authenticate(req.headers.authorization);
  } catch (error) {
    sendPortError(res, ErrorCode.UNAUTHENTICATED, (error as Error).message || 'the token was refused');
    return null;
  }
  if (!principal.authenticated) {
    sendPortError(res, ErrorCode.UNAUTHENTICATED, `${port} needs a bearer token (Authorization: Bearer <token>)`);
    return null;
  }
  try {
    await admit?.(principal, req.socket.remoteAddress);
  } catch (error) {
    if (!(error instanceof MeshError)) throw error;
    const headers = (error.extensions.http as { headers?: Map<string, string> } | undefined)?.headers;
    for (const [name, value] of headers ?? []) res.setHeader(name, value);
    sendPortError(res, error.code, error.message, error.details);
    return null;
  }
  return principal;
}
