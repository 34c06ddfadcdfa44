import { ErrorCode } from '../../core/errors/ErrorCode.js';
import { MeshError } from '../../core/errors/MeshError.js';

/**
 * A subgraph answer longer than `SubgraphClientConfig.maxResponseBytes`, cut off before it is read any
 * further (a broken or hostile subgraph must not run the gateway out of memory). Public: the message names
 * the subgraph and the limit, never its address.
 */
export class SubgraphResponseTooLargeError extends MeshError {
  constructor(
    readonly serviceName: string,
    readonly maxBytes: number,
  ) {
    super(ErrorCode.DOWNSTREAM_SERVICE_ERROR, `Subgraph "${serviceName}" answered more than ${maxBytes} bytes, the gateway's limit for one subgraph answer.`, {
      details: { serviceName },
    });
  }
}
