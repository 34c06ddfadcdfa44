import { ErrorCode } from '../../core/errors/ErrorCode.js';
import { MeshError } from '../../core/errors/MeshError.js';

/** A fetch refused without a request because the subgraph's circuit breaker is open. Public. */
export class CircuitOpenError extends MeshError {
  constructor(readonly serviceName: string) {
    super(ErrorCode.CIRCUIT_BREAKER_OPEN, `Subgraph "${serviceName}" is failing and is not asked for now (circuit breaker open).`, {
      details: { serviceName },
    });
  }
}
