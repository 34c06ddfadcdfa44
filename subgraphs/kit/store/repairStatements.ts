import type { FactKey, Retraction, RollupLayout, StateRow, StateWrite, StoredFact, StoredGrain } from './Store.js';
import type { MergedRollupTable } from './mergeRollupDeltas.js';
import type { SketchRow } from './sketchRows.js';

/*
 * The statements a store dialect provides for repairs (retract, restore, rebuild, building projections and
 * zone days), all inside one open transaction; `repairSession.ts` writes the repairs once over them.
 */

/** Which stored facts to read, always unretracted and ordered by (time, source, id). */
export interface FactScan {
  /** Inclusive lower bound of `time`. */
  from?: Date;
  /** Exclusive upper bound of `time`. */
  to?: Date;
  /** Only these types (an empty list reads nothing). */
  types?: readonly string[];
  /** Only facts after this one in scan order (keyset paging). */
  after?: StoredFact;
  limit: number;
}

/** One stored rollup row: dimension values in layout order, column values in layout column order. */
export interface StoredRollupRow {
  bucket: Date;
  dims: string[];
  values: (number | null)[];
}

/** The dialect's statements, all inside the caller's transaction. */
export interface RepairSession {
  findFact(key: FactKey): Promise<StoredFact | null>;
  findRetraction(key: FactKey): Promise<Retraction | null>;
  insertRetraction(retraction: Retraction): Promise<void>;
  deleteRetraction(key: FactKey): Promise<void>;
  readFacts(scan: FactScan): Promise<StoredFact[]>;
  /** Earliest and latest fact time (retracted ones included), or null without facts. */
  factTimeRange(): Promise<{ min: Date; max: Date } | null>;
  readRows(layout: RollupLayout, grain: StoredGrain, from: Date, to: Date): Promise<StoredRollupRow[]>;
  deleteRows(layout: RollupLayout, grain: StoredGrain, from: Date, to: Date): Promise<void>;
  upsertRollups(tables: MergedRollupTable[]): Promise<void>;
  /** Stored sketches of the rows in [from, to) (only called for layouts with sketch columns). */
  readSketchRows(layout: RollupLayout, grain: StoredGrain, from: Date, to: Date): Promise<SketchRow[]>;
  /** Sets the sketches of existing rows. */
  writeSketchRows(layout: RollupLayout, grain: StoredGrain, rows: SketchRow[]): Promise<void>;
  /** Replaces the `coarser` rows of [from, to) with the merge of the `finer` rows of the same range (numeric columns). */
  deriveRows(layout: RollupLayout, finer: StoredGrain, coarser: StoredGrain, from: Date, to: Date): Promise<void>;
  /** Current rows of the keys; a store that serializes writers per key locks them first. */
  lockAndReadStates(state: string, keys: string[]): Promise<StateRow[]>;
  writeStates(writes: Map<string, StateWrite[]>): Promise<void>;
  deleteStates(state: string, keys: string[]): Promise<void>;
}
