import type { ErrorCode } from '../../core/errors/ErrorCode.js';
import { MeshError } from '../../core/errors/MeshError.js';

/**
 * The one way to make a limit refusal: coded, deciding the HTTP status of the response (see
 * `core/errors/statusOf.ts`), with extra headers (e.g. Retry-After) and public details.
 */
export function limitError(code: ErrorCode, message: string, extra: { headers?: Record<string, string>; details?: Record<string, unknown> } = {}): MeshError {
  return new MeshError(code, message, { details: extra.details, http: { headers: extra.headers } });
}
