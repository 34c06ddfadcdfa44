import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDbStore } from './subgraphs/kit/store/DuckDbStore.js';
import { LAYOUT, T0, DAY, MINUTE, order, projectOrders, query, random } from './test/support/storeFixtures.js';
function orders(count: number, seed: number) {
  const next = random(seed);
  return Array.from({ length: count }, (_, i) => order(`o${seed}-${i}`, T0 + Math.floor(next() * 2 * DAY), { region: ['eu', 'us', 'apac'][Math.floor(next() * 3)], channel: ['web', 'app'][Math.floor(next() * 2)], amount: 1 + Math.floor(next() * 100) }));
}
const boundaries = Array.from({ length: 97 }, (_, i) => T0 + i * 30 * MINUTE);
let bad = 0;
for (let run = 0; run < 30; run++) {
  const dir = mkdtempSync(join(tmpdir(), 'dbg-'));
  const store = await DuckDbStore.open({ path: join(dir, 'p.duckdb'), compactAfterRows: 1e9, compactIdleMs: 0, onCompactionError: (e) => console.log('COMPACTION ERROR', e) });
  await store.init(LAYOUT);
  let total = 0;
  if (process.env.WARM) await store.queryBuckets(query(boundaries, { grain: 'minute' }));
  const NOCOMPACT = !!process.env.NOCOMPACT;
  for (let b = 0; b < 6; b++) {
    await store.apply(orders(40, run * 100 + b), projectOrders); total += 40;
    const results = await Promise.all([NOCOMPACT ? Promise.resolve() : store.compact(), ...Array.from({ length: 6 }, () => store.queryBuckets(query(boundaries, { grain: 'minute' })))]);
    for (const r of results.slice(1) as any[]) { const got = r.reduce((s: number, row: any) => s + Number(row.values.count), 0); if (got !== total) { bad++; console.log('run', run, 'batch', b, 'got', got, 'want', total); } }
  }
  await store.close();
}
console.log('bad', bad);
