import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { gatewayAllocatorEnv, JEMALLOC_CONF, JEMALLOC_PATHS } from '../../scripts/gatewayAllocator.js';

const DEBIAN = '/usr/lib/x86_64-linux-gnu/libjemalloc.so.2';
const only =
  (...present: string[]) =>
  (path: string) =>
    present.includes(path);

describe('gatewayAllocatorEnv', () => {
  it('should preload jemalloc by default where Linux has it', () => {
    const jemalloc = { LD_PRELOAD: DEBIAN, MALLOC_CONF: JEMALLOC_CONF };
    expect(gatewayAllocatorEnv({}, { platform: 'linux', exists: only(DEBIAN) })).toEqual(jemalloc);
    expect(gatewayAllocatorEnv({ MESH_GATEWAY_ALLOCATOR: 'jemalloc' }, { platform: 'linux', exists: only(DEBIAN) })).toEqual(jemalloc);
    // The operator's own jemalloc settings win.
    expect(gatewayAllocatorEnv({ MALLOC_CONF: 'narenas:2' }, { platform: 'linux', exists: only(DEBIAN) })).toEqual({ LD_PRELOAD: DEBIAN });
  });

  it('should leave the C library allocator where jemalloc is missing, or when asked to', () => {
    expect(gatewayAllocatorEnv({}, { platform: 'linux', exists: only() })).toEqual({});
    expect(gatewayAllocatorEnv({}, { platform: 'darwin', exists: only(DEBIAN) })).toEqual({});
    expect(gatewayAllocatorEnv({ MESH_GATEWAY_ALLOCATOR: 'system' }, { platform: 'linux', exists: only(DEBIAN) })).toEqual({});
  });

  it('should keep what LD_PRELOAD already holds and never add the library twice', () => {
    expect(gatewayAllocatorEnv({ LD_PRELOAD: '/opt/trace.so' }, { platform: 'linux', exists: only(DEBIAN) })).toEqual({
      LD_PRELOAD: `/opt/trace.so:${DEBIAN}`,
      MALLOC_CONF: JEMALLOC_CONF,
    });
    expect(gatewayAllocatorEnv({ LD_PRELOAD: `/opt/trace.so ${DEBIAN}`, MALLOC_CONF: '' }, { platform: 'linux', exists: only(DEBIAN) })).toEqual({});
  });

  it('should take a library by path', () => {
    expect(gatewayAllocatorEnv({ MESH_GATEWAY_ALLOCATOR: '/opt/mimalloc.so' }, { platform: 'linux', exists: only('/opt/mimalloc.so') })).toEqual({
      LD_PRELOAD: '/opt/mimalloc.so',
    });
  });

  it('should refuse what it cannot honour, naming the variable', () => {
    const linuxWithout = { platform: 'linux' as const, exists: only() };
    expect(() => gatewayAllocatorEnv({ MESH_GATEWAY_ALLOCATOR: 'jemalloc' }, linuxWithout)).toThrow(
      /^invalid MESH_GATEWAY_ALLOCATOR="jemalloc": no jemalloc library at .*apt-get install libjemalloc2/,
    );
    expect(() => gatewayAllocatorEnv({ MESH_GATEWAY_ALLOCATOR: '/opt/missing.so' }, linuxWithout)).toThrow(
      'invalid MESH_GATEWAY_ALLOCATOR="/opt/missing.so": no such file',
    );
    expect(() => gatewayAllocatorEnv({ MESH_GATEWAY_ALLOCATOR: 'tcmalloc' }, linuxWithout)).toThrow(
      'invalid MESH_GATEWAY_ALLOCATOR="tcmalloc": expected auto, jemalloc, system or an absolute path to a shared library',
    );
    expect(() => gatewayAllocatorEnv({ MESH_GATEWAY_ALLOCATOR: 'jemalloc' }, { platform: 'darwin', exists: only(DEBIAN) })).toThrow(/needs Linux/);
  });

  const installed = process.platform === 'linux' ? JEMALLOC_PATHS.find((path) => existsSync(path)) : undefined;
  if (!installed) {
    console.warn('⚠ SKIPPED: no jemalloc library on this machine (apt-get install libjemalloc2); the preload of a real node process is not tested');
  }
  (installed ? it : it.skip)('should make a node process started with it allocate through jemalloc, with its purging thread', () => {
    const env: Record<string, string | undefined> = { ...process.env, MESH_GATEWAY_ALLOCATOR: 'auto', LD_PRELOAD: '' };
    delete env.MALLOC_CONF;
    // The process's mapped files and its threads' names, after it allocated and freed some native memory.
    const probe = `
      const fs = require('fs');
      let kept = [];
      for (let i = 0; i < 20000; i++) kept.push(Buffer.alloc(4096));
      kept = null;
      setTimeout(() => {
        const threads = fs.readdirSync('/proc/self/task').map((t) => fs.readFileSync('/proc/self/task/' + t + '/comm', 'utf8').trim());
        process.stdout.write(JSON.stringify({ maps: fs.readFileSync('/proc/self/maps', 'utf8'), threads }));
      }, 200);`;
    const inspect = (extra: Record<string, string>) =>
      JSON.parse(execFileSync(process.execPath, ['-e', probe], { env: { ...env, ...extra }, encoding: 'utf8' })) as { maps: string; threads: string[] };
    const withIt = inspect(gatewayAllocatorEnv(env));
    expect(withIt.maps).toContain(installed);
    expect(withIt.threads).toContain('jemalloc_bg_thd');
    const without = inspect({});
    expect(without.maps).not.toContain('jemalloc');
    expect(without.threads).not.toContain('jemalloc_bg_thd');
  });
});
