import type { RollupLayout, StoreLayout } from './Store.js';

/** Names that become SQL identifiers (rollups, states, dimensions, columns) must match this. */
export const IDENTIFIER_PATTERN = /^[a-z][a-z0-9_]*$/;

/** Column names every rollup table already has, so a dimension or measure may not take them. */
const RESERVED_ROLLUP_COLUMNS = new Set(['bucket']);

/** Raised when a layout or query names something that cannot safely become an SQL identifier. */
export class InvalidIdentifierError extends Error {
  readonly code = 'INVALID_IDENTIFIER';
  constructor(kind: string, name: unknown, detail = `must match ${IDENTIFIER_PATTERN}`) {
    super(`invalid ${kind} name ${JSON.stringify(name)}: ${detail}`);
    this.name = 'InvalidIdentifierError';
  }
}

/** Throws unless `name` is a safe lowercase identifier; returns it for chaining. */
export function assertIdentifier(kind: string, name: unknown): string {
  if (typeof name !== 'string' || !IDENTIFIER_PATTERN.test(name)) throw new InvalidIdentifierError(kind, name);
  return name;
}

/** Validates every name in a layout (and that names do not collide) before any SQL is generated. */
export function assertLayout(layout: StoreLayout): void {
  const rollups = new Set<string>();
  for (const rollup of layout.rollups) {
    assertIdentifier('rollup', rollup.name);
    if (rollups.has(rollup.name)) throw new InvalidIdentifierError('rollup', rollup.name, 'declared twice');
    rollups.add(rollup.name);
    assertRollupColumns(rollup);
  }
  const states = new Set<string>();
  for (const state of layout.states) {
    assertIdentifier('state', state);
    if (states.has(state)) throw new InvalidIdentifierError('state', state, 'declared twice');
    states.add(state);
  }
}

function assertRollupColumns(rollup: RollupLayout): void {
  const seen = new Set<string>(RESERVED_ROLLUP_COLUMNS);
  const claim = (kind: string, name: string) => {
    assertIdentifier(kind, name);
    if (seen.has(name)) throw new InvalidIdentifierError(kind, name, `used twice or reserved in rollup ${rollup.name}`);
    seen.add(name);
  };
  for (const dimension of rollup.dimensions) claim('dimension', dimension);
  for (const [column, kind] of Object.entries(rollup.columns)) {
    claim('column', column);
    if (kind !== 'sum' && kind !== 'min' && kind !== 'max') {
      throw new InvalidIdentifierError('column', column, `unknown merge kind ${JSON.stringify(kind)}`);
    }
  }
  for (const [column, kind] of Object.entries(rollup.sketches ?? {})) {
    claim('sketch column', column);
    if (kind !== 'hll' && kind !== 'ddsketch') throw new InvalidIdentifierError('sketch column', column, `unknown sketch kind ${JSON.stringify(kind)}`);
  }
}
