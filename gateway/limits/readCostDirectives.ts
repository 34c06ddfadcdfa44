import { Kind, parse, valueFromASTUntyped, type DirectiveNode, type DocumentNode } from 'graphql';

/** `@listSize` of one field. */
export interface ListSize {
  assumedSize?: number;
  slicingArguments?: readonly string[];
  sizedFields?: readonly string[];
}

/** The demand-control directives declared in a supergraph. */
export interface CostDirectives {
  /** `@cost(weight)` of a type, by type name. */
  typeWeights: ReadonlyMap<string, number>;
  /** `@cost(weight)` of a field, by `Type.field`. */
  fieldWeights: ReadonlyMap<string, number>;
  /** `@listSize` of a field, by `Type.field`. */
  listSizes: ReadonlyMap<string, ListSize>;
}

export const NO_COST_DIRECTIVES: CostDirectives = { typeWeights: new Map(), fieldWeights: new Map(), listSizes: new Map() };

const COST_SPEC = /^https:\/\/specs\.apollo\.dev\/cost\/v\d+\.\d+$/;

/**
 * Reads `@cost` and `@listSize` from a supergraph. Composition carries them under the cost spec's
 * `@link` (`https://specs.apollo.dev/cost/v0.1`); their names follow that link (an `as:` renames the
 * spec, an import `{ name, as }` renames one directive). A supergraph without the link may still use
 * the bare names. Throws on a supergraph that does not parse.
 */
export function readCostDirectives(supergraphSdl: string | DocumentNode): CostDirectives {
  const document = typeof supergraphSdl === 'string' ? parse(supergraphSdl) : supergraphSdl;
  const { cost, listSize } = directiveNames(document);
  const typeWeights = new Map<string, number>();
  const fieldWeights = new Map<string, number>();
  const listSizes = new Map<string, ListSize>();
  for (const definition of document.definitions) {
    if (!('name' in definition) || !definition.name || !('directives' in definition)) continue;
    const typeName = definition.name.value;
    const typeCost = weightOf(definition.directives, cost);
    if (typeCost !== undefined) typeWeights.set(typeName, typeCost);
    if (!('fields' in definition) || !definition.fields) continue;
    for (const field of definition.fields) {
      const coordinate = `${typeName}.${field.name.value}`;
      const weight = weightOf(field.directives, cost);
      if (weight !== undefined) fieldWeights.set(coordinate, weight);
      const size = field.directives?.find((d) => d.name.value === listSize);
      if (size) listSizes.set(coordinate, listSizeOf(size));
    }
  }
  return { typeWeights, fieldWeights, listSizes };
}

function directiveNames(document: DocumentNode): { cost: string; listSize: string } {
  for (const definition of document.definitions) {
    if (definition.kind !== Kind.SCHEMA_DEFINITION && definition.kind !== Kind.SCHEMA_EXTENSION) continue;
    for (const link of definition.directives ?? []) {
      if (link.name.value !== 'link') continue;
      const args = Object.fromEntries((link.arguments ?? []).map((a) => [a.name.value, valueFromASTUntyped(a.value)]));
      if (typeof args.url !== 'string' || !COST_SPEC.test(args.url)) continue;
      const namespace = typeof args.as === 'string' ? args.as : 'cost';
      const names = { cost: namespace, listSize: `${namespace}__listSize` };
      for (const entry of (Array.isArray(args.import) ? args.import : []) as Array<string | { name?: unknown; as?: unknown } | null>) {
        const [name, alias] = typeof entry === 'string' ? [entry, entry] : [entry?.name, entry?.as ?? entry?.name];
        if (name === '@cost' && typeof alias === 'string') names.cost = alias.replace(/^@/, '');
        if (name === '@listSize' && typeof alias === 'string') names.listSize = alias.replace(/^@/, '');
      }
      return names;
    }
  }
  return { cost: 'cost', listSize: 'listSize' };
}

function weightOf(directives: readonly DirectiveNode[] | undefined, name: string): number | undefined {
  const directive = directives?.find((d) => d.name.value === name);
  const weight = directive?.arguments?.find((a) => a.name.value === 'weight');
  const value = weight && valueFromASTUntyped(weight.value);
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : undefined;
}

function listSizeOf(directive: DirectiveNode): ListSize {
  const args = Object.fromEntries((directive.arguments ?? []).map((a) => [a.name.value, valueFromASTUntyped(a.value)]));
  const strings = (value: unknown) => (Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : undefined);
  return {
    ...(typeof args.assumedSize === 'number' && args.assumedSize >= 0 && { assumedSize: args.assumedSize }),
    ...(strings(args.slicingArguments) && { slicingArguments: strings(args.slicingArguments) }),
    ...(strings(args.sizedFields) && { sizedFields: strings(args.sizedFields) }),
  };
}
