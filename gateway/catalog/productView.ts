import type { DocumentNode, GraphQLSchema } from 'graphql';
import type { AuthRequirement } from '../../core/apollo/index.js';
import { stricterClassification } from '../../core/classification/ClassificationLevel.js';
import { readClassifications, type Classifications } from '../../core/classification/readClassifications.js';
import type { CollectedDescriptor } from './collectDescriptors.js';
import { exampleOperations, type ExampleOperation } from './exampleOperations.js';
import { readSubgraphOwnership, type SubgraphOwnership } from './readSubgraphOwnership.js';

/** The parts of the supergraph in service the catalog reads. */
export interface CatalogSchema {
  /** The client-facing schema: field types and descriptions. */
  apiSchema: GraphQLSchema;
  /** The supergraph's syntax tree: which subgraph resolves which field (join directives). */
  document: DocumentNode;
  /** What selecting a field requires (auth directives, every source combined), null when nothing. */
  requirementOf(type: string, field: string): AuthRequirement | null;
}

/** One field a product resolves, as the catalog shows it. */
export interface ProductField {
  /** `OrderBucket.revenue`. */
  coordinate: string;
  /** `Float`, `[OrderBucket!]!`. */
  type: string;
  description: string | null;
  /**
   * `@classification` as composed into the supergraph (the SDL's own directive), or the descriptor's when
   * stricter (a subgraph that classifies without composing the directive); `public` when neither names one.
   */
  classification: string;
  /** What a caller needs: `public`, `authenticated`, or scopes (`finance:read`, `a and b`, `a or b`). */
  access: string;
}

/** An entity several domains contribute to, and what each adds. */
export interface LineageEntry {
  entity: string;
  contributions: Array<{ subgraph: string; fields: readonly string[] }>;
}

/** Everything a product page shows. */
export interface ProductView {
  product: CollectedDescriptor & { subgraph: string };
  fields: ProductField[];
  lineage: LineageEntry[];
  examples: ExampleOperation[];
}

const ownershipCache = new WeakMap<DocumentNode, SubgraphOwnership>();
const ownershipOf = (document: DocumentNode) => ownershipCache.get(document) ?? ownershipCache.set(document, readSubgraphOwnership(document)).get(document)!;
const classificationCache = new WeakMap<DocumentNode, Classifications>();
const classificationsOf = (document: DocumentNode) =>
  classificationCache.get(document) ?? classificationCache.set(document, readClassifications(document)).get(document)!;

/** A requirement as people read it: every directive must hold; within one, groups are alternatives. */
export function describeAccess(requirement: AuthRequirement | null): string {
  if (!requirement) return 'public';
  const parts = [...requirement.scopes, ...requirement.policies].map((alternatives) =>
    alternatives.map((group) => group.join(' and ')).join(alternatives.length > 1 ? ' or ' : ''),
  );
  if (parts.length) return parts.join('; ');
  return requirement.authenticated ? 'authenticated' : 'public';
}

/**
 * A product's fields (what its subgraph resolves, from the supergraph), entity lineage and example
 * operations. Without a supergraph (not loaded yet) only the descriptor is known.
 */
export function productView(product: CollectedDescriptor & { subgraph: string }, schema: CatalogSchema | null, now = new Date()): ProductView {
  if (!schema) return { product, fields: [], lineage: [], examples: [] };
  const ownership = ownershipOf(schema.document);
  const composed = classificationsOf(schema.document).fields;
  const owned = ownership.fields.get(product.subgraph) ?? new Map<string, readonly string[]>();
  const fields: ProductField[] = [];
  for (const [typeName, names] of owned) {
    const type = schema.apiSchema.getType(typeName);
    if (!type || !('getFields' in type)) continue;
    const apiFields = type.getFields();
    for (const name of names) {
      const field = apiFields[name];
      if (!field) continue;
      const coordinate = `${typeName}.${name}`;
      fields.push({
        coordinate,
        type: String(field.type),
        description: field.description ?? null,
        classification: stricterClassification(composed.get(coordinate), product.classification?.[coordinate]) ?? 'public',
        access: describeAccess(schema.requirementOf(typeName, name)),
      });
    }
  }
  const lineage: LineageEntry[] = [...ownership.entities]
    .filter(([, bySubgraph]) => bySubgraph.has(product.subgraph) && bySubgraph.size > 1)
    .map(([entity, bySubgraph]) => ({ entity, contributions: [...bySubgraph].map(([subgraph, names]) => ({ subgraph, fields: names })) }));
  const rootFields = new Map([...owned].filter(([type]) => type === 'Query' || type === 'Subscription'));
  return { product, fields, lineage, examples: exampleOperations(schema.apiSchema, { rootFields, requirementOf: schema.requirementOf, now }) };
}
