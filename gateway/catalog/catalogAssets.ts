/** The catalog pages' stylesheet and script, served from memory under `/catalog/assets/`. */
export const CATALOG_CSS = `
body{font:15px/1.5 system-ui,sans-serif;margin:2rem auto;max-width:66rem;padding:0 1rem;color:#1d2330}
a{color:#1d4ed8} .product{border:1px solid #d8dde6;border-radius:8px;padding:.75rem 1.25rem;margin:1rem 0}
h2 small,h1 small{font-weight:normal;color:#667;font-size:.65em} dl{display:grid;grid-template-columns:11rem 1fr;gap:.25rem 1rem}
dt{color:#556} .ok{color:#17753a} .late{color:#b3261e} .muted{color:#667}
.tag{border-radius:4px;padding:0 .35rem;font-size:.85em;background:#eef;margin-right:.25rem}
.tag.pii{background:#fde2e1} .tag.confidential{background:#fff0c2} .tag.internal{background:#e2f0fd}
code{background:#f3f4f7;padding:0 .25rem;border-radius:3px} pre{background:#f3f4f7;padding:.75rem;border-radius:6px;overflow:auto}
form.filters{display:flex;flex-wrap:wrap;gap:.5rem;align-items:end;margin:1rem 0} form.filters label{display:flex;flex-direction:column;font-size:.85em;color:#556}
form.filters input,form.filters select{font:inherit;padding:.3rem .4rem}
table{border-collapse:collapse;width:100%;font-size:.92em} th,td{text-align:left;padding:.3rem .5rem;border-bottom:1px solid #e5e8ee;vertical-align:top}
[hidden]{display:none!important} .example{margin:1rem 0}
`;

/**
 * Live filtering on the list page (the form also works without script: the server filters on GET),
 * and live freshness on a product page (re-read from `/catalog/<id>.json` every 15 s).
 */
export const CATALOG_JS = `'use strict';
(function () {
  var form = document.querySelector('form.filters');
  if (form) {
    var cards = Array.prototype.slice.call(document.querySelectorAll('.product[data-id]'));
    var count = document.getElementById('count');
    var apply = function () {
      var q = form.q.value.trim().toLowerCase();
      var want = { domain: form.domain.value, tag: form.tag.value, classification: form.classification.value, owner: form.owner.value };
      var shown = 0;
      cards.forEach(function (card) {
        var ok = (!q || card.dataset.search.indexOf(q) >= 0) &&
          (!want.domain || card.dataset.domain === want.domain) &&
          (!want.owner || card.dataset.owner === want.owner) &&
          (!want.tag || card.dataset.tags.split(' ').indexOf(want.tag) >= 0) &&
          (!want.classification || card.dataset.classifications.split(' ').indexOf(want.classification) >= 0);
        card.hidden = !ok;
        if (ok) shown++;
      });
      count.textContent = String(shown);
      var params = new URLSearchParams();
      if (q) params.set('q', form.q.value.trim());
      Object.keys(want).forEach(function (k) { if (want[k]) params.set(k, want[k]); });
      history.replaceState(null, '', location.pathname + (params.toString() ? '?' + params : ''));
    };
    form.addEventListener('input', apply);
    form.addEventListener('submit', function (event) { event.preventDefault(); apply(); });
  }
  var freshness = document.getElementById('freshness');
  if (freshness && freshness.dataset.url) {
    var age = function (s) {
      if (s === null) return 'no data yet';
      if (s < 120) return s + ' s ago';
      if (s < 7200) return Math.round(s / 60) + ' min ago';
      return Math.round(s / 3600) + ' h ago';
    };
    var refresh = function () {
      fetch(freshness.dataset.url, { headers: { accept: 'application/json' } }).then(function (r) { return r.ok ? r.json() : null; }).then(function (p) {
        if (!p) return;
        freshness.className = p.freshness.withinSlo ? 'ok' : 'late';
        freshness.textContent = 'newest fact ' + age(p.freshness.lagSeconds) + ' (as of ' + (p.asOf || 'never') + ', SLO ' + p.slos.freshnessSeconds + ' s) — ' + (p.freshness.withinSlo ? 'within SLO' : 'outside SLO');
      }).catch(function () {});
    };
    setInterval(refresh, 15000);
  }
})();
`;
