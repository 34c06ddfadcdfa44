import { GraphQLError, type GraphQLSchema } from 'graphql';
import type { FetchStep, PlanStep } from '../../core/queryPlan/EnginePlan.js';
import { applyRewrites } from './applyRewrites.js';
import { buildRepresentation } from './buildRepresentation.js';
import { mergeInto } from './mergeInto.js';
import { missingEntityError, subgraphError, type SubgraphErrorJson } from './subgraphError.js';

/** A subgraph's answer to one fetch. */
export interface SubgraphAnswer {
  data?: Record<string, unknown> | null;
  errors?: readonly SubgraphErrorJson[];
}

/** Sends one fetch of the plan to its subgraph. `path` is where in the response its data goes (`@` for lists). */
export type SubgraphFetch = (step: FetchStep, variables: Record<string, unknown>, path: readonly string[]) => Promise<SubgraphAnswer>;

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

/** The objects at `path` below `value` (`@` and lists step into every item; nulls end a branch), in document order. */
function collect(value: unknown, path: readonly string[], index: number, out: Record<string, unknown>[]): void {
  if (value === null || value === undefined) return;
  if (Array.isArray(value)) {
    const next = path[index] === '@' ? index + 1 : index;
    for (const item of value) collect(item, path, next, out);
    return;
  }
  if (!isRecord(value)) return;
  if (index === path.length) out.push(value);
  else if (path[index] === '@') return;
  else if (Object.hasOwn(value, path[index])) collect(value[path[index]], path, index + 1, out);
}

/** The response paths (with list indices) of the objects `collect` finds, in the same order: only for errors. */
function concretePaths(value: unknown, path: readonly string[], index: number, prefix: Array<string | number>, out: Array<Array<string | number>>): void {
  if (value === null || value === undefined) return;
  if (Array.isArray(value)) {
    const next = path[index] === '@' ? index + 1 : index;
    value.forEach((item, i) => {
      prefix.push(i);
      concretePaths(item, path, next, prefix, out);
      prefix.pop();
    });
    return;
  }
  if (!isRecord(value)) return;
  if (index === path.length) out.push([...prefix]);
  else if (path[index] === '@') return;
  else if (Object.hasOwn(value, path[index])) {
    prefix.push(path[index]);
    concretePaths(value[path[index]], path, index + 1, prefix, out);
    prefix.pop();
  }
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

  const pathsOf = (cursor: Cursor) => {
    const out: Array<Array<string | number>> = [];
    concretePaths(data, cursor.path, 0, [], out);
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
        for (const object of cursor.objects) collect(object, step.path, 0, objects);
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
        try {
          await (step.requires ? fetchEntities(step, cursor) : fetchRoot(step, cursor));
        } catch (error) {
          errors.push(
            error instanceof GraphQLError ? error : new GraphQLError(error instanceof Error ? error.message : String(error), { originalError: error as Error }),
          );
        }
    }
  };

  const variablesOf = (step: FetchStep): Record<string, unknown> => {
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

  const fetchEntities = async (step: FetchStep, cursor: Cursor) => {
    const representations: Record<string, unknown>[] = [];
    // For each representation sent, the indices (in cursor.objects) of the entities it stands for.
    const holders: number[][] = [];
    const byKey = new Map<string, number>();
    cursor.objects.forEach((object, index) => {
      const representation = buildRepresentation(input.supergraph, object, step.requires!);
      if (!representation || !representation.__typename) return;
      applyRewrites(input.supergraph, step.inputRewrites, representation);
      const key = JSON.stringify(representation);
      const known = byKey.get(key);
      if (known !== undefined) return void holders[known].push(index);
      byKey.set(key, representations.length);
      representations.push(representation);
      holders.push([index]);
    });
    if (representations.length === 0) return;
    const variables = variablesOf(step);
    if ('representations' in variables) throw new Error('Variables cannot contain key "representations"');
    variables.representations = representations;
    const answer = await input.fetch(step, variables, cursor.path);

    let entityPaths: Array<Array<string | number>> | undefined;
    const pathOf = (index: number) => (entityPaths ??= pathsOf(cursor))[index] ?? [];
    const answered = new Set<number>();
    let unlocated = false;
    for (const error of answer.errors ?? []) {
      const [head, at, ...rest] = error.path ?? [];
      if (head === '_entities' && typeof at === 'number' && holders[at]) {
        answered.add(at);
        for (const index of holders[at]) errors.push(subgraphError(step.serviceName, error, [...pathOf(index), ...rest]));
      } else {
        unlocated = true;
        errors.push(subgraphError(step.serviceName, error, error.path && [...cursor.path, ...error.path]));
      }
    }
    if (!answer.data) return;
    const received = answer.data._entities;
    if (!Array.isArray(received)) throw new Error('Expected "data._entities" in response to be an array');
    if (received.length !== representations.length) throw new Error(`Expected "data._entities" to contain ${representations.length} elements`);
    received.forEach((entity: unknown, at) => {
      if (!isRecord(entity)) {
        // No entity and no error for it: the client gets an error where it is, not a silent null.
        if (!answered.has(at) && !unlocated)
          for (const index of holders[at]) errors.push(missingEntityError(step.serviceName, cursor.objects[index].__typename, pathOf(index)));
        return;
      }
      if (!entity.__typename) entity.__typename = cursor.objects[holders[at][0]].__typename;
      applyRewrites(input.supergraph, step.outputRewrites, entity);
      for (const index of holders[at]) mergeInto(cursor.objects[index], entity);
    });
  };

  await run(input.node, { path: [], objects: [data] });
  return { data, errors };
}
