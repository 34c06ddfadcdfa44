/** Where the outbound relay remembers the last cursor a broker confirmed. */
export interface CursorCheckpoint {
  /** The last saved cursor, or undefined before the first. */
  load(): Promise<string | undefined>;
  /** Saves a cursor; a failure rejects (the relay logs it and saves again on its next confirmation). */
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
