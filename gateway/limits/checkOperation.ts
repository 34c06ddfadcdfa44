import { ErrorCode } from '../../core/errors/ErrorCode.js';
import { GraphQLError, parse, type DocumentNode, type GraphQLSchema } from 'graphql';
import { limitError } from './limitError.js';
import { measureOperation } from './measureOperation.js';
import type { OperationLimits } from './OperationLimits.js';
import type { CostDirectives } from './readCostDirectives.js';

/** Inputs of `checkOperation`. */
export interface CheckOperationInput {
  source: string;
  variables?: Readonly<Record<string, unknown>>;
  schema: GraphQLSchema | null;
  costs: CostDirectives;
  limits: OperationLimits;
}

/** An admitted document (parsed once, with the token limit) or the refusal. */
export type CheckOperationResult = { ok: true; document: DocumentNode } | { ok: false; error: GraphQLError };

/**
 * Parses a document within the token limit and measures it against the static limits, in time linear
 * in its size: the decision comes before validation (whose overlap check is quadratic in aliases) and
 * before planning. A syntax error is a GRAPHQL_PARSE_FAILED refusal like Apollo Server's own.
 */
export function checkOperation(input: CheckOperationInput): CheckOperationResult {
  const { source, variables, schema, costs, limits } = input;
  let document: DocumentNode;
  try {
    document = parse(source, { maxTokens: Number.isFinite(limits.maxTokens) ? limits.maxTokens : undefined });
  } catch (error) {
    const message = error instanceof GraphQLError ? error.message : String(error);
    return { ok: false, error: limitError(ErrorCode.GRAPHQL_PARSE_FAILED, message) };
  }
  const m = measureOperation({ document, schema, costs, variables, defaultListSize: limits.defaultListSize, groupByFanout: limits.groupByFanout });
  const over = (actual: number, limit: number) => actual > limit;
  if (over(m.selections, limits.maxSelections)) {
    const what = Number.isFinite(m.selections) ? `${m.selections} selections once fragments are expanded` : 'fragments that spread themselves';
    return refuse(
      ErrorCode.MAX_RECURSIVE_SELECTIONS_EXCEEDED,
      `The operation has ${what}; the limit is ${limits.maxSelections}.`,
      m.selections,
      limits.maxSelections,
    );
  }
  if (over(m.depth, limits.maxDepth))
    return refuse(ErrorCode.MAX_DEPTH_LIMIT, `The operation is ${m.depth} fields deep; the limit is ${limits.maxDepth}.`, m.depth, limits.maxDepth);
  if (over(m.aliases, limits.maxAliases))
    return refuse(ErrorCode.MAX_ALIASES_LIMIT, `The operation has ${m.aliases} aliases; the limit is ${limits.maxAliases}.`, m.aliases, limits.maxAliases);
  if (over(m.rootFields, limits.maxRootFields))
    return refuse(
      ErrorCode.MAX_ROOT_FIELDS_LIMIT,
      `The operation has ${m.rootFields} root fields; the limit is ${limits.maxRootFields}.`,
      m.rootFields,
      limits.maxRootFields,
    );
  if (over(m.cost, limits.maxCost)) {
    return refuse(
      ErrorCode.COST_ESTIMATED_TOO_EXPENSIVE,
      `The operation's estimated cost is ${m.cost}; the limit is ${limits.maxCost}. Narrow history ranges, use a coarser granularity or select fewer lists.`,
      m.cost,
      limits.maxCost,
    );
  }
  return { ok: true, document };
}

const refuse = (code: ErrorCode, message: string, actual: number, limit: number): CheckOperationResult => ({
  ok: false,
  error: limitError(code, message, { details: { limit, actual: Number.isFinite(actual) ? actual : null } }),
});
