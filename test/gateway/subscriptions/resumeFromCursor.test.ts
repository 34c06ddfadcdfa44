import { nextValue, waitFor } from '../../support/asyncWait.js';
import { nextPayloads, startLedgerExecutorHarness, type LedgerExecutorHarness } from '../../support/ledgerExecutorHarness.js';

// `product { name }` comes from the products subgraph: events go through the federated plan.
const MOVES = /* GraphQL */ `
  subscription Moves($from: String) {
    stockMoved(from: $from) {
      quantity
      product {
        name
      }
    }
  }
`;

/** What a client receives for the ledger event with this quantity (product p1 is the Kettle). */
const moved = (quantity: number) => ({ data: { stockMoved: { quantity, product: { name: 'Kettle' } } } });
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('resuming upstream subscriptions from the last cursor', () => {
  let harness: LedgerExecutorHarness;
  afterEach(() => harness.close());

  it.each([
    ['crashes (sockets dropped)', true],
    ['stops the orderly way (1001)', false],
  ])('should deliver the events published while the subgraph was away exactly once and in order, after it %s', async (_, abrupt) => {
    harness = await startLedgerExecutorHarness();
    const { mesh } = harness;
    const events = await harness.subscribe(MOVES);
    await waitFor(() => mesh.log.active === 1, 'the upstream subscription');
    mesh.appendRange(1, 5);
    expect(await nextPayloads(events, 5, 'events before the crash')).toEqual(range(1, 5).map(moved));

    await (abrupt ? mesh.crash(0) : mesh.stop(0));
    mesh.appendRange(6, 10);
    await mesh.restart(0);

    expect(await nextPayloads(events, 5, 'the replayed events')).toEqual(range(6, 10).map(moved));
    mesh.appendRange(11, 12);
    // A duplicate or a late replay would show up here instead of 11 and 12.
    expect(await nextPayloads(events, 2, 'live events')).toEqual([moved(11), moved(12)]);
    // The subgraph saw a live subscribe, then a resume after the last event the gateway received.
    expect(mesh.subscribeCalls.map(({ args }) => args)).toEqual([{}, { from: '5' }]);
    expect(harness.executor.stats()).toMatchObject({ upstreams: 1, clients: 1, connections: 1 });
  });

  it('should deliver the events published while the subgraph was away to a subscription that had seen none yet (no cursor)', async () => {
    harness = await startLedgerExecutorHarness();
    const { mesh } = harness;
    mesh.appendRange(1, 2); // before the subscription: not for it
    const events = await harness.subscribe(MOVES);
    await waitFor(() => mesh.log.active === 1, 'the upstream subscription');

    await mesh.crash(0);
    mesh.appendRange(3, 5);
    await mesh.restart(0);

    expect(await nextPayloads(events, 3, 'the events published while it was away')).toEqual(range(3, 5).map(moved));
    mesh.appendRange(6, 6);
    expect(await nextPayloads(events, 1, 'the live event')).toEqual([moved(6)]);
    // A live subscribe, then a resume from the moment the subscription began, then, after an event, from its cursor.
    const [first, resumed] = mesh.subscribeCalls.map(({ args }) => args);
    expect(first).toEqual({});
    expect(resumed).toEqual({ from: expect.stringMatching(/^\d{4}-\d\d-\d\dT[\d:.]+Z$/) });
    await mesh.crash(0);
    await mesh.restart(0);
    await waitFor(() => mesh.subscribeCalls.length === 3, 'the third subscribe');
    expect(mesh.subscribeCalls[2].args).toEqual({ from: '6' });
  });

  it('should resume a subscription without a cursor from shortly before the drop, not from its start', async () => {
    harness = await startLedgerExecutorHarness({ resumeMarginMs: 100 });
    const { mesh } = harness;
    const events = await harness.subscribe(MOVES);
    await waitFor(() => mesh.log.active === 1, 'the upstream subscription');
    await new Promise((resolve) => setTimeout(resolve, 400));

    const dropped = Date.now();
    await mesh.crash(0);
    mesh.appendRange(1, 1);
    await mesh.restart(0);

    expect(await nextPayloads(events, 1, 'the event published while it was away')).toEqual([moved(1)]);
    const from = Date.parse(String(mesh.subscribeCalls[1].args.from));
    // From the drop less the margin: the 400 connected, quiet milliseconds before it are not replayed.
    expect(from).toBeGreaterThanOrEqual(dropped - 150);
    expect(from).toBeLessThanOrEqual(Date.now());
  });

  it('should tell a subscription without a cursor that events may be missing when the subgraph cannot replay since it began', async () => {
    harness = await startLedgerExecutorHarness();
    const { mesh } = harness;
    const events = await harness.subscribe(MOVES);
    await waitFor(() => mesh.log.active === 1, 'the upstream subscription');

    await mesh.crash(0);
    mesh.appendRange(1, 3);
    mesh.log.forgetThrough('3');
    await mesh.restart(0);

    const [notice] = (await nextPayloads(events, 1, 'the gap notice')) as [{ errors: Array<{ extensions: unknown }> }];
    expect(notice.errors).toEqual([expect.objectContaining({ extensions: { code: 'EVENTS_MISSED', serviceName: 'ledger' } })]);
    await waitFor(() => mesh.subscribeCalls.length === 3 && mesh.log.active === 1, 'the live re-subscription');
    mesh.appendRange(4, 4);
    expect(await nextPayloads(events, 1)).toEqual([moved(4)]);
  });

  it('should resume every client of a shared upstream, each getting every event once', async () => {
    harness = await startLedgerExecutorHarness();
    const { mesh, executor } = harness;
    const clients = await Promise.all([1, 2, 3].map(() => harness.subscribe(MOVES)));
    await waitFor(() => mesh.log.active === 1, 'one shared upstream subscription');
    mesh.appendRange(1, 2);
    for (const events of clients) expect(await nextPayloads(events, 2)).toEqual([moved(1), moved(2)]);

    await mesh.crash(0);
    mesh.appendRange(3, 4);
    await mesh.restart(0);
    mesh.appendRange(5, 5);

    for (const events of clients) expect(await nextPayloads(events, 3)).toEqual([moved(3), moved(4), moved(5)]);
    expect(mesh.subscribeCalls.map(({ args }) => args)).toEqual([{}, { from: '2' }]);
    expect(executor.stats()).toMatchObject({ upstreams: 1, clients: 3, connections: 1 });
  });

  it('should never show clients the hidden cursor selection, and keep their own `cursor` as they asked', async () => {
    harness = await startLedgerExecutorHarness();
    const { mesh } = harness;
    const hiddenOnly = await harness.subscribe(`subscription { stockMoved { quantity } }`);
    const ownCursor = await harness.subscribe(`subscription { moved: stockMoved { at: cursor cursor quantity } }`);
    await waitFor(() => mesh.log.active === 2, 'both upstream subscriptions');

    mesh.appendRange(1, 1);

    const [plain] = await nextPayloads(hiddenOnly, 1);
    const [withCursor] = await nextPayloads(ownCursor, 1);
    expect(plain).toEqual({ data: { stockMoved: { quantity: 1 } } });
    expect(withCursor).toEqual({ data: { moved: { at: '1', cursor: '1', quantity: 1 } } });
    expect(JSON.stringify([plain, withCursor])).not.toContain('__mesh');
  });

  it('should start from the cursor a client gave, as a variable or inline, and resume from there on', async () => {
    harness = await startLedgerExecutorHarness();
    const { mesh, executor } = harness;
    mesh.appendRange(1, 5);
    const fromVariable = await harness.subscribe(MOVES, { from: '2' });
    const inline = await harness.subscribe(`subscription { stockMoved(from: "3") { quantity } }`);
    const sameCursor = await harness.subscribe(MOVES, { from: '2' });

    expect(await nextPayloads(fromVariable, 3)).toEqual(range(3, 5).map(moved));
    expect(await nextPayloads(inline, 2)).toEqual([4, 5].map((quantity) => ({ data: { stockMoved: { quantity } } })));
    expect(await nextPayloads(sameCursor, 3)).toEqual(range(3, 5).map(moved));
    // A replaying subscription is never shared: a later client would miss what it already replayed.
    expect(executor.stats()).toMatchObject({ upstreams: 3, clients: 3, connections: 1 });

    await mesh.crash(0);
    mesh.appendRange(6, 7);
    await mesh.restart(0);
    expect(await nextPayloads(fromVariable, 2)).toEqual([moved(6), moved(7)]);
    expect(await nextPayloads(inline, 2)).toEqual([6, 7].map((quantity) => ({ data: { stockMoved: { quantity } } })));

    const calls = mesh.subscribeCalls.map(({ args }) => args);
    expect(calls.slice(0, 3)).toEqual([{ from: '2' }, { from: '3' }, { from: '2' }]);
    expect(calls.slice(3)).toEqual([{ from: '5' }, { from: '5' }, { from: '5' }]);
  });

  it.each([
    ['when it subscribes', 'on-subscribe'],
    ['in the stream', 'in-stream'],
  ] as const)('should go on live with ONE EVENTS_MISSED error when the subgraph refuses the last cursor %s', async (_, cursorRefusal) => {
    harness = await startLedgerExecutorHarness({ mesh: { cursorRefusal } });
    const { mesh, executor } = harness;
    const events = await harness.subscribe(MOVES);
    await waitFor(() => mesh.log.active === 1, 'the upstream subscription');
    mesh.appendRange(1, 3);
    expect(await nextPayloads(events, 3)).toEqual(range(1, 3).map(moved));

    await mesh.crash(0);
    mesh.appendRange(4, 6);
    mesh.log.forgetThrough('5'); // retention: resuming after 3 is no longer possible
    await mesh.restart(0);

    expect(await nextPayloads(events, 1, 'the gap notice')).toEqual([
      {
        errors: [
          {
            message: expect.stringMatching(
              /^Some events may have been missed: subgraph "ledger" could not resume the subscription \(cursor 3 cannot be resumed/,
            ),
            extensions: { code: 'EVENTS_MISSED', serviceName: 'ledger' },
          },
        ],
      },
    ]);
    await waitFor(() => mesh.subscribeCalls.length === 3 && mesh.log.active === 1, 'the live re-subscription');
    mesh.appendRange(7, 8);
    expect(await nextPayloads(events, 2, 'live events after the gap')).toEqual([moved(7), moved(8)]);
    expect(mesh.subscribeCalls.map(({ args }) => args)).toEqual([{}, { from: '3' }, {}]);
    expect(executor.stats()).toMatchObject({ upstreams: 1, clients: 1, connections: 1 });

    // The live subscription resumes like any other after the next drop.
    await mesh.crash(0);
    mesh.appendRange(9, 9);
    await mesh.restart(0);
    expect(await nextPayloads(events, 1, 'the event after the second restart')).toEqual([moved(9)]);
    expect(mesh.subscribeCalls.at(-1)?.args).toEqual({ from: '8' });
  });

  it("should treat a client's own cursor the subgraph cannot replay from the same way", async () => {
    harness = await startLedgerExecutorHarness();
    const { mesh } = harness;
    mesh.appendRange(1, 2);
    const events = await harness.subscribe(MOVES, { from: '99' });

    const [notice] = (await nextPayloads(events, 1, 'the gap notice')) as [{ errors: Array<{ extensions: unknown }> }];
    expect(notice.errors).toEqual([expect.objectContaining({ extensions: { code: 'EVENTS_MISSED', serviceName: 'ledger' } })]);
    await waitFor(() => mesh.subscribeCalls.length === 2 && mesh.log.active === 1, 'the live re-subscription');
    mesh.appendRange(3, 3);
    expect(await nextPayloads(events, 1)).toEqual([moved(3)]);
    expect(mesh.subscribeCalls.map(({ args }) => args)).toEqual([{ from: '99' }, {}]);
  });

  it('should leave a subscription field without the convention alone', async () => {
    harness = await startLedgerExecutorHarness();
    const { mesh } = harness;
    const events = await harness.subscribe(`subscription { stockMovedLive { quantity } }`);
    await waitFor(() => mesh.log.active === 1, 'the upstream subscription');
    mesh.appendRange(1, 1);
    expect(JSON.parse(JSON.stringify(await nextValue(events)))).toEqual({ data: { stockMovedLive: { quantity: 1 } } });
    expect(mesh.subscribeCalls).toEqual([{ replica: 0, field: 'stockMovedLive', args: {} }]);
  });
});
