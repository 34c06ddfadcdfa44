import {
  getNamedType,
  getOperationAST,
  isAbstractType,
  Kind,
  TypeInfo,
  visit,
  visitWithTypeInfo,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import type { AuthSchema } from './AuthSchema.js';
import { decideFieldAccess, isGoverned, type PolicyRegistry } from './decideFieldAccess.js';
import type { Principal } from './Principal.js';

/**
 * Response key under which the rewritten document asks for `__typename` of abstract-typed fields, so
 * the replay can tell which implementation each object is. The replay runs the original document, so
 * clients never see it.
 */
export const TYPENAME_KEY = '__authTypename';

/** A field node of the client's document that the principal may not see. */
export interface DeniedField {
  /** Schema coordinate as written (`Parent.field`, the parent being the type the selection is on). */
  readonly coordinate: string;
  /** The error message the client gets at each path of this field. */
  readonly message: string;
}

/** The outcome of checking one operation for one principal. */
export interface OperationAuthorization {
  /** The client's document reduced to the executed operation and the fragments it uses. */
  readonly original: DocumentNode;
  readonly operation: OperationDefinitionNode;
  /** Denied field nodes of `original` (the replay nulls them where they are selected). */
  readonly denied: ReadonlyMap<FieldNode, DeniedField>;
  /** The document to plan: `original` when nothing is denied, otherwise a copy without denied fields. */
  readonly document: DocumentNode;
  /** The operation of `document`. */
  readonly plannedOperation: OperationDefinitionNode;
  /** Coordinates of `@requiresScopes`/`@policy` fields that were allowed, for the audit log. */
  readonly allowedGoverned: readonly string[];
  /** Coordinates that were denied (for any directive), for the audit log. */
  readonly deniedCoordinates: readonly string[];
}

/** What to check. */
export interface AuthorizeOperationInput {
  authSchema: AuthSchema;
  principal: Principal;
  /** A document that validates against `authSchema.schema`. */
  document: DocumentNode;
  operationName?: string | null;
  /** @default {} (every `@policy` denies) */
  policies?: PolicyRegistry;
}

/**
 * Decides every field of the operation (named fragments, inline fragments and aliases included: the
 * decision depends on the parent type and field name, never on how it was reached) and removes the
 * denied ones, so no subgraph ever sees them. Selection sets left empty get `__typename`; fragments and
 * variables left unused are dropped so the rewritten document still validates. Returns null when the
 * document has no such operation (the caller reports that as graphql-js would).
 */
export function authorizeOperation(input: AuthorizeOperationInput): OperationAuthorization | null {
  const { authSchema, principal, policies = {} } = input;
  const operation = getOperationAST(input.document, input.operationName ?? undefined);
  if (!operation) return null;
  const original = reduceToOperation(input.document, operation);
  if (authSchema.ungoverned) {
    return { original, operation, denied: new Map(), document: original, plannedOperation: operation, allowedGoverned: [], deniedCoordinates: [] };
  }

  const denied = new Map<FieldNode, DeniedField>();
  const allowedGoverned = new Set<string>();
  const deniedCoordinates = new Set<string>();
  const typeInfo = new TypeInfo(authSchema.schema);
  const rewritten = visit(
    original,
    visitWithTypeInfo(typeInfo, {
      Field(node) {
        const parent = typeInfo.getParentType();
        if (!parent || node.name.value.startsWith('__')) return undefined;
        const coordinate = `${parent.name}.${node.name.value}`;
        const requirement = authSchema.requirementOf(parent.name, node.name.value);
        const denial = decideFieldAccess(principal, requirement, policies);
        if (!denial) {
          if (isGoverned(requirement)) allowedGoverned.add(coordinate);
          return undefined;
        }
        deniedCoordinates.add(coordinate);
        denied.set(node, { coordinate, message: `Unauthorized field or type ${coordinate}: ${denial.reason}.` });
        return null;
      },
    }),
  );
  if (denied.size === 0) {
    return { original, operation, denied, document: original, plannedOperation: operation, allowedGoverned: [...allowedGoverned], deniedCoordinates: [] };
  }
  const document = prune(completeSelections(rewritten, authSchema));
  return {
    original,
    operation,
    denied,
    document,
    plannedOperation: document.definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION)!,
    allowedGoverned: [...allowedGoverned],
    deniedCoordinates: [...deniedCoordinates],
  };
}

