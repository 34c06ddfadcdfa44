import { GRAIN_MS, STORED_GRAINS, type BucketQuery, type BucketRow, type RollupLayout } from './Store.js';
import { InvalidIdentifierError } from './storeIdentifiers.js';
import { AGGREGATE, ident, timestampParam, type SchemaNames } from './postgresSql.js';

/** One statement and its parameters, plus what is needed to decode its rows. */
export interface BucketStatement {
  sql: string;
  params: unknown[];
  groupBy: string[];
  columns: string[];
}

/**
 * Builds the single statement behind `queryBuckets`: the rollup rows in [first boundary, last boundary)
 * (a range on the primary key's leading column, so cost follows the rollup rows in range, never the
 * facts), each assigned its bucket by `width_bucket` (a binary search over the boundary array, so uneven
 * buckets such as months cost the same as even ones), grouped by bucket and the groupBy dimensions.
 */
export function bucketStatement(names: SchemaNames, layout: RollupLayout, query: BucketQuery): BucketStatement {
  const { boundaries, filter } = query;
  assertBoundaries(query);
  const groupBy = [...new Set(query.groupBy)];
  for (const dimension of groupBy) assertDimension(layout, dimension);

  const edges = boundaries.map(timestampParam);
  // The range repeats the first and last boundary as plain parameters, so the planner sees an index range.
  const params: unknown[] = [edges, edges[0], edges[edges.length - 1]];
  const where = ['r.bucket >= $2::timestamptz', 'r.bucket < $3::timestamptz'];
  for (const [dimension, values] of Object.entries(filter)) {
    assertDimension(layout, dimension);
    if (!Array.isArray(values) || values.some((v) => typeof v !== 'string')) {
      throw new Error(`filter on ${dimension} must be a list of strings`);
    }
    // An empty list matches nothing, which `= ANY('{}')` already does.
    where.push(`r.${ident(dimension)} = ANY($${params.push([...values])}::text[])`);
  }

  const columns = Object.keys(layout.columns);
  const index = 'width_bucket(r.bucket, $1::timestamptz[]) - 1';
  const groups = groupBy.map((d) => `r.${ident(d)}`);
  const measures = columns.map((c) => `${AGGREGATE[layout.columns[c]]}(r.${ident(c)})`);
  // Positions, not names: a dimension could be called like any alias chosen here.
  const keys = [index, ...groups].map((_, i) => i + 1).join(', ');
  const sql = `SELECT ${[index, ...groups, ...measures].join(', ')}
    FROM ${names.rollup(layout.name, query.grain)} r WHERE ${where.join(' AND ')} GROUP BY ${keys} ORDER BY ${keys}`;
  return { sql, params, groupBy, columns };
}

/** Decodes rows in the statement's column order: bucket index, groupBy values, column values. */
export function decodeBucketRows(statement: BucketStatement, rows: unknown[][]): BucketRow[] {
  const { groupBy, columns } = statement;
  return rows.map((row) => {
    const group: Record<string, string> = {};
    groupBy.forEach((dimension, i) => (group[dimension] = String(row[1 + i])));
    const values: Record<string, number | null> = {};
    columns.forEach((column, i) => {
      const value = row[1 + groupBy.length + i];
      values[column] = value === null ? null : Number(value);
    });
    return { bucket: Number(row[0]), group, values };
  });
}

function assertDimension(layout: RollupLayout, dimension: string): void {
  if (!layout.dimensions.includes(dimension)) {
    throw new InvalidIdentifierError('dimension', dimension, `not a dimension of rollup ${layout.name}`);
  }
}

/** Misaligned or unordered boundaries would silently assign rows to the wrong bucket, so refuse them. */
function assertBoundaries({ rollup, grain, boundaries }: BucketQuery): void {
  if (!STORED_GRAINS.includes(grain)) throw new Error(`unknown grain ${JSON.stringify(grain)}`);
  boundaries.forEach((boundary, i) => {
    const ms = boundary instanceof Date ? boundary.getTime() : NaN;
    if (!Number.isFinite(ms)) throw new Error(`boundary ${i} of the ${rollup} query is not a valid Date`);
    if (ms % GRAIN_MS[grain] !== 0) throw new Error(`boundary ${boundary.toISOString()} is not aligned to the ${grain}`);
    if (i > 0 && ms <= boundaries[i - 1].getTime()) throw new Error(`boundaries of the ${rollup} query must be strictly ascending`);
  });
}
