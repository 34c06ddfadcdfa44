import type { BucketQuery, RollupLayout } from './Store.js';
import { AGGREGATE, ident, timestampParam, type SchemaNames } from './postgresSql.js';
import { assertFilter, bucketGroupBy, querySketches } from './storeInputs.js';
import type { SketchKind } from '../sketches/sketchKinds.js';

/** One statement and its parameters, plus what is needed to decode its rows. */
export interface BucketStatement {
  sql: string;
  params: unknown[];
  groupBy: string[];
  columns: string[];
  /** Sketch columns asked for: each comes back as the array of the group's stored sketches, merged in JS. */
  sketches: Array<[column: string, kind: SketchKind]>;
}

/**
 * Builds the single statement behind `queryBuckets`: the rollup rows in [first boundary, last boundary)
 * (a range on the primary key's leading column, so cost follows the rollup rows in range, never the
 * facts), each assigned its bucket by `width_bucket` (a binary search over the boundary array, so uneven
 * buckets such as months cost the same as even ones), grouped by bucket and the groupBy dimensions.
 */
export function bucketStatement(names: SchemaNames, layout: RollupLayout, query: BucketQuery): BucketStatement {
  const { boundaries, filter } = query;
  const groupBy = bucketGroupBy(layout, query);

  const edges = boundaries.map(timestampParam);
  // The range repeats the first and last boundary as plain parameters, so the planner sees an index range.
  const params: unknown[] = [edges, edges[0], edges[edges.length - 1]];
  const where = ['r.bucket >= $2::timestamptz', 'r.bucket < $3::timestamptz'];
  for (const [dimension, values] of Object.entries(filter)) {
    assertFilter(layout, dimension, values);
    // An empty list matches nothing, which `= ANY('{}')` already does.
    where.push(`r.${ident(dimension)} = ANY($${params.push([...values])}::text[])`);
  }

  const columns = Object.keys(layout.columns);
  const index = 'width_bucket(r.bucket, $1::timestamptz[]) - 1';
  const groups = groupBy.map((d) => `r.${ident(d)}`);
  const sketches = querySketches(layout, query);
  const measures = [
    ...columns.map((c) => `${AGGREGATE[layout.columns[c]]}(r.${ident(c)})`),
    ...sketches.map(([c]) => `array_agg(r.${ident(c)}) FILTER (WHERE r.${ident(c)} IS NOT NULL)`),
  ];
  // Positions, not names: a dimension could be called like any alias chosen here.
  const keys = [index, ...groups].map((_, i) => i + 1).join(', ');
  const sql = `SELECT ${[index, ...groups, ...measures].join(', ')}
    FROM ${names.rollup(layout.name, query.grain)} r WHERE ${where.join(' AND ')} GROUP BY ${keys} ORDER BY ${keys}`;
  return { sql, params, groupBy, columns, sketches };
}
