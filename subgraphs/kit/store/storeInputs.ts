import {
  GRAIN_MS,
  STORED_GRAINS,
  type FactKey,
  type BucketQuery,
  type BucketRow,
  type Projection,
  type RetentionCutoffs,
  type RollupLayout,
  type StoredFact,
  type StoredGrain,
} from './Store.js';
import { InvalidIdentifierError } from './storeIdentifiers.js';
import { isValidDate } from './mergeRollupDeltas.js';
import { mergeEncoded } from './sketchRows.js';
import { ZoneDays } from './zoneDays.js';
import type { Sketch, SketchKind } from '../sketches/sketchKinds.js';

/*
 * What every `Store` checks and derives before its SQL dialect takes over: the same inputs must be refused
 * with the same errors, and a batch must split into applied facts and duplicates the same way, whichever
 * store a product runs on.
 */

/** Identity of a fact: its idempotency key, length-prefixed so no characters of `source` can fake it. */
export const factKey = (source: string, id: string): string => `${source.length}:${source}${id}`;

/** A batch as `apply` receives it, validated and keyed. */
export interface FactBatch {
  /** The first occurrence of each key, in input order: the facts the store tries to insert. */
  candidates: StoredFact[];
  /**
   * Splits the whole batch by the keys the store inserted: a candidate inserted now is applied, everything
   * else (stored before, or a later occurrence of a key within the batch) is a duplicate. Input order is kept.
   */
  split(inserted: ReadonlySet<string>): { applied: StoredFact[]; duplicates: StoredFact[] };
}

/** Validates every fact of a batch (throwing before anything is written) and picks the candidates. */
export function factBatch(facts: StoredFact[]): FactBatch {
  facts.forEach(assertFact);
  const keys = facts.map((fact) => factKey(fact.source, fact.id));
  // The first occurrence of a key in the batch is the candidate; later ones are duplicates outright.
  const firstIndex = new Map<string, number>();
  keys.forEach((key, i) => firstIndex.has(key) || firstIndex.set(key, i));
  return {
    candidates: [...firstIndex.values()].map((i) => facts[i]),
    split(inserted) {
      const applied: StoredFact[] = [];
      const duplicates: StoredFact[] = [];
      facts.forEach((fact, i) => (firstIndex.get(keys[i]) === i && inserted.has(keys[i]) ? applied : duplicates).push(fact));
      return { applied, duplicates };
    },
  };
}

function assertFact(fact: StoredFact, index: number): void {
  const problem =
    typeof fact?.source !== 'string'
      ? 'source is not a string'
      : typeof fact.id !== 'string'
        ? 'id is not a string'
        : typeof fact.type !== 'string'
          ? 'type is not a string'
          : !isValidDate(fact.time)
            ? 'time is not a valid Date'
            : typeof fact.data !== 'object' || fact.data === null
              ? 'data is not an object'
              : undefined;
  if (problem) throw new Error(`fact ${index} of the batch is invalid: ${problem}`);
}

export const emptyProjection = (): Projection => ({ deltas: [], states: [] });

/** A projector is user code: refuse what it resolved to unless it has the shape the writes rely on. */
export function assertProjection(projection: Projection): Projection {
  if (!Array.isArray(projection?.deltas) || !Array.isArray(projection?.states)) {
    throw new Error('projector must resolve to { deltas: [], states: [] }');
  }
  return projection;
}

/** The new watermark candidate: the latest event time of the applied facts (never empty). */
export function latestTime(facts: StoredFact[]): Date {
  let latest = -Infinity;
  for (const fact of facts) latest = Math.max(latest, fact.time.getTime());
  return new Date(latest);
}

export function assertLimit(limit: number): number {
  if (!Number.isSafeInteger(limit) || limit < 0) throw new Error(`limit must be a non-negative integer, got ${limit}`);
  return limit;
}

/** Dead letters keep whatever arrived; something JSON cannot encode is kept as its string form. */
export function eventJson(event: unknown): string {
  try {
    return JSON.stringify(event) ?? 'null';
  } catch {
    return JSON.stringify(String(event));
  }
}

export function assertGrain(grain: StoredGrain): void {
  if (!STORED_GRAINS.includes(grain)) throw new Error(`unknown grain ${JSON.stringify(grain)}`);
}

/** The layout of a rollup passed to `init`; anything else cannot name a table. */
export function declaredRollup(rollups: ReadonlyMap<string, RollupLayout>, name: string): RollupLayout {
  const layout = rollups.get(name);
  if (!layout) throw new InvalidIdentifierError('rollup', name, 'not declared in the layout passed to init');
  return layout;
}

/** The name of a state passed to `init`; anything else cannot name a table. */
export function declaredState(states: ReadonlySet<string>, name: string): string {
  if (!states.has(name)) throw new InvalidIdentifierError('state', name, 'not declared in the layout passed to init');
  return name;
}

/** Validates a bucket query's boundaries and groupBy against the rollup; returns groupBy without repeats. */
export function bucketGroupBy(layout: RollupLayout, query: BucketQuery): string[] {
  assertBoundaries(layout, query);
  const groupBy = [...new Set(query.groupBy)];
  for (const dimension of groupBy) assertDimension(layout, dimension);
  return groupBy;
}

/** Validates one filter entry of a bucket query: a dimension of the rollup and a list of strings. */
export function assertFilter(layout: RollupLayout, dimension: string, values: unknown): asserts values is string[] {
  assertDimension(layout, dimension);
  if (!Array.isArray(values) || values.some((v) => typeof v !== 'string')) {
    throw new Error(`filter on ${dimension} must be a list of strings`);
  }
}

