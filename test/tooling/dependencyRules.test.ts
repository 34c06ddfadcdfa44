/**
 * The layering rules in .dependency-cruiser.cjs (docs/architecture.md) fail on a deliberately bad import
 * and pass on the real tree. The bad imports live in a throwaway copy of the layout under the OS temp
 * folder, checked with the project's own config, so the repository is never touched.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const root = path.resolve(__dirname, '../..');
const depcruise = path.join(root, 'node_modules/.bin/depcruise');

function runDepcruise(cwd: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(
      depcruise,
      ['--config', path.join(root, '.dependency-cruiser.cjs'), '--output-type', 'err', '.'],
      { cwd, timeout: 120_000 },
      (error, stdout, stderr) => {
        resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, output: `${stdout}${stderr}` });
      },
    );
  });
}

/** A temp folder holding `files` (path → source) and a tsconfig like the project's. */
function fixture(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'depcruise-'));
  copyFileSync(path.join(root, 'tsconfig.json'), path.join(dir, 'tsconfig.json'));
  for (const [file, source] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    writeFileSync(path.join(dir, file), source);
  }
  return dir;
}

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('dependency rules', () => {
  it('should fail on each kind of forbidden import, type-only cycles included', async () => {
    const dir = fixture({
      'core/keys.ts': "import { startGateway } from '../gateway/start.js';\nexport const keys = startGateway;\n",
      'gateway/start.ts': "import { kit } from '../subgraphs/kit/index.js';\nexport const startGateway = () => kit;\n",
      'subgraphs/kit/index.ts': "export { kit } from './runtime.js';\n",
      'subgraphs/kit/runtime.ts': "import type { Gateway } from '../../gateway/types.js';\nexport const kit: Gateway | null = null;\n",
      'gateway/types.ts': 'export interface Gateway { url: string }\n',
      'subgraphs/orders/resolvers.ts': "import { kit } from '../kit/runtime.js';\nexport const resolvers = kit;\n",
      'simulator/run.ts': "import { kit } from '../subgraphs/kit/index.js';\nimport { helper } from '../test/helper.js';\nexport const run = [kit, helper];\n",
      'test/helper.ts': 'export const helper = 1;\n',
      'subgraphs/kit/a.ts': "import type { B } from './b.js';\nexport interface A { b?: B }\n",
      'subgraphs/kit/b.ts': "import type { A } from './a.js';\nexport interface B { a?: A }\n",
    });
    dirs.push(dir);
    const { code, output } = await runDepcruise(dir);
    expect(code).not.toBe(0);
    for (const rule of [
      'no-cycles',
      'gateway-not-to-subgraphs',
      'subgraphs-not-to-gateway',
      'core-imports-no-layer-above',
      'simulator-is-a-plain-producer',
      'product-not-to-tests',
      'domains-use-the-kit-index',
    ]) {
      expect(output).toContain(rule);
    }
    // The type-only cycle is reported as such, not only the value imports.
    expect(output).toMatch(/no-cycles: subgraphs\/kit\/(a|b)\.ts/);
  }, 120_000);

  it('should pass on a layout that keeps the rules', async () => {
    const dir = fixture({
      'core/keys.ts': 'export const keys = 1;\n',
      'gateway/start.ts': "import { keys } from '../core/keys.js';\nexport const start = keys;\n",
      'subgraphs/kit/index.ts': "import { keys } from '../../core/keys.js';\nexport const kit = keys;\n",
      'subgraphs/orders/resolvers.ts': "import { kit } from '../kit/index.js';\nexport const resolvers = kit;\n",
      'test/gateway.test.ts':
        "import { start } from '../gateway/start.js';\nimport { resolvers } from '../subgraphs/orders/resolvers.js';\nexport const both = [start, resolvers];\n",
    });
    dirs.push(dir);
    const { code, output } = await runDepcruise(dir);
    expect(output).toContain('no dependency violations found');
    expect(code).toBe(0);
  }, 120_000);

  it('should pass on the real tree', async () => {
    const { code, output } = await runDepcruise(root);
    expect(output).toContain('no dependency violations found');
    expect(code).toBe(0);
  }, 180_000);
});
