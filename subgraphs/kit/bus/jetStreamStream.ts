import {
  JetStreamApiCodes,
  JetStreamApiError,
  RetentionPolicy,
  StorageType,
  type JetStreamManager,
  type StreamConfig,
  type StreamInfo,
} from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';

/**
 * One JetStream stream per domain: `MESH_<DOMAIN>` captures `mesh.<domain>.>`, so the domain's change
 * events and the facts producers publish to `mesh.<domain>.facts.<type>` share it. In a namespace (two
 * meshes, or a test run, on one broker) the stream is `MESH_<NAMESPACE>_<DOMAIN>` and every subject is
 * prefixed with `<namespace>.`: JetStream refuses two streams whose subjects overlap.
 */
export function domainStreamName(domain: string, namespace?: string): string {
  // Stream names may not contain `.`, `*`, `>`, path separators or whitespace.
  const token = (s: string) => s.toUpperCase().replace(/[^A-Z0-9_-]/g, '_');
  return namespace ? `MESH_${token(namespace)}_${token(domain)}` : `MESH_${token(domain)}`;
}

/** Every subject of a domain, as on the broker. */
export function domainSubjects(domain: string, namespace?: string): string {
  return `${namespaceSubjectPrefix(namespace)}mesh.${domain}.>`;
}

/** What a namespace puts before every subject on the broker: `''` or `<namespace>.`. */
export function namespaceSubjectPrefix(namespace?: string): string {
  return namespace ? `${namespace}.` : '';
}

/** A namespace: a lowercase letter, then lowercase letters, digits and `_` (also valid in SQL names and subjects). */
export function assertNamespace(namespace: string | undefined): void {
  if (namespace !== undefined && !/^[a-z][a-z0-9_]{0,31}$/.test(namespace)) {
    throw new Error(`invalid namespace ${JSON.stringify(namespace)}: a lowercase letter, then up to 31 lowercase letters, digits or _`);
  }
}

/** Retention limits of a domain stream. */
export interface DomainStreamLimits {
  /** Events older than this are removed (cursors before them become unavailable). */
  maxAgeMs: number;
  /** How long a `Nats-Msg-Id` is remembered to drop a re-published duplicate. */
  duplicateWindowMs: number;
}

/**
 * Creates the domain stream, or brings an existing one to the wanted subjects and limits (replicas of a
 * subgraph all call this at start; the first one creates, the others find it). File storage so events
 * survive a broker restart. Only settings nats-server 2.9 knows are used.
 */
export async function ensureDomainStream(jsm: JetStreamManager, domain: string, limits: DomainStreamLimits, namespace?: string): Promise<StreamInfo> {
  const name = domainStreamName(domain, namespace);
  const wanted = { subjects: [domainSubjects(domain, namespace)], max_age: nanos(limits.maxAgeMs), duplicate_window: nanos(limits.duplicateWindowMs) };
  const existing = await streamInfo(jsm, name);
  if (!existing) {
    const config: Partial<StreamConfig> & { name: string } = { name, ...wanted, storage: StorageType.File, retention: RetentionPolicy.Limits, num_replicas: 1 };
    try {
      return await jsm.streams.add(config);
    } catch (error) {
      // Another replica created it between our look-up and our create: fall through to the update check.
      const raced = await streamInfo(jsm, name);
      if (!raced) throw error;
      return matches(raced, wanted) ? raced : jsm.streams.update(name, wanted);
    }
  }
  return matches(existing, wanted) ? existing : jsm.streams.update(name, wanted);
}

/** The stream's info, or null when it does not exist. */
export async function streamInfo(jsm: JetStreamManager, name: string): Promise<StreamInfo | null> {
  try {
    return await jsm.streams.info(name);
  } catch (error) {
    if (error instanceof JetStreamApiError && error.code === JetStreamApiCodes.StreamNotFound) return null;
    throw error;
  }
}

function matches(info: StreamInfo, wanted: { subjects: string[]; max_age: number; duplicate_window: number }): boolean {
  const c = info.config;
  return c.max_age === wanted.max_age && c.duplicate_window === wanted.duplicate_window && (c.subjects ?? []).join(' ') === wanted.subjects.join(' ');
}