function assertDimension(layout: RollupLayout, dimension: string): void {
  if (!layout.dimensions.includes(dimension)) {
    throw new InvalidIdentifierError('dimension', dimension, `not a dimension of rollup ${layout.name}`);
  }
}

/** Misaligned or unordered boundaries would silently assign rows to the wrong bucket, so refuse them. */
function assertBoundaries(layout: RollupLayout, { rollup, grain, boundaries }: BucketQuery): void {
  assertGrain(grain);
  // A zone-day table's days start at its zone's local midnights.
  const days = layout.dayZone && grain === 'day' ? ZoneDays.of(layout.dayZone.zone) : undefined;
  boundaries.forEach((boundary, i) => {
    const ms = boundary instanceof Date ? boundary.getTime() : NaN;
    if (!Number.isFinite(ms)) throw new Error(`boundary ${i} of the ${rollup} query is not a valid Date`);
    if (days ? days.startOf(ms) !== ms : ms % GRAIN_MS[grain] !== 0) {
      throw new Error(`boundary ${boundary.toISOString()} is not aligned to the ${grain}${days ? ` in ${days.zone}` : ''}`);
    }
    if (i > 0 && ms <= boundaries[i - 1].getTime()) throw new Error(`boundaries of the ${rollup} query must be strictly ascending`);
  });
}

/** Decodes bucket query rows in their column order: bucket index, groupBy values, column values. */
export function decodeBucketRows(
  { groupBy, columns, sketches = [] }: { groupBy: string[]; columns: string[]; sketches?: Array<[column: string, kind: SketchKind]> },
  rows: readonly (readonly unknown[])[],
  encodedList: (value: unknown) => Array<Uint8Array | null> = () => [],
): BucketRow[] {
  return rows.map((row) => {
    const group: Record<string, string> = {};
    groupBy.forEach((dimension, i) => (group[dimension] = String(row[1 + i])));
    const values: Record<string, number | null> = {};
    columns.forEach((column, i) => {
      const value = row[1 + groupBy.length + i];
      values[column] = value === null ? null : Number(value);
    });
    if (!sketches.length) return { bucket: Number(row[0]), group, values };
    const merged: Record<string, Sketch> = {};
    sketches.forEach(([column, kind], i) => {
      const sketch = mergeEncoded(kind, encodedList(row[1 + groupBy.length + columns.length + i]));
      if (sketch) merged[column] = sketch;
    });
    return { bucket: Number(row[0]), group, values, sketches: merged };
  });
}

/**
 * Orders bucket rows by bucket index, then by their groups' values in `groupBy` order: the order the
 * `Store.queryBuckets` contract gives. DuckDB's statement leaves sorting to this (its ORDER BY cost about as
 * much CPU as the rest of a one-bucket read: a sort's buffers set up per statement), so it sorts here the
 * few rows a bucket query returns.
 */
export function sortBucketRows(rows: BucketRow[], groupBy: readonly string[]): BucketRow[] {
  return rows.sort((a, b) => {
    if (a.bucket !== b.bucket) return a.bucket - b.bucket;
    for (const dimension of groupBy) {
      const x = a.group[dimension];
      const y = b.group[dimension];
      if (x !== y) return x < y ? -1 : 1;
    }
    return 0;
  });
}

/** The sketch columns a bucket query asks for, with their kinds; a column the rollup lacks is refused. */
export function querySketches(layout: RollupLayout, query: BucketQuery): Array<[column: string, kind: SketchKind]> {
  return [...new Set(query.sketches ?? [])].map((column) => {
    const kind = layout.sketches?.[column];
    if (!kind) throw new InvalidIdentifierError('sketch column', column, `not a sketch column of rollup ${layout.name}`);
    return [column, kind];
  });
}

/** A fact key from an operator: two non-empty strings. */
export function assertFactKey(key: FactKey): FactKey {
  if (typeof key?.source !== 'string' || key.source === '' || typeof key.id !== 'string' || key.id === '') {
    throw new RangeError('a fact key needs a non-empty source and id');
  }
  return { source: key.source, id: key.id };
}

/** Why a fact is retracted: required, so the audit trail says it. */
export function assertReason(reason: string): string {
  if (typeof reason !== 'string' || reason.trim() === '') throw new RangeError('a retraction needs a reason');
  if (reason.length > 1000) throw new RangeError('a retraction reason is at most 1000 characters');
  return reason;
}

/** Refuses cutoffs that are not valid dates on whole UTC days, or name an unknown grain. */
export function assertCutoffs(cutoffs: RetentionCutoffs): RetentionCutoffs {
  const check = (name: string, value: unknown) => {
    if (!isValidDate(value)) throw new RangeError(`retention cutoff ${name} is not a valid date`);
    if (value.getTime() % GRAIN_MS.day !== 0) throw new RangeError(`retention cutoff ${name} must be a whole UTC day, got ${value.toISOString()}`);
  };
  check('facts', cutoffs?.facts);
  for (const [grain, cutoff] of Object.entries(cutoffs.grains ?? {})) {
    if (!STORED_GRAINS.includes(grain as StoredGrain)) throw new RangeError(`retention cutoff for unknown grain ${JSON.stringify(grain)}`);
    if (cutoff !== undefined) check(grain, cutoff);
  }
  return cutoffs;
}
