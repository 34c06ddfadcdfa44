import {
  defaultFieldResolver,
  GraphQLError,
  isAbstractType,
  isObjectType,
  getNamedType,
  type DocumentNode,
  type GraphQLField,
  type GraphQLObjectType,
  type GraphQLSchema,
} from 'graphql';
import type { ProductContext } from '../productDeclaration.js';
import { ErrorCode } from '../../../core/errors/ErrorCode.js';
import { decideFieldAccess, type GoverningRequirement, type SubgraphPolicies } from './decideFieldAccess.js';
import { readAuthDirectives } from './readAuthDirectives.js';

/** Options of the subgraph-side field authorization. */
export interface EnforceAuthDirectivesOptions {
  /**
   * Functions for the `@policy` names the SDL uses, given the caller identity; a policy that is missing
   * or throws denies.
   * @default {} (every `@policy` field is denied)
   */
  policies?: SubgraphPolicies;
}

/**
 * Defence in depth behind the gateway: wraps, once, every field resolver of `schema` that the subgraph's
 * own SDL governs with `@authenticated`, `@requiresScopes` or `@policy`, so that a caller lacking the
 * right (per `context.identity`, the identity the gateway token carries) gets `null` and an
 * UNAUTHORIZED_FIELD_OR_TYPE error at the field's path, whatever path the request took (entity fields
 * reached through `_entities` included). A field is governed by its own directives, by those of its
 * parent type (so `_entities` cannot reach a governed type's fields), by those of the type it returns
 * (every possible type, for an interface or union) and by the same field on the interfaces its parent
 * implements. Subscription fields are checked when subscribing and again for every event.
 * Returns `schema` (modified in place).
 */
export function enforceAuthDirectives(schema: GraphQLSchema, typeDefs: DocumentNode, options: EnforceAuthDirectivesOptions = {}): GraphQLSchema {
  const { policies = {} } = options;
  const { fields, types } = readAuthDirectives(typeDefs);
  if (fields.size === 0 && types.size === 0) return schema;
  const typeRequirements = (name: string): GoverningRequirement[] => {
    const requirement = types.get(name);
    return requirement ? [{ declaredOn: `type ${name}`, requirement }] : [];
  };

  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    for (const [name, field] of Object.entries(type.getFields())) {
      const coordinate = `${type.name}.${name}`;
      const returned = getNamedType(field.type);
      const governing: GoverningRequirement[] = [
        ...(fields.has(coordinate) ? [{ declaredOn: coordinate, requirement: fields.get(coordinate)! }] : []),
        ...type
          .getInterfaces()
          .flatMap((i) => (fields.has(`${i.name}.${name}`) ? [{ declaredOn: `${i.name}.${name}`, requirement: fields.get(`${i.name}.${name}`)! }] : [])),
        ...typeRequirements(type.name),
        ...typeRequirements(returned.name),
        // `_entities` returns every entity type; each entity type's own fields carry its requirements.
        ...(isAbstractType(returned) && coordinate !== 'Query._entities'
          ? schema.getPossibleTypes(returned).flatMap((possible) => typeRequirements(possible.name))
          : []),
      ];
      if (governing.length > 0) guard(type, field as GraphQLField<unknown, ProductContext>, coordinate, governing, policies);
    }
  }
  return schema;
}

function guard(
  type: GraphQLObjectType,
  field: GraphQLField<unknown, ProductContext>,
  coordinate: string,
  governing: GoverningRequirement[],
  policies: SubgraphPolicies,
): void {
  const check = (context: ProductContext | undefined) => {
    const reason = decideFieldAccess(governing, context?.identity, policies);
    if (reason) throw new GraphQLError(`Unauthorized field or type ${coordinate}: ${reason}.`, { extensions: { code: ErrorCode.UNAUTHORIZED_FIELD_OR_TYPE } });
  };
  const resolve = field.resolve ?? defaultFieldResolver;
  field.resolve = (source, args, context, info) => {
    check(context);
    return resolve(source, args, context, info);
  };
  const { subscribe } = field;
  if (subscribe && type.name === 'Subscription') {
    field.subscribe = (source, args, context, info) => {
      check(context);
      return subscribe(source, args, context, info);
    };
  }
}
