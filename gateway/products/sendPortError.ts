import type { Response } from 'express';
import type { ErrorCode } from '../../core/errors/ErrorCode.js';
import { httpStatusOf } from '../../core/errors/statusOf.js';

/** A port's coded JSON refusal, `{ error: { code, message, ...details } }`, with the code's HTTP status. */
export function sendPortError(res: Response, code: ErrorCode, message: string, details: Record<string, unknown> = {}): void {
  res.status(httpStatusOf(code)).json({ error: { ...details, code, message } });
}
