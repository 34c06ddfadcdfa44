import { isAbstractType, isInterfaceType, isObjectType, type GraphQLSchema } from 'graphql';

/**
 * Whether fetched data `object` is of `typeCondition` (a `... on Type` of a plan), judged by its
 * `__typename` in the supergraph schema: the type itself, or an abstract type it belongs to. Without
 * `__typename` the answer is `unknownIs`.
 */
export function isObjectOfType(schema: GraphQLSchema, object: Record<string, unknown>, typeCondition: string, unknownIs = false): boolean {
  const typename = object.__typename;
  if (typeof typename !== 'string' || !typename) return unknownIs;
  if (typename === typeCondition) return true;
  const type = schema.getType(typename);
  const condition = schema.getType(typeCondition);
  if (!type || !condition || !isAbstractType(condition)) return false;
  return (isObjectType(type) || isInterfaceType(type)) && schema.isSubType(condition, type);
}
