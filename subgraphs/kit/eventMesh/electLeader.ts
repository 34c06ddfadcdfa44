import { abortablePause } from './abortablePause.js';

/** The lease record: who holds it (null: released) and its revision (changes on every write). */
export interface LeaseRecord {
  holder: string | null;
  revision: number;
}

/** Where the lease lives; every write is compare-and-set on the revision. */
export interface LeaseStore {
  /** The current record, or null before the first write. */
  read(): Promise<LeaseRecord | null>;
  /** Writes `holder` if the record is still at `revision` (0: none yet); the new revision, or null when another write came first. */
  write(holder: string | null, revision: number): Promise<number | null>;
}

/** Options of {@link electLeader}. */
export interface ElectLeaderOptions {
  lease: LeaseStore;
  /** This replica's name in the lease, unique per process start. */
  holder: string;
  /**
   * How long a lease stays valid without renewal: a candidate takes over a lease whose revision has not
   * changed for this long (measured on its own clock, so clock skew between replicas does not matter);
   * the leader renews every third of it and steps down when it could not renew for half of it.
   * @default 10000
   */
  ttlMs?: number;
  /** Called when this replica becomes the leader. A throw is reported and the lease released. */
  onElected(): Promise<void>;
  /** Called when it stops leading (lost lease, could not renew, or `close()`); resolves once it stopped. */
  onDemoted(): Promise<void>;
  /** Told about lease store failures (the election keeps going). @default console.error */
  onError?: (error: unknown) => void;
}

/** A running campaign. */
export interface LeaderElection {
  /** Whether this replica leads now. */
  readonly leading: boolean;
  /** Stops campaigning; a leader steps down and releases the lease, so another replica takes over at its next look. */
  close(): Promise<void>;
}

/**
 * One leader among the replicas of a product, with a lease in a compare-and-set store. A leader that
 * dies stops renewing; after `ttlMs` without a new revision a candidate takes over. The leader steps
 * down after `ttlMs / 2` without a successful renewal, before any candidate may take over. A graceful
 * leader releases the lease on `close()`, so failover is then immediate.
 */
export function electLeader(options: ElectLeaderOptions): LeaderElection {
  const { lease, holder, ttlMs = 10_000, onElected, onDemoted, onError = (e: unknown) => console.error('event mesh leader election:', e) } = options;
  const closing = new AbortController();
  let leading = false;
  let revision = 0;
  let renewedAt = 0;
  let seen: { revision: number; at: number } | null = null;

  const demote = async () => {
    leading = false;
    await onDemoted().catch(onError);
  };

  const take = async (current: LeaseRecord | null) => {
    const written = await lease.write(holder, current?.revision ?? 0);
    if (written === null) return;
    revision = written;
    renewedAt = Date.now();
    leading = true;
    try {
      await onElected();
    } catch (error) {
      onError(new Error('starting the outbound relays as leader failed; releasing the lease', { cause: error }));
      await demote();
      await lease.write(null, revision).catch(onError);
    }
  };

  const round = async () => {
    if (leading) {
      const written = await lease.write(holder, revision).catch((error: unknown) => {
        onError(new Error('renewing the outbound leader lease failed', { cause: error }));
        return undefined;
      });
      if (written === null) return demote(); // another replica took it over
      if (written !== undefined) {
        revision = written;
        renewedAt = Date.now();
      } else if (Date.now() - renewedAt >= ttlMs / 2) {
        onError(new Error(`the outbound leader lease could not be renewed for ${Date.now() - renewedAt} ms; stepping down`));
        await demote();
      }
      return;
    }
    const current = await lease.read();
    if (current === null || current.holder === null) return take(current);
    const now = Date.now();
    if (seen?.revision !== current.revision) seen = { revision: current.revision, at: now };
    else if (now - seen.at >= ttlMs) await take(current); // the holder stopped renewing: it is gone
  };

  const loop = (async () => {
    while (!closing.signal.aborted) {
      await round().catch((error: unknown) => onError(new Error('the outbound leader election failed a round', { cause: error })));
      await abortablePause(ttlMs / 3, closing.signal);
    }
  })();

  return {
    get leading() {
      return leading;
    },
    async close() {
      closing.abort();
      await loop;
      if (!leading) return;
      await demote();
      await lease.write(null, revision).catch(onError);
    },
  };
}
