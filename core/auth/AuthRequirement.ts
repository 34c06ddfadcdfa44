/**
 * What one schema element demands through `@authenticated`, `@requiresScopes(scopes:)` and
 * `@policy(policies:)`: the gateway reads it from the supergraph, a subgraph from its own SDL. Each entry of
 * `scopes` (and `policies`) is one directive application: an OR of AND-groups (`[["a", "b"], ["c"]]` =
 * a and b, or c); every entry must hold.
 */
export interface AuthRequirement {
  readonly authenticated: boolean;
  readonly scopes: ReadonlyArray<ReadonlyArray<ReadonlyArray<string>>>;
  readonly policies: ReadonlyArray<ReadonlyArray<ReadonlyArray<string>>>;
}

/** Auth requirements as declared, on field definitions and on types. */
export interface AuthRequirements<R extends AuthRequirement = AuthRequirement> {
  /** By field coordinate `Type.field` (objects and interfaces). */
  readonly fields: ReadonlyMap<string, R>;
  /** By type name: applies to every field returning the type. */
  readonly types: ReadonlyMap<string, R>;
}
