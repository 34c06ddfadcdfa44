/**
 * Classification and access requirements come from the SDL only: the kit reads `@classification` (through
 * its `@link`, renamed or not) and the auth directives, refuses a descriptor that still types
 * classification by hand, and refuses a confidential, pii or restricted field that nothing guards.
 */
import { parse } from 'graphql';
import { composeSubgraphs } from '../../core/apollo/index.js';
import { CLASSIFICATION_SPEC_URL, stricterClassification } from '../../core/classification/ClassificationLevel.js';
import { readClassifications } from '../../core/classification/readClassifications.js';
import { withSharedTypeDefs } from '../../core/graphql/withSharedTypeDefs.js';
import { readFileSync } from 'node:fs';
import { fieldGovernance } from '../../subgraphs/kit/auth/fieldGovernance.js';
import { defineDataProduct, type DataProductDefinition } from '../../subgraphs/kit/index.js';

const SHARED = readFileSync('schema/shared.graphql', 'utf8');
const LINKS = (imports = '["@classification"]', as = '') => `extend schema
  @link(url: "https://specs.apollo.dev/federation/v2.6", import: ["@key", "@requiresScopes", "@authenticated", "@composeDirective"])
  @link(url: "${CLASSIFICATION_SPEC_URL}"${as}, import: ${imports})
  @composeDirective(name: "@classification")`;
const sdl = (body: string, links = LINKS()) => withSharedTypeDefs(`${links}\n${body}`, SHARED);

const product = (typeDefs: string, descriptor: Record<string, unknown> = {}): DataProductDefinition => ({
  typeDefs: parse(typeDefs),
  descriptor: {
    id: 'test.things',
    name: 'Things',
    domain: 'test',
    version: '1.0.0',
    status: 'draft',
    description: { purpose: 'tests' },
    owner: { team: 'tests', contact: 'tests@example.com' },
    slos: { freshnessSeconds: 60, availability: 0.9, retentionDays: 1 },
    ...descriptor,
  },
  facts: {},
  resolvers: () => ({}),
});

describe('field governance from the SDL', () => {
  it('should derive classification and access, a type level applying to its fields unless theirs is stricter', () => {
    const typeDefs = parse(
      sdl(`
      type Query { customer(id: ID!): Customer @authenticated }
      type Customer @classification(level: INTERNAL) {
        id: ID!
        email: String @requiresScopes(scopes: [["pii:read"]]) @classification(level: PII)
        segment: String
      }
      type Plain { n: Int @classification(level: PUBLIC) }
    `),
    );

    expect(fieldGovernance(typeDefs)).toEqual({
      classification: { 'Customer.id': 'internal', 'Customer.email': 'pii', 'Customer.segment': 'internal' },
      access: {
        'Query.customer': { authenticated: true, scopes: [], policies: [] },
        'Customer.email': { authenticated: false, scopes: [[['pii:read']]], policies: [] },
      },
      unguarded: [],
    });
  });

  it('should read the directive under an imported alias or the link namespace, and ignore a same-named directive of another spec', () => {
    const renamed = sdl(`type Query { a: Int @sensitivity(level: RESTRICTED) @authenticated }`, LINKS('[{ name: "@classification", as: "@sensitivity" }]'));
    expect(readClassifications(parse(renamed)).fields.get('Query.a')).toBe('restricted');
    const namespaced = `${LINKS('[]', ', as: "cls"')}\ntype Query { a: Int @cls(level: CONFIDENTIAL) }`;
    expect(readClassifications(parse(namespaced)).fields.get('Query.a')).toBe('confidential');
    const foreign = `extend schema @link(url: "https://example.com/other/v1.0", import: ["@classification"])\ntype Query { a: Int @classification(level: PII) }`;
    expect(readClassifications(parse(foreign)).fields.size).toBe(0);
  });

  it('should rank an unknown level above every known one (fail closed)', () => {
    expect(stricterClassification('pii', 'internal')).toBe('pii');
    expect(stricterClassification('public', 'secret')).toBe('secret');
    expect(stricterClassification(undefined, 'internal')).toBe('internal');
    const odd = parse('type Query { a: Int @classification(level: 3) }');
    expect(readClassifications(odd).fields.get('Query.a')).toBe('restricted');
  });

  it('should refuse to start a product whose classified field no auth directive guards, naming it', () => {
    const typeDefs = sdl(
      `type Query { a: Int @authenticated }\ntype Thing { price: Float @classification(level: CONFIDENTIAL) ok: Int @classification(level: INTERNAL) }`,
    );

    expect(() => defineDataProduct(product(typeDefs))).toThrow(
      'data product test.things: classified fields without @authenticated, @requiresScopes or @policy: Thing.price (confidential)',
    );
  });

  it('should refuse a descriptor that still types classification by hand', () => {
    const typeDefs = sdl('type Query { a: Int }');

    expect(() => defineDataProduct(product(typeDefs, { classification: { 'Query.a': 'public' } }))).toThrow(
      /descriptor\.classification is not declared by hand any more; classify fields in the SDL with @classification/,
    );
    expect(defineDataProduct(product(typeDefs)).descriptor.id).toBe('test.things');
  });

  it('should keep the directive through composition, two subgraphs sharing its definition', () => {
    const a = sdl(
      'type Query { a: Thing }\ntype Thing @key(fields: "id") { id: ID! secret: String @requiresScopes(scopes: [["x:read"]]) @classification(level: PII) }',
    );
    const b = sdl('type Query { b: Int @classification(level: INTERNAL) }');
    const result = composeSubgraphs([
      { name: 'a', url: 'http://a.invalid/graphql', sdl: a },
      { name: 'b', url: 'http://b.invalid/graphql', sdl: b },
    ]);

    expect(result).toMatchObject({ ok: true });
    const supergraph = parse((result as { supergraphSdl: string }).supergraphSdl);
    expect(Object.fromEntries(readClassifications(supergraph).fields)).toEqual({ 'Thing.secret': 'pii', 'Query.b': 'internal' });
  });
});
