/**
 * The IDE page's own script (served as `/ide/assets/<digest>/ide.js`, so the CSP needs no inline
 * script): GraphiQL over the gateway's HTTP endpoint, subscriptions over graphql-ws on the same path.
 * The token pasted in the headers editor (`Authorization`) goes to HTTP requests as a header and to the
 * websocket as `connection_init` payload (`{ authorization }`, what the gateway reads); a changed token
 * opens a new websocket. Empty header values are dropped, so the template header does no harm.
 */
export const IDE_BOOTSTRAP = `'use strict';
(function () {
  var config = JSON.parse(document.getElementById('ide-config').textContent);
  var base = new URL(config.graphqlPath, location.href);
  var wsUrl = base.href.replace(/^http/, 'ws');
  function cleanHeaders(headers) {
    var out = {};
    Object.keys(headers || {}).forEach(function (name) {
      var value = headers[name];
      if (typeof value === 'string' && value.trim() !== '' && !/^bearer\\s*$/i.test(value.trim())) out[name] = value;
    });
    return out;
  }
  function authorizationOf(headers) {
    var found = null;
    Object.keys(headers).forEach(function (name) {
      if (name.toLowerCase() === 'authorization') found = headers[name];
    });
    return found;
  }
  var current = { key: null, fetcher: null };
  function fetcherFor(headers) {
    var authorization = authorizationOf(headers);
    var key = JSON.stringify(headers);
    if (current.key === key) return current.fetcher;
    if (current.client) current.client.dispose();
    var client = graphqlWs.createClient({
      url: wsUrl,
      lazy: true,
      connectionParams: authorization ? { authorization: authorization } : {},
    });
    current = { key: key, client: client, fetcher: GraphiQL.createFetcher({ url: base.href, headers: headers, wsClient: client }) };
    return current.fetcher;
  }
  // GraphiQL reads the operation name from the editor after a debounce: a run right after an edit may
  // name an operation the text no longer has, and the subscription would go over HTTP. The text decides.
  function operationNameOf(params) {
    var names = [];
    var pattern = /(?:^|[^_0-9A-Za-z])(?:query|mutation|subscription)\\s+([_A-Za-z][_0-9A-Za-z]*)/g;
    var match;
    while ((match = pattern.exec(params.query || ''))) names.push(match[1]);
    if (params.operationName && names.indexOf(params.operationName) >= 0) return params.operationName;
    return names.length === 1 ? names[0] : params.operationName;
  }
  function fetcher(params, options) {
    var headers = cleanHeaders((options && options.headers) || {});
    var fixed = Object.assign({}, params, { operationName: operationNameOf(params) });
    return fetcherFor(headers)(fixed, Object.assign({}, options, { headers: headers }));
  }
  var search = new URLSearchParams(location.search);
  var preset = search.get('query');
  var tabs = config.examples.map(function (example) {
    return { query: example.query, variables: example.variables || undefined };
  });
  var props = {
    fetcher: fetcher,
    defaultEditorToolsVisibility: true,
    isHeadersEditorEnabled: true,
    shouldPersistHeaders: false,
    defaultHeaders: JSON.stringify({ Authorization: '' }, null, 2),
    defaultTabs: tabs.length ? tabs : undefined,
  };
  if (preset) {
    props.query = preset;
    props.variables = search.get('variables') || undefined;
    props.operationName = search.get('operationName') || undefined;
    props.defaultTabs = [{ query: preset, variables: props.variables }];
  }
  var root = ReactDOM.createRoot(document.getElementById('graphiql'));
  root.render(React.createElement(GraphiQL, props));
})();
`;
