/**
 * HTML helpers of the catalog pages. Descriptors come from subgraphs (a domain team's text): everything
 * is escaped; only scalars render, anything else (never expected) renders empty, not `[object Object]`.
 */
export const escapeHtml = (value: unknown): string =>
  (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' ? String(value) : '').replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );

/** How long ago, for people. */
export function age(lagSeconds: number | null): string {
  if (lagSeconds === null) return 'no data yet';
  if (lagSeconds < 120) return `${lagSeconds} s ago`;
  if (lagSeconds < 7200) return `${Math.round(lagSeconds / 60)} min ago`;
  return `${Math.round(lagSeconds / 3600)} h ago`;
}

/** The page frame: our stylesheet and script only (the CSP allows nothing else). */
export function layout(title: string, assetsPath: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="${escapeHtml(assetsPath)}/catalog.css">
</head><body>
${body}
<script src="${escapeHtml(assetsPath)}/catalog.js"></script>
</body></html>`;
}
