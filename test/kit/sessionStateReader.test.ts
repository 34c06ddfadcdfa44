import { createProjector } from '../../subgraphs/kit/rollups/createProjector.js';
import type { DataProductDeclaration } from '../../subgraphs/kit/productDeclaration.js';
import { REPAIR_CHUNK, type FactScan, type RepairSession } from '../../subgraphs/kit/store/repairSession.js';
import { sessionStateReader } from '../../subgraphs/kit/store/sessionStateReader.js';
import type { StoredFact } from '../../subgraphs/kit/store/Store.js';

const fact = (i: number): StoredFact => ({ source: 's', id: `f${i}`, type: 'Set', time: new Date(i * 1000), data: { key: 'k', value: i } });

describe('sessionStateReader', () => {
  it('should replay every stored fact of the types in pages, resuming after the last fact of each page', async () => {
    const stored = Array.from({ length: REPAIR_CHUNK + 2 }, (_, i) => fact(i));
    const scans: FactScan[] = [];
    const session = {
      readFacts: async (scan: FactScan) => {
        scans.push(scan);
        const start = scan.after ? stored.indexOf(scan.after) + 1 : 0;
        return stored.slice(start, start + scan.limit);
      },
    } as unknown as RepairSession;

    const pages: number[] = [];
    for await (const page of sessionStateReader(session, new Set(['s'])).replay!(['Set'])) pages.push(page.length);

    expect(pages).toEqual([REPAIR_CHUNK, 2]);
    expect(scans.map((s) => [s.types, s.after?.id])).toEqual([
      [['Set'], undefined],
      [['Set'], `f${REPAIR_CHUNK - 1}`],
    ]);
  });
});

describe('createProjector over a reader without rows', () => {
  it('should fold every fact on top in event-time order when the reader cannot tell a late fact', async () => {
    const project = createProjector({
      rollups: {},
      states: { last: { reducers: { Set: { key: (d: { key: string }) => d.key, reduce: (_p: unknown, d: { value: number }) => ({ value: d.value }) } } } },
    } as unknown as DataProductDeclaration);

    const { states } = await project([fact(2), fact(1)], { read: async () => new Map([['k', { value: 9 }]]) });

    expect(states).toEqual([{ state: 'last', key: 'k', value: { value: 2 }, updatedAt: new Date(2000), previous: { value: 9 } }]);
  });
});
