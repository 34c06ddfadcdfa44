import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** Where the outbound relay remembers the last cursor a broker confirmed. */
export interface CursorCheckpoint {
  /** The last saved cursor, or undefined before the first. */
  load(): Promise<string | undefined>;
  save(cursor: string): Promise<void>;
}

/** Kept in memory only: for the in-process bus, whose cursors start over with the process anyway. */
export function memoryCheckpoint(): CursorCheckpoint {
  let saved: string | undefined;
  return {
    load: async () => saved,
    save: async (cursor) => void (saved = cursor),
  };
}

/** A small file, replaced atomically (write then rename) so a crash leaves the old or the new cursor. */
export function fileCheckpoint(file: string): CursorCheckpoint {
  let writing: Promise<void> = Promise.resolve();
  return {
    async load() {
      try {
        const text = (await readFile(file, 'utf8')).trim();
        return text === '' ? undefined : text;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw error;
      }
    },
    save(cursor) {
      // Saves run one after another: an older cursor never overwrites a newer one. A failed save rejects
      // for its caller only: the queue goes on, so the next save tries again.
      const written = writing.then(async () => {
        await mkdir(path.dirname(file), { recursive: true });
        await writeFile(`${file}.tmp`, cursor);
        await rename(`${file}.tmp`, file);
      });
      writing = written.catch(() => undefined);
      return written;
    },
  };
}
