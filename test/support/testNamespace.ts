/**
 * Names a test run's scale-out data apart from everyone else's. A namespace `test_<random>` gives the
 * PostgreSQL schemas `mesh_test_<random>_<domain>` and the JetStream streams `MESH_TEST_<RANDOM>_<DOMAIN>`
 * (subjects `test_<random>.mesh.<domain>.…`): never a name a user's mesh (`mesh_<domain>`, `MESH_<DOMAIN>`)
 * or another test run uses. The data guard (`test/support/scaleOutDataGuard.ts`) leaves names starting
 * with `mesh_test_` / `MESH_TEST_` alone, and watches every other `mesh_*` schema and `MESH_*` stream.
 */
import { randomBytes } from 'node:crypto';

/** A namespace no other test run uses, e.g. `test_3f9a0c1b2d`. */
export function uniqueNamespace(): string {
  return `test_${randomBytes(5).toString('hex')}`;
}
