/**
 * Event-time resolution of keyed states, declared inside the store contract suite so it runs against every
 * store: the kit's projector over the store's `StateReader` (`rows` and `replay`). A late fact must never
 * overwrite a newer value; facts of one key are folded as if they had arrived in event-time order.
 */
import { createProjector } from '../../subgraphs/kit/rollups/createProjector.js';
import type { DataProductDeclaration } from '../../subgraphs/kit/productDeclaration.js';
import type { Store, StoredFact } from '../../subgraphs/kit/store/Store.js';
import { HOUR, MINUTE, T0 } from './storeFixtures.js';

/** Stock of a product: a count sets it, an adjustment moves it (so fold order matters for both). */
const project = createProjector({
  rollups: {},
  states: {
    stock: {
      reducers: {
        Counted: { key: (d: { product: string }) => d.product, reduce: (_previous: unknown, d: { onHand: number }) => ({ onHand: d.onHand }) },
        Adjusted: {
          key: (d: { product: string }) => d.product,
          reduce: (previous: { onHand?: number } | undefined, d: { delta: number }) => ({ onHand: (previous?.onHand ?? 0) + d.delta }),
        },
      },
    },
  },
} as unknown as DataProductDeclaration);

/** The same adjustments as a counter that declares its facts commute. */
const projectArrival = createProjector({
  rollups: {},
  states: {
    stock: {
      resolve: 'arrival',
      reducers: {
        Adjusted: {
          key: (d: { product: string }) => d.product,
          reduce: (previous: { onHand?: number } | undefined, d: { delta: number }) => ({ onHand: (previous?.onHand ?? 0) + d.delta }),
        },
      },
    },
  },
} as unknown as DataProductDeclaration);

let sequence = 0;
const counted = (atMs: number, onHand: number, product = 'p1'): StoredFact => ({
  source: 'warehouse',
  id: `c${++sequence}`,
  type: 'Counted',
  time: new Date(atMs),
  data: { product, onHand },
});
const adjusted = (atMs: number, delta: number, product = 'p1'): StoredFact => ({
  source: 'warehouse',
  id: `a${++sequence}`,
  type: 'Adjusted',
  time: new Date(atMs),
  data: { product, delta },
});

export function describeEventTimeContract(open: () => Promise<Store>): void {
  describe('keyed states by event time', () => {
    let store: Store;
    beforeEach(async () => {
      store = await open();
    });
    const stock = async (product = 'p1') => {
      const [row] = await store.readStates('stock', [product]);
      return { onHand: row?.value.onHand, updatedAt: row?.updatedAt.getTime() };
    };

    it('should not let a late fact overwrite a newer value', async () => {
      await store.apply([counted(T0 + 10 * HOUR, 50)], project);
      const late = await store.apply([counted(T0 + 9 * HOUR, 20)], project);

      expect(await stock()).toEqual({ onHand: 50, updatedAt: T0 + 10 * HOUR });
      expect(late.projection.states).toEqual([
        { state: 'stock', key: 'p1', value: { onHand: 50 }, updatedAt: new Date(T0 + 10 * HOUR), previous: { onHand: 50 } },
      ]);
    });

    it('should fold a late fact in where its time puts it, over every stored fact of the key', async () => {
      await store.apply([counted(T0 + 9 * HOUR, 20), counted(T0 + 10 * HOUR, 50, 'p2')], project);
      await store.apply([adjusted(T0 + 11 * HOUR, 5)], project); // 25
      await store.apply([counted(T0 + 10 * HOUR, 40)], project); // late: 40 at 10:00, then +5 → 45

      expect(await stock()).toEqual({ onHand: 45, updatedAt: T0 + 11 * HOUR });
      expect(await stock('p2')).toEqual({ onHand: 50, updatedAt: T0 + 10 * HOUR });
    });

    it('should order the facts of one batch by event time whatever their arrival order', async () => {
      await store.apply([adjusted(T0 + 2 * HOUR, 3), counted(T0 + HOUR, 10), counted(T0 + 3 * MINUTE, 99)], project);

      expect(await stock()).toEqual({ onHand: 13, updatedAt: T0 + 2 * HOUR });
    });

    it('should let the later arrival win a tie with the stored time', async () => {
      await store.apply([counted(T0 + HOUR, 10)], project);
      await store.apply([counted(T0 + HOUR, 12)], project);

      expect(await stock()).toEqual({ onHand: 12, updatedAt: T0 + HOUR });
    });

    it('should fold late facts of an arrival-ordered state on top without replaying, keeping the newest time', async () => {
      const replayed: string[][] = [];
      const watched = async (facts: StoredFact[], states: Parameters<typeof projectArrival>[1]) =>
        projectArrival(facts, {
          ...states,
          read: states.read,
          rows: states.rows,
          replay: (types) => (replayed.push([...types]), states.replay!(types)),
        });
      await store.apply([adjusted(T0 + 2 * HOUR, 5)], watched);
      await store.apply([adjusted(T0 + HOUR, 3)], watched);

      expect(await stock()).toEqual({ onHand: 8, updatedAt: T0 + 2 * HOUR });
      expect(replayed).toEqual([]);
    });

    it('should resolve an out-of-order stream to the value of the in-order one', async () => {
      const facts = Array.from({ length: 40 }, (_, i) => (i % 5 === 0 ? counted(T0 + i * MINUTE, 100 + i) : adjusted(T0 + i * MINUTE, i % 2 ? 1 : -2)));
      const shuffled = [...facts].sort((a, b) => ((a.time.getTime() * 7919) % 40) - ((b.time.getTime() * 7919) % 40));
      for (let i = 0; i < shuffled.length; i += 3) await store.apply(shuffled.slice(i, i + 3), project);
      const expected = facts.reduce((onHand, f) => (f.type === 'Counted' ? (f.data.onHand as number) : onHand + (f.data.delta as number)), 0);

      expect(await stock()).toEqual({ onHand: expected, updatedAt: T0 + 39 * MINUTE });
    });
  });
}
