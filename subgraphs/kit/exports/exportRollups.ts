import { rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { DataProductRuntime } from '../DataProductRuntime.js';
import { convertExport, csvToParquet, summarizeExport, type ExportSummary } from './duckDbFiles.js';
import { exportFileName, exportManifestName, productExportDir } from './exportFiles.js';
import { waitForSeed } from './waitForSeed.js';

export { EXPORT_FORMATS, exportFileName, productExportDir, type ExportFormat } from './exportFiles.js';

/** What one export run wrote, and what it could not. */
export interface ExportReport {
  files: Array<{ file: string; rows: number }>;
  problems: string[];
}

/** The manifest beside a rollup's exports (`<rollup>_hour.json`): what both files hold. */
export interface ExportManifest extends ExportSummary {
  rollup: string;
  grain: 'hour';
  /** When the files were written (ISO 8601). */
  exportedAt: string;
  /** The product's watermark when the export began (ISO 8601; null: no facts): the files hold every fact up to it. */
  asOf: string | null;
}

/**
 * Exports every rollup's hourly aggregates of a product to `<exportDir>/<domain>/<rollup>_hour.{parquet,csv}`
 * with a manifest `<rollup>_hour.json` (rows, covered hours). The store writes one snapshot as Parquet (or
 * as CSV when it has no Parquet writer, converted by DuckDB), and the CSV is written from that Parquet: both
 * files of a run hold the same rows, with the same types whatever the store. Files are written beside their
 * target and renamed into place, so a reader never sees half a file.
 */
export async function exportRollups(product: DataProductRuntime, exportDir: string): Promise<ExportReport> {
  const report: ExportReport = { files: [], problems: [] };
  const { store } = product;
  if (!store.exportRollup) return { ...report, problems: ['this store does not export files'] };
  const dir = productExportDir(exportDir, product.domain);
  for (const [rollup, declaration] of Object.entries(product.definition.rollups ?? {})) {
    const parquet = path.join(dir, exportFileName(rollup, 'parquet'));
    const csv = path.join(dir, exportFileName(rollup, 'csv'));
    const manifest = path.join(dir, exportManifestName(rollup));
    const partial = (file: string) => `${file}.partial`;
    try {
      // Read before the snapshot: every fact up to the watermark is in the files (later ones may be too),
      // and an hour still going on at `startedAt` is covered only up to it.
      const startedAt = new Date();
      const asOf = await store.watermark();
      if (store.exportFormats?.includes('parquet') ?? true) await store.exportRollup(rollup, 'hour', partial(parquet), 'parquet');
      else {
        // PostgreSQL writes CSV only: its snapshot goes through DuckDB in memory to become Parquet.
        await store.exportRollup(rollup, 'hour', partial(csv), 'csv');
        await csvToParquet(partial(csv), partial(parquet), declaration.dimensions);
      }
      await convertExport(partial(parquet), 'parquet', partial(csv), 'csv');
      const summary = await summarizeExport(partial(parquet), startedAt);
      const written: ExportManifest = { rollup, grain: 'hour', ...summary, exportedAt: new Date().toISOString(), asOf: asOf?.toISOString() ?? null };
      await writeFile(partial(manifest), `${JSON.stringify(written, null, 2)}\n`);
      for (const file of [parquet, csv, manifest]) await rename(partial(file), file);
      report.files.push({ file: parquet, rows: summary.rows }, { file: csv, rows: summary.rows });
    } catch (error) {
      for (const file of [parquet, csv, manifest]) await rm(partial(file), { force: true });
      report.problems.push(`${rollup}: ${(error as Error).message}`);
    }
  }
  return report;
}

/** Options of the export schedule. */
export interface ExportScheduleOptions {
  /** Folder of exports. */
  exportDir: string;
  /** Time between runs, after the first. */
  intervalMs: number;
  /**
   * The first run waits for the product's seed to finish (`waitForSeed.ts`): exporting half a history
   * and keeping it for a whole interval misleads consumers (issue #14). This is how far behind now the
   * watermark may be to count as caught up.
   * @default the product's freshness SLO (`descriptor.slos.freshnessSeconds`)
   */
  caughtUpMs?: number;
  /** A quiet spell this long in ingestion also ends the wait. @default 30000 */
  quietMs?: number;
  /** How often the store is looked at while waiting. @default 1000 */
  pollMs?: number;
  /** Where problems go. @default console.error */
  log?: (message: string) => void;
}

/** A running export schedule. */
export interface ExportSchedule {
  /** Exports now (joining a run in progress). */
  runNow(): Promise<ExportReport>;
  /** Settles with the first scheduled run, after the seed; null when stopped before. */
  readonly firstRun: Promise<ExportReport | null>;
  stop(): void;
}

/** Runs `exportRollups` once the seed is complete, then every `intervalMs` until stopped; one run at a time. */
export function scheduleExports(product: DataProductRuntime, options: ExportScheduleOptions): ExportSchedule {
  const {
    exportDir,
    intervalMs,
    caughtUpMs = product.definition.descriptor.slos.freshnessSeconds * 1000,
    quietMs,
    pollMs,
    log = (message: string) => console.error(message),
  } = options;
  let running: Promise<ExportReport> | null = null;
  let timer: NodeJS.Timeout | undefined;
  const stopping = new AbortController();
  const reported = new Set<string>();
  const runNow = () => {
    running ??= exportRollups(product, exportDir)
      .then((report) => {
        for (const problem of report.problems) {
          if (reported.has(problem)) continue;
          log(`export: ${problem}`);
          reported.add(problem);
        }
        return report;
      })
      .finally(() => {
        running = null;
      });
    return running;
  };
  const tick = () => {
    if (stopping.signal.aborted) return;
    timer = setTimeout(() => void runNow().finally(tick), intervalMs);
    timer.unref();
  };
  const firstRun = waitForSeed(product.store, { caughtUpMs, quietMs, pollMs, signal: stopping.signal, log: (m) => log(`export: ${m}`) }).then(async (why) => {
    if (!why) return null;
    const report = await runNow();
    tick();
    return report;
  });
  return {
    runNow,
    firstRun,
    stop: () => {
      stopping.abort();
      clearTimeout(timer);
    },
  };
}
