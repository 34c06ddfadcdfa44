import path from 'node:path';

/** Where consumers reach the mesh: the gateway's endpoints, never a subgraph's. */
export interface PublicEndpoints {
  /** HTTP GraphQL endpoint, e.g. `https://mesh.example.com/graphql`. */
  graphqlUrl: string;
  /** graphql-ws endpoint, e.g. `wss://mesh.example.com/graphql`. */
  wsUrl: string;
  /** Base of file downloads (`gateway/files/filesRoute.ts`), e.g. `https://mesh.example.com/files/`. */
  filesUrl: string;
  /** The SQL port (`gateway/sql/sqlRoute.ts`), e.g. `https://mesh.example.com/sql`. */
  sqlUrl: string;
  /** The catalog (`gateway/catalog/catalogRoutes.ts`), e.g. `https://mesh.example.com/catalog`: contracts live under it. */
  catalogUrl: string;
}

/** The gateway endpoints under a public base URL (`MESH_PUBLIC_URL`). */
export function publicEndpoints(baseUrl: string): PublicEndpoints {
  const base = baseUrl.replace(/\/+$/, '').replace(/\/graphql$/, '');
  return {
    graphqlUrl: `${base}/graphql`,
    wsUrl: `${base.replace(/^http/, 'ws')}/graphql`,
    filesUrl: `${base}/files/`,
    catalogUrl: `${base}/catalog`,
    sqlUrl: `${base}/sql`,
  };
}

/** The machine-readable documents of a product, under `<catalog>/<id>/` (`gateway/catalog/catalogRoutes.ts`). */
export const CONTRACT_DOCUMENTS = {
  /** Open Data Contract Standard (Bitol) v3 YAML. */
  odcs: 'contract.yaml',
  /** AsyncAPI 3.0 of the product's event ports, YAML. */
  asyncapi: 'asyncapi.yaml',
} as const;

/** A product's contract documents as output ports: where a consumer (or a tool) fetches them. */
export function contractPorts(productId: string, endpoints: PublicEndpoints): Array<Record<string, unknown> & { kind: string }> {
  const base = `${endpoints.catalogUrl}/${encodeURIComponent(productId)}`;
  return [
    { kind: 'contract', format: 'odcs', url: `${base}/${CONTRACT_DOCUMENTS.odcs}`, description: 'Open Data Contract Standard v3 (YAML)' },
    { kind: 'contract', format: 'asyncapi', url: `${base}/${CONTRACT_DOCUMENTS.asyncapi}`, description: 'AsyncAPI 3.0 of the event ports (YAML; .json too)' },
  ];
}

/**
 * A descriptor's output ports as the catalog shows them: GraphQL ports point at the gateway (a
 * subgraph's own address is internal, and the gateway is where auth applies), file ports name a path
 * relative to the export folder (never a server path), and any other URL is dropped: the catalog only
 * advertises what it knows a consumer can use.
 */
export function publicPorts<P extends Record<string, unknown> & { kind: string }>(ports: readonly P[], endpoints: PublicEndpoints, subgraph?: string): P[] {
  return ports.map((port) => {
    const { url: _url, ...rest } = port;
    if (port.kind === 'graphql-query') return { ...rest, url: endpoints.graphqlUrl } as unknown as P;
    if (port.kind === 'graphql-subscription') return { ...rest, url: endpoints.wsUrl } as unknown as P;
    if (port.kind === 'sql') return { ...rest, url: endpoints.sqlUrl } as unknown as P;
    if (port.kind === 'file' && typeof port.path === 'string') {
      // Downloads are `/files/<subgraph>/<file>` under the gateway (`gateway/files/filesRoute.ts`); the path
      // relative to the export folder is `<domain>/<file>`, and a domain need not be named like its subgraph.
      const relative = relativeFilePath(port.path);
      // A server path (an older subgraph) keeps its file name but gets no link: it may not be in the export folder.
      const exported = /^[^/]+\/[^/]+$/.test(relative);
      const download = exported ? (subgraph ? `${subgraph}/${path.posix.basename(relative)}` : relative) : null;
      return { ...rest, path: relative, ...(download && { url: `${endpoints.filesUrl}${download}` }) } as unknown as P;
    }
    return rest as unknown as P;
  });
}

/** A relative path stays (without `..`); an absolute one (an older subgraph) keeps only its file name. */
function relativeFilePath(file: string): string {
  const normal = path.posix.normalize(file.replace(/\\/g, '/'));
  if (path.posix.isAbsolute(normal) || /^[a-zA-Z]:/.test(normal) || normal.startsWith('..')) return path.posix.basename(normal);
  return normal;
}
