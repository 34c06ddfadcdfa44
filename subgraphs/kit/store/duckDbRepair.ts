import { LIST, VARCHAR, listValue, type DuckDBConnection, type DuckDBType, type DuckDBValue } from '@duckdb/node-api';
import type { FactKey, Retraction, RollupLayout, StoredFact, StoredGrain } from './Store.js';
import type { RepairSession, StoredRollupRow } from './repairSession.js';
import { fromJson, fromTimestamp, ident, readRows, rollupTable, stateTable, toTimestamp } from './duckDbSql.js';
import type { DuckDbStateKeys } from './duckDbStateKeys.js';
import { readSketchRows, readStateRows, upsertRollups, upsertStates, writeSketchRows } from './duckDbWrites.js';

/*
 * The `RepairSession` of DuckDbStore: plain statements on the store's one connection, inside the
 * transaction the store opened. Identifiers come from the validated layout; values are parameters.
 */

const UNRETRACTED = `NOT EXISTS (SELECT 1 FROM retractions r WHERE r.source = f.source AND r.id = f.id)`;

export function duckDbRepairSession(connection: DuckDBConnection, states: ReadonlySet<string>, stateKeys?: DuckDbStateKeys): RepairSession {
  const decodeFact = ([source, id, type, time, data]: DuckDBValue[]): StoredFact => ({
    source: String(source),
    id: String(id),
    type: String(type),
    time: fromTimestamp(time),
    data: fromJson(data) as Record<string, unknown>,
  });
  const range = (from: Date, to: Date) => [toTimestamp(from), toTimestamp(to)];
  const keyList = (keys: string[]) => listValue([...new Set(keys)]);

  return {
    async findFact({ source, id }: FactKey) {
      const rows = await readRows(connection, 'SELECT source, id, type, time, data FROM facts WHERE source = $1 AND id = $2', [source, id]);
      return rows.length > 0 ? decodeFact(rows[0]) : null;
    },

    async findRetraction({ source, id }: FactKey) {
      const rows = await readRows(connection, 'SELECT source, id, reason, retracted_at FROM retractions WHERE source = $1 AND id = $2', [source, id]);
      return rows.length > 0 ? decodeRetraction(rows[0]) : null;
    },

    async insertRetraction({ source, id, reason, retractedAt }: Retraction) {
      await connection.run('INSERT INTO retractions (source, id, reason, retracted_at) VALUES ($1, $2, $3, $4)', [
        source,
        id,
        reason,
        toTimestamp(retractedAt),
      ]);
    },

    async deleteRetraction({ source, id }: FactKey) {
      await connection.run('DELETE FROM retractions WHERE source = $1 AND id = $2', [source, id]);
    },

    async readFacts({ from, to, types, after, limit }) {
      const conditions = [UNRETRACTED];
      const values: DuckDBValue[] = [];
      // Only the list needs its type spelled out; DuckDB infers the others (undefined entries).
      const typesOf: Array<DuckDBType | undefined> = [];
      const param = (value: DuckDBValue, type?: DuckDBType) => {
        values.push(value);
        typesOf.push(type);
        return `$${values.length}`;
      };
      if (from) conditions.push(`time >= ${param(toTimestamp(from))}`);
      if (to) conditions.push(`time < ${param(toTimestamp(to))}`);
      if (types) conditions.push(`type IN (SELECT unnest(${param(listValue([...types]), LIST(VARCHAR))}))`);
      if (after) {
        const [time, source, id] = [param(toTimestamp(after.time)), param(after.source), param(after.id)];
        conditions.push(`(time > ${time} OR (time = ${time} AND (source > ${source} OR (source = ${source} AND id > ${id}))))`);
      }
      const sql = `SELECT source, id, type, time, data FROM facts f WHERE ${conditions.join(' AND ')}
        ORDER BY time, source, id LIMIT ${Math.trunc(limit)}`;
      const rows = await readRows(connection, sql, values, typesOf.some(Boolean) ? (typesOf as DuckDBType[]) : undefined);
      return rows.map(decodeFact);
    },

    async factTimeRange() {
      const [[min, max]] = await readRows(connection, 'SELECT min(time), max(time) FROM facts');
      return min === null || max === null ? null : { min: fromTimestamp(min), max: fromTimestamp(max) };
    },

    async readRows(layout: RollupLayout, grain: StoredGrain, from: Date, to: Date) {
      const dims = layout.dimensions.map(ident);
      const columns = Object.keys(layout.columns).map(ident);
      const rows = await readRows(
        connection,
        `SELECT ${['bucket', ...dims, ...columns].join(', ')} FROM ${rollupTable(layout.name, grain)}
         WHERE bucket >= $1 AND bucket < $2 ORDER BY ${['bucket', ...dims].join(', ')}`,
        range(from, to),
      );
      return rows.map((row): StoredRollupRow => ({
        bucket: fromTimestamp(row[0]),
        dims: row.slice(1, 1 + dims.length).map(String),
        values: row.slice(1 + dims.length).map((value) => (value === null ? null : Number(value))),
      }));
    },

    async deleteRows(layout, grain, from, to) {
      await connection.run(`DELETE FROM ${rollupTable(layout.name, grain)} WHERE bucket >= $1 AND bucket < $2`, range(from, to));
    },

    upsertRollups: (tables) => upsertRollups(connection, tables),

    readSketchRows: (layout, grain, from, to) => readSketchRows(connection, layout, grain, { from, to }),

    writeSketchRows: (layout, grain, rows) => writeSketchRows(connection, layout, [{ grain, rows }]),

    async deriveRows(layout, finer, coarser, from, to) {
      const dims = layout.dimensions.map(ident);
      const names = ['bucket', ...dims, ...Object.keys(layout.columns).map(ident)].join(', ');
      const measures = Object.entries(layout.columns).map(([column, merge]) => `${merge}(${ident(column)})`);
      await this.deleteRows(layout, coarser, from, to);
      await connection.run(
        `INSERT INTO ${rollupTable(layout.name, coarser)} (${names})
         SELECT ${[`date_trunc('${coarser}', bucket)`, ...dims, ...measures].join(', ')}
         FROM ${rollupTable(layout.name, finer)} WHERE bucket >= $1 AND bucket < $2 GROUP BY ALL`,
        range(from, to),
      );
    },

    async lockAndReadStates(state, keys) {
      if (!stateKeys) return readStateRows(connection, state, keys);
      const rows = await readStateRows(connection, state, stateKeys.mayExist(state, keys));
      stateKeys.readAbsent(state, keys, new Set(rows.map((row) => row.key)));
      return rows;
    },

    writeStates: (writes) => upsertStates(connection, writes, stateKeys),

    async deleteStates(state, keys) {
      if (keys.length === 0 || !states.has(state)) return;
      await connection.run(`DELETE FROM ${stateTable(state)} WHERE key IN (SELECT unnest($1))`, [keyList(keys)], [LIST(VARCHAR)]);
    },
  };
}

export function decodeRetraction([source, id, reason, retractedAt]: DuckDBValue[]): Retraction {
  return { source: String(source), id: String(id), reason: String(reason), retractedAt: fromTimestamp(retractedAt) };
}
