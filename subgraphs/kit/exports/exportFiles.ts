import path from 'node:path';

/** The export formats of the file-based access style. */
export type ExportFormat = 'parquet' | 'csv';
export const EXPORT_FORMATS: readonly ExportFormat[] = ['parquet', 'csv'];

/** The file a rollup's hourly aggregates are exported to. */
export function exportFileName(rollup: string, format: ExportFormat): string {
  return `${rollup}_hour.${format}`;
}

/** The folder a product's exports live in. */
export function productExportDir(exportDir: string, domain: string): string {
  return path.join(exportDir, domain);
}
