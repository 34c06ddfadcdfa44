/**
 * Several replicas, one outbound publisher: on the JetStream bus the replicas elect a leader per product
 * with a lease on JetStream (`subgraphs/kit/eventMesh/bridgeStateStream.ts`); only it relays change
 * events, from the shared checkpoint. A consumer gets every change event once per cursor while the
 * leader stops and restarts; a leader that can no longer renew steps down and another takes over.
 */
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { startSubgraph } from '../../subgraphs/startSubgraph.js';
import { bridgeStateStream, type BridgeStateStream } from '../../subgraphs/kit/eventMesh/bridgeStateStream.js';
import { electLeader, type LeaseStore } from '../../subgraphs/kit/eventMesh/electLeader.js';
import { meshTopics } from '../../subgraphs/kit/eventMesh/meshTopics.js';
import { deferred, waitFor } from '../support/asyncWait.js';
import { amqpUrl, describeWithBroker, mqttUrl } from '../support/brokersAvailable.js';
import { describeWithNats, natsUrl } from '../support/natsAvailable.js';
import { testSubgraphConfig } from '../support/testSubgraphConfig.js';
import { uniqueNamespace } from '../support/testNamespace.js';
import { amqpCollector, dropAmqpNames, dropBridgeState, expectGapFree, mqttCollector, orderPlaced, postEvents, useRelayScratch } from './meshHarness.js';

