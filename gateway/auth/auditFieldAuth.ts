import { createLogger, type Logger } from '../../core/observability/createLogger.js';
import type { OperationAuthorization } from './authorizeOperation.js';
import type { Principal } from './Principal.js';

/** One audit record: the fields one decision covered in one operation. */
export interface FieldAuthAuditLine {
  audit: 'field-auth';
  /** The caller's `sub`, null when anonymous. */
  sub: string | null;
  operationName: string | null;
  /**
   * sha256 (hex) of the operation: over HTTP Apollo's `queryHash` of the text as sent; for subscriptions
   * (graphql-ws hands over a parsed document) of the printed document.
   */
  operationHash: string;
  /** Schema coordinates (`Type.field`) the decision applied to (none for a refused request). */
  coordinates: string[];
  /** `refused`: the request was refused before any field was decided (its operation cannot be resolved). */
  decision: 'denied' | 'allowed' | 'refused';
  /** Why a request was refused; only with `refused`. */
  reason?: string;
}

/** Where audit lines go. A sink that throws is ignored (auditing never fails a request). */
export type AuditSink = (line: FieldAuthAuditLine) => void;

/**
 * Audit records as pino records of a stable shape: `audit: 'field-auth'`, `sub`, `operationName`,
 * `operationHash`, `coordinates`, `decision` (`denied` | `allowed` | `refused`), `reason` (refusals
 * only), plus pino's `level`, `time`, `name` and the `requestId` of the request being served; `msg` is
 * `field-auth <decision>`. Denials and refusals are `warn` (they may be probes), allowed governed fields
 * `info`. `onDenied` sees the denied coordinates (none for a refusal), e.g. to count them.
 */
export function auditLogSink(logger: Logger, onDenied?: (coordinates: readonly string[]) => void): AuditSink {
  return (line) => {
    if (line.decision !== 'allowed') onDenied?.(line.coordinates);
    logger[line.decision === 'allowed' ? 'info' : 'warn'](line, `field-auth ${line.decision}`);
  };
}

let defaultSink: AuditSink | null = null;

/** JSON records on stderr through a logger of its own (for callers that give no sink; the gateway gives its own). */
export const stderrAuditSink: AuditSink = (line) => {
  defaultSink ??= auditLogSink(createLogger({ name: 'gateway' }));
  defaultSink(line);
};

/**
 * Records an authorization: one `denied` line when anything was denied (any directive), one `allowed`
 * line when `@requiresScopes`/`@policy` fields were allowed. Operations touching no governed field and
 * denying nothing leave no trace.
 */
export function auditFieldAuth(
  sink: AuditSink,
  authorization: Pick<OperationAuthorization, 'allowedGoverned' | 'deniedCoordinates'>,
  context: { principal: Principal; operationName?: string | null; operationHash: string },
): void {
  const base = {
    audit: 'field-auth' as const,
    sub: context.principal.sub ?? null,
    operationName: context.operationName ?? null,
    operationHash: context.operationHash,
  };
  try {
    if (authorization.deniedCoordinates.length) sink({ ...base, coordinates: [...authorization.deniedCoordinates], decision: 'denied' });
    if (authorization.allowedGoverned.length) sink({ ...base, coordinates: [...authorization.allowedGoverned], decision: 'allowed' });
  } catch {
    // auditing must not fail the request
  }
}

/**
 * Records a request refused before authorization could run (its operation cannot be resolved): such a
 * request is probing for a way around the checks, and leaves a trace like a denial does.
 */
export function auditRefusal(sink: AuditSink, context: { principal: Principal; operationName?: string | null; operationHash: string; reason: string }): void {
  try {
    sink({
      audit: 'field-auth',
      sub: context.principal.sub ?? null,
      operationName: context.operationName ?? null,
      operationHash: context.operationHash,
      coordinates: [],
      decision: 'refused',
      reason: context.reason,
    });
  } catch {
    // auditing must not fail the request
  }
}
