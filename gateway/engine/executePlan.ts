import { GraphQLError, type GraphQLSchema } from 'graphql';
import type { BatchFetchStep, FetchStep, PlanStep } from '../../core/queryPlan/EnginePlan.js';
import { applyRewrites } from './applyRewrites.js';
import { buildRepresentation } from './buildRepresentation.js';
import { isObjectOfType } from './isObjectOfType.js';
import { createOwnership } from './createOwnership.js';
import { mergeInto } from './mergeInto.js';
import { RepresentationIndex } from './RepresentationIndex.js';
import { collectOwned, concretePaths, FRAGMENT, isRecord, type TypeStep } from './planPaths.js';
import { missingEntityError, subgraphError, type SubgraphErrorJson } from './subgraphError.js';

/** A subgraph's answer to one fetch: only read (it may be shared with concurrent operations). */
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

const ENTITIES: ReadonlySet<string> = new Set(['_entities']);

// The type names of a `... on A|B` plan path step, split once per step text rather than once per object
// the step is tried on. Steps come from plans, so the texts are few; the cap only bounds a pathological case.
const typeNames = new Map<string, readonly string[]>();
const typeNamesOf = (step: string): readonly string[] => {
  let names = typeNames.get(step);
  if (!names) {
    if (typeNames.size >= 10_000) typeNames.clear();
    typeNames.set(step, (names = step.slice(FRAGMENT.length).split('|')));
  }
  return names;
};

