import { z } from 'zod';
import type { GraphQLSchema } from 'graphql';
import { ErrorCode } from '../../core/errors/ErrorCode.js';
import { MeshError } from '../../core/errors/MeshError.js';
import type { SubgraphSdl } from '../../core/apollo/index.js';
import type { Principal } from '../auth/Principal.js';
import { checkPublication } from './checkPublication.js';
import { checkRetirement } from './checkRetirement.js';
import { latestVersions, servedVersions, VersionConflictError, type PublishedSubgraph, type RegistryStore } from './RegistryStore.js';

/** The scope that lets a token publish any subgraph; `mesh:publish:<name>` lets it publish `<name>` only. */
export const PUBLISH_SCOPE = 'mesh:publish';

/** What the registry needs of the gateway's supergraph manager. */
export interface RegistrySupergraph {
  /** The configured subgraphs' SDL as last fetched. */
  fetchedSubgraphs(): readonly SubgraphSdl[];
  /** The client-facing schema in service, null before the first supergraph. */
  liveApiSchema(): GraphQLSchema | null;
  /** Composes now and settles once the result is in service (rejects when it was refused). */
  refresh(): Promise<void>;
}

/** Options of the schema registry. */
export interface SchemaRegistryOptions {
  store: RegistryStore;
  supergraph: RegistrySupergraph;
  /** Subgraphs the gateway serves itself (the catalog): composed with every check, never publishable. @default [] */
  localSubgraphs?: readonly SubgraphSdl[];
  /** How often the versions are read again, besides the store's change notifications. @default 10000 */
  syncIntervalMs?: number;
  /** Where sync and reload problems go. */
  log: (level: 'info' | 'warn' | 'error', message: string) => void;
}

/** A publication as the API takes it. */
export const publicationSchema = z.object({
  name: z.string().regex(/^[a-z][a-z0-9_-]{0,62}$/i, 'a letter, then letters, digits, _ or -'),
  urls: z.array(z.url({ protocol: /^https?$/, error: 'an http(s) URL' })).min(1, 'at least one URL'),
  sdl: z.string().min(1, 'the subgraph SDL').max(1_000_000, 'at most 1 MB'),
  descriptor: z.record(z.string(), z.unknown()),
});
export type Publication = z.infer<typeof publicationSchema>;

/** What a publication or rollback did. */
export interface PublicationOutcome {
  published: PublishedSubgraph;
  /** Breaking changes a rollback accepted (a publication with any is refused). */
  breaking: string[];
  /** Whether the new supergraph is in service; false when the reload failed (the reason is in `reloadError`). */
  inService: boolean;
  reloadError?: string;
}

/** The schema registry: publications checked and stored, the supergraph reloaded; no transport. */
export interface SchemaRegistry {
  /** Reads the stored versions and starts watching the store. */
  start(): Promise<void>;
  /** The newest version of each published subgraph, as the supergraph manager composes them. */
  registered(): SubgraphSdl[];
  /**
   * The published URLs of each subgraph after its first (the one composed into the supergraph): its other
   * replicas, which the gateway fails over to like configured ones.
   */
  otherReplicaUrls(): Record<string, readonly string[]>;
  /** The newest version of each published subgraph. */
  list(principal: Principal): PublishedSubgraph[];
  /** Every version of one subgraph, oldest first. */
  history(principal: Principal, name: string): PublishedSubgraph[];
  /** Checks and stores a publication (body as received), then reloads the supergraph. */
  publish(principal: Principal, body: unknown): Promise<PublicationOutcome>;
  /** Restores `version` (default: the one before the newest) as a new version, then reloads. */
  rollback(principal: Principal, name: string, version?: number): Promise<PublicationOutcome>;
  /**
   * Takes a published subgraph out of the supergraph (a retirement, stored as a version of its own, so
   * publishing the name again or rolling back brings it back), then reloads; refused when the others do
   * not compose without it. The fields it takes away are reported in `breaking`.
   */
  retire(principal: Principal, name: string): Promise<PublicationOutcome>;
  close(): Promise<void>;
}

