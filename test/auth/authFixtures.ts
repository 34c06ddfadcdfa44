/**
 * A small composed supergraph exercising what the demo domains do not: an interface whose
 * implementations differ in requirements, a union, type-level directives on an object, a scalar and an
 * enum, `@policy`, and `@requiresScopes` imported under another name (`@scopes`).
 */
import { composeServices } from '@apollo/composition';
import { parse } from 'graphql';
import type { Principal } from '../../gateway/auth/Principal.js';
import { ANONYMOUS } from '../../gateway/auth/Principal.js';

const A = `extend schema @link(url: "https://specs.apollo.dev/federation/v2.6", import: ["@key", { name: "@requiresScopes", as: "@scopes" }, "@authenticated", "@policy"])
interface Node { id: ID! title: String secret: String }
type Public implements Node @key(fields: "id") { id: ID! title: String secret: String }
type Secret implements Node @key(fields: "id") @authenticated { id: ID! title: String secret: String @scopes(scopes: [["secret:read"]]) }
scalar Money @scopes(scopes: [["finance:read"]])
enum Tier @policy(policies: [["gold"]]) { GOLD SILVER }
union Thing = Public | Secret
type Account @key(fields: "id") {
  id: ID!
  balance: Money
  tier: Tier
  note: String @policy(policies: [["ownerOnly"], ["admin"]])
  owner: String! @authenticated
  both: String @scopes(scopes: [["a", "b"], ["c"]])
}
type Query { nodes: [Node!]! node(id: ID!): Node publics: [Public!]! account: Account things: [Thing!]! }
type Tick { n: Int! note: String @policy(policies: [["flag"]]) }
type Subscription { ticks: Tick @authenticated }`;

const B = `extend schema @link(url: "https://specs.apollo.dev/federation/v2.6", import: ["@key"])
type Account @key(fields: "id") { id: ID! name: String }
type Query { hello: String }`;

export function fixtureSupergraph(): string {
  const result = composeServices([
    { name: 'a', url: 'http://127.0.0.1:1/graphql', typeDefs: parse(A) },
    { name: 'b', url: 'http://127.0.0.1:2/graphql', typeDefs: parse(B) },
  ]);
  if (result.errors?.length) throw new Error(result.errors.map((e) => e.message).join('\n'));
  return result.supergraphSdl!;
}

/** A principal with these scopes (null: anonymous). */
export function principal(scopes: string[] | null, claims: Record<string, unknown> = {}, expiresAt?: number): Principal {
  if (scopes === null) return ANONYMOUS;
  return { authenticated: true, sub: 'tester', scopes, claims: { sub: 'tester', ...claims }, expiresAt };
}
