import type { BucketRow, Store } from '../store/Store.js';
import { readBucketRows, type PartsQuery } from './readBucketRows.js';

/**
 * Like `readBucketRows`, but `boundaries` may repeat (non-decreasing): an empty span reads nothing, and
 * rows keep the caller's bucket indices. Comparison periods need it (a February 29 has no counterpart).
 */
export async function readSpans(store: Store, query: PartsQuery, boundaries: readonly Date[]): Promise<BucketRow[]> {
  const kept: number[] = [];
  for (let i = 0; i + 1 < boundaries.length; i++) if (boundaries[i + 1].getTime() > boundaries[i].getTime()) kept.push(i);
  if (!kept.length) return [];
  // Dropping empty spans leaves the others contiguous: an empty span's start is its successor's start.
  const points = [...kept.map((i) => boundaries[i]), boundaries[kept.at(-1)! + 1]];
  const rows = await readBucketRows(store, query, points);
  return rows.map((row) => ({ ...row, bucket: kept[row.bucket] }));
}
