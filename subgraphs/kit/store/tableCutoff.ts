import type { RollupLayout, StoredGrain } from './Store.js';
import { ZoneDays } from './zoneDays.js';

/**
 * Where retention cuts one table, given its grain's cutoff (a UTC midnight, see `RetentionCutoffs`): zone
 * days go by local day, so a zone-day table keeps the local day holding the cutoff, and the hour tables
 * zone days are merged from keep that day's earlier hours too (a few hours more than the cutoff says).
 * Then no zone day is kept with part of its hours gone, and a repair of its later hours derives it whole.
 */
export function tableCutoff(layout: RollupLayout, grain: StoredGrain, cutoff: Date, layouts: Iterable<RollupLayout>): Date {
  const zones: string[] = [];
  if (layout.dayZone && grain === 'day') zones.push(layout.dayZone.zone);
  if (grain === 'hour') for (const other of layouts) if (other.dayZone?.hoursOf === layout.name) zones.push(other.dayZone.zone);
  let at = cutoff.getTime();
  for (const zone of zones) at = Math.min(at, ZoneDays.of(zone).startOf(cutoff.getTime()) ?? at);
  return new Date(at);
}
