import { GraphQLError, type GraphQLSchema } from 'graphql';
import type { BatchFetchStep, FetchStep, PlanStep } from '../../core/queryPlan/EnginePlan.js';
import { applyRewrites } from './applyRewrites.js';
import { buildRepresentation } from './buildRepresentation.js';
import { isObjectOfType } from './isObjectOfType.js';
import { mergeInto } from './mergeInto.js';
import { missingEntityError, subgraphError, type SubgraphErrorJson } from './subgraphError.js';

/** A subgraph's answer to one fetch. */
export interface SubgraphAnswer {
  data?: Record<string, unknown> | null;
  errors?: readonly SubgraphErrorJson[];
}

/** Sends one fetch of the plan to its subgraph. `path` is where in the response its data goes (`@` for lists). */
export type SubgraphFetch = (step: FetchStep | BatchFetchStep, variables: Record<string, unknown>, path: readonly string[]) => Promise<SubgraphAnswer>;

/** What a plan runs with. */
export interface PlanExecutionInput {
  node: PlanStep | undefined;
  fetch: SubgraphFetch;
  /** The client's variables as sent (fetches pass them on unchanged). */
  variables: Readonly<Record<string, unknown>> | undefined;
  /** The client's variables coerced, defaults applied (for `Condition` nodes). */
  coercedVariables: Readonly<Record<string, unknown>>;
  /** The supergraph schema: type conditions of `requires` and rewrites refer to its types. */
  supergraph: GraphQLSchema;
}

/** The fetched data (before shaping) and the errors of the fetches, at their paths in the response. */
export interface PlanExecution {
  data: Record<string, unknown>;
  errors: GraphQLError[];
}

