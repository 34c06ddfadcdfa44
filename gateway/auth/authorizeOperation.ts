import {
  getNamedType,
  GraphQLError,
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
import { resolveOperation } from './resolveOperation.js';

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
  /**
   * Whether a `@policy` was asked: its answer may depend on any claim, so the outcome holds for this
   * principal alone; otherwise it holds for every principal with the same `authenticated` and scopes.
   */
  readonly askedPolicies: boolean;
}

/** What to check. */
export interface AuthorizeOperationInput {
  authSchema: AuthSchema;
  principal: Principal;
  /** A document that validates against `authSchema.schema`. */
  document: DocumentNode;
  /**
   * The operation to authorize, already resolved (an operation node of `document`): pass the one the
   * executor will run (Apollo Server's `requestContext.operation`), never a name to resolve again.
   * @default resolved from `operationName` by `resolveOperation`
   */
  operation?: OperationDefinitionNode;
  /** Used only without `operation`. */
  operationName?: string | null;
  /** @default {} (every `@policy` denies) */
  policies?: PolicyRegistry;
}

/**
 * Decides every field of the operation (named fragments, inline fragments and aliases included: the
 * decision depends on the parent type and field name, never on how it was reached) and removes the
 * denied ones, so no subgraph ever sees them. Selection sets left empty get `__typename`; fragments and
 * variables left unused are dropped so the rewritten document still validates. `document` always holds
 * that one operation and nothing else, so no executor can pick another one from it. Returns null when
 * the operation cannot be resolved: callers refuse the request (never run it unchecked).
 *
 * Linear in the size of the document: each definition is visited once, whatever the number of times a
 * fragment is spread (denials are keyed by field node, and a fragment's field nodes are the same at
 * every spread).
 */
export function authorizeOperation(input: AuthorizeOperationInput): OperationAuthorization | null {
  const { authSchema, principal, policies = {} } = input;
  const resolved = input.operation ?? resolveOperation(input.document, input.operationName);
  if (resolved instanceof GraphQLError || !input.document.definitions.includes(resolved)) return null;
  const operation = resolved;
  const original = reduceToOperation(input.document, operation);
  if (authSchema.ungoverned) {
    return {
      original,
      operation,
      denied: new Map(),
      document: original,
      plannedOperation: operation,
      allowedGoverned: [],
      deniedCoordinates: [],
      askedPolicies: false,
    };
  }

  const denied = new Map<FieldNode, DeniedField>();
  const allowedGoverned = new Set<string>();
  const deniedCoordinates = new Set<string>();
  let askedPolicies = false;
  const typeInfo = new TypeInfo(authSchema.schema);
  const rewritten = visit(
    original,
    visitWithTypeInfo(typeInfo, {
      Field(node) {
        const parent = typeInfo.getParentType();
        if (!parent || node.name.value.startsWith('__')) return undefined;
        const coordinate = `${parent.name}.${node.name.value}`;
        const requirement = authSchema.requirementOf(parent.name, node.name.value);
        if (requirement && requirement.policies.length > 0) askedPolicies = true;
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
    return {
      original,
      operation,
      denied,
      document: original,
      plannedOperation: operation,
      allowedGoverned: [...allowedGoverned],
      deniedCoordinates: [],
      askedPolicies,
    };
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
    askedPolicies,
  };
}

/** At most this many denied paths are listed (in errors); the operation is refused or filtered all the same. */
export const MAX_DENIED_PATHS = 1000;

type DeniedPath = { path: string[]; field: DeniedField };

/**
 * The response paths (response keys, no list indices) at which denied fields are selected, each once:
 * for errors when the whole operation is refused, or when there is no data to replay over.
 *
 * Linear in the size of the document: the paths under a named fragment are computed once per fragment
 * (its type condition fixes the parent type) and reused at every spread, deduplicated as they are
 * merged, so `F_k` spreading `F_(k-1)` twice costs k steps, not 2^k. At most `limit` paths.
 */
export function deniedPaths(authorization: Pick<OperationAuthorization, 'original' | 'operation' | 'denied'>, limit = MAX_DENIED_PATHS): DeniedPath[] {
  const fragments = fragmentsOf(authorization.original);
  const memo = new Map<string, DeniedPath[]>();
  const ofFragment = (name: string): DeniedPath[] => {
    const known = memo.get(name);
    if (known) return known;
    memo.set(name, []); // a cycle (invalid, refused by validation) ends here instead of looping
    const fragment = fragments.get(name);
    const paths = fragment ? collect(fragment.selectionSet) : [];
    memo.set(name, paths);
    return paths;
  };
  const collect = (selectionSet: SelectionSetNode): DeniedPath[] => {
    const out: DeniedPath[] = [];
    const seen = new Set<string>();
    const add = (path: string[], field: DeniedField) => {
      if (out.length >= limit) return;
      const id = `${path.join('\u0000')}\n${field.message}`;
      if (seen.has(id)) return;
      seen.add(id);
      out.push({ path, field });
    };
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FIELD) {
        const key = selection.alias?.value ?? selection.name.value;
        const field = authorization.denied.get(selection);
        if (field) add([key], field);
        else if (selection.selectionSet) for (const below of collect(selection.selectionSet)) add([key, ...below.path], below.field);
      } else {
        const below = selection.kind === Kind.INLINE_FRAGMENT ? collect(selection.selectionSet) : ofFragment(selection.name.value);
        for (const { path, field } of below) add(path, field);
      }
    }
    return out;
  };
  return collect(authorization.operation.selectionSet);
}

/**
 * Whether a denied field is selected at the root of the operation (directly, or through fragments):
 * then there is nothing to run for a subscription. Each fragment is looked at once.
 */
export function deniesRootField(authorization: Pick<OperationAuthorization, 'original' | 'operation' | 'denied'>): boolean {
  const fragments = fragmentsOf(authorization.original);
  const visited = new Set<string>();
  const pending: SelectionSetNode[] = [authorization.operation.selectionSet];
  while (pending.length) {
    for (const selection of pending.pop()!.selections) {
      if (selection.kind === Kind.FIELD) {
        if (authorization.denied.has(selection)) return true;
      } else if (selection.kind === Kind.INLINE_FRAGMENT) pending.push(selection.selectionSet);
      else if (!visited.has(selection.name.value)) {
        visited.add(selection.name.value);
        const fragment = fragments.get(selection.name.value);
        if (fragment) pending.push(fragment.selectionSet);
      }
    }
  }
  return false;
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
