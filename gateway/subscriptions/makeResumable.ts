/**
 * Rewrites a primary subscription fetch so the upstream subscription can resume after a dropped socket
 * without a gap or a duplicate (docs/architecture.md "Event flow": each event carries a cursor; a subscription
 * may start `from` a cursor). The root field's `from` argument becomes the variable `$__meshFrom`, whose
 * value the upstream pool moves to the last cursor it received, and the root field gains the hidden
 * selection `__meshCursor: cursor` to read that cursor from every event. Clients never see the hidden
 * field: the gateway's result shaping keeps only what the client selected.
 */
import {
  Kind,
  OperationTypeNode,
  parse,
  print,
  stripIgnoredCharacters,
  valueFromASTUntyped,
  visit,
  type ArgumentNode,
  type DefinitionNode,
  type FieldNode,
  type FormattedExecutionResult,
  type OperationDefinitionNode,
  type VariableDefinitionNode,
} from 'graphql';
import { CURSOR_FIELD, RESUME_ARGUMENT } from '../../core/apollo/index.js';

/** Preferred names of the added variable and hidden alias (another is picked if the client took them). */
export const RESUME_VARIABLE = '__meshFrom';
export const CURSOR_ALIAS = '__meshCursor';

export interface ResumableOperation {
  /** The operation to send upstream. */
  operation: string;
  /**
   * Variables to send: the primary fetch's, without a client variable that only fed `from`, plus the
   * resume variable when there is a start cursor. Without one the variable is absent, so the subgraph
   * sees no `from` at all, exactly as before the rewrite.
   */
  variables: Record<string, unknown>;
  /** Name of the variable carrying the cursor to resume after. */
  variable: string;
  /** The client's own `from` (literal or variable), or undefined when the subscription starts live. */
  startCursor: string | undefined;
  /** The cursor an upstream event carries, if any. */
  cursorOf(event: FormattedExecutionResult): string | undefined;
}

/**
 * The resumable form of `operation` (a primary fetch: one subscription, one root field), or undefined
 * when its root field does not follow the convention (`isResumable` says which root fields do) or the
 * operation does not have the expected shape. Never throws.
 */
export function makeResumable(
  operation: string,
  variables: Record<string, unknown>,
  isResumable: (rootField: string) => boolean,
): ResumableOperation | undefined {
  let document;
  try {
    document = parse(operation);
  } catch {
    return undefined;
  }
  const definition = document.definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  const [root, ...others] = definition?.selectionSet.selections ?? [];
  if (!definition || definition.operation !== OperationTypeNode.SUBSCRIPTION || !root || others.length > 0) return undefined;
  if (root.kind !== Kind.FIELD || !isResumable(root.name.value)) return undefined;

  const definedVariables = new Set((definition.variableDefinitions ?? []).map((v) => v.variable.name.value));
  const variable = unusedName(RESUME_VARIABLE, definedVariables);
  const responseKeys = new Set((root.selectionSet?.selections ?? []).flatMap((s) => (s.kind === Kind.FIELD ? [s.alias?.value ?? s.name.value] : [])));
  const cursorAlias = unusedName(CURSOR_ALIAS, responseKeys);

  const given = root.arguments?.find((argument) => argument.name.value === RESUME_ARGUMENT);
  const givenValue = given ? valueFromASTUntyped(given.value, variables) : undefined;
  const startCursor = typeof givenValue === 'string' ? givenValue : undefined;

  const fromArgument: ArgumentNode = {
    kind: Kind.ARGUMENT,
    name: { kind: Kind.NAME, value: RESUME_ARGUMENT },
    value: { kind: Kind.VARIABLE, name: { kind: Kind.NAME, value: variable } },
  };
  const cursorSelection: FieldNode = {
    kind: Kind.FIELD,
    alias: { kind: Kind.NAME, value: cursorAlias },
    name: { kind: Kind.NAME, value: CURSOR_FIELD },
  };
  const rewrittenRoot: FieldNode = {
    ...root,
    arguments: [...(root.arguments ?? []).filter((argument) => argument !== given), fromArgument],
    selectionSet: {
      kind: Kind.SELECTION_SET,
      selections: [...(root.selectionSet?.selections ?? []), cursorSelection],
    },
  };
  const resumeDefinition: VariableDefinitionNode = {
    kind: Kind.VARIABLE_DEFINITION,
    variable: { kind: Kind.VARIABLE, name: { kind: Kind.NAME, value: variable } },
    type: { kind: Kind.NAMED_TYPE, name: { kind: Kind.NAME, value: 'String' } },
  };
  let rewritten: OperationDefinitionNode = {
    ...definition,
    variableDefinitions: [...(definition.variableDefinitions ?? []), resumeDefinition],
    selectionSet: { ...definition.selectionSet, selections: [rewrittenRoot] },
  };

  // A client variable that only fed `from` is now unused, which the subgraph would refuse as invalid.
  const otherDefinitions = document.definitions.filter((d) => d !== definition);
  const used = usedVariables([rewritten, ...otherDefinitions]);
  const unused = (rewritten.variableDefinitions ?? []).filter((v) => !used.has(v.variable.name.value)).map((v) => v.variable.name.value);
  rewritten = { ...rewritten, variableDefinitions: rewritten.variableDefinitions?.filter((v) => used.has(v.variable.name.value)) };

  const upstreamVariables = Object.fromEntries(Object.entries(variables).filter(([name]) => !unused.includes(name)));
  if (startCursor !== undefined) upstreamVariables[variable] = startCursor;
  const responseKey = root.alias?.value ?? root.name.value;

  return {
    operation: stripIgnoredCharacters(print({ ...document, definitions: [rewritten, ...otherDefinitions] })),
    variables: upstreamVariables,
    variable,
    startCursor,
    cursorOf(event) {
      const payload = event.data?.[responseKey];
      const cursor = payload && typeof payload === 'object' ? (payload as Record<string, unknown>)[cursorAlias] : undefined;
      return typeof cursor === 'string' ? cursor : undefined;
    },
  };
}

function unusedName(preferred: string, taken: ReadonlySet<string>): string {
  let name = preferred;
  for (let suffix = 1; taken.has(name); suffix += 1) name = `${preferred}${suffix}`;
  return name;
}

function usedVariables(definitions: readonly DefinitionNode[]): Set<string> {
  const used = new Set<string>();
  for (const definition of definitions) {
    visit(definition, {
      VariableDefinition: () => false, // a definition is not a use
      Variable: (node) => void used.add(node.name.value),
    });
  }
  return used;
}
