import type { Response } from 'express';
import { httpStatusOf } from '../../../core/errors/statusOf.js';
import { type ErrorCode } from '../../../core/errors/ErrorCode.js';

/** How an endpoint shapes its error bodies. */
export type ErrorShape = 'graphql' | 'rest';

/**
 * Answers a coded error as JSON with the status `httpStatusOf(code)` decides. GraphQL endpoints answer
 * `{ errors: [{ message, extensions: { code } }] }` (GraphQL over HTTP); the others
 * `{ error: { code, message, ...details } }`. The message is public: never put stacks, paths or
 * internal addresses in it.
 */
export function sendError(res: Response, shape: ErrorShape, code: ErrorCode, message: string, details: Record<string, unknown> = {}): void {
  res.status(httpStatusOf(code));
  if (shape === 'graphql') res.json({ errors: [{ message, extensions: { code, ...details } }] });
  else res.json({ error: { code, message, ...details } });
}
