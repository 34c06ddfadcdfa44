import { JetStreamApiCodes, JetStreamApiError, jetstream, jetstreamManager, StorageType } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { domainStreamName, namespaceSubjectPrefix, streamInfo } from '../bus/jetStreamStream.js';
import type { CursorCheckpoint } from './CursorCheckpoint.js';
import type { LeaseStore } from './electLeader.js';

/** The bridge's shared state of one product on JetStream: the outbound leader lease and the relay checkpoints. */
export interface BridgeStateStream {
  /** The stream's name: `<domain stream>_BRIDGE`. */
  stream: string;
  lease: LeaseStore;
  /** The last confirmed cursor of the relay to `kind`, shared by the replicas so a new leader resumes there. */
  checkpoint(kind: 'mqtt' | 'amqp'): CursorCheckpoint;
}

/**
 * Opens (creating it when missing) the small stream `<domain stream>_BRIDGE` on subjects
 * `[<namespace>.]mesh-bridge.<domain>.{lease,cursor.<kind>}`, one message kept per subject. The lease
 * is written with JetStream's expected-last-subject-sequence check, which makes it a compare-and-set
 * (what a NATS KV bucket does, without needing that client). File storage: it survives a broker restart.
 */
export async function bridgeStateStream(connection: NatsConnection, domain: string, namespace?: string): Promise<BridgeStateStream> {
  const jsm = await jetstreamManager(connection);
  const js = jetstream(connection);
  const stream = `${domainStreamName(domain, namespace)}_BRIDGE`;
  const base = `${namespaceSubjectPrefix(namespace)}mesh-bridge.${domain}`;
  if (!(await streamInfo(jsm, stream))) {
    await jsm.streams
      .add({ name: stream, subjects: [`${base}.>`], max_msgs_per_subject: 1, storage: StorageType.File, num_replicas: 1 })
      .catch(async (error: unknown) => {
        if (!(await streamInfo(jsm, stream))) throw error; // else another replica created it first
      });
  }
  const last = async (subject: string) => jsm.streams.getMessage(stream, { last_by_subj: subject }).catch(notFound);
  const leaseSubject = `${base}.lease`;
  return {
    stream,
    lease: {
      async read() {
        const message = await last(leaseSubject);
        return message ? { holder: message.json<{ holder: string | null }>().holder ?? null, revision: message.seq } : null;
      },
      async write(holder, revision) {
        try {
          const ack = await js.publish(leaseSubject, JSON.stringify({ holder }), { expect: { lastSubjectSequence: revision } });
          return ack.seq;
        } catch (error) {
          if (error instanceof JetStreamApiError && error.code === JetStreamApiCodes.StreamWrongLastSequence) return null;
          throw error;
        }
      },
    },
    checkpoint: (kind) => {
      const subject = `${base}.cursor.${kind}`;
      return {
        load: async () => (await last(subject))?.string() || undefined,
        save: async (cursor) => void (await js.publish(subject, cursor)),
      };
    },
  };
}

/** `getMessage` of a subject without messages: null (the client version may throw instead of answering null). */
function notFound(error: unknown): null {
  if (error instanceof JetStreamApiError && error.code === JetStreamApiCodes.NoMessageFound) return null;
  throw error;
}
