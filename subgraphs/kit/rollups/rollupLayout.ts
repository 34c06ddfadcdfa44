import type { MeasureKind } from '../productDeclaration.js';
import type { MergeKind, RollupLayout } from '../store/Store.js';
import { DistinctSketch } from '../sketches/DistinctSketch.js';
import { QuantileSketch } from '../sketches/QuantileSketch.js';
import { mergeSketch, type Sketch, type SketchKind } from '../sketches/sketchKinds.js';

/** How a column of a rollup merges: numbers by sum/min/max, sketches by their own merge. */
export type ColumnKind = MergeKind | SketchKind;

/** A column value while merging: a number, a sketch, or nothing yet. */
export type ColumnValue = number | Sketch | null | undefined;

/**
 * Quantiles a `percentiles` measure answers, as `<measure>_<name>` values (e.g. `lead_time_p95`): a fixed
 * set, so every answer comes from the one stored sketch per row.
 */
export const PERCENTILES: Readonly<Record<string, number>> = { p50: 0.5, p90: 0.9, p95: 0.95, p99: 0.99 };
const PERCENTILE_NAMES = Object.keys(PERCENTILES);
/** `PERCENTILES`' quantiles in their order (ascending), answered in one pass over a sketch. */
const QUANTILES = Object.values(PERCENTILES);

/** Measures answered from a sketch column rather than numeric ones. */
export const isSketchMeasure = (kind: MeasureKind): boolean => kind === 'distinct' || kind === 'percentiles';

/** Physical numeric columns of one measure: avg is a sum and a count; sketch measures have none. */
export function measureColumns(measure: string, kind: MeasureKind): Record<string, MergeKind> {
  switch (kind) {
    case 'sum':
    case 'count':
      return { [measure]: 'sum' };
    case 'min':
      return { [measure]: 'min' };
    case 'max':
      return { [measure]: 'max' };
    case 'avg':
      return { [`${measure}_sum`]: 'sum', [`${measure}_count`]: 'sum' };
    case 'distinct':
    case 'percentiles':
      return {};
  }
}

/** The sketch column of a sketch measure (`<measure>_hll`, `<measure>_ddsketch`), or none. */
export function measureSketches(measure: string, kind: MeasureKind): Record<string, SketchKind> {
  if (kind === 'distinct') return { [`${measure}_hll`]: 'hll' };
  if (kind === 'percentiles') return { [`${measure}_ddsketch`]: 'ddsketch' };
  return {};
}

/** The store layout of a rollup definition. */
export function rollupLayout(name: string, dimensions: readonly string[], measures: Record<string, MeasureKind>): RollupLayout {
  const columns: Record<string, MergeKind> = {};
  const sketches: Record<string, SketchKind> = {};
  for (const [measure, kind] of Object.entries(measures)) {
    Object.assign(columns, measureColumns(measure, kind));
    Object.assign(sketches, measureSketches(measure, kind));
  }
  return Object.keys(sketches).length ? { name, dimensions: [...dimensions], columns, sketches } : { name, dimensions: [...dimensions], columns };
}

/** Every column of a layout with how it merges, sketch columns included. */
export function layoutColumns(layout: RollupLayout): Record<string, ColumnKind> {
  return { ...layout.columns, ...layout.sketches };
}

/** Column values one numeric sample adds for a measure (sketch measures are added by the projector). */
export function sampleColumns(measure: string, kind: MeasureKind, sample: number): Record<string, number> {
  return kind === 'avg' ? { [`${measure}_sum`]: sample, [`${measure}_count`]: 1 } : { [measure]: sample };
}

/**
 * Reads a measure's value back from merged columns: avg divides, sums of nothing are 0, min/max stay null,
 * a distinct count estimates from its sketch (0 without one), percentiles give their median (see
 * `measuresValues` for every quantile).
 */
export function measureValue(measure: string, kind: MeasureKind, columns: Record<string, ColumnValue>): number | null {
  if (kind === 'avg') {
    const count = number(columns[`${measure}_count`]) ?? 0;
    return count ? (number(columns[`${measure}_sum`]) ?? 0) / count : null;
  }
  if (kind === 'distinct') {
    const sketch = columns[`${measure}_hll`];
    return sketch instanceof DistinctSketch ? sketch.estimate() : 0;
  }
  if (kind === 'percentiles') return quantileOf(columns[`${measure}_ddsketch`], PERCENTILES.p50);
  const value = number(columns[measure]);
  if (kind === 'sum' || kind === 'count') return value ?? 0;
  return value ?? null;
}

/**
 * The values every measure answers from merged columns, in one object: each measure itself, or one per
 * quantile of `PERCENTILES` for a percentiles measure (`<measure>_p50`...). A history answer builds one per
 * bucket, group and total, so no object per measure and no value names per call.
 */
export function measuresValues(measures: Record<string, MeasureKind>, columns: Record<string, ColumnValue>): Record<string, number | null> {
  const values: Record<string, number | null> = {};
  for (const measure in measures) {
    const kind = measures[measure];
    if (kind !== 'percentiles') {
      values[measure] = measureValue(measure, kind, columns);
      continue;
    }
    const names = percentileNames(measure);
    const sketch = columns[names.column];
    const answers = sketch instanceof QuantileSketch ? sketch.quantiles(QUANTILES) : null;
    for (let i = 0; i < names.values.length; i++) values[names.values[i]] = answers === null ? null : answers[i];
  }
  return values;
}

/** A percentiles measure's sketch column and value names (`<measure>_p50`...), built once per measure. */
function percentileNames(measure: string): { column: string; values: readonly string[] } {
  let names = PERCENTILE_NAMES_OF.get(measure);
  if (!names) {
    names = { column: `${measure}_ddsketch`, values: PERCENTILE_NAMES.map((name) => `${measure}_${name}`) };
    PERCENTILE_NAMES_OF.set(measure, names);
  }
  return names;
}
const PERCENTILE_NAMES_OF = new Map<string, { column: string; values: readonly string[] }>();

/**
 * Merges two partial column maps by each column's kind. A sketch taken over is copied first: the same
 * row feeds several series (a bucket, its group, the totals), and a later merge must not change another's.
 */
export function mergeColumns(layout: Record<string, ColumnKind>, into: Record<string, ColumnValue>, from: Record<string, ColumnValue>): void {
  // The layout's entries listed once per layout, not per call: a history answer merges each stored row
  // into its bucket, its group's bucket and the totals, thousands of calls per query.
  let entries = LAYOUT_ENTRIES.get(layout);
  if (!entries) LAYOUT_ENTRIES.set(layout, (entries = Object.entries(layout)));
  for (let i = 0; i < entries.length; i++) {
    const [column, merge] = entries[i];
    const b = from[column];
    if (b === null || b === undefined) continue;
    const a = into[column];
    if (typeof b === 'number') {
      if (a === null || a === undefined) into[column] = b;
      else if (typeof a === 'number') into[column] = merge === 'sum' ? a + b : merge === 'min' ? Math.min(a, b) : Math.max(a, b);
    } else if (a === null || a === undefined) into[column] = b.clone();
    else mergeSketch(a as Sketch, b);
  }
}
const LAYOUT_ENTRIES = new WeakMap<Record<string, ColumnKind>, Array<[string, ColumnKind]>>();

const number = (value: ColumnValue): number | null => (typeof value === 'number' ? value : null);

function quantileOf(sketch: ColumnValue, q: number): number | null {
  return sketch instanceof QuantileSketch ? sketch.quantile(q) : null;
}