/** The objects a step runs on, and the plan path that led to them. */
interface Cursor {
  readonly path: readonly string[];
  readonly objects: readonly Record<string, unknown>[];
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

const FRAGMENT = '... on ';

/** Whether `object` passes a `... on A|B` path step. */
type TypeStep = (object: Record<string, unknown>, step: string) => boolean;

/** The objects at `path` below `value` (`@` and lists step into every item; nulls end a branch), in document order. */
function collect(value: unknown, path: readonly string[], index: number, isType: TypeStep, out: Record<string, unknown>[]): void {
  if (value === null || value === undefined) return;
  if (Array.isArray(value)) {
    const next = path[index] === '@' ? index + 1 : index;
    for (const item of value) collect(item, path, next, isType, out);
    return;
  }
  if (!isRecord(value)) return;
  if (index === path.length) out.push(value);
  else if (path[index] === '@') return;
  else if (path[index].startsWith(FRAGMENT)) {
    if (isType(value, path[index])) collect(value, path, index + 1, isType, out);
  } else if (Object.hasOwn(value, path[index])) collect(value[path[index]], path, index + 1, isType, out);
}

/** The response paths (with list indices) of the objects `collect` finds, in the same order: only for errors. */
function concretePaths(
  value: unknown,
  path: readonly string[],
  index: number,
  isType: TypeStep,
  prefix: Array<string | number>,
  out: Array<Array<string | number>>,
): void {
  if (value === null || value === undefined) return;
  if (Array.isArray(value)) {
    const next = path[index] === '@' ? index + 1 : index;
    value.forEach((item, i) => {
      prefix.push(i);
      concretePaths(item, path, next, isType, prefix, out);
      prefix.pop();
    });
    return;
  }
  if (!isRecord(value)) return;
  if (index === path.length) out.push([...prefix]);
  else if (path[index] === '@') return;
  else if (path[index].startsWith(FRAGMENT)) {
    if (isType(value, path[index])) concretePaths(value, path, index + 1, isType, prefix, out);
  } else if (Object.hasOwn(value, path[index])) {
    prefix.push(path[index]);
    concretePaths(value[path[index]], path, index + 1, isType, prefix, out);
    prefix.pop();
  }
}

/** The entities of one `_entities` selection: what is sent, and which collected objects each representation stands for. */
interface EntityGroup {
  readonly objects: readonly Record<string, unknown>[];
  readonly representations: Record<string, unknown>[];
  /** For each representation, the indices (in `objects`) of the entities it stands for. */
  readonly holders: number[][];
  /** The response path of each of `objects` (computed only when an error needs it). */
  pathOf(index: number): ReadonlyArray<string | number>;
}

/**
 * Runs a query plan: fetches in the plan's sequence/parallel/flatten shape, each entity fetch with the
 * representations of the entities at its path (built from the data at hand while walking that path,
 * identical representations sent once), answers merged in place. A failed fetch leaves its fields
 * missing and reports errors at their response paths; the fetches that do not depend on it go on.
 */
export async function executePlan(input: PlanExecutionInput): Promise<PlanExecution> {
  const data = Object.create(null) as Record<string, unknown>;
  const errors: GraphQLError[] = [];
  if (!input.node) return { data, errors };

  const isType: TypeStep = (object, step) =>
    step
      .slice(FRAGMENT.length)
      .split('|')
      .some((name) => isObjectOfType(input.supergraph, object, name));
  const pathsAt = (paths: ReadonlyArray<readonly string[]>) => {
    const out: Array<Array<string | number>> = [];
    for (const path of paths) concretePaths(data, path, 0, isType, [], out);
    return out;
  };

  const run = async (step: PlanStep, cursor: Cursor): Promise<void> => {
    switch (step.kind) {
      case 'Sequence':
        for (const node of step.nodes) await run(node, cursor);
        return;
      case 'Parallel':
        await Promise.all(step.nodes.map((node) => run(node, cursor)));
        return;
      case 'Flatten': {
        const objects: Record<string, unknown>[] = [];
        for (const object of cursor.objects) collect(object, step.path, 0, isType, objects);
        if (objects.length) await run(step.node, { path: [...cursor.path, ...step.path], objects });
        return;
      }
      case 'Condition': {
        const branch = input.coercedVariables[step.condition] === true ? step.ifClause : step.elseClause;
        if (branch) await run(branch, cursor);
        return;
      }
      case 'Defer':
        // Refused before execution (createMeshExecutor.ts); reaching here is a bug: fail the operation.
        throw new Error('@defer plans are not executed by the mesh query engine');
      case 'Fetch':
      case 'BatchFetch':
        try {
          await (step.kind === 'BatchFetch' ? fetchBatch(step, cursor) : step.requires ? fetchEntities(step, cursor) : fetchRoot(step, cursor));
        } catch (error) {
          errors.push(
            error instanceof GraphQLError ? error : new GraphQLError(error instanceof Error ? error.message : String(error), { originalError: error as Error }),
          );
        }
    }
  };

  const variablesOf = (step: FetchStep | BatchFetchStep): Record<string, unknown> => {
    const variables = Object.create(null) as Record<string, unknown>;
    const given = input.variables;
    if (given) for (const name of step.variableUsages) if (Object.hasOwn(given, name) && given[name] !== undefined) variables[name] = given[name];
    return variables;
  };

  const fetchRoot = async (step: FetchStep, cursor: Cursor) => {
    const answer = await input.fetch(step, variablesOf(step), cursor.path);
    for (const error of answer.errors ?? []) errors.push(subgraphError(step.serviceName, error, error.path && [...cursor.path, ...error.path]));
    if (!isRecord(answer.data)) return;
    applyRewrites(input.supergraph, step.outputRewrites, answer.data);
    for (const object of cursor.objects) mergeInto(object, answer.data);
  };

  /** Representations of `objects` (identical ones sent once). */
  const groupOf = (
    objects: readonly Record<string, unknown>[],
    requires: FetchStep['requires'] & object,
    inputRewrites: FetchStep['inputRewrites'],
    paths: () => Array<Array<string | number>>,
  ): EntityGroup => {
    const representations: Record<string, unknown>[] = [];
    const holders: number[][] = [];
    const byKey = new Map<string, number>();
    objects.forEach((object, index) => {
      const representation = buildRepresentation(input.supergraph, object, requires);
      if (!representation || !representation.__typename) return;
      applyRewrites(input.supergraph, inputRewrites, representation);
      const key = JSON.stringify(representation);
      const known = byKey.get(key);
      if (known !== undefined) return void holders[known].push(index);
      byKey.set(key, representations.length);
      representations.push(representation);
      holders.push([index]);
    });
    let computed: Array<Array<string | number>> | undefined;
    return { objects, representations, holders, pathOf: (index) => (computed ??= paths())[index] ?? [] };
  };

  /**
   * Puts one `_entities` answer where its entities are: errors at `[field, i, ...]` at every path of
   * entity i, other errors as they are; each entity merged into every holder; an entity answered `null`
   * without an error for it is reported (never a silent null).
   */
  const receive = (
    serviceName: string,
    field: string,
    group: EntityGroup,
    answer: SubgraphAnswer,
    outputRewrites: FetchStep['outputRewrites'],
    cursorPath: readonly string[],
  ) => {
    const answered = new Set<number>();
    let unlocated = false;
    for (const error of answer.errors ?? []) {
      const [head, at, ...rest] = error.path ?? [];
      if (head === field && typeof at === 'number' && group.holders[at]) {
        answered.add(at);
        for (const index of group.holders[at]) errors.push(subgraphError(serviceName, error, [...group.pathOf(index), ...rest]));
      } else if (head === field) {
        unlocated = true;
        // A batch alias is the plan's own name: an error for the whole list is put at each entity of it.
        if (field !== '_entities' && at === undefined)
          for (const holders of group.holders) for (const index of holders) errors.push(subgraphError(serviceName, error, group.pathOf(index)));
        else errors.push(subgraphError(serviceName, error, [...cursorPath, ...error.path!]));
      } else if (!error.path) unlocated = true;
    }
    if (!answer.data) return;
    const received = answer.data[field];
    if (!Array.isArray(received)) throw new Error(`Expected "data.${field}" in response to be an array`);
    if (received.length !== group.representations.length) throw new Error(`Expected "data.${field}" to contain ${group.representations.length} elements`);
    received.forEach((entity: unknown, at) => {
      const holders = group.holders[at];
      if (!isRecord(entity)) {
        // No entity and no error for it: the client gets an error where it is, not a silent null.
        if (!answered.has(at) && !unlocated)
          for (const index of holders) errors.push(missingEntityError(serviceName, group.objects[index].__typename, group.pathOf(index)));
        return;
      }
      if (!entity.__typename) entity.__typename = group.objects[holders[0]].__typename;
      applyRewrites(input.supergraph, outputRewrites, entity);
      for (const index of holders) mergeInto(group.objects[index], entity);
    });
  };

  const fetchEntities = async (step: FetchStep, cursor: Cursor) => {
    const group = groupOf(cursor.objects, step.requires!, step.inputRewrites, () => pathsAt([cursor.path]));
    if (group.representations.length === 0) return;
    const variables = variablesOf(step);
    if ('representations' in variables) throw new Error('Variables cannot contain key "representations"');
    variables.representations = group.representations;
    const answer = await input.fetch(step, variables, cursor.path);
    // Errors elsewhere than in `_entities` keep their path below the cursor; those without one stay without.
    for (const error of answer.errors ?? [])
      if (!error.path || error.path[0] !== '_entities') errors.push(subgraphError(step.serviceName, error, error.path && [...cursor.path, ...error.path]));
    receive(step.serviceName, '_entities', group, answer, step.outputRewrites, cursor.path);
  };

  const fetchBatch = async (step: BatchFetchStep, cursor: Cursor) => {
    const groups = step.batches.map((batch) => {
      const objects: Record<string, unknown>[] = [];
      for (const path of batch.paths) for (const object of cursor.objects) collect(object, path, 0, isType, objects);
      return groupOf(objects, batch.requires, batch.inputRewrites, () => pathsAt(batch.paths.map((path) => [...cursor.path, ...path])));
    });
    if (groups.every((group) => group.representations.length === 0)) return;
    const variables = variablesOf(step);
    step.batches.forEach((batch, i) => {
      if (batch.representationsVariable in variables) throw new Error(`Variables cannot contain key "${batch.representationsVariable}"`);
      variables[batch.representationsVariable] = groups[i].representations;
    });
    const answer = await input.fetch(step, variables, cursor.path);
    const aliases = new Set(step.batches.map((batch) => batch.alias));
    for (const error of answer.errors ?? [])
      if (!error.path || !aliases.has(String(error.path[0])))
        errors.push(subgraphError(step.serviceName, error, error.path && [...cursor.path, ...error.path]));
    step.batches.forEach((batch, i) => receive(step.serviceName, batch.alias, groups[i], answer, batch.outputRewrites, cursor.path));
  };

  await run(input.node, { path: [], objects: [data] });
  return { data, errors };
}
