import type { SubscriptionNode } from '../../core/apollo/index.js';

/**
 * The subgraphs a subscription plan fetches from: the primary's first, then every subgraph its rest
 * fetches entities from, each once. Walks the plan generically (sequence, parallel, flatten, condition,
 * defer nodes all just nest fetches), so a new node kind cannot hide a fetch.
 */
export function planSubgraphs(node: SubscriptionNode): string[] {
  const names = new Set<string>([node.primary.serviceName]);
  const visit = (value: unknown): void => {
    if (value === null || typeof value !== 'object') return;
    if (Array.isArray(value)) return value.forEach(visit);
    const record = value as Record<string, unknown>;
    if (record.kind === 'Fetch' && typeof record.serviceName === 'string') {
      names.add(record.serviceName);
      return;
    }
    for (const [key, child] of Object.entries(record)) if (key !== 'inputs' && key !== 'requires' && key !== 'operationDocumentNode') visit(child);
  };
  visit(node.rest);
  return [...names];
}
