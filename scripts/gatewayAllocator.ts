/**
 * The memory allocator the gateway process runs with, wherever our launchers start it (`npm start`
 * through scripts/start.ts, the fan-out benchmark): jemalloc, preloaded, when the machine has it.
 *
 * Why: a gateway that served thousands of websocket clients keeps the native memory they used. Each
 * connection leaves small C++ allocations (its TCP handle, its read buffers, shrunk in place) scattered
 * through glibc's main heap, and glibc gives pages back only from the top of that heap, which one live
 * allocation pins. Measured with 10,000 subscribers that then left (`npm run bench:fanout`, docs/benchmarks.md,
 * "Memory after clients leave"): the JS heap went back to its idle size, glibc's heap stayed ~25 MB
 * above it (RSS 184–202 MB against 163 idle); with jemalloc, which returns whole emptied pages, RSS went
 * back to 149–163 MB. Apollo Router uses jemalloc for the same reason.
 *
 * `LD_PRELOAD` has to be in the environment when the process starts, so this is applied by whoever
 * starts it; a gateway started by hand (`npm run gateway`, `node dist/scripts/gateway.js`) gets it from
 * `LD_PRELOAD` set in its environment (README "Configuration").
 */
import { existsSync } from 'node:fs';
import { envFail, type EnvFail } from '../core/config/EnvFail.js';

/** Where Debian, Ubuntu, Fedora, Alpine and source builds put jemalloc 5's shared library, by architecture. */
export const JEMALLOC_PATHS: readonly string[] = [
  '/usr/lib/x86_64-linux-gnu/libjemalloc.so.2',
  '/usr/lib/aarch64-linux-gnu/libjemalloc.so.2',
  '/usr/lib64/libjemalloc.so.2',
  '/usr/lib/libjemalloc.so.2',
  '/usr/local/lib/libjemalloc.so.2',
];

/** Options of {@link gatewayAllocatorEnv}; the defaults are this machine's. */
export interface GatewayAllocatorOptions {
  /** The operating system (`process.platform`): preloading is Linux's `LD_PRELOAD`. @default process.platform */
  platform?: NodeJS.Platform;
  /** Whether a file exists (the library search). @default fs.existsSync */
  exists?: (path: string) => boolean;
  /** Reports a bad `MESH_GATEWAY_ALLOCATOR`. @default throws an Error naming the variable */
  fail?: EnvFail;
}

/**
 * The variables to add to the gateway's environment for the allocator `MESH_GATEWAY_ALLOCATOR` asks for:
 * - `auto` (default): jemalloc when one of {@link JEMALLOC_PATHS} exists on Linux, else nothing (glibc);
 * - `jemalloc`: the same, but a machine without it is an error rather than a silent fallback;
 * - `system`: nothing: the C library's allocator;
 * - an absolute path to a shared library: that library.
 *
 * A library already in `LD_PRELOAD` is not added twice; others there stay, in front of it. For jemalloc,
 * `MALLOC_CONF` is {@link JEMALLOC_CONF} unless the environment sets it. Nothing is returned when nothing
 * changes.
 */
export function gatewayAllocatorEnv(env: Readonly<Record<string, string | undefined>>, options: GatewayAllocatorOptions = {}): Record<string, string> {
  const { platform = process.platform, exists = existsSync, fail = envFail } = options;
  const choice = env.MESH_GATEWAY_ALLOCATOR?.trim() || 'auto';
  let library: string | undefined;
  if (choice === 'system') return {};
  if (choice === 'auto' || choice === 'jemalloc') {
    library = platform === 'linux' ? JEMALLOC_PATHS.find((candidate) => exists(candidate)) : undefined;
    if (!library && choice === 'jemalloc') {
      fail(
        'MESH_GATEWAY_ALLOCATOR',
        choice,
        platform === 'linux'
          ? `no jemalloc library at ${JEMALLOC_PATHS.join(', ')}; install it (Debian/Ubuntu: apt-get install libjemalloc2), give its path, or use auto or system`
          : `preloading an allocator needs Linux (this is ${platform}); use auto or system`,
      );
    }
  } else if (choice.startsWith('/')) {
    if (platform !== 'linux') fail('MESH_GATEWAY_ALLOCATOR', choice, `preloading an allocator needs Linux (this is ${platform}); use auto or system`);
    if (!exists(choice)) fail('MESH_GATEWAY_ALLOCATOR', choice, 'no such file');
    library = choice;
  } else {
    fail('MESH_GATEWAY_ALLOCATOR', choice, 'expected auto, jemalloc, system or an absolute path to a shared library');
  }
  if (!library) return {};
  const preloaded = (env.LD_PRELOAD ?? '').split(/[\s:]+/).filter(Boolean);
  const added: Record<string, string> = preloaded.includes(library) ? {} : { LD_PRELOAD: [...preloaded, library].join(':') };
  if (library.includes('jemalloc') && env.MALLOC_CONF === undefined) added.MALLOC_CONF = JEMALLOC_CONF;
  return added;
}

/**
 * jemalloc's settings unless `MALLOC_CONF` gives others: a background thread purges the pages freed,
 * after jemalloc's usual decay (10 s). Without it jemalloc purges only while the process allocates, so
 * an idle gateway kept the ~70 MB its start-up had freed: idle RSS 232 MB against glibc's 162 (with it,
 * 151–154).
 */
export const JEMALLOC_CONF = 'background_thread:true';
