/**
 * Rolling out a new layout (here: a projection) while replicas keep writing one PostgreSQL schema: the
 * layout record and its advisory lock (subgraphs/kit/store/postgresLayoutRecord.ts) keep every projection
 * equal to its rollup. A replica on an older layout fails closed; replicas on the new one build the
 * projection exactly once, even while one of them is already applying.
 */
import pg from 'pg';
import { z } from 'zod';
import type { DataProductDeclaration } from '../../subgraphs/kit/productDeclaration.js';
import { createProjector } from '../../subgraphs/kit/rollups/createProjector.js';
import { storeRollupLayouts } from '../../subgraphs/kit/rollups/rollupProjections.js';
import { PostgresStore } from '../../subgraphs/kit/store/PostgresStore.js';
import { LayoutChangedError } from '../../subgraphs/kit/store/postgresLayoutRecord.js';
import type { StoreLayout, StoredFact, StoredGrain } from '../../subgraphs/kit/store/Store.js';
import { waitFor } from '../support/asyncWait.js';
import { DAY, HOUR, T0 } from '../support/storeFixtures.js';
import { POSTGRES_TEST_URL, describeIfPostgres, dropSchemas, queryPostgres, uniqueSchema } from '../support/postgresAvailable.js';

// --- harness -------------------------------------------------------------------------------------------

const facts = { Sale: z.object({ region: z.string(), channel: z.string(), amount: z.number() }) };

/** The product with the given projections of its rollup (the ungrouped one is always implied). */
function product(projections: string[][]): { layout: StoreLayout; project: ReturnType<typeof createProjector> } {
  const declaration = {
    facts,
    rollups: {
      sales: {
        dimensions: ['region', 'channel'],
        measures: { sales: 'count', amount: 'sum' },
        projections,
        contributions: {
          Sale: (s: z.infer<(typeof facts)['Sale']>) => ({ dims: { region: s.region, channel: s.channel }, values: { sales: 1, amount: s.amount } }),
        },
      },
    },
  } as unknown as DataProductDeclaration;
  return { layout: { rollups: storeRollupLayouts(declaration.rollups!), states: [] }, project: createProjector(declaration) };
}

/** The older definition, and the newer one that adds a projection over `region`. */
const OLDER = product([]);
const NEWER = product([['region']]);
const PROJECTION = 'sales__by__region';

const REGIONS = ['eu', 'us', 'apac'];
const CHANNELS = ['web', 'shop'];

/** `count` sales spread over two days, ids prefixed so batches never share a key. */
function sales(prefix: string, count: number): StoredFact[] {
  return Array.from({ length: count }, (_, i) => ({
    source: 'test',
    id: `${prefix}-${i}`,
    type: 'Sale',
    time: new Date(T0 + ((i * 7_919_000) % (2 * DAY))),
    data: { region: REGIONS[i % 3], channel: CHANNELS[i % 2], amount: 1 + (i % 5) },
  }));
}

let schema: string;
let opened: PostgresStore[];
let clients: pg.Client[];

async function openStore(layout: StoreLayout | null): Promise<PostgresStore> {
  const store = await PostgresStore.open({ url: POSTGRES_TEST_URL, schema });
  opened.push(store);
  if (layout) await store.init(layout);
  return store;
}

/** A plain connection of the test's own, to hold locks a store must queue behind. */
async function connection(): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: POSTGRES_TEST_URL, application_name: `layout-test:${schema}` });
  await client.connect();
  clients.push(client);
  return client;
}

/** Backends of this schema's stores (or of the test's own connections) waiting on a lock right now. */
async function waitingOnLocks(applicationName: string): Promise<number> {
  const [row] = await queryPostgres<{ count: string }>(
    `SELECT count(*) AS count FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock'`,
    [applicationName],
  );
  return Number(row.count);
}

/** Waits (on the condition, never a fixed time) until `count` backends named so wait on a lock. */
async function untilWaiting(applicationName: string, count: number): Promise<void> {
  let waiting = 0;
  const poll = async () => {
    while (waiting < count) waiting = await waitingOnLocks(applicationName);
  };
  const polling = poll();
  await waitFor(() => waiting >= count, `${count} backend(s) of ${applicationName} waiting on a lock`, 20_000);
  await polling;
}

/** The rollup re-aggregated by region and the projection, at one grain over the two days of facts. */
async function byRegion(store: PostgresStore, grain: StoredGrain) {
  const boundaries = Array.from({ length: grain === 'day' ? 3 : 49 }, (_, i) => new Date(T0 + i * (grain === 'day' ? DAY : HOUR)));
  const read = (rollup: string) => store.queryBuckets({ rollup, grain, boundaries, groupBy: ['region'], filter: {} });
  return { rollup: await read('sales'), projection: await read(PROJECTION) };
}

async function expectProjectionEqualsRollup(store: PostgresStore, factCount: number): Promise<void> {
  for (const grain of ['hour', 'day'] as const) {
    const { rollup, projection } = await byRegion(store, grain);
    expect(projection).toEqual(rollup);
  }
  const { rollup } = await byRegion(store, 'day');
  expect(rollup.reduce((total, row) => total + (row.values.sales ?? 0), 0)).toBe(factCount);
}