/** The objects a step runs on, and the plan path that led to them. */
interface Cursor {
  readonly path: readonly string[];
  readonly objects: readonly Record<string, unknown>[];
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
 * identical representations sent once), answers merged into the operation's data. A failed fetch leaves
 * its fields missing and reports errors at their response paths; the fetches that do not depend on it go on.
 * Answers are never written into: the same parsed answer may serve several concurrent operations
 * (core/apollo/readOnlyAnswer.ts). The data takes an answer's objects by reference and copies one only
 * where it writes into it (a later fetch's fields merged in, the objects a nested fetch runs on).
 */
export async function executePlan(input: PlanExecutionInput): Promise<PlanExecution> {
  // A plain object (V8 keeps null-prototype objects in dictionary mode); mergeInto guards `__proto__`.
  const data: Record<string, unknown> = {};
  const errors: GraphQLError[] = [];
  if (!input.node) return { data, errors };
  const own = createOwnership(data);
  // The objects at `path` below `objects`, each the operation's own (to merge into), in document order.
  const collectAt = (objects: readonly Record<string, unknown>[], path: readonly string[]) => {
    const out: Record<string, unknown>[] = [];
    for (const object of objects) collectOwned(object, path, 0, isType, out, own);
    return out;
  };

  const isType: TypeStep = (object, step) => {
    for (const name of typeNamesOf(step)) if (isObjectOfType(input.supergraph, object, name)) return true;
    return false;
  };
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
        const objects = collectAt(cursor.objects, step.path);
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
        await guarded(() => (step.kind === 'BatchFetch' ? fetchBatch(step, cursor) : step.requires ? fetchEntities(step, cursor) : fetchRoot(step, cursor)));
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
    const received = withRewrites(step.outputRewrites, answer.data);
    for (const object of cursor.objects) mergeInto(object, received, own);
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
    const index = new RepresentationIndex(input.supergraph, requires);
    objects.forEach((object, at) => {
      // The same entity reached several times (two reviews by one author) is recognised first.
      const known = index.find(object);
      if (known === null) return;
      if (known !== undefined) return void holders[known].push(at);
      const representation = buildRepresentation(input.supergraph, object, requires);
      if (!representation || !representation.__typename) return;
      applyRewrites(input.supergraph, inputRewrites, representation);
      index.record(representations.length);
      representations.push(representation);
      holders.push([at]);
    });
    let computed: Array<Array<string | number>> | undefined;
    return { objects, representations, holders, pathOf: (index) => (computed ??= paths())[index] ?? [] };
  };

  /**
   * Puts one `_entities` answer where its entities are: errors at `[field, i, ...]` at every path of
   * entity i; an error for the whole list at `[...listPath, '_entities']`, where @apollo/gateway puts it;
   * other errors as they are; each entity merged into every holder; an entity answered `null` without an
   * error for it is reported (never a silent null).
   */
  const receive = (
    serviceName: string,
    field: string,
    group: EntityGroup,
    answer: SubgraphAnswer,
    outputRewrites: FetchStep['outputRewrites'],
    listPath: readonly string[],
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
        errors.push(subgraphError(serviceName, error, [...listPath, '_entities', ...error.path!.slice(1)]));
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
      // An entity answered without `__typename` is of its first holder's type (rewrites may read it).
      const typename = entity.__typename ? undefined : group.objects[holders[0]].__typename;
      let received = entity;
      if (outputRewrites?.length) {
        received = withRewrites(outputRewrites, typename === undefined ? entity : { ...entity, __typename: typename });
      } else if (typename !== undefined) received = { ...entity, __typename: typename };
      for (const index of holders) mergeInto(group.objects[index], received, own);
    });
  };

  /** Errors of an answer that are not about the given fields, at their path below the cursor (those without one stay without). */
  const otherErrors = (serviceName: string, answer: SubgraphAnswer, fields: ReadonlySet<string>, cursorPath: readonly string[]) => {
    for (const error of answer.errors ?? [])
      if (!error.path || !fields.has(String(error.path[0]))) errors.push(subgraphError(serviceName, error, error.path && [...cursorPath, ...error.path]));
  };

  const fetchEntities = async (step: FetchStep, cursor: Cursor) => {
    const group = groupOf(cursor.objects, step.requires!, step.inputRewrites, () => pathsAt([cursor.path]));
    if (group.representations.length === 0) return;
    const variables = variablesOf(step);
    if ('representations' in variables) throw new Error('Variables cannot contain key "representations"');
    variables.representations = group.representations;
    const answer = await input.fetch(step, variables, cursor.path);
    otherErrors(step.serviceName, answer, ENTITIES, cursor.path);
    receive(step.serviceName, '_entities', group, answer, step.outputRewrites, cursor.path);
  };

  /** The variables of a batch fetch sending `representations[i]` for its batch i. */
  const batchVariables = (step: BatchFetchStep, representations: ReadonlyArray<readonly unknown[]>) => {
    const variables = variablesOf(step);
    step.batches.forEach((batch, i) => {
      if (batch.representationsVariable in variables) throw new Error(`Variables cannot contain key "${batch.representationsVariable}"`);
      variables[batch.representationsVariable] = representations[i];
    });
    return variables;
  };

  /**
   * A batch fetch (Hive Router's plans): the entities of several plan paths in one request. A subgraph
   * may fail one `_entities` list as a whole (a throwing `__resolveReference` fails the non-null list,
   * and with it `data`): then the entities of every path would be lost, where @apollo/gateway's plan,
   * fetching each path apart, keeps the paths that resolved. So a batch that failed so is fetched again
   * path by path (its entity fetches are queries: reads), and each path keeps what resolved or gets the
   * error at `[...path, '_entities']`, as with @apollo/gateway's plan.
   */
  const fetchBatch = async (step: BatchFetchStep, cursor: Cursor) => {
    // The entities at each path of each batch, in document order.
    const atPaths = step.batches.map((batch) => batch.paths.map((path) => collectAt(cursor.objects, path)));
    const groups = step.batches.map((batch, i) =>
      groupOf(atPaths[i].flat(), batch.requires, batch.inputRewrites, () => pathsAt(batch.paths.map((path) => [...cursor.path, ...path]))),
    );
    if (groups.every((group) => group.representations.length === 0)) return;
    const answer = await input.fetch(
      step,
      batchVariables(
        step,
        groups.map((group) => group.representations),
      ),
      cursor.path,
    );
    const aliases = new Set(step.batches.map((batch) => batch.alias));
    const lost = step.batches.filter((batch) => !isRecord(answer.data) || !Array.isArray(answer.data[batch.alias]));
    const failedWhole = (answer.errors ?? []).some((error) => error.path?.length === 1 && aliases.has(String(error.path[0])));
    // The (batch, path) pieces whose entities the failure took: fetched again apart when there are several.
    const pieces = lost.flatMap((batch) => {
      const i = step.batches.indexOf(batch);
      return batch.paths.flatMap((path, p) => (atPaths[i][p].length ? [{ i, path, objects: atPaths[i][p] }] : []));
    });
    if (failedWhole && pieces.length > 1) {
      const refetched = new Set(lost.map((batch) => batch.alias));
      otherErrors(step.serviceName, answer, refetched, cursor.path);
      step.batches.forEach((batch, i) => {
        if (!refetched.has(batch.alias)) receive(step.serviceName, batch.alias, groups[i], answer, batch.outputRewrites, [...cursor.path, ...batch.paths[0]]);
      });
      await Promise.all(pieces.map((piece) => guarded(() => fetchBatchPiece(step, piece.i, piece.path, piece.objects, cursor))));
      return;
    }
    otherErrors(step.serviceName, answer, aliases, cursor.path);
    step.batches.forEach((batch, i) => {
      // A whole-list error of a batch with entities at one path only: at that path, as @apollo/gateway's fetch of it.
      const listPath = batch.paths.find((_, p) => atPaths[i][p].length) ?? [];
      receive(step.serviceName, batch.alias, groups[i], answer, batch.outputRewrites, [...cursor.path, ...listPath]);
    });
  };

  /** One path of one batch of a batch fetch, sent alone: the same operation, empty lists for the other batches. */
  const fetchBatchPiece = async (step: BatchFetchStep, i: number, path: readonly string[], objects: Record<string, unknown>[], cursor: Cursor) => {
    const batch = step.batches[i];
    const listPath = [...cursor.path, ...path];
    const group = groupOf(objects, batch.requires, batch.inputRewrites, () => pathsAt([listPath]));
    if (group.representations.length === 0) return;
    const answer = await input.fetch(
      step,
      batchVariables(
        step,
        step.batches.map((_, j) => (j === i ? group.representations : [])),
      ),
      listPath,
    );
    otherErrors(step.serviceName, answer, new Set(step.batches.map((b) => b.alias)), cursor.path);
    receive(step.serviceName, batch.alias, group, answer, batch.outputRewrites, listPath);
  };

  /** An answer's data with a fetch's output rewrites applied: to a copy, the answer stays as it came. */
  const withRewrites = (rewrites: FetchStep['outputRewrites'], value: Record<string, unknown>): Record<string, unknown> => {
    if (!rewrites?.length) return value;
    const copy = structuredClone(value);
    applyRewrites(input.supergraph, rewrites, copy);
    return copy;
  };

  /** Runs a fetch; what it throws becomes an error of the response (the fetches beside it go on). */
  const guarded = async (body: () => Promise<void>) => {
    try {
      await body();
    } catch (error) {
      errors.push(
        error instanceof GraphQLError ? error : new GraphQLError(error instanceof Error ? error.message : String(error), { originalError: error as Error }),
      );
    }
  };

  await run(input.node, { path: [], objects: [data] });
  return { data, errors };
}
