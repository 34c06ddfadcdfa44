/**
 * The kit's PostgreSQL store: loads the `pg` driver, so it is imported only where PostgreSQL is
 * configured (see ./essentials.ts).
 *
 * @packageDocumentation
 */
export { PostgresStore } from './store/PostgresStore.js';
