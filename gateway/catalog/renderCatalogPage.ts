import type { CollectedCatalog } from './collectDescriptors.js';
import { classificationsOf, filterProducts, searchText, type CatalogFilters } from './filterProducts.js';
import { age, escapeHtml as e, layout } from './html.js';

/** Where the catalog pages link. */
export interface CatalogPaths {
  /** @default '/catalog' */
  catalogPath?: string;
  /** @default '/graphql' */
  graphqlPath?: string;
}

const select = (name: string, label: string, values: readonly string[], chosen: string | undefined) =>
  `<label>${e(label)}<select name="${e(name)}"><option value="">any</option>${values
    .map((v) => `<option value="${e(v)}"${v === chosen ? ' selected' : ''}>${e(v)}</option>`)
    .join('')}</select></label>`;

const distinct = (values: Iterable<string>) => [...new Set(values)].sort();

/**
 * The catalog list: search and filters (domain, tag, classification, owner) that work without script
 * (the server filters the GET) and live with it (`catalog.js` hides cards as you type).
 */
export function renderCatalogPage(catalog: CollectedCatalog, filters: CatalogFilters = {}, paths: CatalogPaths = {}): string {
  const { catalogPath = '/catalog', graphqlPath = '/graphql' } = paths;
  const shown = new Set(filterProducts(catalog.products, filters));
  const products = catalog.products;
  const cards = products
    .map(
      (
        p,
      ) => `<section class="product" data-id="${e(p.id)}" data-domain="${e(p.domain)}" data-owner="${e(p.owner.team)}" data-tags="${e((p.tags ?? []).join(' '))}" data-classifications="${e(classificationsOf(p).join(' '))}" data-search="${e(searchText(p))}"${shown.has(p) ? '' : ' hidden'}>
  <h2><a href="${e(catalogPath)}/${encodeURIComponent(p.id)}">${e(p.name)}</a> <small>${e(p.id)} · v${e(p.version)} · ${e(p.status)}</small></h2>
  <p>${e(p.description.purpose)}</p>
  <dl>
    <dt>Domain</dt><dd>${e(p.domain)}</dd>
    <dt>Owner</dt><dd>${e(p.owner.team)}</dd>
    <dt>Freshness</dt><dd class="${p.freshness.withinSlo ? 'ok' : 'late'}">newest fact ${e(age(p.freshness.lagSeconds))} (SLO ${e(p.slos.freshnessSeconds)} s)</dd>
    <dt>Tags</dt><dd>${(p.tags ?? []).map((t) => `<span class="tag">${e(t)}</span>`).join('') || '—'}</dd>
    <dt>Classifications</dt><dd>${classificationsOf(p)
      .map((c) => `<span class="tag ${e(c)}">${e(c)}</span>`)
      .join('')}</dd>
  </dl>
</section>`,
    )
    .join('\n');
  const problems = catalog.problems.length ? `<p class="late">Not answering: ${catalog.problems.map(e).join('; ')}</p>` : '';
  return layout(
    'Data products',
    `${catalogPath}/assets`,
    `<h1>Data products</h1>
<p><span id="count">${shown.size}</span> of ${products.length} products in this mesh. Query them in the <a href="${e(graphqlPath)}">IDE</a> or at <code>${e(graphqlPath)}</code>; the catalog as JSON: <a href="${e(catalogPath)}.json">${e(catalogPath)}.json</a>.</p>
<form class="filters" method="get" action="${e(catalogPath)}">
  <label>Search<input type="search" name="q" value="${e(filters.q ?? '')}" placeholder="sales, stock, delivery…" autocomplete="off"></label>
  ${select('domain', 'Domain', distinct(products.map((p) => p.domain)), filters.domain)}
  ${select('tag', 'Tag', distinct(products.flatMap((p) => p.tags ?? [])), filters.tag)}
  ${select('classification', 'Classification', distinct(products.flatMap(classificationsOf)), filters.classification)}
  ${select('owner', 'Owner', distinct(products.map((p) => p.owner.team)), filters.owner)}
  <noscript><button type="submit">Filter</button></noscript>
</form>
${problems}
${cards}`,
  );
}
