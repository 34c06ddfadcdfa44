import { GraphQLError, Kind, type DocumentNode, type OperationDefinitionNode } from 'graphql';
import { ErrorCode } from '../../core/errors/ErrorCode.js';
import { httpStatusOf } from '../../core/errors/statusOf.js';

/**
 * The operation a request selects, by the rule of the GraphQL spec ("GetOperation") as graphql-js
 * implements it: without a name (`null`/`undefined`) the document's only operation; with a name, the
 * operation of exactly that name. `""` is a name no operation has, so it selects nothing. This matters:
 * @apollo/gateway treats `""` as "no name" and would run the only operation, which is how an
 * `operationName: ""` request once ran without field authorization (issue #8).
 *
 * Returns the operation, or the coded error (HTTP 400) to refuse the request with.
 */
export function resolveOperation(document: DocumentNode, operationName: string | null | undefined): OperationDefinitionNode | GraphQLError {
  const operations = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  if (operationName == null) {
    if (operations.length === 1) return operations[0];
    return operationResolutionError(
      operations.length === 0 ? 'The document has no operation.' : `The document has ${operations.length} operations: operationName must name one of them.`,
    );
  }
  const named = operations.find((o) => o.name?.value === operationName);
  if (named) return named;
  return operationResolutionError(
    operationName === ''
      ? 'operationName "" names no operation: omit it or send null to run the only operation.'
      : `Unknown operation named "${operationName}".`,
  );
}

/** The refusal of an unresolvable operation: 400 over HTTP (GraphQL over HTTP, a request error). */
export function operationResolutionError(message: string): GraphQLError {
  return new GraphQLError(message, {
    extensions: { code: ErrorCode.OPERATION_RESOLUTION_FAILURE, http: { status: httpStatusOf(ErrorCode.OPERATION_RESOLUTION_FAILURE) } },
  });
}

/** The same error without the HTTP status, for transports that have none (graphql-ws `error` messages). */
export function withoutHttpStatus(error: GraphQLError): GraphQLError {
  const { http: _http, ...extensions } = error.extensions;
  return new GraphQLError(error.message, { extensions });
}
