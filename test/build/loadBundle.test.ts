/**
 * scripts/loadBundle.ts runs a CommonJS bundle through V8's code cache. A bundle is used only while it is
 * not older than what it is built from and holds the versions of its packages that are installed; the cache is used only for the very bundle it was made from, and
 * a corrupt or foreign cache is ignored (the code runs, compiled afresh) and replaced.
 */
import fs, { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { bundledPackagesHeader, packageFoldersOf } from '../../scripts/bundledPackages.js';
import { loadBundle } from '../../scripts/loadBundle.js';

type Answer = { answer: () => string };

describe('loadBundle', () => {
  let dir: string;
  let bundle: string;
  let builtFrom: string;
  const load = () => loadBundle<Answer>({ file: pathToFileURL(bundle), builtFrom: pathToFileURL(builtFrom) });
  /** A bundle whose function answers `value`; its size and time stamp are set so a rebuild is always a change. */
  const writeBundle = (value: string, mtimeS: number) => {
    writeFileSync(bundle, `module.exports.answer = function () { return ${JSON.stringify(value)} + require('node:path').sep.length; };\n`);
    utimesSync(bundle, mtimeS, mtimeS);
  };

  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'load-bundle-'));
    bundle = path.join(dir, 'bundle.cjs');
    builtFrom = path.join(dir, 'built-from');
    writeFileSync(builtFrom, '');
    utimesSync(builtFrom, 1_000, 1_000);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('should answer null without a bundle, and for a bundle older than what it is built from', () => {
    expect(load()).toBeNull();
    writeBundle('a', 999);
    expect(load()).toBeNull();
    utimesSync(bundle, 1_000, 1_000);
    expect(load()?.exports.answer()).toBe('a1');
  });

  it('should compile without a cache, write one once, and take it at the next load', () => {
    writeBundle('a', 2_000);
    const first = load()!;
    expect(first.cached).toBe(false);
    expect(first.exports.answer()).toBe('a1');
    expect(first.saveCodeCache()).toBeNull();
    const written = readFileSync(`${bundle}.cache`);
    // Once per process: a second call writes nothing.
    rmSync(`${bundle}.cache`);
    expect(first.saveCodeCache()).toBeNull();
    writeFileSync(`${bundle}.cache`, written);
    const second = load()!;
    expect(second.cached).toBe(true);
    expect(second.exports.answer()).toBe('a1');
  });

  it('should ignore the cache of another build of the bundle, even of the same length, and run the new code', () => {
    writeBundle('a', 2_000);
    expect(load()!.saveCodeCache()).toBeNull();
    writeBundle('b', 3_000);
    const rebuilt = load()!;
    expect(rebuilt.cached).toBe(false);
    expect(rebuilt.exports.answer()).toBe('b1');
  });

  it('should ignore a corrupt or truncated cache, run the bundle, and write a good cache again', () => {
    writeBundle('a', 2_000);
    expect(load()!.saveCodeCache()).toBeNull();
    const good = readFileSync(`${bundle}.cache`);
    const flipped = Buffer.from(good);
    flipped[flipped.length - 10] ^= 0xff;
    for (const bad of [flipped, good.subarray(0, good.length - 100), Buffer.from('garbage')]) {
      writeFileSync(`${bundle}.cache`, bad);
      const loaded = load()!;
      expect(loaded.cached).toBe(false);
      expect(loaded.exports.answer()).toBe('a1');
    }
    expect(load()!.saveCodeCache()).toBeNull();
    expect(load()!.cached).toBe(true);
  });

  it('should key the cache on the very file it read, when the bundle is replaced while it loads', () => {
    // Two builds of the same length: V8 checks only the length, so a cache of one taken for the other runs
    // its compiled functions against the other's source (and compiles the rest from that source).
    const build = (value: string) =>
      `module.exports.answer = function () { return ${JSON.stringify(value)}; };\nmodule.exports.later = function () { return ${JSON.stringify(value)}; };\n`;
    writeFileSync(bundle, build('a'));
    utimesSync(bundle, 2_000, 2_000);
    const first = loadBundle<{ answer: () => string; later: () => string }>({ file: pathToFileURL(bundle), builtFrom: pathToFileURL(builtFrom) })!;
    expect(first.exports.answer()).toBe('a'); // compiled, so in the cache; `later` is not
    expect(first.saveCodeCache()).toBeNull();
    const next = path.join(dir, 'next.cjs');
    writeFileSync(next, build('b'));
    utimesSync(next, 3_000, 3_000);
    // The build renames the new bundle into place while the loader is at it: just before it reads it.
    const readFile = fs.readFileSync;
    let replaced = false;
    const reads = jest.spyOn(fs, 'readFileSync').mockImplementation((file: fs.PathOrFileDescriptor, options?: unknown) => {
      if (!replaced && (file === bundle || typeof file === 'number')) {
        replaced = true;
        renameSync(next, bundle);
      }
      return readFile(file, options as BufferEncoding);
    });
    try {
      const loaded = loadBundle<{ answer: () => string; later: () => string }>({ file: pathToFileURL(bundle), builtFrom: pathToFileURL(builtFrom) })!;
      expect(replaced).toBe(true);
      // One build's code, whichever: never the cache of one with the source of the other.
      expect(loaded.exports.later()).toBe(loaded.exports.answer());
    } finally {
      reads.mockRestore();
    }
  });

  it('should not load a bundle built against other versions of its packages than are installed, nor one that records none', () => {
    // A project folder with one installed package and npm's record of node_modules, bundled as it is now.
    const project = path.join(dir, 'project');
    const installed = path.join(project, 'node_modules', '@scope', 'lib');
    let installs = 0;
    /** As npm does it: the package's folder, and its record of node_modules rewritten. */
    const npm = (version: string | null) => {
      rmSync(installed, { recursive: true, force: true });
      if (version) {
        mkdirSync(installed, { recursive: true });
        writeFileSync(path.join(installed, 'package.json'), JSON.stringify({ name: '@scope/lib', version }));
      }
      const lockfile = path.join(project, 'node_modules', '.package-lock.json');
      writeFileSync(lockfile, JSON.stringify({ packages: version ? { 'node_modules/@scope/lib': { version } } : {} }));
      utimesSync(lockfile, 5_000 + ++installs, 5_000 + installs);
    };
    npm('1.0.0');
    const folders = packageFoldersOf(['../elsewhere/node_modules/@scope/lib/dist/index.js', 'dist/scripts/gateway.js']);
    expect(folders).toEqual(['node_modules/@scope/lib']);
    writeFileSync(bundle, `${bundledPackagesHeader(project, folders)}module.exports.answer = () => 'bundled';\n`);
    const loadIn = (root: string) =>
      loadBundle<Answer>({ file: pathToFileURL(bundle), builtFrom: pathToFileURL(builtFrom), packagesRoot: pathToFileURL(`${root}/`) });
    expect(loadIn(project)?.exports.answer()).toBe('bundled');

    // `npm install @scope/lib@2` builds nothing: the bundle holds 1.0.0's code.
    npm('2.0.0');
    expect(loadIn(project)).toBeNull();
    npm(null);
    expect(loadIn(project)).toBeNull();
    // The same versions again (a reinstall, a restored node_modules), whatever npm's record says.
    npm('1.0.0');
    expect(loadIn(project)?.exports.answer()).toBe('bundled');
    rmSync(path.join(project, 'node_modules', '.package-lock.json'));
    expect(loadIn(project)?.exports.answer()).toBe('bundled');

    writeBundle('a', 2_000);
    expect(loadIn(project)).toBeNull();
    expect(load()?.exports.answer()).toBe('a1'); // without packagesRoot, as before
  });

  it('should return, not throw, a failure to write the cache', () => {
    writeBundle('a', 2_000);
    const loaded = loadBundle<Answer>({
      file: pathToFileURL(bundle),
      builtFrom: pathToFileURL(builtFrom),
      cacheFile: pathToFileURL(path.join(dir, 'missing', 'x.cache')),
    })!;
    expect(loaded.saveCodeCache()?.message).toMatch(/ENOENT/);
    expect(loaded.exports.answer()).toBe('a1');
  });
});
