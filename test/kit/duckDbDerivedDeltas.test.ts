/**
 * Derived delta rows of the embedded store (`subgraphs/kit/store/duckDbDeltas.ts`, "Derived delta rows"):
 * an apply of a few facts writes its rollup's minute rows only, and the projections and zone-day tables
 * read and fold them as their own. Every answer of the store under test, which takes facts a few at a
 * time between larger batches, across whole and sliced compactions and a restart, must equal a second
 * store's that took the same facts in one batch (every table's rows written out), at every table and
 * grain: numbers, distinct counts and percentiles, Paris days across a DST change included.
 */
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { DuckDbStore, type DuckDbStoreOptions } from '../../subgraphs/kit/store/DuckDbStore.js';
import { DERIVE_MAX_FACTS } from '../../subgraphs/kit/store/duckDbDeltas.js';
import { ZoneDays } from '../../subgraphs/kit/store/zoneDays.js';
import { createProjector } from '../../subgraphs/kit/rollups/createProjector.js';
import { storeRollupLayouts } from '../../subgraphs/kit/rollups/storeRollupLayouts.js';
import { DistinctSketch } from '../../subgraphs/kit/sketches/DistinctSketch.js';
import type { BucketQuery, BucketRow, Projector, RollupLayout, StoreLayout, StoredFact } from '../../subgraphs/kit/store/Store.js';
import { declaration, type Visit } from '../support/projectionContractSuite.js';
import { DAY, HOUR, random } from '../support/storeFixtures.js';
import { useTempStores } from '../support/useTempStores.js';

const PARIS = 'Europe/Paris';
const DECLARATION = declaration(1, [PARIS]);
const PROJECT = createProjector(DECLARATION);
const LAYOUT: StoreLayout = { rollups: storeRollupLayouts(DECLARATION.rollups!), states: [] };
/** Four UTC days around the Paris spring change (2024-03-31, a 23-hour local day). */
const FROM = Date.UTC(2024, 2, 29);
const TO = FROM + 4 * DAY;

const temp = useTempStores('duckdb-derived-');
const { opened } = temp;

async function openStore(options: Partial<DuckDbStoreOptions> = {}): Promise<DuckDbStore> {
  const store = await DuckDbStore.open({ path: join(temp.dir, 'derived.duckdb'), compactAfterRows: 1_000_000, compactIdleMs: 0, threads: 1, ...options });
  opened.push(store);
  await store.init(LAYOUT);
  return store;
}

async function closeStore(store: DuckDbStore): Promise<void> {
  await store.close();
  opened.splice(opened.indexOf(store), 1);
}

/** Visits over the four days, with visitors and latencies for the sketches. */
function visits(count: number, seed: number): StoredFact[] {
  const next = random(seed);
  const pick = (values: string[]) => values[Math.floor(next() * values.length)];
  return Array.from({ length: count }, (_, i) => {
    const data: Visit = {
      visitor: `v${Math.floor(next() * 90)}`,
      region: pick(['eu', 'us', 'apac']),
      channel: pick(['web', 'app']),
      device: pick(['phone', 'desktop']),
      spent: 1 + Math.floor(next() * 500),
      latency: Math.round(Math.exp(next() * 6) * 100) / 100,
    };
    return { source: 'web', id: `d${seed}-${i}`, type: 'Visit', time: new Date(FROM + Math.floor(next() * (TO - FROM))), data: { ...data } };
  });
}

/** Applies `facts` a few at a time (1 to 3 per apply, all under `DERIVE_MAX_FACTS`). */
async function applyFew(store: DuckDbStore, facts: StoredFact[]): Promise<void> {
  for (let i = 0; i < facts.length;) {
    const size = 1 + (i % 3);
    await store.apply(facts.slice(i, i + size), PROJECT);
    i += size;
  }
}

/** A query of every bucket of a table at a grain it keeps, grouped by all its dimensions, with every sketch. */
function queriesOf(layout: RollupLayout): BucketQuery[] {
  const sketches = Object.keys(layout.sketches ?? {});
  const base = { rollup: layout.name, groupBy: layout.dimensions, filter: {}, sketches };
  if (layout.dayZone) {
    const days = ZoneDays.of(layout.dayZone.zone).daysOverlapping(FROM - DAY, TO + DAY);
    return [{ ...base, grain: 'day', boundaries: [...days.map((day) => new Date(day.start)), new Date(days.at(-1)!.end)] }];
  }
  const every = (step: number) => Array.from({ length: Math.round((TO - FROM) / step) + 1 }, (_, i) => new Date(FROM + i * step));
  return [
    ...(layout.projectionOf === undefined ? [{ ...base, grain: 'minute' as const, boundaries: every(30 * 60_000) }] : []),
    { ...base, grain: 'hour', boundaries: every(HOUR) },
    { ...base, grain: 'day', boundaries: every(DAY) },
  ];
}

