import { age, escapeHtml as e, layout } from './html.js';
import type { ProductView } from './productView.js';
import type { CatalogPaths } from './renderCatalogPage.js';
import { CONTRACT_DOCUMENTS } from './publicPorts.js';

type Port = ProductView['product']['outputPorts'][number];

const str = (value: unknown) => (typeof value === 'string' || typeof value === 'number' ? String(value) : '');

/** One output port, by kind: where a consumer reaches it (never a subgraph address or a server path). */
function renderPort(port: Port): string {
  switch (port.kind) {
    case 'graphql-query':
    case 'graphql-subscription':
      return `<tr><td>${e(port.kind)}</td><td><code>${e(str(port.url))}</code></td><td>${e(((port.fields as string[] | undefined) ?? []).join(', '))}</td></tr>`;
    case 'event-subject':
      return `<tr><td>event</td><td><code>${e(str(port.subject))}</code></td><td>${e(str(port.description))}</td></tr>`;
    case 'event-mesh':
      return `<tr><td>event-mesh (${e(str(port.direction))})</td><td><code>${e(str(port.broker))}</code> <code>${e(str(port.topic))}</code></td><td>${e(str(port.binding))}${
        Array.isArray(port.withheld) && port.withheld.length ? `; withheld: ${e(port.withheld.join(', '))}` : ''
      }</td></tr>`;
    case 'file': {
      const covered = port.coveredFrom ? `covers ${str(port.coveredFrom)} to ${str(port.coveredTo)}` : '';
      const details = [
        str(port.format),
        str(port.description),
        port.rows !== undefined ? `${str(port.rows)} rows` : '',
        covered,
        port.exportedAt ? `exported ${str(port.exportedAt)}` : '',
      ];
      const where = typeof port.url === 'string' ? `<a href="${e(port.url)}"><code>${e(str(port.path))}</code></a>` : `<code>${e(str(port.path))}</code>`;
      return `<tr><td>file</td><td>${where}</td><td>${e(details.filter(Boolean).join(' · '))}</td></tr>`;
    }
    case 'sql':
      return `<tr><td>sql (${e(str(port.format))})</td><td><code>POST ${e(str(port.url))}</code></td><td>${e(str(port.description))}: ${e(
        ((port.fields as string[] | undefined) ?? []).join(', '),
      )}</td></tr>`;
    case 'contract':
      return `<tr><td>contract (${e(str(port.format))})</td><td><a href="${e(str(port.url))}"><code>${e(str(port.url))}</code></a></td><td>${e(str(port.description))}</td></tr>`;
    default:
      return `<tr><td>${e(port.kind)}</td><td></td><td>${e(str(port.description))}</td></tr>`;
  }
}

/** Retention as people read it: facts, then each rollup grain, then the last run. */
function retentionText(retention: NonNullable<ProductView['product']['retention']>): string {
  const days = (value: number | null | undefined) => (value === null || value === undefined ? 'forever' : `${value} days`);
  const grains = (['minute', 'hour', 'day'] as const).map((grain) => `${grain} rows ${days(retention.grainDays[grain])}`);
  return `facts ${days(retention.factDays)}; ${grains.join(', ')}; ${retention.lastRun ? `last enforced ${retention.lastRun.at}` : 'not enforced yet'}`;
}

/** The IDE with an operation preloaded. */
export const ideLink = (graphqlPath: string, query: string) => `${graphqlPath}?${new URLSearchParams({ query }).toString()}`;

