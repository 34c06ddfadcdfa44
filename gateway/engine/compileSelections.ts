import {
  getNamedType,
  isAbstractType,
  isCompositeType,
  isEnumType,
  isListType,
  isNonNullType,
  isUnionType,
  Kind,
  type DirectiveNode,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLOutputType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';

/** One response key of a selection for one runtime type: its merged field nodes, type and sub-selection. */
export interface ShapeField {
  readonly key: string;
  readonly name: string;
  /** The runtime type the field is read on (for error messages). */
  readonly parentType: string;
  /** Every field node merged under this key (auth decides per node). */
  readonly nodes: readonly FieldNode[];
  readonly kind: 'typename' | 'introspection' | 'value';
  /** The field's type (absent for `__typename` and introspection). */
  readonly type?: GraphQLOutputType;
  /** The merged sub-selection, for fields of composite type. */
  readonly selection?: ShapeSelection;
  /** The values an enum field may answer with (others are refused, e.g. `@inaccessible` ones). */
  readonly enumValues?: ReadonlySet<string>;
  /** The field's type as wrappers, decided once here so shaping a value asks graphql-js nothing. */
  readonly wrapping?: TypeWrapping;
  /** The named type is an interface or union: the runtime type comes from the data's `__typename`. */
  readonly abstract?: boolean;
  /** The named type, for fields of composite type. */
  readonly composite?: GraphQLCompositeType;
}

/** One level of a field's type: non-null or not, and a list of the next level or the named type. */
export interface TypeWrapping {
  readonly nonNull: boolean;
  /** The item type, for a list. */
  readonly item?: TypeWrapping;
}

/** The wrappers of `type` (`[Int!]!` is non-null list of non-null). */
export function wrappingOf(type: GraphQLOutputType): TypeWrapping {
  const nonNull = isNonNullType(type);
  const inner = nonNull ? type.ofType : type;
  // One object shape for every level (`item` present, maybe undefined): shaping reads them in its hottest loop.
  return { nonNull, item: isListType(inner) ? wrappingOf(inner.ofType) : undefined };
}

/**
 * A ShapeField with every property present in one order, whatever its kind: shaping reads these for
 * every value of every response, and objects of one shape keep V8's property reads monomorphic.
 */
function shapeField(base: Pick<ShapeField, 'key' | 'name' | 'parentType' | 'nodes' | 'kind'>, more: Partial<ShapeField> = {}): ShapeField {
  return {
    key: base.key,
    name: base.name,
    parentType: base.parentType,
    nodes: base.nodes,
    kind: base.kind,
    type: more.type,
    selection: more.selection,
    enumValues: more.enumValues,
    wrapping: more.wrapping,
    abstract: more.abstract,
    composite: more.composite,
  };
}

interface CompileContext {
  readonly schema: GraphQLSchema;
  readonly fragments: ReadonlyMap<string, FragmentDefinitionNode>;
  readonly variables: Readonly<Record<string, unknown>>;
}

/**
 * The client's selection sets for one position in the response (merged, as the spec's CollectFields
 * merges them), compiled once per runtime type into the ordered list of response keys: fragments whose
 * type condition applies are expanded, `@skip`/`@include` are decided, same-key fields are merged. A
 * compiled selection belongs to one operation and one set of `@skip`/`@include` values, and is reused by
 * every request that has them (compileOperationShape.ts caches it).
 */
export class ShapeSelection {
  private readonly byType = new Map<string, readonly ShapeField[]>();

  constructor(
    private readonly context: CompileContext,
    private readonly selectionSets: readonly SelectionSetNode[],
  ) {}

  /** The fields to answer for an object of `runtime` (an object type; an abstract type when data has no `__typename`). */
  fieldsFor(runtime: GraphQLCompositeType): readonly ShapeField[] {
    let fields = this.byType.get(runtime.name);
    if (!fields) {
      fields = this.compile(runtime);
      this.byType.set(runtime.name, fields);
    }
    return fields;
  }

  private compile(runtime: GraphQLCompositeType): ShapeField[] {
    const { fragments } = this.context;
    const grouped = new Map<string, FieldNode[]>();
    const visited = new Set<string>();
    const walk = (selectionSet: SelectionSetNode) => {
      for (const selection of selectionSet.selections) {
        if (!this.included(selection.directives)) continue;
        if (selection.kind === Kind.FIELD) {
          const key = selection.alias?.value ?? selection.name.value;
          const known = grouped.get(key);
          if (known) known.push(selection);
          else grouped.set(key, [selection]);
        } else if (selection.kind === Kind.INLINE_FRAGMENT) {
          if (this.applies(selection.typeCondition?.name.value, runtime)) walk(selection.selectionSet);
        } else if (!visited.has(selection.name.value)) {
          visited.add(selection.name.value);
          const fragment = fragments.get(selection.name.value);
          if (fragment && this.applies(fragment.typeCondition.name.value, runtime)) walk(fragment.selectionSet);
        }
      }
    };
    for (const selectionSet of this.selectionSets) walk(selectionSet);

    const fields: ShapeField[] = [];
    const definitions = 'getFields' in runtime ? runtime.getFields() : {};
    for (const [key, nodes] of grouped) {
      const name = nodes[0].name.value;
      const base = { key, name, parentType: runtime.name, nodes };
      if (name === '__typename') fields.push(shapeField({ ...base, kind: 'typename' }));
      else if (name === '__schema' || name === '__type') fields.push(shapeField({ ...base, kind: 'introspection' }));
      else {
        const definition = Object.hasOwn(definitions, name) ? definitions[name] : undefined;
        // Validation ran against the API schema: a field it does not know cannot be selected here.
        if (!definition) continue;
        const named = getNamedType(definition.type);
        const selectionSets = nodes.flatMap((node) => (node.selectionSet ? [node.selectionSet] : []));
        fields.push(
          shapeField(
            { ...base, kind: 'value' },
            {
              type: definition.type,
              wrapping: wrappingOf(definition.type),
              abstract: isAbstractType(named),
              ...(isCompositeType(named) && { selection: new ShapeSelection(this.context, selectionSets), composite: named }),
              ...(isEnumType(named) && { enumValues: new Set(named.getValues().map((v) => v.name)) }),
            },
          ),
        );
      }
    }
    return fields;
  }

  private applies(condition: string | undefined, runtime: GraphQLCompositeType): boolean {
    if (!condition || condition === runtime.name) return true;
    const type = this.context.schema.getType(condition);
    if (!type || !isAbstractType(type) || isUnionType(runtime)) return false;
    return this.context.schema.isSubType(type, runtime);
  }

  private included(directives: readonly DirectiveNode[] | undefined): boolean {
    if (!directives?.length) return true;
    for (const directive of directives) {
      const name = directive.name.value;
      if (name !== 'skip' && name !== 'include') continue;
      const argument = directive.arguments?.find((a) => a.name.value === 'if')?.value;
      const value =
        argument?.kind === Kind.BOOLEAN ? argument.value : argument?.kind === Kind.VARIABLE ? this.context.variables[argument.name.value] === true : false;
      if (name === 'skip' ? value : !value) return false;
    }
    return true;
  }
}

/** The variables an operation's `@skip`/`@include` read (their values select the compiled shape). */
export function conditionVariables(document: DocumentNode): string[] {
  const names = new Set<string>();
  const scan = (selectionSet: SelectionSetNode | undefined) => {
    for (const selection of selectionSet?.selections ?? []) {
      for (const directive of selection.directives ?? []) {
        if (directive.name.value !== 'skip' && directive.name.value !== 'include') continue;
        for (const argument of directive.arguments ?? []) if (argument.value.kind === Kind.VARIABLE) names.add(argument.value.name.value);
      }
      if (selection.kind !== Kind.FRAGMENT_SPREAD) scan(selection.selectionSet);
    }
  };
  for (const definition of document.definitions)
    if (definition.kind === Kind.OPERATION_DEFINITION || definition.kind === Kind.FRAGMENT_DEFINITION) scan(definition.selectionSet);
  return [...names].sort();
}

/** The fragment definitions of a document by name. */
export function fragmentsOf(document: DocumentNode): Map<string, FragmentDefinitionNode> {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  return fragments;
}

/** Compiles the root selection of `operation` for the given `@skip`/`@include` variable values. */
export function compileRoot(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  variables: Readonly<Record<string, unknown>>,
): ShapeSelection {
  return new ShapeSelection({ schema, fragments: fragmentsOf(document), variables }, [operation.selectionSet]);
}
