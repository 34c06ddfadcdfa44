import { createHash } from 'node:crypto';
import { closeSync, fstatSync, openSync, readFileSync, renameSync, statSync, writeFileSync, type Stats } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';
import { holdsInstalledPackages } from './bundledPackages.js';

/** Options of {@link loadBundle}. */
export interface LoadBundleOptions {
  /** The CommonJS bundle (build/bundleGateway.ts writes it). */
  file: URL;
  /**
   * A file the bundle is built from: a bundle older than it is stale (the code was compiled again and not
   * bundled again), and is not loaded.
   */
  builtFrom: URL;
  /**
   * The project folder whose node_modules the bundle was built from: a bundle whose packages (recorded in
   * its first line by build/bundleGateway.ts) are not the versions installed there is stale too, and is not
   * loaded; so is one that records none.
   * @default no check of the packages
   */
  packagesRoot?: URL;
  /**
   * Where the V8 code cache of the bundle lives.
   * @default the bundle's path with `.cache` appended
   */
  cacheFile?: URL;
}

/** A loaded bundle. */
export interface LoadedBundle<T> {
  exports: T;
  /** Whether V8 took the code cache (no compiling of what it holds). */
  cached: boolean;
  /**
   * Writes the code cache of what has been compiled so far, unless the cache in use is one: call it once
   * the process has done its start-up work (the functions that ran are then in it). A failure (a read-only
   * folder, say) is returned, not thrown: the next start compiles again, nothing else changes.
   */
  saveCodeCache(): Error | null;
}

/**
 * The header of a cache file: the bundle it was made from, by size and modification time (V8's own check
 * compares only the source's length, so a rebuilt bundle of the same length would run stale code), and a
 * digest of the payload, so a torn or corrupt file is never handed to V8.
 */
interface CacheHeader {
  bundleSize: number;
  bundleMtimeMs: number;
  v8: string;
  sha256: string;
}

const MAGIC = 'mesh-code-cache-1\n';

const keyOf = (stats: Stats): Pick<CacheHeader, 'bundleSize' | 'bundleMtimeMs' | 'v8'> => ({
  bundleSize: stats.size,
  bundleMtimeMs: stats.mtimeMs,
  v8: process.versions.v8,
});

/** The cache's payload, or undefined when the file is missing, corrupt or made from another bundle. */
function readCache(cacheFile: string, bundleStats: Stats): Buffer | undefined {
  let raw: Buffer;
  try {
    raw = readFileSync(cacheFile);
  } catch {
    return undefined;
  }
  const headerEnd = raw.indexOf(0x0a, MAGIC.length);
  if (raw.subarray(0, MAGIC.length).toString('latin1') !== MAGIC || headerEnd < 0) return undefined;
  try {
    const header = JSON.parse(raw.subarray(MAGIC.length, headerEnd).toString('utf8')) as CacheHeader;
    const payload = raw.subarray(headerEnd + 1);
    const key = keyOf(bundleStats);
    const same = header.bundleSize === key.bundleSize && header.bundleMtimeMs === key.bundleMtimeMs && header.v8 === key.v8;
    return same && createHash('sha256').update(payload).digest('hex') === header.sha256 ? payload : undefined;
  } catch {
    return undefined;
  }
}

/** Writes the cache next to the bundle through a temporary file, so a reader never sees half of it. */
function writeCache(cacheFile: string, bundleStats: Stats, payload: Buffer): void {
  const header: CacheHeader = { ...keyOf(bundleStats), sha256: createHash('sha256').update(payload).digest('hex') };
  const temporary = `${cacheFile}.${process.pid}.tmp`;
  writeFileSync(temporary, Buffer.concat([Buffer.from(`${MAGIC}${JSON.stringify(header)}\n`), payload]));
  renameSync(temporary, cacheFile);
}

/**
 * The bundle's text and the metadata of that very file: both from one open file, so a build renaming a new
 * bundle into place meanwhile cannot pair the key of one with the source of the other (the cache of a bundle
 * run against another's source of the same length runs stale functions and compiles the rest at wrong
 * offsets). A file whose length changed while it was read (written in place) is not used. Undefined when
 * there is none.
 */
function readBundle(filename: string): { stats: Stats; text: string } | undefined {
  let fd: number;
  try {
    fd = openSync(filename, 'r');
  } catch {
    return undefined;
  }
  try {
    const stats = fstatSync(fd);
    const bytes = readFileSync(fd);
    return bytes.length === stats.size && fstatSync(fd).mtimeMs === stats.mtimeMs ? { stats, text: bytes.toString('utf8') } : undefined;
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

/**
 * Loads a CommonJS bundle through V8's code cache, so a start does not parse and compile megabytes of
 * JavaScript again (Node 20 has no compile cache of its own: `module.enableCompileCache` is Node 22).
 * Returns null when there is no bundle, it is older than `builtFrom`, holds other package versions than
 * are installed under `packagesRoot` or changed while read: the caller then imports the
 * unbundled modules, which are always correct, only slower to load. A cache V8 rejects, one made from
 * another bundle and a corrupt one are ignored (and replaced at the next {@link LoadedBundle.saveCodeCache}).
 */
export function loadBundle<T>({ file, builtFrom, packagesRoot, cacheFile: cacheUrl }: LoadBundleOptions): LoadedBundle<T> | null {
  const filename = fileURLToPath(file);
  const bundle = readBundle(filename);
  if (!bundle) return null;
  const { stats, text } = bundle;
  try {
    if (stats.mtimeMs < statSync(fileURLToPath(builtFrom)).mtimeMs) return null;
  } catch {
    return null;
  }
  if (packagesRoot && !holdsInstalledPackages(text, fileURLToPath(packagesRoot))) return null;
  const cacheFile = cacheUrl ? fileURLToPath(cacheUrl) : `${filename}.cache`;
  const cachedData = readCache(cacheFile, stats);
  // The module wrapper Node's CommonJS loader uses, so the bundle sees the usual free variables.
  const source = `(function (exports, require, module, __filename, __dirname) {${text}\n})`;
  const script = new vm.Script(source, {
    filename,
    cachedData,
    // `import()` inside the bundle resolves as it would in any module of this process.
    importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
  });
  const cached = cachedData !== undefined && !script.cachedDataRejected;
  const module = { exports: {} as T };
  (script.runInThisContext() as (...args: unknown[]) => void)(module.exports, createRequire(filename), module, filename, path.dirname(filename));
  let saved = cached;
  return {
    exports: module.exports,
    cached,
    saveCodeCache: () => {
      if (saved) return null;
      saved = true;
      try {
        writeCache(cacheFile, stats, script.createCachedData());
        return null;
      } catch (error) {
        return error as Error;
      }
    },
  };
}