/** A product's page: purpose, owner, SLOs and live freshness, fields, examples, ports and lineage. */
export function renderProductPage(view: ProductView, paths: CatalogPaths = {}): string {
  const { catalogPath = '/catalog', graphqlPath = '/graphql' } = paths;
  const { product: p, fields, lineage, examples } = view;
  // Relative to the page, so the links hold behind any proxy prefix the catalog is served under.
  const productPath = `${catalogPath}/${encodeURIComponent(p.id)}`;
  const fieldRows = fields
    .map(
      (f) =>
        `<tr><td><code>${e(f.coordinate)}</code></td><td><code>${e(f.type)}</code></td><td>${e(f.description ?? '')}</td><td><span class="tag ${e(f.classification)}">${e(f.classification)}</span></td><td>${e(f.access)}</td></tr>`,
    )
    .join('\n');
  const exampleBlocks = examples
    .map(
      (x) => `<div class="example"><h3>${e(x.coordinate)} <small>${e(x.kind)}</small></h3>
<pre><code>${e(x.query)}</code></pre>
<a class="open-in-ide" href="${e(ideLink(graphqlPath, x.query))}">Open in IDE</a></div>`,
    )
    .join('\n');
  const lineageRows = lineage
    .map(
      (l) =>
        `<tr><td><code>${e(l.entity)}</code></td><td>${l.contributions
          .map((c) => `<b${c.subgraph === p.subgraph ? ' class="ok"' : ''}>${e(c.subgraph)}</b>: ${e(c.fields.join(', '))}`)
          .join('<br>')}</td></tr>`,
    )
    .join('\n');
  return layout(
    `${p.name} — data products`,
    `${catalogPath}/assets`,
    `<p><a href="${e(catalogPath)}">← all data products</a></p>
<h1>${e(p.name)} <small>${e(p.id)} · v${e(p.version)} · ${e(p.status)}</small></h1>
<p>${e(p.description.purpose)}</p>
${p.description.limitations ? `<p class="muted">Limitations: ${e(p.description.limitations)}</p>` : ''}
${p.description.usage ? `<p class="muted">Usage: ${e(p.description.usage)}</p>` : ''}
<dl>
  <dt>Domain</dt><dd>${e(p.domain)}</dd>
  <dt>Owner</dt><dd>${e(p.owner.team)} — <a href="mailto:${e(p.owner.contact)}">${e(p.owner.contact)}</a></dd>
  <dt>Freshness</dt><dd id="freshness" data-url="${e(`${catalogPath}/${encodeURIComponent(p.id)}.json`)}" class="${p.freshness.withinSlo ? 'ok' : 'late'}">newest fact ${e(age(p.freshness.lagSeconds))} (as of ${e(p.asOf ?? 'never')}, SLO ${e(p.slos.freshnessSeconds)} s) — ${p.freshness.withinSlo ? 'within SLO' : 'outside SLO'}</dd>
  <dt>SLOs</dt><dd>availability ${e((p.slos.availability * 100).toFixed(2))} %, retention ${e(p.slos.retentionDays)} days${p.slos.queryLatencyP99Ms ? `, p99 ${e(p.slos.queryLatencyP99Ms)} ms` : ''}</dd>
  ${p.retention ? `<dt>Retention</dt><dd>${e(retentionText(p.retention))}</dd>` : ''}
  <dt>Facts</dt><dd>${e(p.factCount.toLocaleString('en'))} (${e(p.factTypes.join(', '))})</dd>
  <dt>Tags</dt><dd>${(p.tags ?? []).map((t) => `<span class="tag">${e(t)}</span>`).join('') || '—'}</dd>
  <dt>Contract</dt><dd><a class="contract" href="${e(`${productPath}/${CONTRACT_DOCUMENTS.odcs}`)}">Open Data Contract (YAML)</a> · <a class="contract" href="${e(`${productPath}/${CONTRACT_DOCUMENTS.asyncapi}`)}">AsyncAPI of the event ports (YAML)</a></dd>
</dl>
<h2>Examples</h2>
${exampleBlocks || '<p class="muted">No example: the supergraph is not loaded yet.</p>'}
<h2>Fields</h2>
<table class="fields"><thead><tr><th>Field</th><th>Type</th><th>Description</th><th>Classification</th><th>Needs</th></tr></thead><tbody>
${fieldRows}
</tbody></table>
<h2>Output ports</h2>
<table class="ports"><thead><tr><th>Kind</th><th>Where</th><th>What</th></tr></thead><tbody>
${p.outputPorts.map(renderPort).join('\n')}
</tbody></table>
<h2>Lineage</h2>
${lineage.length ? `<p>Entities this product shares with other domains, and the fields each domain adds.</p><table class="lineage"><tbody>${lineageRows}</tbody></table>` : '<p class="muted">This product shares no entity with another domain.</p>'}`,
  );
}
