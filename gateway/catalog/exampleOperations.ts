import {
  getNamedType,
  isEnumType,
  isInputObjectType,
  isLeafType,
  isListType,
  isNonNullType,
  isObjectType,
  isScalarType,
  type GraphQLArgument,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLObjectType,
  type GraphQLSchema,
} from 'graphql';
import type { AuthRequirement } from '../../core/apollo/index.js';

/** A runnable example of a product's root field. */
export interface ExampleOperation {
  /** `Query.orderHistory`. */
  coordinate: string;
  kind: 'query' | 'subscription';
  /** The operation text, named after the field. */
  query: string;
}

/** Options of `exampleOperations`. */
export interface ExampleOperationsOptions {
  /** Root fields of the product's subgraph, by root type name (`Query`, `Subscription`). */
  rootFields: ReadonlyMap<string, readonly string[]>;
  /** What a field requires (the supergraph's auth directives), null when nothing. */
  requirementOf: (type: string, field: string) => AuthRequirement | null;
  /** "Now", for time ranges (the day before it, in whole UTC days). @default new Date() */
  now?: Date;
  /** Selection depth below the root field. @default 2 */
  maxDepth?: number;
  /** Fields selected per object at most. @default 8 */
  maxFieldsPerType?: number;
}

const DAY = 86_400_000;
const PREFERRED_ENUM_VALUES = ['HOUR', 'DAY'];

/**
 * One example operation per root field, generated from the API schema: required arguments get plausible
 * literals (a time range over the last whole day, an enum's `HOUR`/`DAY` or first value), the selection
 * takes leaf fields that need no argument and no scope, a few levels deep. Fields needing scopes are left
 * out so an example runs with a plain token; the catalog lists what each field needs.
 */
export function exampleOperations(schema: GraphQLSchema, options: ExampleOperationsOptions): ExampleOperation[] {
  const { rootFields, requirementOf, now = new Date(), maxDepth = 2, maxFieldsPerType = 8 } = options;
  const dayStart = Math.floor(now.getTime() / DAY) * DAY;
  const range = { from: new Date(dayStart - DAY).toISOString(), to: new Date(dayStart + DAY).toISOString() };
  const needsScopes = (type: string, field: string) =>
    (requirementOf(type, field)?.scopes.length ?? 0) + (requirementOf(type, field)?.policies.length ?? 0) > 0;

  // Input types being filled: a required self-reference has no finite literal.
  const filling = new Set<string>();
  const literal = (type: GraphQLInputType, name: string): string | null => {
    if (isNonNullType(type)) return literal(type.ofType, name);
    if (isListType(type)) {
      const item = literal(type.ofType, name);
      return item === null ? null : `[${item}]`;
    }
    if (isEnumType(type)) {
      const values = type.getValues().map((v) => v.name);
      return PREFERRED_ENUM_VALUES.find((v) => values.includes(v)) ?? values[0] ?? null;
    }
    if (isInputObjectType(type)) {
      if (filling.has(type.name)) return null;
      filling.add(type.name);
      const fields = Object.values(type.getFields()).filter((f) => isNonNullType(f.type) && f.defaultValue === undefined);
      const parts = fields.map((f) => [f.name, literal(f.type, f.name)] as const);
      filling.delete(type.name);
      if (parts.some(([, v]) => v === null)) return null;
      return `{ ${parts.map(([n, v]) => `${n}: ${v}`).join(', ')} }`;
    }
    if (isScalarType(type)) {
      if (type.name === 'Int') return '10';
      if (type.name === 'Float') return '1.5';
      if (type.name === 'Boolean') return 'true';
      if (type.name === 'DateTime') return JSON.stringify(name === 'to' ? range.to : range.from);
      return JSON.stringify(name === 'timeZone' ? 'UTC' : 'example');
    }
    return null;
  };
  const requiredArguments = (args: readonly GraphQLArgument[]): string | null => {
    const required = args.filter((a) => isNonNullType(a.type) && a.defaultValue === undefined);
    const parts = required.map((a) => [a.name, literal(a.type, a.name)] as const);
    if (parts.some(([, v]) => v === null)) return null;
    return parts.length ? `(${parts.map(([n, v]) => `${n}: ${v}`).join(', ')})` : '';
  };
  const selection = (type: GraphQLObjectType, depth: number, indent: string): string | null => {
    const picked: string[] = [];
    for (const field of Object.values(type.getFields()) as Array<GraphQLField<unknown, unknown>>) {
      if (picked.length >= maxFieldsPerType) break;
      if (needsScopes(type.name, field.name) || field.args.some((a) => isNonNullType(a.type) && a.defaultValue === undefined)) continue;
      const named = getNamedType(field.type);
      if (isLeafType(named)) picked.push(`${indent}${field.name}`);
      else if (isObjectType(named) && depth < maxDepth) {
        const inner = selection(named, depth + 1, `${indent}  `);
        if (inner) picked.push(`${indent}${field.name} {\n${inner}\n${indent}}`);
      }
    }
    return picked.length ? picked.join('\n') : null;
  };

  const examples: ExampleOperation[] = [];
  for (const [root, kind] of [
    [schema.getQueryType(), 'query'],
    [schema.getSubscriptionType(), 'subscription'],
  ] as const) {
    if (!root) continue;
    for (const name of rootFields.get(root.name) ?? []) {
      const field = root.getFields()[name];
      if (!field || needsScopes(root.name, name)) continue;
      const args = requiredArguments(field.args);
      const named = getNamedType(field.type);
      const inner = isLeafType(named) ? '' : isObjectType(named) ? selection(named, 1, '    ') : null;
      if (args === null || inner === null) continue;
      const operationName = `${name[0].toUpperCase()}${name.slice(1)}`;
      examples.push({
        coordinate: `${root.name}.${name}`,
        kind,
        query: `${kind} ${operationName} {\n  ${name}${args}${inner ? ` {\n${inner}\n  }` : ''}\n}`,
      });
    }
  }
  return examples;
}
