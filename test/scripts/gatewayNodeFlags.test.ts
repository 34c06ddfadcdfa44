import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { GATEWAY_NODE_FLAGS } from '../../scripts/gatewayNodeFlags.js';

describe('GATEWAY_NODE_FLAGS', () => {
  it('should be what `npm run gateway` starts node with', () => {
    const { scripts } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { scripts: Record<string, string> };
    expect(scripts.gateway).toBe(`node ${GATEWAY_NODE_FLAGS.join(' ')} dist/scripts/gateway.js`);
  });

  it('should enlarge the young generation of a node started with them', () => {
    // A node started with the flags grows its young generation past V8's default (2 × 16 MB).
    const probe = `
      const keep = [];
      for (let i = 0; i < 2e6; i++) { keep.push({ i }); if (keep.length > 400000) keep.length = 0; }
      const young = require('v8').getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size;
      console.log(JSON.stringify({ young }));`;
    const run = (flags: readonly string[]) => JSON.parse(execFileSync(process.execPath, [...flags, '-e', probe], { encoding: 'utf8' })) as { young: number };
    const tuned = run(GATEWAY_NODE_FLAGS);
    expect(tuned.young).toBeGreaterThan(run([]).young);
  });
});
