/**
 * Field authorizations remembered per document, operation and scope set (gateway/auth/cachedAuthorization.ts):
 * a remembered outcome never serves another scope set, never stands in for a `@policy` decision, and
 * never outlives the supergraph (auth view) it was decided on.
 */
import { parse, type OperationDefinitionNode } from 'graphql';
import { loadAuthSchema } from '../../gateway/auth/AuthSchema.js';
import { cachedAuthorization } from '../../gateway/auth/cachedAuthorization.js';
import type { PolicyRegistry } from '../../gateway/auth/decideFieldAccess.js';
import { fixtureSupergraph, principal } from './authFixtures.js';

const sdl = fixtureSupergraph();
const document = parse('query Q { account { id both owner } }');
const operation = document.definitions[0] as OperationDefinitionNode;
const denials = (authorization: ReturnType<ReturnType<typeof cachedAuthorization>>) => [...(authorization?.deniedCoordinates ?? [])].sort();

describe('cachedAuthorization', () => {
  const authSchema = loadAuthSchema(sdl);

  it('should reuse an outcome for the same scope set, whatever the order of the scopes', () => {
    const authorize = cachedAuthorization();
    const first = authorize({ authSchema, principal: principal(['c', 'x']), document, operation });
    const second = authorize({ authSchema, principal: { ...principal(['x', 'c']), sub: 'someone else' }, document, operation });
    expect(denials(first)).toEqual([]);
    expect(second).toBe(first);
  });

  it('should decide again for another scope set or an anonymous caller', () => {
    const authorize = cachedAuthorization();
    expect(denials(authorize({ authSchema, principal: principal(['a', 'b']), document, operation }))).toEqual([]);
    expect(denials(authorize({ authSchema, principal: principal(['a']), document, operation }))).toEqual(['Account.both']);
    expect(denials(authorize({ authSchema, principal: principal(null), document, operation }))).toEqual(['Account.both', 'Account.owner']);
    // And back: the first outcome is still the one for its own scope set.
    expect(denials(authorize({ authSchema, principal: principal(['b', 'a']), document, operation }))).toEqual([]);
  });

  it('should ask a @policy every time (it may read any claim)', () => {
    const asked: unknown[] = [];
    const policies: PolicyRegistry = {
      ownerOnly: (p) => {
        asked.push(p.claims.owner);
        return p.claims.owner === true;
      },
    };
    const authorize = cachedAuthorization();
    const withPolicy = parse('{ account { note } }');
    const op = withPolicy.definitions[0] as OperationDefinitionNode;
    const owner = authorize({ authSchema, principal: principal([], { owner: true }), document: withPolicy, operation: op, policies });
    const other = authorize({ authSchema, principal: principal([], { owner: false }), document: withPolicy, operation: op, policies });
    expect(denials(owner)).toEqual([]);
    expect(denials(other)).toEqual(['Account.note']);
    expect(asked).toEqual([true, false]);
  });

  it('should decide again on a new supergraph (a new auth view)', () => {
    const authorize = cachedAuthorization();
    const before = authorize({ authSchema, principal: principal(['c']), document, operation });
    expect(denials(before)).toEqual([]);
    // The same supergraph with `both` now requiring a scope nobody has: the remembered outcome must not serve.
    const stricter = loadAuthSchema(sdl.replace('@scopes(scopes: [["a", "b"], ["c"]])', '@scopes(scopes: [["z"]])'));
    expect(stricter.requirementOf('Account', 'both')?.scopes).toEqual([[['z']]]);
    expect(denials(authorize({ authSchema: stricter, principal: principal(['c']), document, operation }))).toEqual(['Account.both']);
  });

  it('should decide again for another document object of the same text', () => {
    const authorize = cachedAuthorization();
    const first = authorize({ authSchema, principal: principal(['c']), document, operation });
    const again = parse('query Q { account { id both owner } }');
    const second = authorize({ authSchema, principal: principal(['c']), document: again, operation: again.definitions[0] as OperationDefinitionNode });
    expect(second).not.toBe(first);
    expect(second?.document).toBe(again);
  });
});
