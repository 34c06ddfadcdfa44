import { getNamedType, isEnumType, isListType, isNonNullType, isObjectType, isInterfaceType, type GraphQLOutputType, type GraphQLSchema } from 'graphql';
import type { ProductView } from './productView.js';
import type { PublicEndpoints } from './publicPorts.js';

/** The ODCS version the contracts follow. */
export const ODCS_API_VERSION = 'v3.0.2';

const ROOT_TYPES = new Set(['Query', 'Mutation', 'Subscription']);

/** ODCS logical types (`string`, `date`, `number`, `integer`, `object`, `array`, `boolean`) of a GraphQL type. */
function logicalType(type: GraphQLOutputType): string {
  const inner = isNonNullType(type) ? type.ofType : type;
  if (isListType(inner)) return 'array';
  const named = getNamedType(inner);
  if (isObjectType(named) || isInterfaceType(named)) return 'object';
  if (isEnumType(named)) return 'string';
  return { Int: 'integer', Float: 'number', Boolean: 'boolean', DateTime: 'date' }[named.name] ?? 'string';
}

/**
 * A product's contract in the Open Data Contract Standard (Bitol ODCS v3.0.x): identity, purpose, owner,
 * the schema as the product exposes it (one object per GraphQL type its subgraph resolves, root types
 * aside; each field a property with its logical type, description, `required` when non-null, and the
 * classification its SDL declares; and one object per exported rollup file, the hourly grain), SLA properties from the descriptor's SLOs, and the gateway's
 * endpoints as servers. Addresses are the gateway's only (`endpoints`); none when it has none.
 */
export function odcsContract(view: ProductView, apiSchema: GraphQLSchema | null, endpoints: PublicEndpoints | null): Record<string, unknown> {
  const { product: p, fields } = view;
  const byType = new Map<string, ProductView['fields']>();
  for (const field of fields) {
    const type = field.coordinate.slice(0, field.coordinate.indexOf('.'));
    if (ROOT_TYPES.has(type)) continue;
    (byType.get(type) ?? byType.set(type, []).get(type)!).push(field);
  }
  const schema = [...byType].map(([typeName, typeFields]) => {
    const type = apiSchema?.getType(typeName);
    const apiFields = type && (isObjectType(type) || isInterfaceType(type)) ? type.getFields() : {};
    return {
      name: typeName,
      logicalType: 'object',
      physicalType: 'graphql-type',
      ...(type?.description && { description: type.description }),
      properties: typeFields.map((f) => {
        const name = f.coordinate.slice(typeName.length + 1);
        const graphqlType = apiFields[name]?.type;
        return {
          name,
          logicalType: graphqlType ? logicalType(graphqlType) : 'string',
          physicalType: f.type,
          ...(f.description && { description: f.description }),
          required: graphqlType ? isNonNullType(graphqlType) : false,
          classification: f.classification,
          ...(f.access !== 'public' && { customProperties: [{ property: 'access', value: f.access }] }),
        };
      }),
    };
  });
  // The hourly rollup grain as exported files: one object per rollup, its formats and coverage (columns are the store's).
  const files = new Map<string, Array<Record<string, unknown>>>();
  for (const port of p.outputPorts) {
    if (port.kind !== 'file' || typeof port.path !== 'string') continue;
    const stem = port.path.replace(/^.*\//, '').replace(/\.[a-z]+$/, '');
    (files.get(stem) ?? files.set(stem, []).get(stem)!).push(port);
  }
  const fileObjects = [...files].map(([stem, ports]) => ({
    name: stem,
    // File names only: the download path is `servers.files` + `<domain>/<name>`, and no server path can leak.
    physicalName: ports.map((port) => (port.path as string).replace(/^.*[\\/]/, '')).join(', '),
    physicalType: 'file',
    ...(typeof ports[0].description === 'string' && { description: ports[0].description }),
    dataGranularityDescription: 'One row per hour bucket and combination of dimension values',
    customProperties: [
      { property: 'formats', value: ports.map((port) => String(port.format)).join(', ') },
      ...(ports[0].rows !== undefined ? [{ property: 'rows', value: ports[0].rows }] : []),
      ...(ports[0].coveredFrom
        ? [
            { property: 'coveredFrom', value: ports[0].coveredFrom },
            { property: 'coveredTo', value: ports[0].coveredTo },
          ]
        : []),
    ],
  }));
  const roots = (root: string) => fields.filter((f) => f.coordinate.startsWith(`${root}.`)).map((f) => f.coordinate.slice(root.length + 1));
  const servers = endpoints
    ? [
        {
          server: 'graphql',
          type: 'api',
          location: endpoints.graphqlUrl,
          description: `GraphQL over HTTP at the gateway; queries: ${roots('Query').join(', ') || 'none'}`,
        },
        ...(roots('Subscription').length
          ? [
              {
                server: 'graphql-ws',
                type: 'api',
                location: endpoints.wsUrl,
                description: `GraphQL subscriptions (graphql-ws) at the gateway: ${roots('Subscription').join(', ')}`,
              },
            ]
          : []),
        ...(p.outputPorts.some((port) => port.kind === 'file')
          ? [
              {
                server: 'files',
                type: 'api',
                location: `${endpoints.filesUrl}${p.domain}/`,
                description: 'Exported files (Parquet, CSV), downloaded with a bearer token',
              },
            ]
          : []),
      ]
    : [];
  const sla = [
    { property: 'latency', value: p.slos.freshnessSeconds, unit: 's', driver: 'operational' },
    { property: 'retention', value: p.slos.retentionDays, unit: 'd', driver: 'regulatory' },
    { property: 'availability', value: Math.round(p.slos.availability * 100_000) / 1000, unit: '%', driver: 'operational' },
    ...(p.slos.queryLatencyP99Ms ? [{ property: 'queryLatencyP99', value: p.slos.queryLatencyP99Ms, unit: 'ms', driver: 'analytics' }] : []),
  ];
  return {
    apiVersion: ODCS_API_VERSION,
    kind: 'DataContract',
    id: p.id,
    name: p.name,
    version: p.version,
    status: p.status,
    domain: p.domain,
    dataProduct: p.name,
    description: {
      purpose: p.description.purpose,
      ...(p.description.limitations && { limitations: p.description.limitations }),
      ...(p.description.usage && { usage: p.description.usage }),
    },
    tags: p.tags ?? [],
    team: [{ username: p.owner.contact, name: p.owner.team, role: 'owner' }],
    support: [{ channel: 'email', url: `mailto:${p.owner.contact}` }],
    servers,
    schema: [...schema, ...fileObjects],
    slaProperties: sla,
    customProperties: [
      { property: 'factTypes', value: p.factTypes.join(', ') },
      { property: 'asOf', value: p.asOf },
    ],
  };
}
