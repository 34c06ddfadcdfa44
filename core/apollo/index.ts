/**
 * The one place that uses @apollo/* internals and undocumented behaviour (federation-internals, the query
 * planner, `executeQueryPlan` with a hand-built context, the gateway executor contract, composition,
 * the `for: SECURITY` rewrite). test/apollo/ pins every behaviour relied on, so an @apollo upgrade
 * touches this folder and its tests say what broke. Imports neither gateway/ nor subgraphs/.
 */
export { composeSubgraphs, type CompositionResult, type SubgraphSdl } from './composeSubgraphs.js';
export { executeSubscriptionEvent, type SubscriptionEventInput } from './executeSubscriptionEvent.js';
export { gatewayCompatibleSdl } from './gatewayCompatibleSdl.js';
export type { GraphQLResolverMap, SubgraphSchemaModuleResolvers } from './GraphQLResolverMap.js';
export { parseSupergraph, supergraphParseCount, type DeclaredSubgraph, type ParsedSupergraph } from './parseSupergraph.js';
export {
  planSubscriptionOperation,
  type FetchNode,
  type OperationContext,
  type PlannedSubscription,
  type SubscriptionNode,
} from './planSubscriptionOperation.js';
export { shareParsedSupergraph } from './shareParsedSupergraph.js';
export { readAuthRequirements, type AuthRequirement, type AuthRequirements } from './readAuthRequirements.js';
export { CURSOR_FIELD, RESUME_ARGUMENT, resumableSubscriptionFields, type ResumableSubscriptionFields } from './resumableSubscriptionFields.js';
export { onGatewaySupergraph, wrapGatewayExecutor, type GatewayExecutor, type GatewayLike, type GatewayRequestContext } from './wrapGatewayExecutor.js';
export { gatewayPlanning, type GatewayPlanning } from './gatewayPlanning.js';
export { READ_ONLY_ANSWER, readsAnswerOnly } from './readOnlyAnswer.js';
export { toEnginePlan } from './toEnginePlan.js';
export { planQueryOperation } from './planQueryOperation.js';
