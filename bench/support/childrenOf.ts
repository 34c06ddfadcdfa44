/**
 * The direct children of a process as the kernel has them (`ps --ppid`): how the fault soak finds the
 * subgraph it kills and how the supervision tests find what `npm start` runs. Lives under bench/ because
 * benches may not import test/.
 */
import { spawnSync } from 'node:child_process';

/** The process ids and command lines of `pid`'s children. */
export function childrenOf(pid: number): Array<{ pid: number; args: string }> {
  return spawnSync('ps', ['-o', 'pid=,args=', '--ppid', String(pid)], { encoding: 'utf8' })
    .stdout.trim()
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [, id, args] = /^\s*(\d+)\s+(.*)$/.exec(line)!;
      return { pid: Number(id), args };
    });
}
