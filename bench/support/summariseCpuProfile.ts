/**
 * Summarises a V8 CPU profile (`node --cpu-prof`): the functions with the most self time, and self time
 * per module (a package under node_modules, a folder of this repository, node's internals, GC, idle).
 *
 *   npx tsx bench/support/summariseCpuProfile.ts <file.cpuprofile> [top]
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** The module a script URL belongs to: `pkg` or `@scope/pkg` under node_modules, else the repository folder. */
export function moduleOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  if (url.startsWith('node:')) return 'node internals';
  const inModules = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (inModules) return inModules[1];
  const local = /\/(dist\/)?(core|gateway|subgraphs|scripts)\//.exec(url);
  return local ? `${local[2]}/ (ours)` : url;
}

function summarise(file: string, top: number): void {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  // Idle time is waiting (for subgraphs, for the core): shares are of the busy time.
  const idleUs = [...selfUs].filter(([id]) => byId.get(id)!.callFrame.functionName === '(idle)').reduce((a, [, us]) => a + us, 0);
  const totalUs = [...selfUs.values()].reduce((a, b) => a + b, 0) - idleUs;
  const functions = new Map<string, number>();
  const modules = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    if (functionName === '(idle)') continue;
    const module = moduleOf(url, functionName);
    const file = /(?:node_modules\/(?:@[^/]+\/)?[^/]+\/|\/(?=(?:dist\/)?(?:core|gateway|subgraphs|scripts)\/))(.*)$/.exec(url)?.[1] ?? url;
    const name = `${functionName || '(anonymous)'}  ${module}${file ? ` ${file}:${lineNumber + 1}` : ''}`;
    functions.set(name, (functions.get(name) ?? 0) + us);
    modules.set(module, (modules.get(module) ?? 0) + us);
  }
  const print = (title: string, entries: Map<string, number>) => {
    console.log(`\n${title}`);
    for (const [name, us] of [...entries].sort((a, b) => b[1] - a[1]).slice(0, top))
      console.log(`${((100 * us) / totalUs).toFixed(1).padStart(5)} %  ${(us / 1000).toFixed(0).padStart(7)} ms  ${name}`);
  };
  console.log(`${file}: ${(totalUs / 1e6).toFixed(1)} s busy, ${(idleUs / 1e6).toFixed(1)} s idle; shares below are of the busy time`);
  print('self time by module', modules);
  print('self time by function', functions);
}

if (process.argv[2]) summarise(process.argv[2], Number(process.argv[3] ?? 25));
