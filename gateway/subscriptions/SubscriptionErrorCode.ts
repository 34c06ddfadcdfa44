/**
 * `extensions.code` values the subscription path puts on errors it reports. They reuse the codes Apollo
 * Server and the gateway already use for the same situations, so clients handle one vocabulary.
 * TODO: merge into the gateway's central error-code module once it exists.
 */
export const SubscriptionErrorCode = {
  /** The document does not validate against the API schema (unknown field, wrong argument, ...). */
  GRAPHQL_VALIDATION_FAILED: 'GRAPHQL_VALIDATION_FAILED',
  /** Variables are missing or do not match their declared types. */
  BAD_USER_INPUT: 'BAD_USER_INPUT',
  /** No operation, several without a name, or an operation name that is not in the document. */
  OPERATION_RESOLUTION_FAILURE: 'OPERATION_RESOLUTION_FAILURE',
  /** The operation is a query or a mutation: this path only executes subscriptions. */
  BAD_REQUEST: 'BAD_REQUEST',
  /** A subgraph reported an error, or the subgraph could not be reached; carries `serviceName`. */
  DOWNSTREAM_SERVICE_ERROR: 'DOWNSTREAM_SERVICE_ERROR',
  /**
   * Not fatal: the subscription could not resume where it stopped (the subgraph no longer has the events
   * after its last cursor), so it goes on with live events and some may have been missed. Arrives as
   * an event with this error and no data; carries `serviceName`.
   */
  EVENTS_MISSED: 'EVENTS_MISSED',
  /** Anything unexpected (planning failure, a throwing callback); the message is generic. */
  INTERNAL_SERVER_ERROR: 'INTERNAL_SERVER_ERROR',
} as const;

export type SubscriptionErrorCode = (typeof SubscriptionErrorCode)[keyof typeof SubscriptionErrorCode];
