import { createHash } from 'node:crypto';
import type { PoolClient } from 'pg';
import { finestGrain, type RollupLayout, type StoreLayout } from './Store.js';
import type { SchemaNames } from './postgresSql.js';

/*
 * The layout record: which rollups, projections and states every writer of a product's schema maintains.
 * Replicas share the schema, and a replica still on an older definition would keep writing the rollup but
 * not a projection added since (or a measure, or a state), so that table would drift from its rollup
 * without any error. The record makes the layout one shared fact:
 *
 * - `init` takes the schema's advisory lock exclusively, compares its layout with the record, builds what
 *   is new (projections) and writes the record, all in one transaction: a second replica with the same
 *   layout finds the record equal and builds nothing;
 * - every write transaction (apply, repair, retention) takes the same lock shared with its BEGIN (an
 *   in-memory lock: no row written, no round trip of its own), and an apply reads the record's
 *   fingerprint in its watermark update, a statement it runs anyway, comparing it with the one cached at
 *   its own `init`: a replica whose layout is not the recorded one fails closed
 *   (`LayoutChangedError`), nothing of its transaction is kept, and its facts go back to the producer.
 *
 * The shared lock keeps `init` from interleaving with a write, so a projection is built from a rollup no
 * write is changing, and a write that started before the layout changed commits before the build reads.
 */

/** Key of the schema's advisory lock: `init` takes it exclusively, every write transaction shared. */
export const layoutLockKey = (names: SchemaNames): string => `mesh-store-init:${names.schema}`;

/**
 * Opens a write transaction holding the layout lock shared until it ends (waiting while an `init` of any
 * replica holds it exclusively). Sent with BEGIN as one simple-protocol query, so the lock costs no round
 * trip of its own; that protocol takes no parameters, and the key is a literal: the schema name has
 * passed `assertPgIdentifier` (lowercase letters, digits, underscores), so it needs no escaping.
 */
export const beginWithLayoutLockSql = (names: SchemaNames): string =>
  `BEGIN; SELECT pg_advisory_xact_lock_shared(hashtextextended('${layoutLockKey(names)}', 0))`;

/** `init`'s: held until its transaction ends, once every write holding the lock shared has ended. */
export const lockLayoutExclusiveSql = `SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`;

/** A layout in a canonical form: names sorted where their order carries no meaning, defaults spelled out. */
export function canonicalLayout(layout: StoreLayout): StoreLayout {
  return {
    rollups: [...layout.rollups].sort((a, b) => (a.name < b.name ? -1 : 1)).map(canonicalRollup),
    states: [...layout.states].sort(),
  };
}

function canonicalRollup(rollup: RollupLayout): RollupLayout {
  const sorted = <T>(record: Record<string, T>) => Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : 1)));
  return {
    name: rollup.name,
    // Dimension order is the table's key order: it does carry meaning.
    dimensions: [...rollup.dimensions],
    columns: sorted(rollup.columns),
    sketches: sorted(rollup.sketches ?? {}),
    ...(rollup.projectionOf === undefined ? {} : { projectionOf: rollup.projectionOf }),
    finestGrain: finestGrain(rollup) as 'minute' | 'hour',
  };
}

/** SHA-256 of the canonical layout: equal for two replicas exactly when they write the same tables alike. */
export function layoutFingerprint(layout: StoreLayout): string {
  return createHash('sha256')
    .update(JSON.stringify(canonicalLayout(layout)))
    .digest('hex');
}

/** The record as stored: absent in a schema no replica of this version has initialized yet. */
export interface LayoutRecord {
  fingerprint: string;
  layout: StoreLayout;
  changedAt: Date;
}

export async function readLayoutRecord(client: PoolClient, names: SchemaNames): Promise<LayoutRecord | null> {
  const { rows } = await client.query<{ fingerprint: string; layout: StoreLayout; changed_at: Date }>(
    `SELECT fingerprint, layout, changed_at FROM ${names.layout} WHERE id = 1`,
  );
  return rows.length === 0 ? null : { fingerprint: rows[0].fingerprint, layout: rows[0].layout, changedAt: rows[0].changed_at };
}

export async function writeLayoutRecord(client: PoolClient, names: SchemaNames, layout: StoreLayout, fingerprint: string): Promise<void> {
  await client.query(
    `INSERT INTO ${names.layout} (id, fingerprint, layout, changed_at) VALUES (1, $1, $2::jsonb, now())
     ON CONFLICT (id) DO UPDATE SET fingerprint = EXCLUDED.fingerprint, layout = EXCLUDED.layout, changed_at = EXCLUDED.changed_at`,
    [fingerprint, JSON.stringify(canonicalLayout(layout))],
  );
}

/**
 * Projections of `layout` the recorded writers did not maintain as declared now: absent from the record or
 * declared differently there. Their rows, if any, are stale (e.g. a projection dropped and declared again
 * later) and are replaced by a build from the rollup. Null without a record: a schema written before the
 * record existed, where a projection holding rows is taken as maintained and only empty ones are built.
 */
export function staleProjections(layout: StoreLayout, recorded: LayoutRecord | null): Set<string> | null {
  if (!recorded) return null;
  const before = new Map(recorded.layout.rollups.map((rollup) => [rollup.name, JSON.stringify(canonicalRollup(rollup))]));
  return new Set(
    layout.rollups
      .filter((rollup) => rollup.projectionOf !== undefined && before.get(rollup.name) !== JSON.stringify(canonicalRollup(rollup)))
      .map((rollup) => rollup.name),
  );
}

/**
 * Thrown by a write of a replica whose layout is no longer the one recorded in the schema: another replica
 * started since with another definition. Nothing of the write was kept; restart this replica with the
 * current definition (or stop it). Ingestion reports it like any store failure, so producers retry and
 * the facts reach a replica on the current layout.
 */
export class LayoutChangedError extends Error {
  readonly code = 'LAYOUT_CHANGED';
  constructor(schema: string, own: string, recorded: string | null) {
    super(
      `PostgreSQL schema ${schema} is now written with another layout (fingerprint ${String(recorded).slice(0, 12)}) than this replica's ` +
        `(${own.slice(0, 12)}): ` +
        `a replica with another definition of the product's rollups, projections or states has started since. ` +
        `Nothing was written; restart this replica with the current definition so its rollups and projections stay equal.`,
    );
    this.name = 'LayoutChangedError';
  }
}
