/**
 * Jest hooks for a suite that runs the compiled entry points (`dist/scripts/*.js`) as real processes: the
 * build runs once before the suite as `npm run build` runs it, `tsc -b` and the gateway's bundle (each a
 * no-op when up to date), every launch gets settings that keep
 * it off the fixed demo ports' data and out of `./data` and `./exports`, and whatever a test launched is
 * stopped, whole process group, after it.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { launchNode, PROJECT_ROOT, type LaunchedProcess } from './launchedProcess.js';

/**
 * Runs the build as `npm run build` runs it, `tsc -b` then the gateway's bundle (each a no-op when up to
 * date, as in CI after `npm ci`); throws with the compiler's output when it fails. Call it from a
 * `beforeAll` with a timeout of a few minutes.
 */
export function buildEntryPoints(): void {
  const tsc = require.resolve('typescript/bin/tsc');
  const build = spawnSync(process.execPath, [tsc, '-b', 'tsconfig.build.json'], { cwd: PROJECT_ROOT, encoding: 'utf8', timeout: 120_000 });
  if (build.status !== 0) throw new Error(`npm run build failed:\n${build.stdout}${build.stderr}`);
  const bundle = spawnSync(process.execPath, ['--import', 'tsx', 'build/bundleGateway.ts'], { cwd: PROJECT_ROOT, encoding: 'utf8', timeout: 120_000 });
  if (bundle.status !== 0) throw new Error(`the gateway's bundle failed:\n${bundle.stdout}${bundle.stderr}`);
}

/** Starts `node <args>` with the suite's isolated settings under `env`; stopped after the test. */
export type LaunchEntryPoint = (args: string[], env: Record<string, string>) => LaunchedProcess;

/** Registers the hooks; `scratchPrefix` names the temp folder the launched processes keep their data in. */
export function useCompiledEntryPoints(scratchPrefix: string): LaunchEntryPoint {
  const running: LaunchedProcess[] = [];
  let scratch: string;

  beforeAll(() => {
    scratch = mkdtempSync(path.join(os.tmpdir(), scratchPrefix));
    buildEntryPoints();
  }, 250_000);

  afterEach(async () => {
    await Promise.all(running.splice(0).map((p) => p.stop()));
  });

  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  return (args, env) => {
    const isolated = {
      MESH_STORE: 'memory',
      MESH_DUCKDB_THREADS: '1',
      MESH_DATA_DIR: path.join(scratch, 'data'),
      MESH_EXPORT_DIR: path.join(scratch, 'exports'),
      MESH_EXPORT_INTERVAL_MINUTES: '0',
      METADATA_SERVER_DETECTION: 'none',
    };
    const started = launchNode(args, { ...isolated, ...env });
    running.push(started);
    return started;
  };
}
