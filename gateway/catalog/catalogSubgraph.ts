import { buildSubgraphSchema } from '@apollo/subgraph';
import { parse, type GraphQLSchema } from 'graphql';
import { DateTime } from '../../core/graphql/DateTime.js';
import type { CollectedCatalog, CollectedDescriptor } from './collectDescriptors.js';

/** Name of the gateway's own subgraph that serves the catalog. */
export const CATALOG_SUBGRAPH_NAME = 'mesh';

/** SDL of the catalog subgraph, composed into the supergraph beside the domains. */
export const catalogSubgraphSdl = `
extend schema @link(url: "https://specs.apollo.dev/federation/v2.6", import: ["@key", "@shareable"])

"An ISO-8601 timestamp with zone, e.g. 2024-05-01T12:00:00Z."
scalar DateTime

"A domain's data product as its descriptor declares it, with live freshness."
type DataProduct @key(fields: "id") {
  id: ID!
  name: String!
  domain: String!
  "The subgraph that serves it."
  subgraph: String!
  version: String!
  status: String!
  purpose: String!
  limitations: String
  usage: String
  owner: DataProductOwner!
  slos: DataProductSlos!
  "Event time of the newest fact: the product's freshness."
  asOf: DateTime
  freshness: DataProductFreshness!
  "Facts the product holds: stored and not retracted, the facts its history is computed from."
  factCount: Int!
  factTypes: [String!]!
  "Fields with a classification other than public (others are public)."
  classifiedFields: [ClassifiedField!]!
  outputPorts: [OutputPort!]!
  tags: [String!]!
}

type DataProductOwner {
  team: String!
  contact: String!
}

type DataProductSlos {
  freshnessSeconds: Int!
  availability: Float!
  retentionDays: Int!
  queryLatencyP99Ms: Int
}

type DataProductFreshness {
  lagSeconds: Int
  withinSlo: Boolean!
}

type ClassifiedField {
  "Schema coordinate, e.g. OrderBucket.revenue."
  coordinate: String!
  classification: String!
}

"An access point: graphql-query, graphql-subscription, event-subject, file, event-mesh (a broker topic or queue), sql (read-only SQL at POST /sql: format duckdb or postgresql, fields its tables) or contract (a machine-readable contract document: format odcs or asyncapi)."
type OutputPort {
  kind: String!
  url: String
  subject: String
  "file: parquet or csv; sql: duckdb or postgresql; contract: odcs or asyncapi."
  format: String
  path: String
  description: String
  "file: when it was written (ISO 8601)."
  exportedAt: String
  "file: rows in it."
  rows: Int
  "file: start of the hours it covers (ISO 8601, inclusive)."
  coveredFrom: String
  "file: end of the hours it covers (ISO 8601, exclusive)."
  coveredTo: String
  fields: [String!]
  "event-mesh: out (change events), in (facts) or dead-letter."
  direction: String
  "event-mesh: the broker URL without credentials."
  broker: String
  "event-mesh: the MQTT topic (filter) or the AMQP exchange/queue."
  topic: String
  "event-mesh: the CloudEvents protocol binding."
  binding: String
  "event-mesh: the declared audience of outbound topics."
  audience: String
  "event-mesh: governed fields outbound events leave out."
  withheld: [String!]
}

type Query {
  "Every data product of the mesh, optionally of one domain."
  dataProducts(domain: String): [DataProduct!]!
  dataProduct(id: ID!): DataProduct
}
`;

function toGraphQL(product: CollectedDescriptor & { subgraph: string }) {
  return {
    ...product,
    purpose: product.description.purpose,
    limitations: product.description.limitations ?? null,
    usage: product.description.usage ?? null,
    classifiedFields: Object.entries(product.classification ?? {}).map(([coordinate, classification]) => ({ coordinate, classification })),
    tags: product.tags ?? [],
  };
}

/** The catalog subgraph schema over a descriptor source (collected from the domains, cached briefly). */
export function catalogSubgraphSchema(load: () => Promise<CollectedCatalog>): GraphQLSchema {
  return buildSubgraphSchema({
    typeDefs: parse(catalogSubgraphSdl),
    resolvers: {
      DateTime,
      Query: {
        dataProducts: async (_: unknown, { domain }: { domain?: string | null }) =>
          (await load()).products.filter((p) => !domain || p.domain === domain).map(toGraphQL),
        dataProduct: async (_: unknown, { id }: { id: string }) => {
          const product = (await load()).products.find((p) => p.id === id);
          return product ? toGraphQL(product) : null;
        },
      },
      DataProduct: {
        __resolveReference: async (ref: { id: string }) => {
          const product = (await load()).products.find((p) => p.id === ref.id);
          return product ? toGraphQL(product) : null;
        },
      },
    },
  });
}
