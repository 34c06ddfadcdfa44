import { decideFieldAccess, type PolicyRegistry } from '../../gateway/auth/decideFieldAccess.js';
import type { AuthRequirement } from '../../core/apollo/index.js';
import { principal } from './authFixtures.js';

const req = (r: Partial<AuthRequirement>): AuthRequirement => ({ authenticated: false, scopes: [], policies: [], ...r });
const policies: PolicyRegistry = {
  gold: (p) => p.claims.tier === 'gold',
  open: () => true,
  broken: () => {
    throw new Error('boom');
  },
};

describe('decideFieldAccess', () => {
  it.each([
    ['an ungoverned field', null, null, true],
    ['an ungoverned field', null, [], true],
    ['@authenticated', req({ authenticated: true }), null, false],
    ['@authenticated', req({ authenticated: true }), [], true],
    ['one scope', req({ scopes: [[['finance:read']]] }), [], false],
    ['one scope', req({ scopes: [[['finance:read']]] }), ['finance:read'], true],
    ['one scope', req({ scopes: [[['finance:read']]] }), null, false],
    ['an AND group', req({ scopes: [[['a', 'b']]] }), ['a'], false],
    ['an AND group', req({ scopes: [[['a', 'b']]] }), ['b', 'a'], true],
    ['OR of AND groups', req({ scopes: [[['a', 'b'], ['c']]] }), ['c'], true],
    ['OR of AND groups', req({ scopes: [[['a', 'b'], ['c']]] }), ['a', 'x'], false],
    ['two applications (field + type), both needed', req({ scopes: [[['a']], [['b']]] }), ['a'], false],
    ['two applications (field + type), both needed', req({ scopes: [[['a']], [['b']]] }), ['a', 'b'], true],
    ['an empty OR list (unsatisfiable)', req({ scopes: [[]] }), ['a'], false],
  ] as const)('should decide %s for scopes %j: allowed=%s', (_what, requirement, scopes, allowed) => {
    const decision = decideFieldAccess(principal(scopes === null ? null : [...scopes]), requirement);
    expect(decision === null).toBe(allowed);
  });

  it('should say what is missing', () => {
    expect(decideFieldAccess(principal(null), req({ authenticated: true }))).toEqual({ reason: 'authentication is required' });
    expect(decideFieldAccess(principal([]), req({ scopes: [[['a', 'b'], ['c']]] }))).toEqual({ reason: 'it requires scope a and b, or scope c' });
  });

  it('should ask named policies with the principal, and deny unknown or throwing ones', () => {
    const gold = principal([], { tier: 'gold' });
    expect(decideFieldAccess(gold, req({ policies: [[['gold']]] }), policies)).toBeNull();
    expect(decideFieldAccess(principal([], { tier: 'silver' }), req({ policies: [[['gold']]] }), policies)).not.toBeNull();
    expect(decideFieldAccess(gold, req({ policies: [[['unknown']]] }), policies)).not.toBeNull();
    expect(decideFieldAccess(gold, req({ policies: [[['broken']]] }), policies)).not.toBeNull();
    expect(decideFieldAccess(gold, req({ policies: [[['constructor']]] }), policies)).not.toBeNull();
    expect(decideFieldAccess(gold, req({ policies: [[['gold']]] }))).not.toBeNull();
  });

  it('should let a policy open a field to anonymous callers', () => {
    expect(decideFieldAccess(principal(null), req({ policies: [[['open']]] }), policies)).toBeNull();
  });

  it('should need every part: a token, the scopes and the policies', () => {
    const all = req({ authenticated: true, scopes: [[['a']]], policies: [[['gold']]] });
    expect(decideFieldAccess(principal(['a'], { tier: 'gold' }), all, policies)).toBeNull();
    expect(decideFieldAccess(principal(['a'], { tier: 'silver' }), all, policies)).not.toBeNull();
    expect(decideFieldAccess(principal([], { tier: 'gold' }), all, policies)).not.toBeNull();
  });
});
