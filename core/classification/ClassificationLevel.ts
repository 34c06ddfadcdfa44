/**
 * How sensitive a field is, as a domain declares it in its SDL with `@classification(level: ...)` (the
 * directive and its `ClassificationLevel` enum live in `schema/shared.graphql`). Lowercase here: the
 * form descriptors, the catalog and the Open Data Contract documents show.
 *
 * - `public`: anyone may see it (the default of an unclassified field).
 * - `internal`: for people of the organisation; not secret, not for outsiders.
 * - `confidential`: business secrets (revenue, prices); must carry an auth directive.
 * - `pii`: personal data (e-mail addresses, customer ids); must carry an auth directive.
 * - `restricted`: the narrowest audience (legal, security); must carry an auth directive.
 */
export type ClassificationLevel = 'public' | 'internal' | 'confidential' | 'pii' | 'restricted';

/** Every level, least sensitive first: the order `stricterClassification` ranks by. */
export const CLASSIFICATION_LEVELS: readonly ClassificationLevel[] = ['public', 'internal', 'confidential', 'pii', 'restricted'];

/** Levels a field may carry only behind `@authenticated`, `@requiresScopes` or `@policy` (on it or its type). */
export const GOVERNED_LEVELS: ReadonlySet<ClassificationLevel> = new Set(['confidential', 'pii', 'restricted']);

/** The identifier of our directive's spec, as a subgraph's `@link(url:)` names it; composition keys on it. */
export const CLASSIFICATION_SPEC_URL = 'https://specs.graphql-data-mesh.dev/classification/v1.0';

/** The more sensitive of two levels (unknown strings rank above every level: fail closed). */
export function stricterClassification(a: string | undefined, b: string | undefined): string | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  const rank = (level: string) => {
    const index = CLASSIFICATION_LEVELS.indexOf(level as ClassificationLevel);
    return index < 0 ? CLASSIFICATION_LEVELS.length : index;
  };
  return rank(b) > rank(a) ? b : a;
}
