import type { RollupLayout } from './Store.js';
import type { RepairSession } from './repairStatements.js';
import { reaggregateRows } from './reaggregateRows.js';
import { ZoneDays } from './zoneDays.js';

/**
 * Replaces the rows of a zone-day table (`RollupLayout.dayZone`) for every local day overlapping
 * [from, to) with the merge of its hour table's rows of that day: what a repair does once the hours are
 * right again, and how a zone-day table new to a store is built. A local day is 23 to 25 whole UTC hours
 * (`zoneDays.ts`), so it is exactly the merge of its hour rows. Returns the rows written.
 */
export async function deriveZoneDays(session: RepairSession, zoned: RollupLayout, hours: RollupLayout, from: Date, to: Date): Promise<number> {
  if (!zoned.dayZone) throw new Error(`${zoned.name} is not a zone-day table`);
  let written = 0;
  for (const { start, end } of ZoneDays.of(zoned.dayZone.zone).daysOverlapping(from.getTime(), to.getTime())) {
    const [dayStart, dayEnd] = [new Date(start), new Date(end)];
    await session.deleteRows(zoned, 'day', dayStart, dayEnd);
    written += await reaggregateRows(
      session,
      { source: hours, sourceGrain: 'hour', target: zoned, targetGrain: 'day', bucketOf: () => dayStart },
      dayStart,
      dayEnd,
    );
  }
  return written;
}
