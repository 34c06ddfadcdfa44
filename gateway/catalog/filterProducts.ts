import type { CollectedDescriptor } from './collectDescriptors.js';

/** The catalog list's search and filters (each optional; all given must hold). */
export interface CatalogFilters {
  /** Words anywhere in id, name, domain, purpose, owner or tags (case-insensitive). */
  q?: string;
  domain?: string;
  tag?: string;
  /** Products with at least one field of this classification (`public` always holds). */
  classification?: string;
  /** Owning team. */
  owner?: string;
}

/** What search matches in a product, lowercased. */
export function searchText(product: CollectedDescriptor): string {
  return [product.id, product.name, product.domain, product.description.purpose, product.description.usage ?? '', product.owner.team, ...(product.tags ?? [])]
    .join(' ')
    .toLowerCase();
}

/** The classifications a product's fields carry, `public` included. */
export function classificationsOf(product: CollectedDescriptor): string[] {
  return [...new Set(['public', ...Object.values(product.classification ?? {})])].sort();
}

/** The products that pass every filter given. */
export function filterProducts<P extends CollectedDescriptor>(products: readonly P[], filters: CatalogFilters): P[] {
  const words = (filters.q ?? '').toLowerCase().split(/\s+/).filter(Boolean);
  return products.filter((p) => {
    const text = searchText(p);
    return (
      words.every((w) => text.includes(w)) &&
      (!filters.domain || p.domain === filters.domain) &&
      (!filters.owner || p.owner.team === filters.owner) &&
      (!filters.tag || (p.tags ?? []).includes(filters.tag)) &&
      (!filters.classification || classificationsOf(p).includes(filters.classification))
    );
  });
}
