import { rename, rm } from 'node:fs/promises';
import path from 'node:path';
import type { DataProductRuntime } from '../DataProductRuntime.js';
import { EXPORT_FORMATS, exportFileName, productExportDir } from './exportFiles.js';

export { EXPORT_FORMATS, exportFileName, productExportDir, type ExportFormat } from './exportFiles.js';

/** What one export run wrote, and what it could not. */
export interface ExportReport {
  files: Array<{ file: string; rows: number }>;
  problems: string[];
}

/**
 * Exports every rollup's hourly aggregates of a product to `<exportDir>/<domain>/<rollup>_hour.<format>`.
 * Each file is written beside its target and renamed into place, so a reader never sees half a file. A
 * format the store cannot write (PostgreSQL has no Parquet writer) is reported, not fatal.
 */
export async function exportRollups(product: DataProductRuntime, exportDir: string): Promise<ExportReport> {
  const report: ExportReport = { files: [], problems: [] };
  if (!product.store.exportRollup) return { ...report, problems: ['this store does not export files'] };
  const dir = productExportDir(exportDir, product.domain);
  for (const rollup of Object.keys(product.definition.rollups ?? {})) {
    for (const format of EXPORT_FORMATS) {
      const file = path.join(dir, exportFileName(rollup, format));
      const partial = `${file}.partial`;
      try {
        const rows = await product.store.exportRollup(rollup, 'hour', partial, format);
        await rename(partial, file);
        report.files.push({ file, rows });
      } catch (error) {
        await rm(partial, { force: true });
        report.problems.push(`${rollup} as ${format}: ${(error as Error).message}`);
      }
    }
  }
  return report;
}

/** Options of the export schedule. */
export interface ExportScheduleOptions {
  /** Folder of exports. */
  exportDir: string;
  /** Time between runs. */
  intervalMs: number;
  /** Delay before the first run (lets a starting product ingest first). @default 10000 */
  firstRunMs?: number;
  /** Where problems go. @default console.error */
  log?: (message: string) => void;
}

/** Runs `exportRollups` on a schedule until stopped; one run at a time. */
export function scheduleExports(product: DataProductRuntime, options: ExportScheduleOptions): { runNow(): Promise<ExportReport>; stop(): void } {
  const { exportDir, intervalMs, firstRunMs = 10_000, log = (message: string) => console.error(message) } = options;
  let running: Promise<ExportReport> | null = null;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
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
  const tick = (delay: number) => {
    if (stopped) return;
    timer = setTimeout(() => void runNow().finally(() => tick(intervalMs)), delay);
    timer.unref();
  };
  tick(firstRunMs);
  return {
    runNow,
    stop: () => {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
