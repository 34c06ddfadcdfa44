import { ErrorCode } from '../../../core/errors/ErrorCode.js';
import { MeshError } from '../../../core/errors/MeshError.js';

/** A GraphQL error for a bad argument, coded `BAD_USER_INPUT`, naming the argument when one is at fault. */
export function badInput(message: string, argument?: string): MeshError {
  return new MeshError(ErrorCode.BAD_USER_INPUT, message, argument ? { details: { argument } } : {});
}
