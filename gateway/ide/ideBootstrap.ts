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
  // GraphiQL parses the editor's text after a debounce and routes by that parse: a run right after an
  // edit could send a subscription over HTTP. The text decides: a scan of the top-level operations
  // (comments, strings and selections skipped) names the operation and sends a subscription over the socket.
  function operationsOf(query) {
    var found = [];
    var depth = 0;
    var pending = false;
    for (var i = 0; i < query.length; i++) {
      var c = query[i];
      if (c === '#') { while (i < query.length && query[i] !== '\\n') i++; continue; }
      if (c === '"') { i++; while (i < query.length && query[i] !== '"') { if (query[i] === '\\\\') i++; i++; } continue; }
      if (c === '{') { if (depth === 0 && !pending) found.push({ kind: 'query', name: null }); pending = false; depth++; continue; }
      if (c === '}') { depth--; continue; }
      if (depth === 0) {
        var match = /^(query|mutation|subscription)(?![_0-9A-Za-z])\\s*([_A-Za-z][_0-9A-Za-z]*)?/.exec(query.slice(i));
        if (match && (i === 0 || !/[_0-9A-Za-z]/.test(query[i - 1]))) {
          found.push({ kind: match[1], name: match[2] || null });
          pending = true;
          i += match[0].length - 1;
        }
        if (/^fragment(?![_0-9A-Za-z])/.test(query.slice(i))) pending = true;
      }
    }
    return found;
  }
  function chosenOperation(params) {
    var operations = operationsOf(params.query || '');
    var named = operations.filter(function (op) { return op.name && op.name === params.operationName; })[0];
    return named || (operations.length === 1 ? operations[0] : null);
  }
  function fetcher(params, options) {
    var headers = cleanHeaders((options && options.headers) || {});
    var operation = chosenOperation(params);
    var fixed = Object.assign({}, params, { operationName: operation ? operation.name || undefined : params.operationName });
    var inner = fetcherFor(headers);
    if (operation && operation.kind === 'subscription') return current.client.iterate(fixed);
    return inner(fixed, Object.assign({}, options, { headers: headers }));
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
