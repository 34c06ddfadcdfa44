import type { CollectedCatalog } from './collectDescriptors.js';

// Descriptors come from subgraphs: only scalars are rendered, anything else (never expected) renders empty, not `[object Object]`.
const escape = (value: unknown): string =>
  (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' ? String(value) : '').replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );

function age(lagSeconds: number | null): string {
  if (lagSeconds === null) return 'no data yet';
  if (lagSeconds < 120) return `${lagSeconds} s ago`;
  if (lagSeconds < 7200) return `${Math.round(lagSeconds / 60)} min ago`;
  return `${Math.round(lagSeconds / 3600)} h ago`;
}

/** The human catalog page: every product, its owner, SLOs, freshness, classified fields and ports. */
export function renderCatalogPage(catalog: CollectedCatalog, graphqlPath = '/graphql'): string {
  const cards = catalog.products
    .map((p) => {
      const fields = Object.entries(p.classification);
      const ports = p.outputPorts
        .map(
          (port) =>
            `<li><b>${escape(port.kind)}</b> ${escape(port.url ?? port.subject ?? port.path ?? (typeof port.topic === 'string' ? `${String(port.direction)} ${String(port.broker)} ${port.topic}` : ''))}${port.fields ? ` — ${escape((port.fields as string[]).join(', '))}` : ''}</li>`,
        )
        .join('');
      return `<section class="product">
  <h2>${escape(p.name)} <small>${escape(p.id)} · v${escape(p.version)} · ${escape(p.status)}</small></h2>
  <p>${escape(p.description.purpose)}</p>
  ${p.description.limitations ? `<p class="muted">Limitations: ${escape(p.description.limitations)}</p>` : ''}
  <dl>
    <dt>Domain</dt><dd>${escape(p.domain)} (subgraph <code>${escape(p.subgraph)}</code>)</dd>
    <dt>Owner</dt><dd>${escape(p.owner.team)} — <a href="mailto:${escape(p.owner.contact)}">${escape(p.owner.contact)}</a></dd>
    <dt>Freshness</dt><dd class="${p.freshness.withinSlo ? 'ok' : 'late'}">newest fact ${escape(age(p.freshness.lagSeconds))} (SLO ${escape(p.slos.freshnessSeconds)} s) — ${p.freshness.withinSlo ? 'within SLO' : 'outside SLO'}</dd>
    <dt>SLOs</dt><dd>availability ${escape((p.slos.availability * 100).toFixed(2))} %, retention ${escape(p.slos.retentionDays)} days${p.slos.queryLatencyP99Ms ? `, p99 ${escape(p.slos.queryLatencyP99Ms)} ms` : ''}</dd>
    <dt>Facts</dt><dd>${escape(p.factCount.toLocaleString('en'))} (${escape(p.factTypes.join(', '))})</dd>
    <dt>Classified fields</dt><dd>${fields.length ? fields.map(([c, k]) => `<code>${escape(c)}</code> <span class="tag ${escape(k)}">${escape(k)}</span>`).join(' ') : 'all fields public'}</dd>
  </dl>
  <h3>Output ports</h3><ul>${ports}</ul>
</section>`;
    })
    .join('\n');
  const problems = catalog.problems.length ? `<p class="late">Not answering: ${catalog.problems.map(escape).join('; ')}</p>` : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Data products</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
 body{font:15px/1.5 system-ui,sans-serif;margin:2rem auto;max-width:60rem;padding:0 1rem;color:#1d2330}
 .product{border:1px solid #d8dde6;border-radius:8px;padding:1rem 1.25rem;margin:1rem 0}
 h2 small{font-weight:normal;color:#667;font-size:.8em} dl{display:grid;grid-template-columns:10rem 1fr;gap:.25rem 1rem}
 dt{color:#556} .ok{color:#17753a} .late{color:#b3261e} .muted{color:#667}
 .tag{border-radius:4px;padding:0 .35rem;font-size:.85em;background:#eef} .tag.pii{background:#fde2e1} .tag.confidential{background:#fff0c2}
 code{background:#f3f4f7;padding:0 .25rem;border-radius:3px}
</style></head><body>
<h1>Data products</h1>
<p>${catalog.products.length} products in this mesh. Query them at <a href="${escape(graphqlPath)}">${escape(graphqlPath)}</a>: <code>{ dataProducts { id name owner { team } freshness { withinSlo } } }</code></p>
${problems}
${cards}
</body></html>`;
}