/** Fails closed: 401 without a token, 403 without `mesh:publish` or `mesh:publish:<name>`. */
function authorize(principal: Principal, name?: string): void {
  if (!principal.authenticated) throw new MeshError(ErrorCode.UNAUTHENTICATED, 'The schema registry needs a bearer token.');
  const allowed = principal.scopes.includes(PUBLISH_SCOPE) || (name !== undefined && principal.scopes.includes(`${PUBLISH_SCOPE}:${name}`));
  if (!allowed)
    throw new MeshError(
      ErrorCode.FORBIDDEN,
      `Publishing ${name ? `"${name}"` : 'subgraphs'} needs the scope ${PUBLISH_SCOPE}${name ? ` or ${PUBLISH_SCOPE}:${name}` : ''}.`,
    );
}

/** Readers need any scope of the registry: a publisher of some subgraph may see the others. */
function authorizeRead(principal: Principal): void {
  if (!principal.authenticated) throw new MeshError(ErrorCode.UNAUTHENTICATED, 'The schema registry needs a bearer token.');
  if (!principal.scopes.some((s) => s === PUBLISH_SCOPE || s.startsWith(`${PUBLISH_SCOPE}:`)))
    throw new MeshError(ErrorCode.FORBIDDEN, `Reading the schema registry needs the scope ${PUBLISH_SCOPE} or ${PUBLISH_SCOPE}:<name>.`);
}

const rejected = (what: string, problems: string[]) =>
  new MeshError(ErrorCode.SCHEMA_REJECTED, `${what} was refused: ${problems.length} problem(s)`, { details: { problems } });

/**
 * Creates the registry over a store. A publication is authorized, validated, checked with
 * {@link checkPublication} against the supergraph in service, stored as the next version (a concurrent
 * publication of the same subgraph is a `VERSION_CONFLICT`), and the supergraph reloaded; every gateway
 * sharing the store reloads on its change notification.
 */
