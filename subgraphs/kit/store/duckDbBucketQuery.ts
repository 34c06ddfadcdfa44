import { DuckDBBlobValue, DuckDBListValue } from '@duckdb/node-api';
import { GRAIN_MS, type BucketQuery, type MergeKind, type RollupLayout } from './Store.js';
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
  /** Sketch columns asked for: each comes back as the group's stored sketches (`storedSketchList`), merged in JS. */
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
  const many = sketches.length > 0 && manyRowsPerGroup(layout, query, groupBy);
  const measures = [...columns.map((c) => `${AGGREGATE[layout.columns[c]]}(r.${ident(c)})`), ...sketches.map(([c]) => sketchesSql(`r.${ident(c)}`, many))];
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

/**
 * A group's stored sketches: where a group gathers many stored rows, one hex string of them all
 * (`hexSketchList`), else a LIST of BLOBs. Either way NULLs are left out.
 */
function sketchesSql(column: string, many: boolean): string {
  return many ? `string_agg(hex(${column}), ',')` : `list(${column}) FILTER (WHERE ${column} IS NOT NULL)`;
}

/**
 * Whether the statement's groups gather many stored rows each: it leaves dimensions of the table out of
 * its groups, or its buckets are wider than the table's grain. Otherwise a group holds one keyed row (plus
 * any pending delta rows), where hex costs DuckDB more than it saves (a 30-day Paris-day percentile query
 * by product, one sketch per group: 75–79 ms of CPU as lists, 82–85 as hex).
 */
function manyRowsPerGroup(layout: RollupLayout, query: BucketQuery, groupBy: readonly string[]): boolean {
  if (layout.dimensions.some((d) => !groupBy.includes(d))) return true;
  const { boundaries } = query;
  return boundaries.some((b, i) => i > 0 && b.getTime() - boundaries[i - 1].getTime() > GRAIN_MS[query.grain]);
}

function uniformWidthMicros(boundaries: Date[]): bigint | undefined {
  const width = boundaries[1].getTime() - boundaries[0].getTime();
  for (let i = 2; i < boundaries.length; i++) {
    if (boundaries[i].getTime() - boundaries[i - 1].getTime() !== width) return undefined;
  }
  return BigInt(width) * 1000n;
}

/** A group's stored sketches as a bucket statement returns them (`sketchesSql`): none when NULL. */
export function storedSketchList(value: unknown): Array<Uint8Array | null> {
  if (typeof value === 'string') return hexSketchList(value);
  if (!(value instanceof DuckDBListValue)) return [];
  return value.items.map((item) => (item instanceof DuckDBBlobValue ? item.bytes : null));
}

/**
 * A group's stored sketches as one string of their bytes in hex, comma separated
 * (`string_agg(hex(...), ',')`), decoded into one buffer. A `list()` of BLOBs comes back as one
 * `DuckDBBlobValue` per sketch, each longer than 12 bytes copied out of DuckDB by a native call of its own:
 * on a 30-day DAY query by region over 1M bench facts (24,000 rows, two sketches each) that
 * materialization was 60–85 ms of a 90–110 ms read, this 2–3 ms, and it grew as the sketches passed 12
 * bytes (issue #16). The sketches are views of that buffer (a sketch read in place keeps it alive while it
 * lives: a query's lifetime), in the group's rows' order, which merging ignores.
 */
export function hexSketchList(value: string): Uint8Array[] {
  const bytes = Buffer.from(value.replaceAll(',', ''), 'hex');
  const sketches: Uint8Array[] = [];
  let at = 0;
  let start = 0;
  for (;;) {
    const comma = value.indexOf(',', start);
    const length = ((comma < 0 ? value.length : comma) - start) >> 1;
    sketches.push(bytes.subarray(at, at + length));
    at += length;
    if (comma < 0) return sketches;
    start = comma + 1;
  }
}
