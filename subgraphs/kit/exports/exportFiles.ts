import path from 'node:path';

/** The export formats of the file-based access style. */
export type ExportFormat = 'parquet' | 'csv';
export const EXPORT_FORMATS: readonly ExportFormat[] = ['parquet', 'csv'];

/** The file a rollup's hourly aggregates are exported to. */
export function exportFileName(rollup: string, format: ExportFormat): string {
  return `${rollup}_hour.${format}`;
}

/** The file beside a rollup's exports that records what they hold (rows, covered hours, when written). */
export function exportManifestName(rollup: string): string {
  return `${rollup}_hour.json`;
}

/**
 * The rollup and format an export file name stands for, or null when the name is not one of `rollups`'
 * exports: only names built here are ever opened, so a request cannot reach another file.
 */
export function parseExportFileName(name: string, rollups: readonly string[]): { rollup: string; format: ExportFormat } | null {
  for (const rollup of rollups) for (const format of EXPORT_FORMATS) if (exportFileName(rollup, format) === name) return { rollup, format };
  return null;
}

/** The folder a product's exports live in. */
export function productExportDir(exportDir: string, domain: string): string {
  return path.join(exportDir, domain);
}
