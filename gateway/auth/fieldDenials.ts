import type { DocumentNode, FieldNode, GraphQLError, OperationDefinitionNode } from 'graphql';
import type { DeniedField } from './authorizeOperation.js';

/**
 * What field auth hands to an executor that shapes the response itself (the mesh query engine): the
 * client's document, its operation and the field nodes the caller may not see. The executor answers
 * them as null + UNAUTHORIZED_FIELD_OR_TYPE in its shaping pass and sets `handled`; when it does not,
 * useFieldAuth replays the result with graphql-js as before (fails closed either way).
 */
export interface FieldDenials {
  readonly original: DocumentNode;
  readonly operation: OperationDefinitionNode;
  readonly denied: ReadonlyMap<FieldNode, DeniedField>;
  /** The errors to answer when there is no data at all: one per denied path, as the replay does. */
  errorsWithoutData(): GraphQLError[];
  handled: boolean;
}

// Keyed by the request context object useFieldAuth passes to the executor (one per operation).
const handedOver = new WeakMap<object, FieldDenials>();

/** Hands the denials of one operation to the executor that receives `requestContext`. */
export function handOverDenials(requestContext: object, denials: Omit<FieldDenials, 'handled'>): FieldDenials {
  const handoff: FieldDenials = { ...denials, handled: false };
  handedOver.set(requestContext, handoff);
  return handoff;
}

/** The denials field auth handed over with this request context, if any. */
export function deniedFieldsOf(requestContext: object): FieldDenials | undefined {
  return handedOver.get(requestContext);
}