/**
 * The response paths (response keys, no list indices) at which denied fields are selected: for errors
 * when the whole operation is refused, or when there is no data to replay over.
 */
export function deniedPaths(authorization: OperationAuthorization): Array<{ path: string[]; field: DeniedField }> {
  const fragments = fragmentsOf(authorization.original);
  const found: Array<{ path: string[]; field: DeniedField }> = [];
  const seen = new Set<string>();
  const walk = (selectionSet: SelectionSetNode, path: string[], depth: number) => {
    if (depth > 64) return;
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FIELD) {
        const key = selection.alias?.value ?? selection.name.value;
        const field = authorization.denied.get(selection);
        if (field) {
          const id = `${[...path, key].join('.')}\n${field.message}`;
          if (!seen.has(id)) found.push({ path: [...path, key], field });
          seen.add(id);
        } else if (selection.selectionSet) walk(selection.selectionSet, [...path, key], depth + 1);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) walk(selection.selectionSet, path, depth + 1);
      else {
        const fragment = fragments.get(selection.name.value);
        if (fragment) walk(fragment.selectionSet, path, depth + 1);
      }
    }
  };
  walk(authorization.operation.selectionSet, [], 0);
  return found;
}

function fragmentsOf(document: DocumentNode): Map<string, FragmentDefinitionNode> {
  return new Map(document.definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION).map((d) => [d.name.value, d]));
}

/** The operation and the fragments reachable from it (other operations are not executed). */
function reduceToOperation(document: DocumentNode, operation: OperationDefinitionNode): DocumentNode {
  const fragments = fragmentsOf(document);
  const reachable = new Set<string>();
  const pending: SelectionSetNode[] = [operation.selectionSet];
  while (pending.length) {
    visit(pending.pop()!, {
      FragmentSpread(node) {
        if (reachable.has(node.name.value)) return;
        reachable.add(node.name.value);
        const fragment = fragments.get(node.name.value);
        if (fragment) pending.push(fragment.selectionSet);
      },
    });
  }
  const definitions = [operation, ...[...fragments.values()].filter((f) => reachable.has(f.name.value))];
  return definitions.length === document.definitions.length ? document : { ...document, definitions };
}

const typenameField = (alias?: string): FieldNode => ({
  kind: Kind.FIELD,
  name: { kind: Kind.NAME, value: '__typename' },
  ...(alias ? { alias: { kind: Kind.NAME, value: alias } } : {}),
});

/** Empty selection sets get `__typename`; fields of abstract type also ask for it under `TYPENAME_KEY`. */
function completeSelections(document: DocumentNode, authSchema: AuthSchema): DocumentNode {
  const typeInfo = new TypeInfo(authSchema.schema);
  return visit(
    document,
    visitWithTypeInfo(typeInfo, {
      Field: {
        leave(node) {
          if (!node.selectionSet) return undefined;
          const type = typeInfo.getType();
          const selections = [...node.selectionSet.selections];
          if (type && isAbstractType(getNamedType(type))) selections.push(typenameField(TYPENAME_KEY));
          else if (selections.length === 0) selections.push(typenameField());
          return selections.length === node.selectionSet.selections.length ? undefined : { ...node, selectionSet: { ...node.selectionSet, selections } };
        },
      },
      SelectionSet: {
        leave(node) {
          return node.selections.length === 0 ? { ...node, selections: [typenameField()] } : undefined;
        },
      },
    }),
  );
}

/** Drops fragments and variable definitions the rewrite left unused (graphql validation refuses them). */
function prune(document: DocumentNode): DocumentNode {
  const operation = document.definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION)!;
  const reduced = reduceToOperation(document, operation);
  const used = new Set<string>();
  for (const definition of reduced.definitions) {
    const body = definition.kind === Kind.OPERATION_DEFINITION ? { ...definition, variableDefinitions: [] } : definition;
    visit(body, {
      Variable(node) {
        used.add(node.name.value);
      },
    });
  }
  const variableDefinitions = operation.variableDefinitions?.filter((v) => used.has(v.variable.name.value));
  if ((variableDefinitions?.length ?? 0) === (operation.variableDefinitions?.length ?? 0)) return reduced;
  return { ...reduced, definitions: reduced.definitions.map((d) => (d === operation ? { ...operation, variableDefinitions } : d)) };
}
