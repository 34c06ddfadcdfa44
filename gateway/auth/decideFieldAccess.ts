import type { AuthRequirement } from '../../core/apollo/index.js';
import type { Principal } from './Principal.js';

/**
 * A named policy for `@policy(policies: [["name"]])`: may this principal see the governed field? It is
 * given the verified claims through the principal. Keep it synchronous and fast: it runs per field per
 * operation (and per subscription event). A policy that throws denies.
 */
export type Policy = (principal: Principal) => boolean;

/** Policies by the names used in `@policy`. A name that is not registered denies. */
export type PolicyRegistry = Readonly<Record<string, Policy>>;

/** Why a field is refused, in words for the caller. */
export interface FieldAccessDenial {
  readonly reason: string;
}

const describeGroups = (groups: ReadonlyArray<ReadonlyArray<string>>, noun: string) =>
  groups.length === 0 ? `an impossible ${noun} requirement` : groups.map((and) => `${noun} ${and.join(' and ')}`).join(', or ');

function evaluate(policies: PolicyRegistry, name: string, principal: Principal): boolean {
  if (!Object.hasOwn(policies, name)) return false;
  try {
    return policies[name](principal) === true;
  } catch {
    return false;
  }
}

/**
 * May `principal` see a field governed by `requirement`? A pure decision: a denial, or null to allow.
 * `@requiresScopes` and `@authenticated` need a token; `@policy` is asked for anonymous callers too
 * (a policy may open a field to everyone).
 */
export function decideFieldAccess(principal: Principal, requirement: AuthRequirement | null, policies: PolicyRegistry = {}): FieldAccessDenial | null {
  if (!requirement) return null;
  if (requirement.authenticated && !principal.authenticated) return { reason: 'authentication is required' };
  for (const alternatives of requirement.scopes) {
    if (!principal.authenticated) return { reason: `it requires ${describeGroups(alternatives, 'scope')}` };
    if (!alternatives.some((and) => and.every((scope) => principal.scopes.includes(scope)))) {
      return { reason: `it requires ${describeGroups(alternatives, 'scope')}` };
    }
  }
  for (const alternatives of requirement.policies) {
    if (!alternatives.some((and) => and.every((name) => evaluate(policies, name, principal)))) {
      return { reason: `it requires ${describeGroups(alternatives, 'policy')}` };
    }
  }
  return null;
}

/** Whether a requirement goes beyond `@authenticated` (what the audit log records). */
export function isGoverned(requirement: AuthRequirement | null): boolean {
  return !!requirement && (requirement.scopes.length > 0 || requirement.policies.length > 0);
}
