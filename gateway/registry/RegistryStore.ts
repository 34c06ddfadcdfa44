/** One published version of a subgraph, as the schema registry keeps it. */
export interface PublishedSubgraph {
  /** The subgraph's name in the supergraph. */
  name: string;
  /** 1 for the first version of this name, then one more per publication or rollback. */
  version: number;
  /** HTTP URLs of its replicas; the supergraph routes to the first. */
  urls: readonly string[];
  /** Its Federation v2 SDL, as published. */
  sdl: string;
  /** Its data product descriptor (owner, purpose, SLOs, ...), as published. */
  descriptor: Record<string, unknown>;
  /** ISO timestamp. */
  publishedAt: string;
  /** The `sub` of the token that published it. */
  publishedBy: string;
  /** For a rollback: the version whose content this one restores. */
  restores?: number;
  /**
   * A retirement: the subgraph leaves the supergraph (its URLs, SDL and descriptor are the last ones it
   * served, kept for the history). Publishing the name again, or rolling back, brings it back.
   */
  retired?: true;
}

/** What a publication adds; the store numbers and dates it. */
export type NewVersion = Omit<PublishedSubgraph, 'version' | 'publishedAt'>;

/**
 * Where the schema registry keeps every version ever published: a JSON file (one gateway, or several on
 * one shared disk) or PostgreSQL (several gateways, told of changes by LISTEN/NOTIFY).
 */
export interface RegistryStore {
  /** Every version of every subgraph, oldest first. */
  versions(): Promise<PublishedSubgraph[]>;
  /**
   * Appends a version numbered one above the newest of its name, or fails with {@link VersionConflictError}
   * when `expectedVersion` (the newest version the caller checked against, 0 for none) is no longer the newest.
   */
  append(version: NewVersion, expectedVersion: number): Promise<PublishedSubgraph>;
  /** Calls `onChange` when another process changed the registry; returns how to stop. What it throws is ignored. */
  watch(onChange: () => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

/** Another publication of the same subgraph landed first: check again against the new state. */
export class VersionConflictError extends Error {
  constructor(
    readonly subgraph: string,
    readonly expected: number,
    readonly actual: number,
  ) {
    super(`subgraph "${subgraph}" is at version ${actual}, not ${expected}: another publication landed first; publish again`);
  }
}

/** The newest version of each subgraph, retirements included, by name: what version numbers follow. */
export function latestVersions(versions: readonly PublishedSubgraph[]): Map<string, PublishedSubgraph> {
  const latest = new Map<string, PublishedSubgraph>();
  for (const v of versions) if ((latest.get(v.name)?.version ?? 0) < v.version) latest.set(v.name, v);
  return latest;
}

/** The subgraphs in service: the newest version of each, but for those whose newest is a retirement. */
export function servedVersions(versions: readonly PublishedSubgraph[]): Map<string, PublishedSubgraph> {
  return new Map([...latestVersions(versions)].filter(([, v]) => !v.retired));
}
