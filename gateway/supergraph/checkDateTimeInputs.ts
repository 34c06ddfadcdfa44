import { isScalarType, Kind, print, type GraphQLSchema } from 'graphql';
import { checkedDateTimeInput, dateTimeInputProblem } from '../../core/graphql/DateTime.js';

/**
 * Makes the gateway's API schema check `DateTime` inputs (literals while validating, variables while
 * coercing) the way every subgraph parses them (`core/graphql/DateTime.ts`, the mesh's shared scalar of
 * `schema/shared.graphql`), so a bad timestamp is refused before planning with an error naming the
 * argument's type or the variable and what a DateTime must be (GRAPHQL_VALIDATION_FAILED or
 * BAD_USER_INPUT). Without it the scalar is opaque to the gateway (a supergraph carries no scalar code):
 * the query was planned, the subgraph refused it with HTTP 400, and the client got
 * `DOWNSTREAM_SERVICE_ERROR` "failed to answer".
 *
 * An accepted value is passed on as the client wrote it (the subgraph parses it again), so nothing the
 * gateway forwards changes. Changes `schema` in place (its `DateTime` type, when it declares one): the
 * gateway applies it to the schema Apollo Server and the websocket server validate with, and to the one
 * the subscription executor validates and coerces a subscription's variables with (the snapshot's).
 */
export function checkDateTimeInputs(schema: GraphQLSchema): void {
  const type = schema.getType('DateTime');
  if (!isScalarType(type)) return;
  type.parseValue = checkedDateTimeInput;
  type.parseLiteral = (node) => {
    const value = node.kind === Kind.STRING ? node.value : print(node);
    const problem = node.kind === Kind.STRING ? dateTimeInputProblem(value) : `DateTime must be a string, e.g. "2024-05-01T00:00:00Z"`;
    // A plain error: graphql-js prefixes it with the expected type and the literal found.
    if (problem !== null) throw new TypeError(problem);
    return value;
  };
}
