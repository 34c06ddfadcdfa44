import { waitFor } from '../../support/asyncWait.js';
import type { LedgerMesh } from '../../support/ledgerMesh.js';
import { nextPayloads, startLedgerExecutorHarness, type LedgerExecutorHarness } from '../../support/ledgerExecutorHarness.js';
import { refusedUrl } from '../../support/refusedUrl.js';

const MOVES = /* GraphQL */ `
  subscription {
    stockMoved {
      quantity
      product {
        name
      }
    }
  }
`;
const moved = (quantity: number) => ({ data: { stockMoved: { quantity, product: { name: 'Kettle' } } } });
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

/** Both ledger replicas, for subscriptions and entity fetches. */
const replicaEndpoints = (mesh: LedgerMesh) => ({
  products: { url: mesh.products.url },
  ledger: { urls: mesh.replicas.map((replica) => replica.url), wsUrls: mesh.replicas.map((replica) => replica.wsUrl) },
});

describe('subgraph replicas', () => {
  let harness: LedgerExecutorHarness;
  afterEach(() => harness.close());

  it('should continue a subscription through the other replica, without gap or duplicate, when the connected one dies mid-stream', async () => {
    harness = await startLedgerExecutorHarness({ mesh: { replicas: 2 }, endpoints: replicaEndpoints });
    const { mesh, executor } = harness;
    const events = await harness.subscribe(MOVES);
    await waitFor(() => mesh.log.active === 1, 'the upstream subscription');
    expect(mesh.connectedReplica()).toBe(0);

    mesh.appendRange(1, 1);
    expect(await nextPayloads(events, 1, 'the first event')).toEqual([moved(1)]);
    // Killed in the same tick as a burst: the replica dies while sending it, most of it never leaves.
    mesh.appendRange(2, 100);
    await mesh.crash(0);
    mesh.appendRange(101, 110);

    expect(await nextPayloads(events, 109, 'the rest, through the other replica')).toEqual(range(2, 110).map(moved));
    mesh.appendRange(111, 111);
    expect(await nextPayloads(events, 1, 'a live event')).toEqual([moved(111)]);
    expect(mesh.connectedReplica()).toBe(1);
    const [first, resumed, ...more] = mesh.subscribeCalls;
    expect(first).toEqual({ replica: 0, field: 'stockMoved', args: {} });
    // From the last event the gateway received before the crash, wherever in the burst that was.
    expect(resumed).toEqual({ replica: 1, field: 'stockMoved', args: { from: expect.stringMatching(/^\d+$/) } });
    expect(more).toEqual([]);
    expect(executor.stats()).toMatchObject({ upstreams: 1, clients: 1, connections: 1 });
  });

  it('should connect through the next replica when the first is down at subscribe time', async () => {
    harness = await startLedgerExecutorHarness({ mesh: { replicas: 2 }, endpoints: replicaEndpoints });
    const { mesh } = harness;
    await mesh.stop(0);

    const events = await harness.subscribe(MOVES);
    await waitFor(() => mesh.log.active === 1, 'the upstream subscription on the second replica');
    mesh.appendRange(1, 2);

    expect(await nextPayloads(events, 2)).toEqual([moved(1), moved(2)]);
    // The failed connect to the first replica was a drop: the subscription, without a cursor yet, asks the
    // second for what was published since it began.
    expect(mesh.subscribeCalls).toEqual([{ replica: 1, field: 'stockMoved', args: { from: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) } }]);
  });

  it('should come back to the first replica when the second dies in turn', async () => {
    harness = await startLedgerExecutorHarness({ mesh: { replicas: 2 }, endpoints: replicaEndpoints });
    const { mesh } = harness;
    const events = await harness.subscribe(MOVES);
    await waitFor(() => mesh.log.active === 1, 'the upstream subscription');
    mesh.appendRange(1, 1);
    expect(await nextPayloads(events, 1)).toEqual([moved(1)]);

    await mesh.crash(0);
    mesh.appendRange(2, 2);
    expect(await nextPayloads(events, 1, 'the event through replica 1')).toEqual([moved(2)]);
    await mesh.restart(0);
    await mesh.crash(1);
    mesh.appendRange(3, 3);

    expect(await nextPayloads(events, 1, 'the event through replica 0 again')).toEqual([moved(3)]);
    expect(mesh.subscribeCalls.map(({ replica, args }) => [replica, args])).toEqual([
      [0, {}],
      [1, { from: '1' }],
      [0, { from: '2' }],
    ]);
  });

  it('should resolve entity fields through a replica that answers when another cannot be reached', async () => {
    const down = await refusedUrl();
    harness = await startLedgerExecutorHarness({
      endpoints: (mesh) => ({ products: { urls: [down, mesh.products.url] }, ledger: { url: mesh.replicas[0].url } }),
    });
    const { mesh } = harness;
    const events = await harness.subscribe(MOVES);
    await waitFor(() => mesh.log.active === 1, 'the upstream subscription');
    mesh.appendRange(1, 3);

    expect(await nextPayloads(events, 3)).toEqual(range(1, 3).map(moved));
  });
});
