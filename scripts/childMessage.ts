/**
 * What a piece of the mesh tells the launcher (`scripts/start.ts`) over the IPC channel: `ready` once it
 * serves (with its address), so readiness comes from the child itself, never from probing a port that
 * another process may hold (issue #12).
 */
export interface ChildMessage {
  type: 'ready';
  /** Where it serves, when it serves anything. */
  url?: string;
}

/** Tells the launcher, when there is one (the process was started with an IPC channel), that this piece is ready. */
export function reportReady(url?: string): void {
  const message: ChildMessage = { type: 'ready', ...(url && { url }) };
  process.send?.(message);
}

/** Whether a value received over IPC is a {@link ChildMessage}. */
export function isChildMessage(value: unknown): value is ChildMessage {
  return typeof value === 'object' && value !== null && (value as { type?: unknown }).type === 'ready';
}
