/** Prometheus labels of one answered GraphQL operation. */
export interface OperationLabels {
  /** The operation's name, `(anonymous)`, or `(other)` once the bound of distinct names is reached. */
  operation: string;
  /** `query`, `mutation`, `subscription`, or `unknown` when the document did not resolve. */
  type: string;
  outcome: 'ok' | 'error';
}

/**
 * The labels of answered operations, shared by the gateway's and the subgraphs' metrics. Operation names
 * come from clients, so at most `maxOperationNames` distinct names become label values (the first ones
 * seen); later names are counted as `(other)`, which keeps a hostile or generated client from growing the
 * number of series without bound.
 */
export function operationLabeller(
  maxOperationNames: number,
): (operation: { name: string | null; type: string | null }, errorCodes: readonly string[]) => OperationLabels {
  const knownOperations = new Set<string>();
  const operationLabel = (name: string | null) => {
    const label = name ?? '(anonymous)';
    if (knownOperations.has(label)) return label;
    if (knownOperations.size >= maxOperationNames) return '(other)';
    knownOperations.add(label);
    return label;
  };
  return (operation, errorCodes) => ({
    operation: operationLabel(operation.name),
    type: operation.type ?? 'unknown',
    outcome: errorCodes.length ? 'error' : 'ok',
  });
}