describeWithNats('outbound leader election on JetStream', () => {
  let connection: NatsConnection;
  let namespace: string;
  let state: BridgeStateStream;
  beforeAll(async () => {
    connection = await connect({ servers: natsUrl });
  });
  beforeEach(async () => {
    namespace = uniqueNamespace();
    state = await bridgeStateStream(connection, 'orders', namespace);
  });
  afterEach(() => dropBridgeState('orders', namespace));
  afterAll(() => connection.close());

  /** A replica's campaign whose lease store can be made to fail, as for a replica cut off from NATS. */
  const campaign = (name: string, log: string[] = []) => {
    let cutOff = false;
    const lease: LeaseStore = {
      read: () => (cutOff ? Promise.reject(new Error('NATS unreachable')) : state.lease.read()),
      write: (holder, revision) => (cutOff ? Promise.reject(new Error('NATS unreachable')) : state.lease.write(holder, revision)),
    };
    const events: string[] = [];
    const elected = deferred();
    const demoted = deferred();
    const election = electLeader({
      lease,
      holder: name,
      ttlMs: 600,
      onElected: async () => {
        events.push('elected');
        log.push(`${name} elected`);
        elected.resolve();
      },
      onDemoted: async () => {
        events.push('demoted');
        log.push(`${name} demoted`);
        demoted.resolve();
      },
      onError: () => undefined,
    });
    return { election, events, elected: elected.promise, demoted: demoted.promise, cutOff: () => void (cutOff = true) };
  };

  it('should elect one leader and hand over at once when it stops', async () => {
    const a = campaign('a');
    await a.elected;
    const b = campaign('b');
    try {
      // a renews the lease (a new revision each time) and b, looking at it meanwhile, leaves it alone.
      const revisions = new Set<number>();
      while (revisions.size < 4) {
        const record = (await state.lease.read())!;
        expect(record.holder).toBe('a');
        revisions.add(record.revision);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(b.election.leading).toBe(false);
      expect(b.events).toEqual([]);
      const stopped = Date.now();
      await a.election.close();
      expect(a.events).toEqual(['elected', 'demoted']);
      await b.elected;
      expect(Date.now() - stopped).toBeLessThan(600);
      expect(b.election.leading).toBe(true);
    } finally {
      await a.election.close();
      await b.election.close();
    }
  });

  it('should step a leader down that cannot renew, and let another take over after the lease ran out', async () => {
    const log: string[] = [];
    const a = campaign('a', log);
    await a.elected;
    const b = campaign('b', log);
    try {
      a.cutOff();
      await a.demoted;
      expect(a.election.leading).toBe(false);
      await b.elected;
      // Never two leaders: a stepped down (after half a lease) before b took over (after a whole lease).
      expect(log).toEqual(['a elected', 'a demoted', 'b elected']);
    } finally {
      await a.election.close();
      await b.election.close();
    }
  });

  it('should release the lease when starting as leader fails, so another replica can lead', async () => {
    const errors: Error[] = [];
    const failing = electLeader({
      lease: state.lease,
      holder: 'failing',
      ttlMs: 600,
      onElected: async () => {
        throw new Error('broker gone');
      },
      onDemoted: async () => undefined,
      onError: (e) => errors.push(e as Error),
    });
    try {
      await waitFor(() => errors.length > 0, 'the failed start');
      expect(errors[0].message).toBe('starting the outbound relays as leader failed; releasing the lease');
      expect(failing.leading).toBe(false);
      await failing.close();
      expect((await state.lease.read())!.holder).toBeNull();
      const b = campaign('b');
      await b.elected;
      await b.election.close();
    } finally {
      await failing.close();
    }
  });

  it('should keep the relay checkpoints in the stream for the next leader', async () => {
    const checkpoint = state.checkpoint('mqtt');
    expect(await checkpoint.load()).toBeUndefined();
    await checkpoint.save('41');
    await checkpoint.save('42');
    expect(await (await bridgeStateStream(connection, 'orders', namespace)).checkpoint('mqtt').load()).toBe('42');
    expect(await state.checkpoint('amqp').load()).toBeUndefined();
  });
});

describeWithNats('change events out with two replicas', () => {
  for (const kind of ['mqtt', 'amqp'] as const)
    describeWithBroker(kind, `over ${kind.toUpperCase()}`, () => {
      const scratch = useRelayScratch('mesh-leader-');

      it('should publish every change event once per cursor across a leader stop and restart', async () => {
        const { dir, namespace } = scratch;
        const url = kind === 'mqtt' ? mqttUrl : amqpUrl;
        const topics = meshTopics('orders', namespace);
        const collector =
          kind === 'mqtt'
            ? await mqttCollector(url, topics.eventTopicFilter).then(({ client, messages }) => ({ messages, close: () => client.endAsync() }))
            : await amqpCollector(url, topics.exchange);
        const config = testSubgraphConfig('orders', dir, {
          namespace,
          bus: { kind: 'nats', url: natsUrl },
          eventMesh: { brokers: [{ kind, url }], leaderLeaseMs: 1000 },
        });
        const states = () => collector.messages.filter((m) => m.body.type === 'mesh.orders.v1.state-changed').map((m) => m.body);
        let a = await startSubgraph(config);
        await waitFor(() => a.eventMesh!.leading, 'replica a leading', 5_000);
        const b = await startSubgraph(config);
        try {
          await postEvents(a, [orderPlaced('l-1', 9)]);
          await postEvents(b, [orderPlaced('l-2', 8)]);
          await waitFor(() => states().length >= 2, 'the first two state changes', 10_000);
          expect(b.eventMesh!.leading).toBe(false);
          expect(b.eventMesh!.relays).toHaveLength(0);

          // The leader stops; b takes over from the shared checkpoint, including what happened meanwhile.
          await a.close();
          await postEvents(b, [orderPlaced('l-3', 7)]);
          await waitFor(() => b.eventMesh!.leading, 'replica b leading', 5_000);
          await waitFor(() => states().length >= 3, 'the change made during the handover', 10_000);

          // a comes back as a follower; changes made on it still go out once, through b.
          a = await startSubgraph(config);
          await postEvents(a, [orderPlaced('l-4', 6)]);
          await waitFor(() => states().length >= 4, 'the change made on the restarted replica', 10_000);
          expect(a.eventMesh!.leading).toBe(false);
          await postEvents(b, [orderPlaced('l-5', 5)]);
          await waitFor(() => states().length >= 5, 'the last change', 10_000);

          // Once per cursor (nobody published twice), and no gap.
          const sorted = collector.messages.map((m) => m.body).sort((x, y) => Number(x.meshcursor) - Number(y.meshcursor));
          expectGapFree(sorted, sorted.length);
          expect(states().map((e) => e.data.key)).toEqual(['l-1', 'l-2', 'l-3', 'l-4', 'l-5']);
        } finally {
          await a.close();
          await b.close();
          await collector.close();
          if (kind === 'amqp') await dropAmqpNames(url, topics);
        }
      }, 60_000);
    });
});