/** A row with its sketches summed up in values that do not depend on merge order. */
function comparable(row: BucketRow): unknown {
  const sketches = Object.entries(row.sketches ?? {}).map(([column, sketch]) =>
    sketch instanceof DistinctSketch ? [column, sketch.estimate()] : [column, sketch.count, ...sketch.quantiles([0.5, 0.95])],
  );
  return { bucket: row.bucket, group: row.group, values: row.values, sketches };
}

/** Every table's answers, at every grain it keeps. */
async function answers(store: DuckDbStore): Promise<Record<string, unknown[]>> {
  const all: Record<string, unknown[]> = {};
  for (const layout of LAYOUT.rollups) {
    for (const q of queriesOf(layout)) all[`${layout.name}:${q.grain}`] = (await store.queryBuckets(q)).map(comparable);
  }
  return all;
}

/** What a store that took `facts` in one batch answers (every table's rows written out, none derived). */
async function reference(facts: StoredFact[]): Promise<Record<string, unknown[]>> {
  expect(facts.length).toBeGreaterThan(DERIVE_MAX_FACTS);
  const store = await DuckDbStore.open({ path: ':memory:', compactIdleMs: 0, threads: 1 });
  try {
    await store.init(LAYOUT);
    await store.apply(facts, PROJECT);
    return await answers(store);
  } finally {
    await store.close();
  }
}

/** Delta rows in the closed store's file, per table (derived minute rows apart). */
async function deltaRows(path: string): Promise<Record<string, number>> {
  const instance = await DuckDBInstance.create(path);
  const connection = await instance.connect();
  try {
    const counts: Record<string, number> = {};
    for (const layout of LAYOUT.rollups) {
      const table = `delta_${layout.name}_${layout.finestGrain ?? 'minute'}`;
      counts[table] = Number((await connection.runAndReadAll(`SELECT count(*) FROM ${table}`)).getRows()[0][0]);
    }
    counts.derived = Number((await connection.runAndReadAll('SELECT count(*) FROM delta_visits_minute WHERE _derive')).getRows()[0][0]);
    return counts;
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

describe('DuckDbStore derived delta rows', () => {
  it('should answer every table as a store that took the same facts in one batch, through compactions and a restart', async () => {
    const facts = visits(420, 7);
    const path = join(temp.dir, 'derived.duckdb');
    let store = await openStore();
    let applied = 0;
    const expectSameAsReference = async () => expect(await answers(store)).toEqual(await reference(facts.slice(0, applied)));

    await applyFew(store, facts.slice(0, 60)); // derived rows only
    applied = 60;
    await expectSameAsReference();
    await store.apply(facts.slice(60, 200), PROJECT); // every table's rows, beside derived ones
    await applyFew(store, facts.slice(200, 240));
    applied = 240;
    await expectSameAsReference();
    await store.compact();
    await expectSameAsReference();
    await applyFew(store, facts.slice(240, 280)); // left pending at close
    applied = 280;
    await closeStore(store);

    const left = await deltaRows(path);
    expect(left.derived).toBe(left.delta_visits_minute); // the rollup's rows stand for every table
    expect(left.derived).toBeGreaterThan(0);
    for (const [table, rows] of Object.entries(left))
      if (table !== 'derived' && table !== 'delta_visits_minute') expect({ table, rows }).toEqual({ table, rows: 0 });

    // Folded at init into every table, each once; then sliced background compactions fold new ones.
    store = await openStore({ compactAfterRows: 30, compactSliceRows: 10 });
    await expectSameAsReference();
    await applyFew(store, facts.slice(280, 380));
    applied = 380;
    await expectSameAsReference();
    await store.apply(facts.slice(380), PROJECT);
    applied = facts.length;
    await expectSameAsReference();
    await store.compact();
    await expectSameAsReference();
    await closeStore(store);
    expect(await deltaRows(path)).toEqual(Object.fromEntries([...Object.keys(left)].map((table) => [table, 0])));
  }, 90_000); // hundreds of applies and compactions: 14 s alone, over 30 s beside other suites on the 2-core machine

  it('should write a projection row itself when its rollup has none in the apply, never leave it to be derived', async () => {
    const store = await openStore();
    const [fact] = visits(1, 9);
    // A projector that makes only the region projection's row (the kit's makes the rollup's beside it).
    const projectionOnly: Projector = async (facts, states) => {
      const { deltas } = await PROJECT(facts, states, { finestGrainOnly: true });
      return { deltas: deltas.filter((delta) => delta.rollup === 'visits__by__region'), states: [] };
    };
    await store.apply([fact], projectionOnly);
    const hour = FROM + Math.floor((fact.time.getTime() - FROM) / HOUR) * HOUR;
    const rows = await store.queryBuckets({
      rollup: 'visits__by__region',
      grain: 'hour',
      boundaries: [new Date(hour), new Date(hour + HOUR)],
      groupBy: [],
      filter: {},
    });
    expect(rows.map((row) => row.values.visits)).toEqual([1]);
  });
});
