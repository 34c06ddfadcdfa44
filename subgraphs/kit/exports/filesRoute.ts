import { createReadStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Router } from 'express';
import { ErrorCode } from '../../../core/errors/ErrorCode.js';
import type { SubgraphPolicies } from '../auth/decideFieldAccess.js';
import type { DataProductRuntime } from '../DataProductRuntime.js';
import type { CallerIdentity } from '../productDeclaration.js';
import { sendError } from '../http/sendError.js';
import type { HttpErrorLog } from '../http/jsonErrorHandler.js';
import { copyWithout, exportColumns } from './duckDbFiles.js';
import { exportManifestName, parseExportFileName, productExportDir, type ExportFormat } from './exportFiles.js';
import { withheldColumns } from './withheldColumns.js';

/** The header naming the columns left out of a served file (comma-separated), absent when none were. */
export const WITHHELD_COLUMNS_HEADER = 'x-mesh-withheld-columns';

const CONTENT_TYPES: Record<ExportFormat, string> = { csv: 'text/csv; charset=utf-8', parquet: 'application/vnd.apache.parquet' };

/** Options of the export download route. */
export interface FilesRouteOptions {
  /** Folder of exports; without one, every file is 404. */
  exportDir?: string;
  /** Establishes the caller as for GraphQL (the gateway's signed identity); a throw is a 401. */
  authenticate: (headers: Record<string, string | undefined>) => Promise<CallerIdentity | null>;
  /** Named policies for `@policy` columns. @default none: a column under a policy is withheld */
  policies?: SubgraphPolicies;
  /** Where unexpected failures go (the caller gets a masked 500). */
  log: HttpErrorLog;
}

/**
 * `GET /files/<rollup>_hour.<csv|parquet|json>`: one of the product's exports (or the manifest beside them:
 * rows, covered hours, `asOf`), for the gateway to pass on. The
 * columns the caller may not read (`withheldColumns.ts`) are left out of the copy served, and named in
 * `x-mesh-withheld-columns`; a caller allowed everything gets the exported file as written. Only names of
 * declared rollups are opened: a request never reaches another path.
 */
export function filesRoute(product: DataProductRuntime, options: FilesRouteOptions): Router {
  const { exportDir, authenticate, policies, log } = options;
  const router = Router();
  router.get('/files/:file', async (req, res) => {
    let identity: CallerIdentity | null;
    try {
      identity = await authenticate(headersOf(req.headers));
    } catch (error) {
      return sendError(res, 'rest', ErrorCode.UNAUTHENTICATED, (error as Error).message || 'unauthenticated');
    }
    const rollups = Object.keys(product.definition.rollups ?? {});
    const parsed = parseExportFileName(req.params.file, rollups);
    const manifest = rollups.some((rollup) => exportManifestName(rollup) === req.params.file);
    const file = (parsed || manifest) && exportDir ? path.join(productExportDir(exportDir, product.domain), req.params.file) : null;
    if (!file || !(await stat(file).catch(() => null))?.isFile())
      return sendError(res, 'rest', ErrorCode.NOT_FOUND, `${product.domain} has no export named ${JSON.stringify(req.params.file)} (yet)`);
    let scratch: string | null = null;
    try {
      if (!parsed) {
        // The manifest (rows, covered hours, asOf): no governed value in it, served as written.
        res.setHeader('content-type', 'application/json; charset=utf-8');
        await pipeline(createReadStream(file), res);
        return;
      }
      const withheld = withheldColumns(await exportColumns(file, parsed.format), product.definition.typeDefs, identity, policies);
      let served = file;
      if (withheld.length) {
        scratch = await mkdtemp(path.join(tmpdir(), 'mesh-file-'));
        served = path.join(scratch, req.params.file);
        await copyWithout(
          file,
          parsed.format,
          served,
          withheld.map((w) => w.column),
        );
        res.setHeader(WITHHELD_COLUMNS_HEADER, withheld.map((w) => w.column).join(','));
      }
      res.setHeader('content-type', CONTENT_TYPES[parsed.format]);
      res.setHeader('content-disposition', `attachment; filename="${req.params.file}"`);
      await pipeline(createReadStream(served), res);
    } catch (error) {
      log(`serving export ${req.params.file} failed`, error);
      if (!res.headersSent) sendError(res, 'rest', ErrorCode.INTERNAL_SERVER_ERROR, 'the file could not be served');
      else res.destroy();
    } finally {
      if (scratch) await rm(scratch, { recursive: true, force: true });
    }
  });
  return router;
}

function headersOf(source: Record<string, string | string[] | undefined>): Record<string, string | undefined> {
  return Object.fromEntries(Object.entries(source).map(([key, value]) => [key.toLowerCase(), Array.isArray(value) ? value.join(', ') : value]));
}

