/**
 * The mesh query engine (gateway/engine/) on plans made by @apollo/query-planner for the conformance
 * subgraphs (test/conformance/conformanceSubgraphs.ts), each subgraph a real federation schema executed
 * by graphql-js in-process: what the engine sends (representations), where errors land, how responses
 * are shaped (null propagation, `@skip`/`@include`, field auth denials).
 */
import { getVariableValues, graphql, parse, type FieldNode, type GraphQLSchema, Kind, visit } from 'graphql';
import { parseSupergraph, planQueryOperation, type ParsedSupergraph } from '../../../core/apollo/index.js';
import { executePlan, type SubgraphAnswer, type SubgraphFetch } from '../../../gateway/engine/executePlan.js';
import { operationShape } from '../../../gateway/engine/operationShape.js';
import { shapeResponse, type FieldDenial } from '../../../gateway/engine/shapeResponse.js';
import { composeConformanceSchema } from '../../conformance/startConformanceMesh.js';
import { CONFORMANCE_SCHEMAS, CONFORMANCE_SUBGRAPHS, type ConformanceSubgraphName } from '../../conformance/conformanceSubgraphs.js';

interface Sent {
  serviceName: string;
  variables: Record<string, unknown>;
}

let supergraph: ParsedSupergraph;
const schemas = new Map<string, GraphQLSchema>();

beforeAll(() => {
  const names = CONFORMANCE_SCHEMAS.shop;
  supergraph = parseSupergraph(composeConformanceSchema(names, Object.fromEntries(names.map((n) => [n, `http://127.0.0.1:9/${n}`]))));
  for (const name of names) schemas.set(name, CONFORMANCE_SUBGRAPHS[name as ConformanceSubgraphName].build());
});

/** Runs `query` through the engine against the in-process subgraphs; `deny` names field nodes (by response key) to deny. */
async function run(query: string, variables: Record<string, unknown> = {}, deny: string[] = []) {
  const sent: Sent[] = [];
  const fetch: SubgraphFetch = async (step, vars) => {
    sent.push({ serviceName: step.serviceName, variables: JSON.parse(JSON.stringify(vars)) as Record<string, unknown> });
    const result = await graphql({ schema: schemas.get(step.serviceName)!, source: step.operation, variableValues: vars });
    return JSON.parse(JSON.stringify(result)) as SubgraphAnswer;
  };
  const document = parse(query);
  const operation = document.definitions.find((d) => d.kind === Kind.OPERATION_DEFINITION)!;
  const coerced = getVariableValues(supergraph.apiSchema, operation.variableDefinitions ?? [], variables);
  if (coerced.errors) throw coerced.errors[0];
  const plan = planQueryOperation(supergraph, document);
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
  const errors = [...execution.errors, ...shaped.errors].map((e) => ({ message: e.message, path: e.path, code: e.extensions?.code }));
  return { data: JSON.parse(JSON.stringify(shaped.data)) as unknown, errors, sent };
}

describe('the mesh query engine', () => {
  it('should send each distinct entity representation once and merge the answer into every holder', async () => {
    const { data, sent } = await run('{ reviews { id author { name } } }');
    const accounts = sent.filter((s) => s.serviceName === 'accounts');
    expect(accounts).toHaveLength(1);
    // Six reviews by u1, u2, u1, u404, u3, u4: u1 is sent once.
    expect((accounts[0].variables.representations as Array<{ id: string }>).map((r) => r.id)).toEqual(['u1', 'u2', 'u404', 'u3', 'u4']);
    const reviews = (data as { reviews: Array<{ id: string; author: { name: string } | null }> }).reviews;
    expect(reviews.filter((r) => r.author?.name === 'Ada').map((r) => r.id)).toEqual(['r1', 'r3']);
  });

  it('should report an entity its subgraph does not have at the entity path, and null the parent of its non-null field', async () => {
    const { data, errors } = await run('{ reviews { id author { name } } }');
    expect((data as { reviews: Array<{ author: unknown }> }).reviews[3].author).toBeNull();
    expect(errors).toEqual([
      { message: 'Subgraph "accounts" has no User for the key it was asked for.', path: ['reviews', 3, 'author'], code: 'DOWNSTREAM_SERVICE_ERROR' },
    ]);
  });

  it('should put a subgraph error of an entity fetch at the entity path in the response, with serviceName', async () => {
    const { errors } = await run('{ reviews { id author { secret } } }');
    expect(errors.filter((e) => e.message.includes('sealed')).map((e) => [e.path, e.code])).toEqual([
      [['reviews', 1, 'author', 'secret'], 'DOWNSTREAM_SERVICE_ERROR'],
    ]);
  });

  it('should build @requires representations from the data at hand', async () => {
    const { data, sent } = await run('{ topProducts(first: 2) { upc shippingEstimate } }');
    const inventory = sent.find((s) => s.serviceName === 'inventory')!;
    expect(inventory.variables.representations).toEqual([
      { __typename: 'Product', upc: 'p1', price: 30, weight: 2 },
      { __typename: 'Product', upc: 'p2', price: 45, weight: null },
    ]);
    expect(data).toEqual({
      topProducts: [
        { upc: 'p1', shippingEstimate: 7 },
        { upc: 'p2', shippingEstimate: null },
      ],
    });
  });

  it('should decide @skip and @include from the variables of each request', async () => {
    const query = 'query ($s: Boolean!, $i: Boolean = true) { me { id name @skip(if: $s) email @include(if: $i) } }';
    expect((await run(query, { s: true })).data).toEqual({ me: { id: 'u1', email: 'ada@example.com' } });
    expect((await run(query, { s: false, i: false })).data).toEqual({ me: { id: 'u1', name: 'Ada' } });
  });

  it('should answer in selection order with aliases, merged fields and fragments on abstract types', async () => {
    const { data } = await run('{ me { ... on User { n: name } id n: name ...F } } fragment F on User { __typename t: __typename }');
    expect(JSON.stringify(data)).toBe('{"me":{"n":"Ada","id":"u1","__typename":"User","t":"User"}}');
  });

  it('should null a denied field with an error at its path, and the nearest nullable parent of a denied non-null field', async () => {
    const { data, errors } = await run('{ usersByIds(ids: ["u1", "u2"]) { id email nickname } }', {}, ['email', 'nickname']);
    expect(data).toEqual({ usersByIds: [null, null] });
    // One error per denied field per object: the null of the non-null `nickname` needs no second one.
    expect(errors.map((e) => [e.path, e.code])).toEqual([
      [['usersByIds', 0, 'email'], 'UNAUTHORIZED_FIELD_OR_TYPE'],
      [['usersByIds', 0, 'nickname'], 'UNAUTHORIZED_FIELD_OR_TYPE'],
      [['usersByIds', 1, 'email'], 'UNAUTHORIZED_FIELD_OR_TYPE'],
      [['usersByIds', 1, 'nickname'], 'UNAUTHORIZED_FIELD_OR_TYPE'],
    ]);
    const nullable = await run('{ me { id email } }', {}, ['email']);
    expect(nullable.data).toEqual({ me: { id: 'u1', email: null } });
    expect(nullable.errors).toEqual([{ message: 'denied email', path: ['me', 'email'], code: 'UNAUTHORIZED_FIELD_OR_TYPE' }]);
  });

  it('should null the parent of a non-null field a subgraph left null, with one error', async () => {
    const { data, errors } = await run('{ user(id: "u3") { id nickname } }');
    expect(data).toEqual({ user: null });
    expect(errors).toEqual([expect.objectContaining({ path: ['user', 'nickname'] })]);
  });
});
