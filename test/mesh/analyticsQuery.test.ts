/**
 * Analytics history arguments through the gateway: the supergraph carries them, the planner passes them
 * to the orders subgraph, and the catalog fills the products of the ranked groups.
 */
import { startTestMesh, type TestMesh } from '../support/startTestMesh.js';

describe('analytics queries through the gateway', () => {
  let mesh: TestMesh;
  beforeAll(async () => {
    mesh = await startTestMesh();
  });
  afterAll(() => mesh?.close());

  it('should rank products with others, compare with the previous period and mark complete buckets', async () => {
    const { status, body } = await mesh.query(
      `query ($range: TimeRangeInput!) {
        orderHistory(range: $range, granularity: DAY, groupBy: [PRODUCT], top: { by: UNITS, limit: 1 }, compareTo: PREVIOUS_PERIOD, rolling: { buckets: 7 }) {
          buckets { complete rolling { buckets } }
          total { units comparison { units { current previous absolute relative } } }
          groups { key { product { name } } total { units } }
          others { groups total { units } }
        }
      }`,
      { range: mesh.story.range },
    );

    expect(status).toBe(200);
    expect(body.errors).toBeUndefined();
    const history = body.data.orderHistory;
    // The story's range is seven whole UTC days holding every order: Toaster 4 units, Kettle 3, none before.
    expect(history.groups).toEqual([{ key: { product: { name: 'Toaster' } }, total: { units: 4 } }]);
    expect(history.others).toEqual({ groups: 1, total: { units: 3 } });
    expect(history.total).toEqual({ units: 7, comparison: { units: { current: 7, previous: 0, absolute: 7, relative: null } } });
    expect(history.buckets).toHaveLength(7);
    expect(history.buckets.every((b: { complete: boolean; rolling: { buckets: number } }) => b.complete && b.rolling.buckets === 7)).toBe(true);
  });
});
