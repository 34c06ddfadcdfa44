import { ZoneDays, zoneSlug } from '../store/zoneDays.js';
import { PROJECTION_SEPARATOR, rollupProjections, type ProjectedRollup } from './rollupProjections.js';

/**
 * A zone-day table: a rollup or one of its projections kept again at the day grain, with days that start
 * at the local midnights of a declared zone (`RollupDefinition.dayZones`). A history query in that zone
 * at DAY granularity (or WEEK or MONTH, whose boundaries are local midnights too) reads one row per group
 * and local day instead of the 23 to 25 UTC hour rows of that day, so its cost stays flat as facts grow.
 */
export interface ZoneDayTable {
  /** Store name: `<table>__tz_<zone slug>`, e.g. `sales__by__product_id__tz_europe_paris`. */
  name: string;
  /** The declared rollup it re-aggregates. */
  of: string;
  /** The table whose hour rows it merges: the rollup itself or one of its projections (same dimensions). */
  hoursOf: string;
  dimensions: string[];
  /** Canonical IANA zone. */
  zone: string;
}

/** The store name of `table`'s days in `zone`. */
export function zoneDayTableName(table: string, zone: string): string {
  return `${table}${PROJECTION_SEPARATOR}tz_${zoneSlug(ZoneDays.of(zone).zone)}`;
}

/**
 * The zone-day tables the kit keeps for a rollup: for each declared zone, one for the rollup and one for
 * each of its projections. A zone the kit cannot serve throws (`dayZoneProblem`; `defineDataProduct`
 * reports it first); a zone declared twice (or two spellings of it) counts once.
 */
export function zoneDayTables(name: string, rollup: ProjectedRollup): ZoneDayTable[] {
  const zones = [...new Set((rollup.dayZones ?? []).map((zone) => ZoneDays.of(zone).zone))];
  const tables = [{ name, dimensions: [...rollup.dimensions] }, ...rollupProjections(name, rollup)];
  return zones.flatMap((zone) =>
    tables.map((table) => ({ name: zoneDayTableName(table.name, zone), of: name, hoursOf: table.name, dimensions: table.dimensions, zone })),
  );
}
