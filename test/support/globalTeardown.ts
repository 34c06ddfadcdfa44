/**
 * Jest global teardown: fails the run when a `mesh_*` schema or `MESH_*` stream that is not a test run's
 * own changed since the run started (the check is set up by `scaleOutDataGuard.ts`, jest's globalSetup).
 */
import type {} from './scaleOutDataGuard.js';

export default async function globalTeardown(): Promise<void> {
  await globalThis.meshScaleOutDataGuard?.verify();
}
