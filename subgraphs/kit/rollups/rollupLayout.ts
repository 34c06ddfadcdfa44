import type { MeasureKind } from '../productDeclaration.js';
import type { MergeKind, RollupLayout } from '../store/Store.js';

/** Physical columns of one measure: avg is a sum and a count; the others are one column. */
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
  }
}

/** The store layout of a rollup definition. */
export function rollupLayout(name: string, dimensions: readonly string[], measures: Record<string, MeasureKind>): RollupLayout {
  const columns: Record<string, MergeKind> = {};
  for (const [measure, kind] of Object.entries(measures)) Object.assign(columns, measureColumns(measure, kind));
  return { name, dimensions: [...dimensions], columns };
}

/** Column values one sample adds for a measure. */
export function sampleColumns(measure: string, kind: MeasureKind, sample: number): Record<string, number> {
  return kind === 'avg' ? { [`${measure}_sum`]: sample, [`${measure}_count`]: 1 } : { [measure]: sample };
}

/** Reads a measure's value back from merged columns: avg divides, sums of nothing are 0, min/max stay null. */
export function measureValue(measure: string, kind: MeasureKind, columns: Record<string, number | null | undefined>): number | null {
  if (kind === 'avg') {
    const count = columns[`${measure}_count`] ?? 0;
    return count ? (columns[`${measure}_sum`] ?? 0) / count : null;
  }
  const value = columns[measure];
  if (kind === 'sum' || kind === 'count') return value ?? 0;
  return value ?? null;
}

/** Merges two partial column maps by each column's merge kind. */
export function mergeColumns(layout: Record<string, MergeKind>, into: Record<string, number | null>, from: Record<string, number | null | undefined>): void {
  for (const [column, merge] of Object.entries(layout)) {
    const a = into[column] ?? null;
    const b = from[column] ?? null;
    if (b === null) continue;
    if (a === null) into[column] = b;
    else into[column] = merge === 'sum' ? a + b : merge === 'min' ? Math.min(a, b) : Math.max(a, b);
  }
}