// --- tests ---------------------------------------------------------------------------------------------

describeIfPostgres('PostgresStore rolling out a layout', () => {
  beforeEach(() => {
    schema = uniqueSchema();
    opened = [];
    clients = [];
  });
  afterEach(async () => {
    await Promise.all(clients.map((client) => client.end()));
    await Promise.all(opened.map((store) => store.close()));
    await dropSchemas(schema);
  });

  it('should refuse the writes of a replica still on the older layout, so the projection stays equal to the rollup', async () => {
    const older = await openStore(OLDER.layout);
    await older.apply(sales('a', 300), OLDER.project);

    const newer = await openStore(NEWER.layout);
    const second = sales('b', 200);
    // The older replica does not know the projection: its batch is refused whole, not half-written.
    await expect(older.apply(second, OLDER.project)).rejects.toThrow(LayoutChangedError);
    await expect(older.apply(second, OLDER.project)).rejects.toThrow(/another layout .*restart this replica with the current definition/);
    expect(await newer.factCount()).toBe(300);
    // Its repairs are refused the same way.
    await expect(older.enforceRetention({ facts: new Date(T0 - DAY), grains: {} })).rejects.toThrow(LayoutChangedError);

    // The producer retries; a replica on the current layout applies the batch.
    expect((await newer.apply(second, NEWER.project)).applied).toHaveLength(200);
    await expectProjectionEqualsRollup(newer, 500);
  });

  it('should rebuild a projection the recorded layout did not maintain when it is declared again', async () => {
    const newer = await openStore(NEWER.layout);
    await newer.apply(sales('a', 300), NEWER.project);
    // A rollback to the older definition: its replica writes the rollup only, and the newer one is refused.
    const older = await openStore(OLDER.layout);
    await older.apply(sales('b', 200), OLDER.project);
    await expect(newer.apply(sales('c', 10), NEWER.project)).rejects.toThrow(LayoutChangedError);

    // Rolled forward again: the projection's rows lack the older replica's batch, so they are rebuilt.
    const again = await openStore(NEWER.layout);
    await expect(older.apply(sales('c', 10), OLDER.project)).rejects.toThrow(LayoutChangedError);
    await expectProjectionEqualsRollup(again, 500);
    // The first newer replica's layout is current again: it writes once more.
    expect((await newer.apply(sales('c', 10), NEWER.project)).applied).toHaveLength(10);
    await expectProjectionEqualsRollup(again, 510);
  });

  it('should build a projection once when a new replica starts while another is applying its first batch', async () => {
    // `first` starts on an empty schema (nothing to build) and applies a batch that is held before its
    // commit; `second` starts meanwhile. Without the layout lock, `second` could see the projection empty,
    // then the rollup holding that batch once committed, and build it into the projection a second time.
    const first = await openStore(NEWER.layout);
    const second = await openStore(null);
    const stores = `mesh-store:${schema}`;

    // Hold `first` after its rollup writes: its watermark update waits for this row lock.
    const holdCommit = await connection();
    await holdCommit.query('BEGIN');
    await holdCommit.query(`SELECT 1 FROM "${schema}".meta WHERE id = 1 FOR UPDATE`);
    const firstBatch = first.apply(sales('a', 300), NEWER.project);
    await untilWaiting(stores, 1);

    // Queue an exclusive lock on the rollup's hour table behind `first`: readers of that table queue behind it.
    const holdReads = await connection();
    await holdReads.query('BEGIN');
    const readsHeld = holdReads.query(`LOCK TABLE "${schema}".rollup_sales_hour IN ACCESS EXCLUSIVE MODE`);
    await untilWaiting(`layout-test:${schema}`, 1);

    const secondInit = second.init(NEWER.layout);
    await untilWaiting(stores, 2);
    // Let `first` commit, then the queued lock go, then `second` run on.
    await holdCommit.query('COMMIT');
    expect((await firstBatch).applied).toHaveLength(300);
    await readsHeld;
    await holdReads.query('COMMIT');
    const info = jest.spyOn(console, 'info').mockImplementation(() => undefined);
    try {
      await secondInit;
      // The projection was there (first's writes): nothing was built.
      expect(info).not.toHaveBeenCalled();
    } finally {
      info.mockRestore();
    }

    expect((await second.apply(sales('b', 200), NEWER.project)).applied).toHaveLength(200);
    await expectProjectionEqualsRollup(second, 500);
  });

  it('should let replicas on the new layout start together on a schema holding rows and build the projection once', async () => {
    const older = await openStore(OLDER.layout);
    await older.apply(sales('a', 300), OLDER.project);
    await older.close();

    const [one, two] = await Promise.all([openStore(null), openStore(null)]);
    const info = jest.spyOn(console, 'info').mockImplementation(() => undefined);
    try {
      await Promise.all([one.init(NEWER.layout), two.init(NEWER.layout)]);
      expect(info).toHaveBeenCalledTimes(1);
      expect(String(info.mock.calls[0][0])).toContain(`${PROJECTION} (`);
    } finally {
      info.mockRestore();
    }
    await Promise.all([one.apply(sales('b', 200), NEWER.project), two.apply(sales('c', 100), NEWER.project)]);
    await expectProjectionEqualsRollup(one, 600);
  });
});
