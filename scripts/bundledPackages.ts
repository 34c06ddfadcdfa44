/**
 * Which installed packages a bundle holds, recorded in its first line by build/bundleGateway.ts and
 * checked by the build (bundle again?) and by scripts/loadBundle.ts (run it?). A bundle carries its
 * packages' code inlined, so after `npm install` changed one of them it runs the old code: a time stamp
 * (of node_modules/.package-lock.json, say) does not tell, as `npm install <name>` rebuilds nothing, a
 * restored or copied node_modules keeps old times, and the production image installs its packages apart
 * from the build (Dockerfile). What is compared is each bundled package's folder and the version its
 * package.json declares there; packages left to run time (externals) are not part of it. Reading some
 * 200 package.json files costs a few milliseconds of each start, so the record also keeps the size and
 * modification time of npm's own record of node_modules (`.package-lock.json`, rewritten by every npm
 * command that changes node_modules): while that file is the one seen at build time, nothing is read.
 */
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';

/** Package folder (relative to the project root, e.g. `node_modules/@apollo/gateway`) → its version, null when unreadable. */
export type BundledPackages = Record<string, string | null>;

/** What a bundle's first line records. */
export interface BundleRecord {
  /** The packages it holds. */
  packages: BundledPackages;
  /** `node_modules/.package-lock.json`'s size and modification time at build time; null without one. */
  lockfile: string | null;
}

const HEADER = '//# bundledPackages=';

/** The outermost package folder holding `file` (`node_modules/a/node_modules/@s/b` for a file of `@s/b` under `a`). */
const PACKAGE_FOLDER = /(?:^|[\\/])(node_modules[\\/](?:@[^\\/]+[\\/])?[^\\/]+(?:[\\/]node_modules[\\/](?:@[^\\/]+[\\/])?[^\\/]+)*)[\\/]/;

/**
 * The package folders the given bundled files sit in (esbuild's metafile inputs), relative to the project
 * root, `/`-separated, sorted. Files outside node_modules (the compiled code) are left out.
 */
export function packageFoldersOf(files: Iterable<string>): string[] {
  const folders = new Set<string>();
  for (const file of files) {
    const folder = PACKAGE_FOLDER.exec(file)?.[1];
    if (folder) folders.add(folder.replaceAll('\\', '/'));
  }
  return [...folders].sort();
}

/** The versions installed under `root` of the packages in `folders`. */
function installedPackages(root: string, folders: Iterable<string>): BundledPackages {
  const installed: BundledPackages = {};
  for (const folder of folders) {
    try {
      const { version } = JSON.parse(readFileSync(path.join(root, folder, 'package.json'), 'utf8')) as { version?: unknown };
      installed[folder] = typeof version === 'string' ? version : null;
    } catch {
      installed[folder] = null;
    }
  }
  return installed;
}

function lockfileStamp(root: string): string | null {
  try {
    const { size, mtimeMs } = statSync(path.join(root, 'node_modules', '.package-lock.json'));
    return `${size} ${mtimeMs}`;
  } catch {
    return null;
  }
}

/** The bundle's first line recording the packages in `folders` as installed under `root`, newline included. */
export function bundledPackagesHeader(root: string, folders: Iterable<string>): string {
  const record: BundleRecord = { packages: installedPackages(root, folders), lockfile: lockfileStamp(root) };
  return `${HEADER}${JSON.stringify(record)}\n`;
}

/** What a bundle's first line records, or undefined when it records nothing (or is not ours). */
export function readBundleRecord(bundle: string): BundleRecord | undefined {
  if (!bundle.startsWith(HEADER)) return undefined;
  const end = bundle.indexOf('\n');
  try {
    const record = JSON.parse(bundle.slice(HEADER.length, end < 0 ? undefined : end)) as Partial<BundleRecord> | null;
    const { packages, lockfile = null } = record ?? {};
    return packages !== null && typeof packages === 'object' && !Array.isArray(packages) ? { packages, lockfile } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Whether the bundle `bundle` (its text, or at least its first line) holds the packages installed under
 * `root`: it records them, and npm's record of node_modules is the one of the build, or each recorded
 * folder holds the recorded version. False for a bundle that records nothing (one from before the record,
 * or not from build/bundleGateway.ts).
 */
export function holdsInstalledPackages(bundle: string, root: string): boolean {
  const record = readBundleRecord(bundle);
  if (!record) return false;
  if (record.lockfile !== null && record.lockfile === lockfileStamp(root)) return true;
  const installed = installedPackages(root, Object.keys(record.packages));
  return Object.entries(record.packages).every(([folder, version]) => installed[folder] === version);
}
