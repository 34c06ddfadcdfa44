/**
 * Generated GraphQL requests over a schema, for the field-auth property test: one to three operations
 * (named, anonymous), an `operationName` that resolves or not (`""`, unknown, missing among several),
 * aliases (`__typename`, other field names of the type), inline fragments with and without a type
 * condition, named fragments spread from several places and from each other, `@skip`/`@include` with
 * literals and variables, variables for arguments. Most requests validate; some do not (an alias
 * clashing with another field), which the gateway must refuse as well.
 */
import fc from 'fast-check';
import {
  getNamedType,
  isCompositeType,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  isObjectType,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLObjectType,
  type GraphQLSchema,
} from 'graphql';

/** One generated request. */
export interface GeneratedRequest {
  query: string;
  operationName?: string;
  variables: Record<string, unknown>;
}

/** What the generator may put in arguments and variables. */
export interface GenerateOptions {
  schema: GraphQLSchema;
  /** The value of `$r` (every `TimeRangeInput`). */
  range: unknown;
  /** IDs to ask for (some existing, some not). */
  ids: readonly string[];
  /** Root fields never selected (e.g. too costly for a property test). @default [] */
  skipRootFields?: readonly string[];
  /** @default 3 */
  maxDepth?: number;
}

type Gen = fc.GeneratorValue;
interface Fragment {
  name: string;
  on: string;
  variables: Set<string>;
}

const VARIABLE_TYPES: Record<string, string> = { r: 'TimeRangeInput!', id: 'ID!', b: 'Boolean!', t: 'Boolean!' };
const LITERALS: Record<string, readonly string[]> = { Int: ['1', '3', '100'], String: ['"kitchen"', '"orders"'], Boolean: ['true', 'false'], Float: ['1.5'] };

