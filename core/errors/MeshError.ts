import { GraphQLError, type ASTNode } from 'graphql';
import type { ErrorCode } from './ErrorCode.js';
import { httpStatusOf } from './statusOf.js';

/** Options of a `MeshError`. */
export interface MeshErrorOptions {
  /** The underlying failure, for the log; never shown to the caller. @default none */
  cause?: unknown;
  /** Public structured detail, merged into `extensions` (GraphQL) or the `error` object (HTTP JSON). @default {} */
  details?: Record<string, unknown>;
  /** The document nodes at fault (GraphQL validation errors). @default none */
  nodes?: ASTNode | readonly ASTNode[];
  /**
   * Let the error decide the HTTP status of the whole GraphQL response (`extensions.http`, read by Apollo
   * Server), with these extra headers (e.g. `Retry-After`). Only for refusals before execution: a field
   * error must not turn a partial answer into a 4xx. @default undefined (no `extensions.http`)
   */
  http?: { headers?: Record<string, string> };
}

/**
 * The mesh's one coded error: a `GraphQLError` (so a resolver or plugin can throw it and the client gets
 * `extensions.code`) that HTTP handlers answer with `status`. The message is public: never put stacks,
 * paths or internal addresses in it; `cause` is for the log.
 */
export class MeshError extends GraphQLError {
  override readonly name = 'MeshError';

  constructor(
    readonly code: ErrorCode,
    message: string,
    options: MeshErrorOptions = {},
  ) {
    const { cause, details = {}, nodes, http } = options;
    const extensions: Record<string, unknown> = { ...details, code };
    if (http) extensions.http = { status: httpStatusOf(code), headers: new Map(Object.entries(http.headers ?? {})) };
    super(message, { nodes, originalError: cause instanceof Error ? cause : undefined, extensions });
    if (cause !== undefined) Object.defineProperty(this, 'cause', { value: cause, enumerable: false });
  }

  /** The public structured detail given at construction. */
  get details(): Record<string, unknown> {
    const { code: _code, http: _http, ...details } = this.extensions as Record<string, unknown>;
    return details;
  }

  /** The HTTP status of this error's code. */
  get status(): number {
    return httpStatusOf(this.code);
  }
}
