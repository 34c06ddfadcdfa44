/**
 * Hive Router's planner for the mesh query engine (gateway/engine/createHivePlanner.ts,
 * fromHivePlan.ts) on the conformance supergraph: its plans in the engine's form, `BatchFetch`
 * included, cached per supergraph; operations it cannot plan answer null (the gateway plans them with
 * @apollo/gateway). conformance.test.ts runs the whole corpus on its plans.
 */
import { createHivePlanner } from '../../../gateway/engine/createHivePlanner.js';
import { CONFORMANCE_SCHEMAS } from '../../conformance/conformanceSubgraphs.js';
import { composeConformanceSchema } from '../../conformance/startConformanceMesh.js';

const names = CONFORMANCE_SCHEMAS.full;
const sdl = composeConformanceSchema(names, Object.fromEntries(names.map((n) => [n, `http://127.0.0.1:9/${n}`])));

describe('createHivePlanner', () => {
  it('should plan in the engine form, with typed path steps and rewrites as strings, and cache the plan', () => {
    const planner = createHivePlanner();
    planner.update(sdl);
    const plan = planner.plan('{ media { id score } }', null);
    expect(plan).toEqual({
      node: {
        kind: 'Sequence',
        nodes: [
          expect.objectContaining({ kind: 'Fetch', serviceName: 'media' }),
          {
            kind: 'Flatten',
            path: ['media', '@'],
            node: expect.objectContaining({
              kind: 'Fetch',
              serviceName: 'ratings',
              inputRewrites: [{ kind: 'ValueSetter', path: ['... on Media', '__typename'], setValueTo: 'Media' }],
            }),
          },
        ],
      },
    });
    expect(planner.plan('{ media { id score } }', null)).toBe(plan);
  });

  it('should turn a BatchFetch into a batch step with the paths of every alias', () => {
    const planner = createHivePlanner();
    planner.update(sdl);
    const plan = planner.plan('{ a: product(upc: "p1") { stockCount } b: product(upc: "p5") { stockCount } }', null);
    expect(plan?.node).toMatchObject({
      kind: 'Sequence',
      nodes: [{ kind: 'Fetch' }, { kind: 'BatchFetch', serviceName: 'inventory', batches: [{ alias: '_e0', paths: expect.arrayContaining([['a'], ['b']]) }] }],
    });
  });

  it("should name fetches after the client's operation as Apollo's planner does, in plan order, and leave anonymous ones unnamed", () => {
    const planner = createHivePlanner();
    planner.update(sdl);
    const fetches = (plan: ReturnType<typeof planner.plan>) =>
      (plan?.node?.kind === 'Sequence' ? plan.node.nodes : []).map((node) => (node.kind === 'Flatten' ? node.node : node)) as Array<{
        operation: string;
        operationName?: string;
      }>;

    const named = fetches(planner.plan('query Scores { media { id score } }', null));
    const chosen = fetches(planner.plan('query A { media { id } } query B { media { id score } }', 'B'));
    const anonymous = fetches(planner.plan('{ media { id score } }', null));

    expect(named.map((fetch) => fetch.operationName)).toEqual(['Scores__media__0', 'Scores__ratings__1']);
    expect(named[1].operation).toMatch(/^query Scores__ratings__1\(\$representations:\[_Any!\]!\)\{_entities/);
    expect(chosen.map((fetch) => fetch.operationName)).toEqual(['B__media__0', 'B__ratings__1']);
    expect(anonymous.map((fetch) => fetch.operationName)).toEqual([undefined, undefined]);
    expect(anonymous[0].operation).toMatch(/^\{/);
  });

  it('should answer a root __typename alone (no fetch), as @apollo/gateway does', () => {
    const planner = createHivePlanner();
    planner.update(sdl);
    expect(planner.plan('{ __typename }', null)).toEqual({});
    expect(planner.plan('query Probe { a: __typename ... on Query { __typename } }', 'Probe')).toEqual({});
    expect(planner.plan('{ __typename me { id } }', null)?.node).toMatchObject({ kind: 'Fetch' });
  });

  it('should answer null for what it cannot plan, and before a supergraph, and for a supergraph it cannot load', () => {
    const lines: string[] = [];
    const planner = createHivePlanner({ log: (line) => void lines.push(line) });
    expect(planner.plan('{ me { id } }', null)).toBeNull();
    planner.update(sdl);
    expect(planner.plan('{ __schema { queryType { name } } }', null)).toBeNull();
    planner.update('this is not SDL {');
    expect(planner.plan('{ a }', null)).toBeNull();
    expect(lines).toEqual([expect.stringContaining("Hive Router's planner cannot load the supergraph")]);
  });
});
