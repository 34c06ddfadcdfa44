import type { PoolClient } from 'pg';
import type { FactKey, Retraction, RollupLayout, StoredFact, StoredGrain } from './Store.js';
import type { RepairSession, StoredRollupRow } from './repairSession.js';
import { AGGREGATE, ident, lockStateKeysSql, timestampParam, withoutNul, type SchemaNames } from './postgresSql.js';
import { decodeSketchRow, readStateRows, upsertRollups, upsertStates, writeSketchRows } from './postgresWrites.js';

/*
 * The `RepairSession` of PostgresStore, inside the transaction the store opened. The store first takes
 * `lockFactsForRepairSql`, so no apply of another replica interleaves with a repair: an apply that
 * committed a fact after the repair read its span's facts would otherwise have its contribution deleted.
 */

/**
 * SHARE ROW EXCLUSIVE conflicts with the ROW EXCLUSIVE lock every apply's fact insert takes and with
 * itself, not with reads: applies (and other repairs) wait for the repair transaction, queries do not.
 */
export const lockFactsForRepairSql = (names: SchemaNames): string => `LOCK TABLE ${names.facts} IN SHARE ROW EXCLUSIVE MODE`;

type FactRow = { source: string; id: string; type: string; time: Date; data: Record<string, unknown> };
const decodeFact = (row: FactRow): StoredFact => ({ source: row.source, id: row.id, type: row.type, time: row.time, data: row.data });

export function decodeRetraction(row: { source: string; id: string; reason: string; retracted_at: Date }): Retraction {
  return { source: row.source, id: row.id, reason: row.reason, retractedAt: row.retracted_at };
}

export function postgresRepairSession(client: PoolClient, names: SchemaNames, layouts: readonly RollupLayout[]): RepairSession {
  const unretracted = `NOT EXISTS (SELECT 1 FROM ${names.retractions} r WHERE r.source = f.source AND r.id = f.id)`;
  const range = (from: Date, to: Date) => [timestampParam(from), timestampParam(to)];

  return {
    async findFact({ source, id }: FactKey) {
      const { rows } = await client.query<FactRow>(`SELECT source, id, type, "time", data FROM ${names.facts} WHERE source = $1 AND id = $2`, [source, id]);
      return rows.length > 0 ? decodeFact(rows[0]) : null;
    },

    async findRetraction({ source, id }: FactKey) {
      const { rows } = await client.query<Parameters<typeof decodeRetraction>[0]>(
        `SELECT source, id, reason, retracted_at FROM ${names.retractions} WHERE source = $1 AND id = $2`,
        [source, id],
      );
      return rows.length > 0 ? decodeRetraction(rows[0]) : null;
    },

    async insertRetraction({ source, id, reason, retractedAt }: Retraction) {
      await client.query(`INSERT INTO ${names.retractions} (source, id, reason, retracted_at) VALUES ($1, $2, $3, $4)`, [
        source,
        id,
        withoutNul(reason),
        timestampParam(retractedAt),
      ]);
    },

    async deleteRetraction({ source, id }: FactKey) {
      await client.query(`DELETE FROM ${names.retractions} WHERE source = $1 AND id = $2`, [source, id]);
    },

    async readFacts({ from, to, types, after, limit }) {
      const conditions = [unretracted];
      const params: unknown[] = [];
      const param = (value: unknown) => `$${params.push(value)}`;
      if (from) conditions.push(`f."time" >= ${param(timestampParam(from))}::timestamptz`);
      if (to) conditions.push(`f."time" < ${param(timestampParam(to))}::timestamptz`);
      if (types) conditions.push(`f.type = ANY(${param([...types])}::text[])`);
      if (after) {
        conditions.push(
          `(f."time", f.source, f.id) > (${param(timestampParam(after.time))}::timestamptz, ${param(after.source)}::text, ${param(after.id)}::text)`,
        );
      }
      const { rows } = await client.query<FactRow>(
        `SELECT source, id, type, "time", data FROM ${names.facts} f WHERE ${conditions.join(' AND ')}
         ORDER BY f."time", f.source, f.id LIMIT ${param(Math.trunc(limit))}`,
        params,
      );
      return rows.map(decodeFact);
    },

    async factTimeRange() {
      const { rows } = await client.query<{ min: Date | null; max: Date | null }>(`SELECT min("time") AS min, max("time") AS max FROM ${names.facts}`);
      const { min, max } = rows[0];
      return min === null || max === null ? null : { min, max };
    },

    async readRows(layout: RollupLayout, grain: StoredGrain, from: Date, to: Date) {
      const dims = layout.dimensions.map(ident);
      const columns = Object.keys(layout.columns).map(ident);
      const { rows } = await client.query<unknown[]>({
        text: `SELECT ${['bucket', ...dims, ...columns].join(', ')} FROM ${names.rollup(layout.name, grain)}
               WHERE bucket >= $1 AND bucket < $2 ORDER BY ${['bucket', ...dims].join(', ')}`,
        values: range(from, to),
        rowMode: 'array',
      });
      return rows.map((row): StoredRollupRow => ({
        bucket: row[0] as Date,
        dims: row.slice(1, 1 + dims.length).map(String),
        values: row.slice(1 + dims.length).map((value) => (value === null ? null : Number(value))),
      }));
    },

    async deleteRows(layout, grain, from, to) {
      await client.query(`DELETE FROM ${names.rollup(layout.name, grain)} WHERE bucket >= $1 AND bucket < $2`, range(from, to));
    },

    upsertRollups: (tables) => upsertRollups(client, names, tables, layouts),

    async readSketchRows(layout, grain, from, to) {
      const columns = ['bucket', ...layout.dimensions, ...Object.keys(layout.sketches ?? {})].map(ident);
      const { rows } = await client.query<unknown[]>({
        text: `SELECT ${columns.join(', ')} FROM ${names.rollup(layout.name, grain)} WHERE bucket >= $1 AND bucket < $2`,
        values: range(from, to),
        rowMode: 'array',
      });
      return rows.map((row) => decodeSketchRow(row, layout.dimensions.length));
    },

    writeSketchRows: (layout, grain, rows) => writeSketchRows(client, names, layout, grain, rows),

    async deriveRows(layout, finer, coarser, from, to) {
      const dims = layout.dimensions.map(ident);
      const columns = Object.keys(layout.columns).map(ident);
      const measures = Object.entries(layout.columns).map(([column, merge]) => `${AGGREGATE[merge]}(${ident(column)})`);
      const groups = dims.map((_, i) => i + 2);
      await this.deleteRows(layout, coarser, from, to);
      await client.query(
        `INSERT INTO ${names.rollup(layout.name, coarser)} (${['bucket', ...dims, ...columns].join(', ')})
         SELECT ${[`date_trunc('${coarser}', bucket, 'UTC')`, ...dims, ...measures].join(', ')}
         FROM ${names.rollup(layout.name, finer)} WHERE bucket >= $1 AND bucket < $2 GROUP BY ${[1, ...groups].join(', ')}`,
        range(from, to),
      );
    },

    async lockAndReadStates(state, keys) {
      if (keys.length === 0) return [];
      await client.query(lockStateKeysSql, [`${names.schema}.${state}`, [...new Set(keys)].sort()]);
      return readStateRows(client, names, state, keys);
    },

    writeStates: (writes) => upsertStates(client, names, writes, [...writes.keys()]),

    async deleteStates(state, keys) {
      if (keys.length === 0) return;
      await client.query(`DELETE FROM ${names.state(state)} WHERE key = ANY($1::text[])`, [keys]);
    },
  };
}
