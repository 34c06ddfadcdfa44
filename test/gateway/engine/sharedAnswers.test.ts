/**
 * Subgraph answers shared by concurrent operations (one parse per shared in-flight request,
 * core/apollo/readOnlyAnswer.ts): the mesh engine (gateway/engine/executePlan.ts) copies what it writes
 * into, so operations that share fetches but differ in selections or field auth decisions each get their
 * own answer, exactly as with answers of their own, and the shared answers stay as they came. Shared
 * answers are deep-frozen here: a write into one throws (ES modules are strict code).
 */
import { getVariableValues, graphql, parse, type FieldNode, type GraphQLSchema, Kind, visit } from 'graphql';
import { parseSupergraph, planQueryOperation, type ParsedSupergraph } from '../../../core/apollo/index.js';
import { executePlan, type SubgraphAnswer, type SubgraphFetch } from '../../../gateway/engine/executePlan.js';
import { operationShape } from '../../../gateway/engine/operationShape.js';
import { shapeResponse, type FieldDenial } from '../../../gateway/engine/shapeResponse.js';
import { composeConformanceSchema } from '../../conformance/startConformanceMesh.js';
import { CONFORMANCE_SCHEMAS, CONFORMANCE_SUBGRAPHS, type ConformanceSubgraphName } from '../../conformance/conformanceSubgraphs.js';
import { deferred } from '../../support/asyncWait.js';

let supergraph: ParsedSupergraph;
const schemas = new Map<string, GraphQLSchema>();

beforeAll(() => {
  const names = CONFORMANCE_SCHEMAS.shop;
  supergraph = parseSupergraph(composeConformanceSchema(names, Object.fromEntries(names.map((n) => [n, `http://127.0.0.1:9/${n}`]))));
  for (const name of names) schemas.set(name, CONFORMANCE_SUBGRAPHS[name as ConformanceSubgraphName].build());
});

const deepFreeze = <T>(value: T): T => {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const item of Object.values(value)) deepFreeze(item);
  }
  return value;
};

/** A subgraph answer as JSON.parse would give it. */
const answer = async (service: string, operation: string, variables: Record<string, unknown>) =>
  JSON.parse(JSON.stringify(await graphql({ schema: schemas.get(service)!, source: operation, variableValues: variables }))) as SubgraphAnswer;

/**
 * Identical fetches (subgraph, document, variables) of the operations run together get one answer
 * object, deep-frozen, as with the subgraph client's sharing of in-flight requests.
 */
function sharingFetch() {
  const answers = new Map<string, { answer: Promise<SubgraphAnswer>; text?: string; callers: number }>();
  const fetch: SubgraphFetch = async (step, variables) => {
    const key = JSON.stringify([step.serviceName, step.operation, variables]);
    let shared = answers.get(key);
    if (!shared) {
      const made: { answer: Promise<SubgraphAnswer>; text?: string; callers: number } = {
        answer: answer(step.serviceName, step.operation, variables),
        callers: 0,
      };
      // The text as it came, then frozen: what every caller must still find at the end.
      made.answer = made.answer.then((a) => ((made.text = JSON.stringify(a)), deepFreeze(a)));
      answers.set(key, (shared = made));
    }
    shared.callers += 1;
    return shared.answer;
  };
  return { fetch, answers };
}

/** Each fetch answered with an answer of its own (no sharing). */
const ownFetch: SubgraphFetch = (step, variables) => answer(step.serviceName, step.operation, variables);

/** Runs `query` through the engine with `fetch`; `deny` names field nodes (by response key) the caller may not see. */
async function run(fetch: SubgraphFetch, query: string, deny: string[] = [], variables: Record<string, unknown> = {}, started?: Promise<void>) {
  const document = parse(query);
  const operation = document.definitions.find((d) => d.kind === Kind.OPERATION_DEFINITION)!;
  const coerced = getVariableValues(supergraph.apiSchema, operation.variableDefinitions ?? [], variables);
  if (coerced.errors) throw coerced.errors[0];
  const plan = planQueryOperation(supergraph, document);
  await started;
  const execution = await executePlan({ node: plan.node, fetch, variables, coercedVariables: coerced.coerced, supergraph: supergraph.supergraphSchema });
  const denied = new Map<FieldNode, FieldDenial>();
  visit(document, {
    Field(node) {
      const key = node.alias?.value ?? node.name.value;
      if (deny.includes(key)) denied.set(node, { message: `denied ${key}` });
    },
  });
  const shaped = shapeResponse({
    schema: supergraph.apiSchema,
    root: operationShape(supergraph.apiSchema, document, operation, coerced.coerced),
    rootType: supergraph.apiSchema.getQueryType()!,
    data: execution.data,
    fetchErrors: execution.errors,
    denied,
    introspect: () => null,
  });
  return JSON.parse(
    JSON.stringify({ data: shaped.data, errors: [...execution.errors, ...shaped.errors].map((e) => ({ message: e.message, path: e.path })) }),
  ) as unknown;
}