export function createSchemaRegistry(options: SchemaRegistryOptions): SchemaRegistry {
  const { store, supergraph, localSubgraphs = [], syncIntervalMs = 10_000, log } = options;
  let versions: PublishedSubgraph[] = [];
  let stopWatching: (() => Promise<void>) | null = null;
  let timer: NodeJS.Timeout | undefined;
  const sync = async () => {
    const next = await store.versions();
    const changed = JSON.stringify(next) !== JSON.stringify(versions);
    versions = next;
    return changed;
  };
  const syncAndReload = async () => {
    try {
      if (await sync()) await supergraph.refresh();
    } catch (error) {
      log('error', `schema registry: reload after a change failed: ${(error as Error).message}`);
    }
  };
  /** Newest version of each name, retirements included (what the next version number follows). */
  const latest = () => latestVersions(versions);
  /** The published subgraphs in service: retired ones left out. */
  const served = () => servedVersions(versions);
  const asSdl = (v: PublishedSubgraph): SubgraphSdl => ({ name: v.name, url: v.urls[0], sdl: v.sdl });

  /** Every subgraph of the supergraph but `name`: configured (unless published), published, local. */
  const othersThan = (name: string): SubgraphSdl[] => {
    const published = [...served().values()].filter((v) => v.name !== name).map(asSdl);
    const configured = supergraph.fetchedSubgraphs().filter((s) => s.name !== name && !published.some((p) => p.name === s.name));
    return [...configured, ...published, ...localSubgraphs];
  };

  const store_ = async (entry: Omit<PublishedSubgraph, 'version' | 'publishedAt'>, expected: number, breaking: string[]): Promise<PublicationOutcome> => {
    let published: PublishedSubgraph;
    try {
      published = await store.append(entry, expected);
    } catch (error) {
      if (error instanceof VersionConflictError) throw new MeshError(ErrorCode.VERSION_CONFLICT, error.message);
      throw error;
    }
    await sync();
    try {
      await supergraph.refresh();
      return { published, breaking, inService: true };
    } catch (error) {
      log('error', `schema registry: ${published.name} v${published.version} is stored but not in service: ${(error as Error).message}`);
      return { published, breaking, inService: false, reloadError: (error as Error).message };
    }
  };

  return {
    start: async () => {
      await sync();
      stopWatching = await store.watch(() => void syncAndReload());
      timer = setInterval(() => void syncAndReload(), syncIntervalMs);
      timer.unref();
    },
    registered: () => [...served().values()].map(asSdl),
    otherReplicaUrls: () => Object.fromEntries([...served().values()].flatMap((v) => (v.urls.length > 1 ? [[v.name, v.urls.slice(1)]] : []))),
    list: (principal) => {
      authorizeRead(principal);
      return [...served().values()];
    },
    history: (principal, name) => {
      authorizeRead(principal);
      const found = versions.filter((v) => v.name === name);
      if (!found.length) throw new MeshError(ErrorCode.NOT_FOUND, `no subgraph "${name}" in the schema registry`);
      return found;
    },
    publish: async (principal, body) => {
      const named = (body as { name?: unknown } | null)?.name;
      authorize(principal, typeof named === 'string' && named ? named : undefined);
      const parsed = publicationSchema.safeParse(body);
      if (!parsed.success) {
        const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || 'body'}: ${issue.message}`);
        throw new MeshError(ErrorCode.BAD_REQUEST, `the publication is malformed: ${problems.join('; ')}`, { details: { problems } });
      }
      const publication = parsed.data;
      if (localSubgraphs.some((s) => s.name === publication.name))
        throw rejected(`"${publication.name}"`, [`RESERVED_NAME: "${publication.name}" is served by the gateway itself`]);
      const expected = latest().get(publication.name)?.version ?? 0;
      const check = checkPublication({
        candidate: { name: publication.name, url: publication.urls[0], sdl: publication.sdl, descriptor: publication.descriptor },
        others: othersThan(publication.name),
        live: supergraph.liveApiSchema(),
      });
      if (!check.ok) throw rejected(`"${publication.name}"`, check.problems);
      // `@override` moves fields out of another domain's subgraph: not for a token scoped to this one.
      if (check.overrides.length && !principal.scopes.includes(PUBLISH_SCOPE))
        throw new MeshError(
          ErrorCode.FORBIDDEN,
          `"${publication.name}" takes fields from other subgraphs with @override (${check.overrides.join(', ')}): that needs the scope ${PUBLISH_SCOPE}.`,
        );
      return store_({ ...publication, publishedBy: principal.sub ?? 'unknown' }, expected, []);
    },
    rollback: async (principal, name, version) => {
      authorize(principal, name);
      const own = versions.filter((v) => v.name === name);
      const newest = own.at(-1);
      if (!newest) throw new MeshError(ErrorCode.NOT_FOUND, `no subgraph "${name}" in the schema registry`);
      const targetVersion = version ?? newest.version - 1;
      const target = own.find((v) => v.version === targetVersion);
      if (!target || targetVersion === newest.version)
        throw new MeshError(ErrorCode.NOT_FOUND, `"${name}" has no version ${targetVersion} to roll back to (newest: ${newest.version})`);
      if (target.retired)
        throw new MeshError(ErrorCode.BAD_REQUEST, `version ${targetVersion} of "${name}" is a retirement: retire it with DELETE /registry/subgraphs/${name}`);
      const check = checkPublication({
        candidate: { name, url: target.urls[0], sdl: target.sdl, descriptor: target.descriptor },
        others: othersThan(name),
        live: supergraph.liveApiSchema(),
        allowBreaking: true,
      });
      if (!check.ok) throw rejected(`the rollback of "${name}" to version ${targetVersion}`, check.problems);
      const { urls, sdl, descriptor } = target;
      return store_({ name, urls, sdl, descriptor, publishedBy: principal.sub ?? 'unknown', restores: targetVersion }, newest.version, check.breaking);
    },
    retire: async (principal, name) => {
      authorize(principal, name);
      const newest = latest().get(name);
      if (!newest || newest.retired)
        throw new MeshError(
          ErrorCode.NOT_FOUND,
          newest
            ? `"${name}" is retired already (version ${newest.version})`
            : `no subgraph "${name}" in the schema registry (a subgraph configured with MESH_SUBGRAPHS leaves with its configuration)`,
        );
      // A publication replaces a configured subgraph of the same name: retiring it would bring that one back,
      // not take the name out. Refused rather than composed differently from what it says.
      if (supergraph.fetchedSubgraphs().some((s) => s.name === name))
        throw new MeshError(
          ErrorCode.BAD_REQUEST,
          `"${name}" is also configured (MESH_SUBGRAPHS): retiring its publication would bring the configured one back; remove it from MESH_SUBGRAPHS, or roll back to the version to serve`,
        );
      const check = checkRetirement(othersThan(name), supergraph.liveApiSchema());
      if (!check.ok) throw rejected(`the retirement of "${name}"`, check.problems);
      const { urls, sdl, descriptor } = newest;
      return store_({ name, urls, sdl, descriptor, publishedBy: principal.sub ?? 'unknown', retired: true }, newest.version, check.breaking);
    },
    close: async () => {
      clearInterval(timer);
      await stopWatching?.();
      await store.close();
    },
  };
}
