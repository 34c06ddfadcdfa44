import type { ErrorCode } from '../core/errors/ErrorCode.js';
import type { SimDomain } from './simulatedFact.js';

/**
 * Why the simulator gave up on a subgraph. `DOWNSTREAM_SERVICE_ERROR`: unreachable or answering 5xx after
 * the retries. `EVENTS_REFUSED`: the request itself was refused (401, 403, 413, a 4xx without a report):
 * sending it again would be refused again.
 */
export type SimulatorErrorCode = typeof ErrorCode.DOWNSTREAM_SERVICE_ERROR | typeof ErrorCode.EVENTS_REFUSED;

/** A failure talking to one subgraph; `serviceName` is its domain, as in gateway errors. */
export class SimulatorError extends Error {
  override readonly name = 'SimulatorError';

  constructor(
    readonly code: SimulatorErrorCode,
    readonly serviceName: SimDomain,
    message: string,
    /** The HTTP status, when the subgraph answered. */
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(`${serviceName}: ${message}`, options);
  }
}