/** The arbitrary of requests over `options.schema`. */
export function requestArbitrary(options: GenerateOptions): fc.Arbitrary<GeneratedRequest> {
  const { schema, range, ids, skipRootFields = [], maxDepth = 3 } = options;
  return fc.gen().map((g) => buildRequest(g));

  function buildRequest(g: Gen): GeneratedRequest {
    const pick = <T>(items: readonly T[]): T => items[g(fc.nat, { max: items.length - 1 })];
    const chance = (p: number) => g(fc.double, { min: 0, max: 1, noNaN: true }) < p;
    const fragments: Fragment[] = [];
    const fragmentText: string[] = [];
    let nextFragment = 0;
    let nextAlias = 0;

    const argumentValue = (type: GraphQLInputType, used: Set<string>): string | null => {
      const named = getNamedType(type);
      if (named.name === 'TimeRangeInput') return (used.add('r'), '$r');
      if (named.name === 'ID') return chance(0.5) ? (used.add('id'), '$id') : JSON.stringify(pick(ids));
      if (isEnumType(named)) {
        const values = named
          .getValues()
          .map((v) => v.name)
          .filter((v) => v !== 'MINUTE' && v !== 'HOUR');
        return isListType(isNonNullType(type) ? type.ofType : type) ? `[${pick(values)}]` : pick(values);
      }
      if (isInputObjectType(named)) return null;
      const literals = LITERALS[named.name];
      return literals ? pick(literals) : null;
    };

    const directives = (used: Set<string>): string => {
      if (!chance(0.15)) return '';
      const name = pick(['include', 'skip']);
      const condition = pick(['true', 'false', '$b', '$t']);
      if (condition.startsWith('$')) used.add(condition.slice(1));
      return ` @${name}(if: ${condition})`;
    };

    /** The field's text, or null when it cannot be selected here (its variables are then not recorded). */
    const fieldText = (parent: GraphQLObjectType, field: GraphQLField<unknown, unknown>, depth: number, into: Set<string>): string | null => {
      const used = new Set<string>();
      const text = fieldTextUsing(parent, field, depth, used);
      if (text !== null) for (const v of used) into.add(v);
      return text;
    };
    const fieldTextUsing = (parent: GraphQLObjectType, field: GraphQLField<unknown, unknown>, depth: number, used: Set<string>): string | null => {
      const args: string[] = [];
      for (const arg of field.args) {
        const required = isNonNullType(arg.type) && arg.defaultValue === undefined;
        if (!required && (arg.name === 'timeZone' || !chance(0.15))) continue;
        const value = argumentValue(arg.type, used);
        if (value === null) {
          if (required) return null;
          continue;
        }
        args.push(`${arg.name}: ${value}`);
      }
      const others = Object.keys(parent.getFields());
      // Aliases that collide (another field's name, `__typename`) make some documents invalid: refused too.
      const roll = g(fc.nat, { max: 19 });
      const alias = roll < 2 ? `a${nextAlias++}: ` : roll < 3 ? '__typename: ' : roll < 4 ? `${pick([field.name, ...others])}: ` : '';
      const named = getNamedType(field.type);
      let sub = '';
      if (isCompositeType(named)) {
        if (!isObjectType(named) || depth >= maxDepth) return null;
        sub = ` { ${selectionSet(named, depth + 1, used)} }`;
      }
      return `${alias}${field.name}${args.length ? `(${args.join(', ')})` : ''}${directives(used)}${sub}`;
    };

    const selectionSet = (type: GraphQLObjectType, depth: number, used: Set<string>): string => {
      const fields = Object.values(type.getFields()).filter((f) => type !== schema.getQueryType() || !skipRootFields.includes(f.name));
      const items: string[] = [];
      const count = g(fc.integer, { min: 1, max: 3 });
      for (let i = 0; i < count; i++) {
        const kind = g(fc.nat, { max: 19 });
        if (kind < 1) items.push(`__typename${directives(used)}`);
        else if (kind < 4 && depth < maxDepth) {
          const condition = pick([` on ${type.name}`, '']);
          items.push(`...${condition}${directives(used)} { ${selectionSet(type, depth + 1, used)} }`);
        } else if (kind < 7 && depth < maxDepth) {
          const reusable = fragments.filter((f) => f.on === type.name);
          const fragment = reusable.length && chance(0.5) ? pick(reusable) : newFragment(type, depth);
          for (const v of fragment.variables) used.add(v);
          items.push(`...${fragment.name}${directives(used)}`);
        } else {
          const text = fieldText(type, pick(fields), depth, used);
          if (text !== null) items.push(text);
        }
      }
      return items.length ? items.join(' ') : '__typename';
    };

    const newFragment = (type: GraphQLObjectType, depth: number): Fragment => {
      // Pushed once its body is built: a fragment never spreads itself (a cycle would not validate).
      const fragment: Fragment = { name: `F${nextFragment++}`, on: type.name, variables: new Set() };
      fragmentText.push(`fragment ${fragment.name} on ${type.name} { ${selectionSet(type, depth + 1, fragment.variables)} }`);
      fragments.push(fragment);
      return fragment;
    };

    const operationCount = pick([1, 1, 1, 1, 2, 3]);
    const named = operationCount > 1 || chance(0.5);
    const names = Array.from({ length: operationCount }, (_, i) => (named ? `Op${i}` : ''));
    const variables = new Set<string>();
    const operations = names.map((name) => {
      const used = new Set<string>();
      const body = selectionSet(schema.getQueryType()!, 0, used);
      for (const v of used) variables.add(v);
      const definitions = [...used].sort().map((v) => `$${v}: ${VARIABLE_TYPES[v]}`);
      const header = name || definitions.length ? `query ${name}${definitions.length ? `(${definitions.join(', ')})` : ''} ` : '';
      return `${header}{ ${body} }`;
    });
    const choice = g(fc.nat, { max: 9 });
    const operationName = choice < 4 ? undefined : choice < 6 ? '' : choice < 7 ? 'Unknown' : names[g(fc.nat, { max: names.length - 1 })] || undefined;
    const values: Record<string, unknown> = { r: range, id: pick(ids), b: chance(0.5), t: chance(0.5) };
    return {
      query: [...operations, ...fragmentText].join('\n'),
      ...(operationName !== undefined ? { operationName } : {}),
      variables: Object.fromEntries([...variables].map((v) => [v, values[v]])),
    };
  }
}
