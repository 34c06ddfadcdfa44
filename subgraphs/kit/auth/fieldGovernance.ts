import type { DocumentNode } from 'graphql';
import { CLASSIFICATION_LEVELS, GOVERNED_LEVELS, type ClassificationLevel } from '../../../core/classification/ClassificationLevel.js';
import { readClassifications } from '../../../core/classification/readClassifications.js';
import type { AuthRequirement } from '../../../core/auth/AuthRequirement.js';
import { readAuthDirectives } from './readAuthDirectives.js';
import { isObjectOrInterfaceNode } from '../../../core/graphql/isObjectOrInterfaceNode.js';

/** A product's field metadata as its SDL declares it: the one source of the descriptor's governance. */
export interface FieldGovernance {
  /** Coordinate → level, for fields classified other than `public` (`@classification` on them or their type). */
  classification: Record<string, ClassificationLevel>;
  /** Coordinate → what reading it needs (`@authenticated`, `@requiresScopes`, `@policy` on it or its type). */
  access: Record<string, AuthRequirement>;
  /** Fields classified confidential, pii or restricted that no auth directive guards: a start-up error. */
  unguarded: string[];
}

/**
 * Derives each field's classification and access requirement from a product's SDL, so the descriptor
 * cannot disagree with what the gateway enforces. Object and interface types (root types included).
 */
export function fieldGovernance(typeDefs: DocumentNode): FieldGovernance {
  const classifications = readClassifications(typeDefs);
  const directives = readAuthDirectives(typeDefs);
  const access: Record<string, AuthRequirement> = {};
  for (const definition of typeDefs.definitions) {
    if (!isObjectOrInterfaceNode(definition)) continue;
    const ofType = directives.types.get(definition.name.value);
    for (const field of definition.fields ?? []) {
      const coordinate = `${definition.name.value}.${field.name.value}`;
      const own = directives.fields.get(coordinate);
      const merged = [own, ofType].filter((r): r is AuthRequirement => !!r);
      if (merged.length)
        access[coordinate] = {
          authenticated: merged.some((r) => r.authenticated),
          scopes: merged.flatMap((r) => r.scopes),
          policies: merged.flatMap((r) => r.policies),
        };
    }
  }
  // A level outside the enum (a hand-built document) counts as the strictest: fail closed.
  const classification: Record<string, ClassificationLevel> = Object.fromEntries(
    [...classifications.fields].filter(([, level]) => level !== 'public').map(([coordinate, level]) => [coordinate, isKnown(level) ? level : 'restricted']),
  );
  const unguarded = Object.entries(classification)
    .filter(([coordinate, level]) => GOVERNED_LEVELS.has(level) && !access[coordinate])
    .map(([coordinate, level]) => `${coordinate} (${level})`);
  return { classification, access, unguarded };
}

const isKnown = (level: string): level is ClassificationLevel => CLASSIFICATION_LEVELS.includes(level as ClassificationLevel);
