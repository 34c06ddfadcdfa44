/**
 * The normalisation both responses go through before the conformance test compares them:
 * - `data` is kept as is, key order included: the spec serialises fields in selection order
 *   (https://spec.graphql.org/October2021/#sec-Serialized-Map-Ordering);
 * - each error keeps its `message`, `path` and `extensions.code`. `locations` (a gateway may point at the
 *   client's document or at none for a subgraph error), `serviceName` and other extensions are dropped:
 *   they are presentation, not semantics;
 * - errors are sorted (by path, then message): the spec gives the `errors` list no order;
 * - @apollo/gateway reports a null for a non-null field of a missing entity not in `errors` but in the
 *   response's `extensions.valueCompletion` (the "silent null"); those are kept, normalised like errors,
 *   so a gateway that reports them elsewhere shows as a difference (to be listed in allowedDifferences.ts
 *   with its reason). Other response extensions are dropped.
 */

/** An error as the comparison sees it. */
export interface NormalisedError {
  message: string;
  path: ReadonlyArray<string | number> | null;
  code: string | null;
}

/** A response as the comparison sees it. */
export interface NormalisedResponse {
  data: unknown;
  errors: NormalisedError[];
  /** `extensions.valueCompletion` of the response, when present. */
  valueCompletion?: NormalisedError[];
}

/**
 * What an executor answers: a GraphQL response as parsed from JSON (errors are plain objects), or a
 * graphql-js `ExecutionResult` from an in-process executor (its `GraphQLError`s have the same fields).
 */
export interface WireResult {
  data?: Record<string, unknown> | null;
  errors?: readonly WireError[];
  extensions?: Record<string, unknown>;
}

const key = (e: NormalisedError) => `${JSON.stringify(e.path ?? [])}\u0000${e.message}\u0000${e.code ?? ''}`;

/** A GraphQL error as it arrives in JSON. */
export interface WireError {
  message: string;
  path?: ReadonlyArray<string | number>;
  /** Ignored by the comparison. */
  locations?: unknown;
  extensions?: Record<string, unknown>;
}

function normaliseErrors(errors: readonly WireError[]): NormalisedError[] {
  return errors
    .map((e): NormalisedError => ({
      message: e.message,
      path: e.path ?? null,
      code: typeof e.extensions?.code === 'string' ? e.extensions.code : null,
    }))
    .sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

export function normaliseResponse(result: WireResult): NormalisedResponse {
  const valueCompletion = result.extensions?.valueCompletion;
  return {
    data: 'data' in result ? result.data : undefined,
    errors: normaliseErrors(result.errors ?? []),
    ...(Array.isArray(valueCompletion) && { valueCompletion: normaliseErrors(valueCompletion as WireError[]) }),
  };
}

/**
 * The two responses as strings to compare (JSON keeps key order, so a field out of selection order is a
 * difference).
 */
export function comparable(result: WireResult): string {
  return JSON.stringify(normaliseResponse(result), null, 2);
}
