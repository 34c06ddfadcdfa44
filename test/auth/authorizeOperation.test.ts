/**
 * The decision layer without servers: reading the directives from a composed supergraph (renamed
 * imports, types, scalars, enums, interfaces, unions, policies), removing denied fields before planning,
 * and the replay that puts `null` + errors at exact paths.
 */
import { composeServices } from '@apollo/composition';
import { parse, print, validate } from 'graphql';
import { loadAuthSchema } from '../../gateway/auth/AuthSchema.js';
import { authorizeOperation, deniedPaths, TYPENAME_KEY } from '../../gateway/auth/authorizeOperation.js';
import type { PolicyRegistry } from '../../gateway/auth/decideFieldAccess.js';
import { readAuthRequirements } from '../../core/apollo/index.js';
import { replayWithDenials } from '../../gateway/auth/replayWithDenials.js';
import { fixtureSupergraph, principal } from './authFixtures.js';

const sdl = fixtureSupergraph();
const authSchema = loadAuthSchema(sdl);
const policies: PolicyRegistry = { ownerOnly: (p) => p.claims.owner === true, admin: (p) => p.scopes.includes('admin'), gold: (p) => p.claims.tier === 'gold' };

const authorize = (query: string, scopes: string[] | null, claims: Record<string, unknown> = {}, operationName?: string) =>
  authorizeOperation({ authSchema, principal: principal(scopes, claims), document: parse(query), operationName, policies })!;
const squash = (text: string) => text.replace(/\s+/g, ' ').trim();

describe('readAuthRequirements', () => {
  const requirements = readAuthRequirements(sdl);

  it('should read @requiresScopes imported under another name', () => {
    expect(requirements.fields.get('Secret.secret')).toEqual({ authenticated: false, scopes: [[['secret:read']]], policies: [] });
    expect(requirements.fields.get('Account.both')?.scopes).toEqual([[['a', 'b'], ['c']]]);
  });

  it('should read type-level directives on objects, scalars and enums', () => {
    expect(requirements.types.get('Secret')?.authenticated).toBe(true);
    expect(requirements.types.get('Money')?.scopes).toEqual([[['finance:read']]]);
    expect(requirements.types.get('Tier')?.policies).toEqual([[['gold']]]);
  });

  it('should read @policy and @authenticated on fields', () => {
    expect(requirements.fields.get('Account.note')?.policies).toEqual([[['ownerOnly'], ['admin']]]);
    expect(requirements.fields.get('Account.owner')?.authenticated).toBe(true);
  });

  it('should find nothing in a supergraph without auth directives', () => {
    const plain = composeServices([
      {
        name: 'x',
        url: 'http://x',
        typeDefs: parse('extend schema @link(url: "https://specs.apollo.dev/federation/v2.6", import: ["@key"]) type Query { a: String }'),
      },
    ]);
    const loaded = loadAuthSchema(plain.supergraphSdl!);
    expect(loaded.ungoverned).toBe(true);
    const document = parse('{ a }');
    expect(authorizeOperation({ authSchema: loaded, principal: principal(null), document })!.document).toBe(document);
  });
});

describe('requirementOf', () => {
  it('should govern a field returning an abstract type by every possible type', () => {
    expect(authSchema.requirementOf('Query', 'nodes')?.authenticated).toBe(true);
    expect(authSchema.requirementOf('Query', 'things')?.authenticated).toBe(true);
  });

  it('should govern an interface field by every implementation of it', () => {
    expect(authSchema.requirementOf('Node', 'secret')?.scopes).toContainEqual([['secret:read']]);
  });

  it('should not push an interface requirement down to an implementation that has none', () => {
    expect(authSchema.requirementOf('Public', 'secret')).toBeNull();
    expect(authSchema.requirementOf('Query', 'publics')).toBeNull();
  });

  it('should govern fields returning a governed scalar or enum', () => {
    expect(authSchema.requirementOf('Account', 'balance')?.scopes).toEqual([[['finance:read']]]);
    expect(authSchema.requirementOf('Account', 'tier')?.policies).toEqual([[['gold']]]);
  });
});

