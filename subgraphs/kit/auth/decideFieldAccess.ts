import type { CallerIdentity } from '../productDeclaration.js';
import type { AuthDirectiveRequirement } from './readAuthDirectives.js';

/**
 * Named policies for `@policy` on the subgraph side: functions of the identity the gateway token
 * carries (`sub`, `scopes`, `claims.kind`). An unknown policy denies.
 */
export type SubgraphPolicies = Readonly<Record<string, (identity: CallerIdentity) => boolean>>;

/** One requirement that governs a field, and where it was declared (`Order.unitPrice`, `type Money`). */
export interface GoverningRequirement {
  readonly declaredOn: string;
  readonly requirement: AuthDirectiveRequirement;
}

/**
 * Whether this identity may resolve a field governed by `requirements` (every one must hold): null when
 * it may, else the reason it may not. Only a `kind: "user"` identity (a caller with a verified token)
 * is authenticated; the anonymous caller and the gateway's own service identity are not. A policy that
 * throws denies.
 */
export function decideFieldAccess(
  requirements: readonly GoverningRequirement[],
  identity: CallerIdentity | null | undefined,
  policies: SubgraphPolicies = {},
): string | null {
  const authenticated = identity?.claims?.kind === 'user';
  const scopes = new Set(authenticated ? identity.scopes : []);
  const policyHolds = (name: string) => {
    const policy = Object.hasOwn(policies, name) ? policies[name] : undefined;
    try {
      return authenticated && policy !== undefined && policy(identity) === true;
    } catch {
      return false;
    }
  };
  for (const { requirement } of requirements) {
    if (!authenticated && (requirement.authenticated || requirement.scopes.length || requirement.policies.length)) return 'it requires an authenticated caller';
    for (const anyOf of requirement.scopes) {
      if (!anyOf.some((group) => group.every((scope) => scopes.has(scope))))
        return `it requires scope ${anyOf.map((group) => group.join(' and ')).join(' or ') || '(none satisfiable)'}`;
    }
    for (const anyOf of requirement.policies) {
      if (!anyOf.some((group) => group.every(policyHolds)))
        return `it requires policy ${anyOf.map((group) => group.join(' and ')).join(' or ') || '(none satisfiable)'}`;
    }
  }
  return null;
}
