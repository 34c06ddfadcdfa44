import { GraphQLError, isCompositeType, isObjectType, type FieldNode, type GraphQLCompositeType, type GraphQLSchema } from 'graphql';
import { ErrorCode } from '../../core/errors/ErrorCode.js';
import type { ShapeField, ShapeSelection, TypeWrapping } from './compileSelections.js';

/** A field the caller may not see: the message of its UNAUTHORIZED_FIELD_OR_TYPE error. */
export interface FieldDenial {
  readonly message: string;
}

/** What shaping needs besides the data. */
export interface ShapeInput {
  schema: GraphQLSchema;
  root: ShapeSelection;
  rootType: GraphQLCompositeType;
  /** The fetched data (before shaping). */
  data: Record<string, unknown>;
  /** The fetches' errors: a null they explain gets no second error. */
  fetchErrors: readonly GraphQLError[];
  /** Field nodes of the client's document the caller may not see (field auth, folded into this pass). */
  denied?: ReadonlyMap<FieldNode, FieldDenial>;
  /** Answers an introspection field (`__schema`, `__type`) at the root. */
  introspect(field: ShapeField): unknown;
}

/** The shaped response data (null when a null reached the root) and the errors shaping added. */
export interface Shaped {
  data: Record<string, unknown> | null;
  errors: GraphQLError[];
}

/** A null whose error is reported: it propagates to the nearest nullable position (GraphQL spec 6.4.4). */
const REPORTED = Symbol('reported null');
type Completed = unknown;

const comparable = (a: ReadonlyArray<string | number>, b: ReadonlyArray<string | number>) => {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return false;
  return true;
};

/**
 * Writes the client's response once, in the client's selection order, from the fetched data: aliases,
 * `__typename`, fragments on abstract types and `@skip`/`@include` as compiled in compileSelections.ts;
 * a null in a non-null position nulls the nearest nullable parent, with one error at the path where it
 * happened, unless a fetch error already explains it; denied fields come back null with an
 * UNAUTHORIZED_FIELD_OR_TYPE error at their path (a field reached through several selections is denied
 * only when every one of them is). No graphql-js execution: one walk over the selections.
 */
export function shapeResponse(input: ShapeInput): Shaped {
  const { schema, denied, fetchErrors } = input;
  const errors: GraphQLError[] = [];
  const path: Array<string | number> = [];
  const deniedAny = !!denied && denied.size > 0;

  // A fetch error explains every null at, above or below its response path. An error located inside a
  // subgraph request only (`_entities`, or a plan path with `@`) explains everything below the part that
  // is a response path.
  let located: Array<ReadonlyArray<string | number>> | undefined;
  const explained = () => {
    located ??= fetchErrors.flatMap((error) => {
      if (!error.path) return [];
      const end = error.path.findIndex((step) => step === '@' || step === '_entities');
      return [end < 0 ? error.path : error.path.slice(0, end)];
    });
    return located.some((at) => comparable(at, path));
  };
  const nonNullViolation = (field: ShapeField, atItem: boolean) => {
    if (explained()) return;
    const message = atItem
      ? `Cannot return null for non-nullable array element of field ${field.parentType}.${field.name}.`
      : `Cannot return null for non-nullable field ${field.parentType}.${field.name}.`;
    errors.push(new GraphQLError(message, { path: [...path] }));
  };
  const invalid = (message: string) => errors.push(new GraphQLError(message, { path: [...path] }));

  const object = (selection: ShapeSelection, runtime: GraphQLCompositeType, value: Record<string, unknown>): Completed => {
    // A plain object, not `Object.create(null)`: V8 keeps null-prototype objects in dictionary mode,
    // slower to fill, to serialise and to collect; `__proto__` is the one key that needs care (below).
    const out: Record<string, unknown> = {};
    for (const field of selection.fieldsFor(runtime)) {
      const key = field.key;
      path.push(key);
      let result: Completed;
      if (field.kind === 'typename') {
        let name = Object.hasOwn(value, key) ? value[key] : undefined;
        if ((name === undefined || name === null) && key !== '__typename') name = value.__typename;
        const type = typeof name === 'string' ? (schema.getType(name) ?? runtime) : runtime;
        if (isObjectType(type)) result = type.name;
        else {
          // Data of an abstract type without its implementation (an `@interfaceObject` entity whose type fetch failed).
          nonNullViolation(field, false);
          result = REPORTED;
        }
      } else if (field.kind === 'introspection') result = input.introspect(field);
      else if (denied && deniedAny && field.nodes.every((node) => denied.has(node))) {
        errors.push(new GraphQLError(denied.get(field.nodes[0])!.message, { path: [...path], extensions: { code: ErrorCode.UNAUTHORIZED_FIELD_OR_TYPE } }));
        result = field.wrapping!.nonNull ? REPORTED : null;
      } else result = complete(field, field.wrapping!, Object.hasOwn(value, key) ? value[key] : undefined, false);
      path.pop();
      if (result === REPORTED) {
        if (field.kind !== 'value' || field.wrapping!.nonNull) return REPORTED;
        result = null;
      }
      if (key === '__proto__') Object.defineProperty(out, key, { value: result, enumerable: true, writable: true, configurable: true });
      else out[key] = result;
    }
    return out;
  };

  // Returns REPORTED only for a non-null type; nullable positions turn it into null.
  const complete = (field: ShapeField, wrapping: TypeWrapping, value: unknown, atItem: boolean): Completed => {
    const result = completeNullable(field, wrapping, value);
    if (!wrapping.nonNull) return result === REPORTED ? null : result;
    if (result === null) {
      nonNullViolation(field, atItem);
      return REPORTED;
    }
    return result;
  };

  const completeNullable = (field: ShapeField, wrapping: TypeWrapping, value: unknown): Completed => {
    if (value === null || value === undefined) return null;
    if (wrapping.item) {
      if (!Array.isArray(value)) {
        invalid(`Invalid non-list value found for field ${field.parentType}.${field.name}.`);
        return REPORTED;
      }
      const out = new Array<unknown>(value.length);
      for (let i = 0; i < value.length; i++) {
        path.push(i);
        const item = complete(field, wrapping.item, value[i], true);
        path.pop();
        if (item === REPORTED) return REPORTED;
        out[i] = item;
      }
      return out;
    }
    if (field.selection) {
      if (typeof value !== 'object' || Array.isArray(value)) {
        invalid(`Invalid non-object value found for field ${field.parentType}.${field.name}.`);
        return REPORTED;
      }
      const record = value as Record<string, unknown>;
      let runtime = field.composite!;
      if (field.abstract) {
        const typename = record.__typename;
        if (typeof typename === 'string') {
          const found = schema.getType(typename);
          if (!found || !isCompositeType(found)) {
            invalid(`Invalid __typename found for object at field ${field.parentType}.${field.name}.`);
            return REPORTED;
          }
          runtime = found;
        }
      }
      return object(field.selection, runtime, record);
    }
    if (field.enumValues && (typeof value !== 'string' || !field.enumValues.has(value))) {
      invalid(`Invalid value found for field ${field.parentType}.${field.name}.`);
      return REPORTED;
    }
    return value;
  };

  const data = object(input.root, input.rootType, input.data);
  return { data: data === REPORTED ? null : (data as Record<string, unknown>), errors };
}
