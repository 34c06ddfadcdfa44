import type { BucketQuery, MergeKind, RollupLayout } from './Store.js';
import { ident, rollupTable, stringLiteral, timestampLiteral, toMicros } from './duckDbSql.js';
import { assertFilter, bucketGroupBy, querySketches } from './storeInputs.js';
import { rollupRowsSql } from './duckDbDeltas.js';
import type { SketchKind } from '../sketches/sketchKinds.js';

const AGGREGATE: Record<MergeKind, string> = { sum: 'SUM', min: 'MIN', max: 'MAX' };

/** One statement and its parameters, plus what is needed to decode its rows. */
export interface BucketStatement {
  sql: string;
  params: string[];
  groupBy: string[];
  columns: string[];
  /** Sketch columns asked for: each comes back as the list of the group's stored sketches, merged in JS. */
  sketches: Array<[column: string, kind: SketchKind]>;
}

/**
 * Builds the single statement behind `queryBuckets` (`derivedFrom`: the rollup whose derived delta rows
 * the table's pending rows include, see `duckDbDeltas.ts`): the rollup rows in [first boundary, last boundary)
 * (a range DuckDB prunes by the bucket column, so cost follows the rollup rows in range, never the facts),
 * each assigned its bucket index, grouped by index and the groupBy dimensions.
 *
 * Equal-width buckets (minutes, hours, days) get their index by arithmetic; uneven ones (months, days
 * across a DST change) by an ASOF join against the boundaries, which measured 3-4x faster than a plain
 * range join on 100k rollup rows.
 */
export function bucketStatement(layout: RollupLayout, query: BucketQuery, derivedFrom?: RollupLayout): BucketStatement {
  const { boundaries, filter } = query;
  const groupBy = bucketGroupBy(layout, query);

  const first = timestampLiteral(boundaries[0]);
  const last = timestampLiteral(boundaries[boundaries.length - 1]);
  const where = [`r.bucket >= ${first}`, `r.bucket < ${last}`];
  const params: string[] = [];
  for (const [dimension, values] of Object.entries(filter)) {
    assertFilter(layout, dimension, values);
    if (values.length === 0) {
      where.push('FALSE'); // "one of no values" matches nothing
      continue;
    }
    // Literals where they can be: a parameter in a filter makes DuckDB plan the statement again at its run.
    const placeholders = values.map((value) => stringLiteral(value) ?? `$${params.push(value)}`);
    where.push(`r.${ident(dimension)} IN (${placeholders.join(', ')})`);
  }

  const columns = Object.keys(layout.columns);
  const groups = groupBy.map((d) => `r.${ident(d)}`);
  const sketches = querySketches(layout, query);
  const measures = [
    ...columns.map((c) => `${AGGREGATE[layout.columns[c]]}(r.${ident(c)})`),
    ...sketches.map(([c]) => `list(r.${ident(c)}) FILTER (WHERE r.${ident(c)} IS NOT NULL)`),
  ];
  // Keyed rows and not yet compacted delta rows alike: every aggregate here merges them (`duckDbDeltas.ts`).
  // Only the dimensions the statement groups or filters by: every column read is bound and planned per statement.
  const dimensions = layout.dimensions.filter((d) => groupBy.includes(d) || d in filter);
  const read = ['bucket', ...dimensions, ...columns, ...sketches.map(([c]) => c)].map(ident);
  const table = `${rollupRowsSql(layout, query.grain, rollupTable(layout.name, query.grain), read, derivedFrom)} r`;
  const width = uniformWidthMicros(boundaries);
  let from: string;
  let index: string;
  if (width !== undefined) {
    from = table;
    index = `(epoch_us(r.bucket) - ${toMicros(boundaries[0])}) // ${width}`;
  } else {
    const ranges = boundaries.slice(0, -1).map((start, i) => `(${i}, ${timestampLiteral(start)}, ${timestampLiteral(boundaries[i + 1])})`);
    from = `${table} ASOF JOIN (VALUES ${ranges.join(', ')}) b(i, lo, hi) ON r.bucket >= b.lo`;
    index = 'b.i';
    where.push('r.bucket < b.hi');
  }
  // Positions, not names: a dimension could be called like any alias chosen here.
  const keys = [index, ...groups].map((_, i) => i + 1).join(', ');
  const sql = `SELECT ${[index, ...groups, ...measures].join(', ')}
    FROM ${from} WHERE ${where.join(' AND ')} GROUP BY ${keys}`;
  return { sql, params, groupBy, columns, sketches };
}

function uniformWidthMicros(boundaries: Date[]): bigint | undefined {
  const width = boundaries[1].getTime() - boundaries[0].getTime();
  for (let i = 2; i < boundaries.length; i++) {
    if (boundaries[i].getTime() - boundaries[i - 1].getTime() !== width) return undefined;
  }
  return BigInt(width) * 1000n;
}