interface Caller {
  query: string;
  deny?: string[];
  variables?: Record<string, unknown>;
}

/** Runs the callers together over shared answers, and each alone over answers of its own: both must agree. */
async function expectOwnAnswers(callers: Caller[]) {
  const { fetch, answers } = sharingFetch();
  const go = deferred<void>();
  const together = Promise.all(callers.map((c) => run(fetch, c.query, c.deny, c.variables, go.promise)));
  go.resolve();
  const shared = await together;
  const alone = await Promise.all(callers.map((c) => run(ownFetch, c.query, c.deny, c.variables)));
  expect(shared).toEqual(alone);
  // The shared answers are as they came (frozen, so a write would also have failed its operation).
  for (const entry of answers.values()) expect(JSON.stringify(await entry.answer)).toBe(entry.text);
  return { shared, sharedFetches: [...answers.values()].filter((entry) => entry.callers > 1).length };
}

describe('answers shared by concurrent operations', () => {
  it('should give a caller denied a field and one allowed it their own answers from the same fetches', async () => {
    const query = '{ topProducts { upc name reviews { id body author { id name email reviews { id product { upc name } } } } } }';
    const { shared, sharedFetches } = await expectOwnAnswers([{ query, deny: ['email'] }, { query }, { query, deny: ['body', 'name'] }]);
    // Every fetch of the plan was shared (root fetch and the entity fetches below it).
    expect(sharedFetches).toBeGreaterThanOrEqual(3);
    const [denied, allowed] = shared as Array<{ data: { topProducts: Array<{ reviews: Array<{ author: { email: unknown } | null }> }> }; errors: unknown[] }>;
    const emails = (result: typeof denied) => result.data.topProducts.flatMap((p) => p.reviews.flatMap((r) => (r.author ? [r.author.email] : [])));
    expect(emails(allowed).some((email) => typeof email === 'string')).toBe(true);
    expect(emails(denied).length).toBeGreaterThan(0);
    expect(emails(denied).every((email) => email === null)).toBe(true);
    expect(denied.errors).toContainEqual({ message: 'denied email', path: ['topProducts', 0, 'reviews', 0, 'author', 'email'] });
    expect(allowed.errors.filter((e) => (e as { message: string }).message.startsWith('denied'))).toEqual([]);
  });

  it('should give callers with different selections over a shared root fetch their own answers', async () => {
    const { sharedFetches } = await expectOwnAnswers([
      { query: '{ topProducts { upc name reviews { id author { name } } } }' },
      { query: '{ topProducts { upc name reviews { id body rating } } }' },
      { query: '{ topProducts { upc name shippingEstimate inStock } }' },
      { query: 'query ($e: Boolean!) { topProducts { upc name reviews { id author { name email @include(if: $e) } } } }', variables: { e: true } },
      { query: 'query ($e: Boolean!) { topProducts { upc name reviews { id author { name email @include(if: $e) } } } }', variables: { e: false } },
    ]);
    expect(sharedFetches).toBeGreaterThanOrEqual(1);
  });

  it('should keep entities reached through several holders apart per caller (one author of two reviews, missing entities, errors)', async () => {
    const { sharedFetches } = await expectOwnAnswers([
      { query: '{ reviews { id author { name friends { id name } bestFriend { name } } product { upc name } } }' },
      { query: '{ reviews { id author { name secret friends { id } } } }', deny: ['name'] },
      { query: '{ reviews { id author { name secret friends { id } } } }' },
    ]);
    expect(sharedFetches).toBeGreaterThanOrEqual(1);
  });
});
