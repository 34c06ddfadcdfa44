/**
 * The launcher's output (scripts/superviseChild.ts) as `npm start` prints it: a piece's plain lines are
 * prefixed with its name, its JSON log lines (MESH_LOG_FORMAT=json) pass as they are, so the output stays
 * one JSON object per line for a log shipper (operator trial).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { superviseChild } from '../../scripts/superviseChild.js';

describe('superviseChild output', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mesh-supervise-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('should prefix plain lines with the piece and pass JSON log lines unchanged', async () => {
    const entry = path.join(dir, 'piece.cjs');
    writeFileSync(
      entry,
      `process.stdout.write('{"level":30,"name":"orders","msg":"orders subgraph ready"}\\nplain text\\n');
       process.stderr.write('{not json\\n');
       process.send({ type: 'ready' });
       setInterval(() => {}, 1000);`,
    );
    const lines: string[] = [];
    const child = superviseChild({ name: 'orders', entry, log: (line) => void lines.push(line) });
    try {
      await child.ready;
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(lines).toEqual(
        expect.arrayContaining([
          '{"level":30,"name":"orders","msg":"orders subgraph ready"}',
          `${'[orders]'.padEnd(12)}plain text`,
          `${'[orders]'.padEnd(12)}{not json`,
        ]),
      );
    } finally {
      await child.stop();
    }
  });
});
