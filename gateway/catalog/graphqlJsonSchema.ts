import {
  getNamedType,
  isEnumType,
  isInterfaceType,
  isListType,
  isNonNullType,
  isObjectType,
  isScalarType,
  isUnionType,
  type GraphQLNamedType,
  type GraphQLOutputType,
} from 'graphql';

/** A JSON Schema (draft 07, the AsyncAPI default schema format) as plain data. */
export type JsonSchema = Record<string, unknown>;

/** Options of `graphqlJsonSchema`. */
export interface GraphQLJsonSchemaOptions {
  /** Where named types are referenced from, e.g. `#/components/schemas/`. */
  refPrefix: string;
  /**
   * Extra keywords for one field (its classification and what it needs), merged into its property.
   * @default none
   */
  annotate?: (type: string, field: string) => JsonSchema;
}

const SCALARS: Record<string, JsonSchema> = {
  Int: { type: 'integer' },
  Float: { type: 'number' },
  String: { type: 'string' },
  ID: { type: 'string' },
  Boolean: { type: 'boolean' },
  DateTime: { type: 'string', format: 'date-time' },
};

/**
 * JSON Schemas of GraphQL output types as a response carries them: the schema of `type` referencing
 * named object, interface, union and enum types, and `definitions` holding every named type reached
 * (each once, so recursive types end). Every field is a property, none required: the operation's
 * selection decides which appear; a nullable field also admits `null`.
 */
export function graphqlJsonSchema(type: GraphQLOutputType, options: GraphQLJsonSchemaOptions): { schema: JsonSchema; definitions: Record<string, JsonSchema> } {
  const { refPrefix, annotate = () => ({}) } = options;
  const definitions: Record<string, JsonSchema> = {};
  const define = (named: GraphQLNamedType): void => {
    if (named.name in definitions) return;
    definitions[named.name] = {};
    const description = named.description ? { description: named.description } : {};
    if (isEnumType(named)) {
      definitions[named.name] = { type: 'string', enum: named.getValues().map((v) => v.name), ...description };
    } else if (isObjectType(named) || isInterfaceType(named)) {
      const properties: Record<string, JsonSchema> = {};
      for (const field of Object.values(named.getFields())) {
        properties[field.name] = {
          ...schemaOf(field.type),
          ...(field.description && { description: field.description }),
          ...annotate(named.name, field.name),
        };
      }
      definitions[named.name] = { type: 'object', properties, ...description };
    } else if (isUnionType(named)) {
      definitions[named.name] = { oneOf: named.getTypes().map((t) => ref(t)), ...description };
    } else {
      definitions[named.name] = { ...(SCALARS[named.name] ?? { type: 'string' }), ...description };
    }
  };
  const ref = (named: GraphQLNamedType): JsonSchema => {
    define(named);
    return { $ref: `${refPrefix}${named.name}` };
  };
  const nonNull = (inner: GraphQLOutputType): JsonSchema => {
    if (isListType(inner)) return { type: 'array', items: schemaOf(inner.ofType) };
    const named = getNamedType(inner);
    return isScalarType(named) ? { ...(SCALARS[named.name] ?? ref(named)) } : ref(named);
  };
  const schemaOf = (t: GraphQLOutputType): JsonSchema => {
    if (isNonNullType(t)) return nonNull(t.ofType);
    const inner = nonNull(t);
    // Nullable: the value may be null (not selected, withheld, or absent).
    return typeof inner.type === 'string' ? { ...inner, type: [inner.type, 'null'] } : { oneOf: [inner, { type: 'null' }] };
  };
  return { schema: schemaOf(type), definitions };
}