describe('authorizeOperation', () => {
  it('should remove denied fields and leave the rest untouched', () => {
    const result = authorize('{ account { id balance name } }', []);
    expect([...result.denied.values()].map((d) => d.coordinate)).toEqual(['Account.balance']);
    expect(squash(print(result.document))).toBe('{ account { id name } }');
  });

  it('should return the original document when nothing is denied', () => {
    const document = parse('{ account { id balance } }');
    const result = authorizeOperation({ authSchema, principal: principal(['finance:read']), document, policies })!;
    expect(result.document).toBe(document);
    expect(result.allowedGoverned).toEqual(['Account.balance']);
  });

  it('should give an emptied selection set __typename', () => {
    expect(squash(print(authorize('{ account { balance } }', []).document))).toBe('{ account { __typename } }');
    expect(squash(print(authorize('{ nodes { id } }', null).document))).toBe('{ __typename }');
  });

  it('should drop fragments and variables the removal left unused, so the document still validates', () => {
    const result = authorize(
      'query Q($s: Boolean!, $t: Boolean!) { account { id @include(if: $t) } nodes @include(if: $s) { ...N } publics { id } } fragment N on Node { id }',
      null,
    );
    expect(squash(print(result.document))).toBe('query Q($t: Boolean!) { account { id @include(if: $t) } publics { id } }');
    expect(validate(authSchema.schema, result.document)).toEqual([]);
  });

  it('should keep only the selected operation', () => {
    const result = authorize('query A { hello } query B { account { balance } }', [], {}, 'B');
    expect(squash(print(result.document))).toBe('query B { account { __typename } }');
  });

  it('should deny an interface field if any implementation governs it, but not the same field on a free implementation', () => {
    const result = authorize('{ nodes { id secret ... on Public { secret } ... on Secret { title } } }', []);
    expect([...result.denied.values()].map((d) => d.coordinate)).toEqual(['Node.secret']);
    expect(squash(print(result.document))).toBe(`{ nodes { id ... on Public { secret } ... on Secret { title } ${TYPENAME_KEY}: __typename } }`);
  });

  it('should decide by policy with the claims', () => {
    expect(authorize('{ account { note } }', [], { owner: true }).denied.size).toBe(0);
    expect(authorize('{ account { note } }', ['admin']).denied.size).toBe(0);
    expect(authorize('{ account { note } }', []).denied.size).toBe(1);
    expect(authorize('{ account { tier } }', [], { tier: 'gold' }).denied.size).toBe(0);
  });

  it('should list static paths of denied fields, once per path, through fragments', () => {
    const result = authorize('{ a: account { balance ...F } b: account { ...F } } fragment F on Account { balance }', []);
    expect(deniedPaths(result).map((d) => d.path)).toEqual([
      ['a', 'balance'],
      ['b', 'balance'],
    ]);
  });
});

describe('replayWithDenials', () => {
  it('should null a denied interface field only for the implementations whose selection was removed', async () => {
    const authorization = authorize('{ nodes { id secret ... on Public { secret } } }', []);
    const result = await replayWithDenials({
      authSchema,
      authorization,
      result: {
        data: {
          nodes: [
            { [TYPENAME_KEY]: 'Public', id: '1', secret: 'public' },
            { [TYPENAME_KEY]: 'Secret', id: '2' },
          ],
        },
      },
    });
    expect(result.data).toEqual({
      nodes: [
        { id: '1', secret: 'public' },
        { id: '2', secret: null },
      ],
    });
    expect(result.errors?.map((e) => [e.path, e.extensions.code])).toEqual([[['nodes', 1, 'secret'], 'UNAUTHORIZED_FIELD_OR_TYPE']]);
  });

  it('should propagate null from a denied non-null field to the nearest nullable parent', async () => {
    const authorization = authorize('{ account { id owner } hello }', null);
    const result = await replayWithDenials({ authSchema, authorization, result: { data: { account: { id: 'a1' }, hello: 'hi' } } });
    expect(result.data).toEqual({ account: null, hello: 'hi' });
    expect(result.errors?.map((e) => e.path)).toEqual([['account', 'owner']]);
  });

  it('should keep the gateway errors and aliases as written', async () => {
    const authorization = authorize('{ acc: account { money: balance name } }', []);
    const downstream = { message: 'b is down', path: ['acc', 'name'], extensions: { code: 'DOWNSTREAM_SERVICE_ERROR' } };
    const result = await replayWithDenials({ authSchema, authorization, result: { data: { acc: { name: null } }, errors: [downstream as never] } });
    expect(result.data).toEqual({ acc: { money: null, name: null } });
    expect(result.errors?.map((e) => [e.path, e.extensions?.code])).toEqual([
      [['acc', 'name'], 'DOWNSTREAM_SERVICE_ERROR'],
      [['acc', 'money'], 'UNAUTHORIZED_FIELD_OR_TYPE'],
    ]);
  });

  it('should report static paths when the gateway returned no data', async () => {
    const authorization = authorize('{ account { balance } }', []);
    const result = await replayWithDenials({ authSchema, authorization, result: { data: null, errors: [] } });
    expect(result.errors?.map((e) => e.path)).toEqual([['account', 'balance']]);
  });
});
