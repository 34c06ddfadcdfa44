import { ErrorCode } from '../../core/errors/ErrorCode.js';
import { MeshError } from '../../core/errors/MeshError.js';

/**
 * A subgraph request cut off at its timeout, or not sent because the client operation's deadline was
 * already spent. Public: the message names the subgraph, never its address.
 */
export class SubgraphTimeoutError extends MeshError {
  constructor(
    readonly serviceName: string,
    readonly timeoutMs: number,
    /** Whether the request reached the subgraph (only then does the timeout count against its breaker). */
    readonly sent: boolean,
  ) {
    super(
      ErrorCode.GATEWAY_TIMEOUT,
      sent ? `Subgraph "${serviceName}" did not answer within ${timeoutMs} ms.` : `Subgraph "${serviceName}" was not asked: the request deadline was spent.`,
      { details: { serviceName } },
    );
  }
}
