/**
 * Where the executor under test may answer differently from bare @apollo/gateway, by corpus entry
 * name, each with the reason ours is right. The test requires these entries to still differ (an entry
 * that became equal must leave the list), and every other entry to be equal.
 */
export const ALLOWED_DIFFERENCES: Readonly<Record<string, string>> = {};

/**
 * Entries where the executor under test is wrong today (bugs found by this test, not fixed here):
 * run as `it.failing` so the suite stays green while the bug stands, and turns red once it is fixed (then
 * the entry leaves this list).
 */
export const KNOWN_DIVERGENCES: Readonly<Record<string, string>> = {};
