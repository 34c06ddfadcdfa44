import { ErrorCode } from '../../core/errors/ErrorCode.js';
import { execute, GraphQLError, type ExecutionResult, type FieldNode, type GraphQLFieldResolver, type GraphQLTypeResolver } from 'graphql';
import { deniedPaths, TYPENAME_KEY, type DeniedField, type OperationAuthorization } from './authorizeOperation.js';
import type { AuthSchema } from './AuthSchema.js';

/** What to replay. */
export interface ReplayInput {
  authSchema: AuthSchema;
  authorization: OperationAuthorization;
  /** Denied field nodes, when more than `authorization.denied` (a subscription re-checked per event). */
  denied?: ReadonlyMap<FieldNode, DeniedField>;
  variables?: Record<string, unknown> | null;
  /** The gateway's result for the rewritten document. */
  result: ExecutionResult;
}

/** The error a client gets for a denied field (graphql-js adds the path and locations). */
export function unauthorizedFieldError(field: DeniedField, path?: ReadonlyArray<string | number>): GraphQLError {
  return new GraphQLError(field.message, { path, extensions: { code: ErrorCode.UNAUTHORIZED_FIELD_OR_TYPE } });
}

/**
 * Puts the client's answer together: graphql-js executes the ORIGINAL document over the gateway's data,
 * reading each field by its response key and throwing for denied fields. graphql-js then does what the
 * spec says: `null` plus an error at the exact path (aliases, list indices, fragments), and a non-null
 * denied field nulls its nearest nullable parent. The gateway's own errors are kept as they are.
 */
export async function replayWithDenials(input: ReplayInput): Promise<ExecutionResult> {
  const { authSchema, authorization, variables, result } = input;
  const denied = input.denied ?? authorization.denied;
  if (denied.size === 0) return result;
  const gatewayErrors = result.errors ?? [];
  if (result.data == null) {
    // Nothing to replay over (the gateway failed the whole operation): report where the fields were.
    const authErrors = deniedPaths({ ...authorization, denied }).map(({ path, field }) => unauthorizedFieldError(field, path));
    return { ...result, errors: [...gatewayErrors, ...authErrors] };
  }

  const fieldResolver: GraphQLFieldResolver<unknown, unknown> = (source, _args, _context, info) => {
    // A field reached through several selections is refused only if every one of them was removed: a
    // surviving selection (e.g. `... on Impl { x }` beside a conservatively denied `... on Iface { x }`)
    // means its value was fetched legitimately for this runtime type.
    const refusals = info.fieldNodes.map((node) => denied.get(node));
    if (refusals.every((r) => r !== undefined)) throw unauthorizedFieldError(refusals[0]);
    return source == null ? null : (source as Record<string, unknown>)[info.path.key as string];
  };
  const typeResolver: GraphQLTypeResolver<unknown, unknown> = (value) => {
    const record = value as Record<string, unknown> | null;
    const name = record?.[TYPENAME_KEY] ?? record?.__typename;
    return typeof name === 'string' ? name : undefined;
  };
  const replayed = await execute({
    schema: authSchema.schema,
    document: authorization.original,
    operationName: authorization.operation.name?.value,
    rootValue: result.data,
    variableValues: variables ?? {},
    fieldResolver,
    typeResolver,
  });
  // Only our errors: anything else graphql-js reports here restates what the gateway already reported.
  const authErrors = (replayed.errors ?? []).filter((e) => e.extensions?.code === ErrorCode.UNAUTHORIZED_FIELD_OR_TYPE);
  const errors = [...gatewayErrors, ...authErrors];
  return { ...result, data: replayed.data ?? null, ...(errors.length ? { errors } : {}) };
}
