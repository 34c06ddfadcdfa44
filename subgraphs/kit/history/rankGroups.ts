/** How a grouped history keeps only its leading groups. */
export interface TopGroups {
  /** Measure the groups are ranked by (its value over the whole range), largest first. */
  by: string;
  /** Groups kept; the rest are merged into one "others" series, so totals stay exact. */
  limit: number;
}

/**
 * Orders groups by `value` descending (null last, then by id, so the order is stable), and splits them
 * into the first `limit` and the rest.
 */
export function rankGroups<G>(groups: ReadonlyArray<{ id: string; group: G; value: number | null }>, limit: number): { top: G[]; rest: G[] } {
  const ranked = [...groups].sort((a, b) => {
    if (a.value !== b.value) {
      if (a.value === null) return 1;
      if (b.value === null) return -1;
      return b.value - a.value;
    }
    return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
  });
  return { top: ranked.slice(0, limit).map((g) => g.group), rest: ranked.slice(limit).map((g) => g.group) };
}
