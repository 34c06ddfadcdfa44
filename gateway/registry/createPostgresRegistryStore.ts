import pg from 'pg';
import { VersionConflictError, type NewVersion, type PublishedSubgraph, type RegistryStore } from './RegistryStore.js';

/** Options of the PostgreSQL registry store. */
export interface PostgresRegistryStoreOptions {
  /** `postgres://user@host:port/db`. */
  url: string;
  /** The schema holding the `subgraph_versions` table; created when missing. @default 'mesh_registry' */
  schema?: string;
}

type Row = {
  name: string;
  version: number;
  urls: string[];
  sdl: string;
  descriptor: Record<string, unknown>;
  published_at: Date;
  published_by: string;
  restores: number | null;
  retired: boolean;
};

const toVersion = (row: Row): PublishedSubgraph => ({
  name: row.name,
  version: row.version,
  urls: row.urls,
  sdl: row.sdl,
  descriptor: row.descriptor,
  publishedAt: row.published_at.toISOString(),
  publishedBy: row.published_by,
  ...(row.restores !== null && { restores: row.restores }),
  ...(row.retired && { retired: true as const }),
});

/**
 * The registry in PostgreSQL, shared by every gateway that names the same database and schema: one row
 * per version (primary key name + version, so two gateways publishing the same subgraph at once cannot
 * both win), and a NOTIFY on the schema's channel after each, which every gateway LISTENs to.
 */
export async function createPostgresRegistryStore(options: PostgresRegistryStoreOptions): Promise<RegistryStore> {
  const { url, schema = 'mesh_registry' } = options;
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) throw new Error(`invalid registry schema name ${JSON.stringify(schema)}`);
  const table = `${pg.escapeIdentifier(schema)}.subgraph_versions`;
  // NOTIFY channels are identifiers: the schema name is one already.
  const channel = `${schema}_changed`;
  const pool = new pg.Pool({ connectionString: url, max: 2, application_name: `mesh-registry:${schema}` });
  await pool.query(`CREATE SCHEMA IF NOT EXISTS ${pg.escapeIdentifier(schema)}`);
  await pool.query(`CREATE TABLE IF NOT EXISTS ${table} (
    name text NOT NULL,
    version integer NOT NULL,
    urls jsonb NOT NULL,
    sdl text NOT NULL,
    descriptor jsonb NOT NULL,
    published_at timestamptz NOT NULL DEFAULT now(),
    published_by text NOT NULL,
    restores integer,
    retired boolean NOT NULL DEFAULT false,
    PRIMARY KEY (name, version)
  )`);
  // A registry created before retirements existed gains the column (every version so far: not a retirement).
  await pool.query(`ALTER TABLE ${table} ADD COLUMN IF NOT EXISTS retired boolean NOT NULL DEFAULT false`);
  const listeners: pg.Client[] = [];

  return {
    versions: async () => (await pool.query<Row>(`SELECT * FROM ${table} ORDER BY published_at, name, version`)).rows.map(toVersion),
    append: async (entry: NewVersion, expectedVersion: number) => {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const { rows } = await client.query<{ newest: number }>(`SELECT coalesce(max(version), 0)::int AS newest FROM ${table} WHERE name = $1`, [entry.name]);
        const newest = rows[0].newest;
        if (newest !== expectedVersion) throw new VersionConflictError(entry.name, expectedVersion, newest);
        const inserted = await client.query<Row>(
          `INSERT INTO ${table} (name, version, urls, sdl, descriptor, published_by, restores, retired) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING *`,
          [
            entry.name,
            newest + 1,
            JSON.stringify(entry.urls),
            entry.sdl,
            JSON.stringify(entry.descriptor),
            entry.publishedBy,
            entry.restores ?? null,
            entry.retired === true,
          ],
        );
        await client.query(`SELECT pg_notify($1, $2)`, [channel, entry.name]);
        await client.query('COMMIT');
        return toVersion(inserted.rows[0]);
      } catch (error) {
        await client.query('ROLLBACK').catch(() => {});
        // Two gateways inserted the same next version: the primary key let one win.
        if ((error as { code?: string }).code === '23505') throw new VersionConflictError(entry.name, expectedVersion, expectedVersion + 1);
        throw error;
      } finally {
        client.release();
      }
    },
    watch: async (onChange) => {
      const client = new pg.Client({ connectionString: url, application_name: `mesh-registry-listen:${schema}` });
      await client.connect();
      client.on('notification', () => {
        try {
          onChange();
        } catch {
          // the registry's own handler logs; a throw must not stop listening
        }
      });
      // A dropped connection ends notifications; the gateway's poll still picks changes up at its interval.
      client.on('error', () => {});
      await client.query(`LISTEN ${pg.escapeIdentifier(channel)}`);
      listeners.push(client);
      return async () => {
        listeners.splice(listeners.indexOf(client), 1);
        await client.end();
      };
    },
    close: async () => {
      await Promise.all(listeners.splice(0).map((client) => client.end()));
      await pool.end();
    },
  };
}
