import { buildSubgraphSchema } from '@apollo/subgraph';
import { GraphQLScalarType, parse, type GraphQLSchema } from 'graphql';
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

"An access point: graphql-query, graphql-subscription, event-subject or file."
type OutputPort {
  kind: String!
  url: String
  subject: String
  format: String
  path: String
  description: String
  fields: [String!]
}

type Query {
  "Every data product of the mesh, optionally of one domain."
  dataProducts(domain: String): [DataProduct!]!
  dataProduct(id: ID!): DataProduct
}
`;

const DateTime = new GraphQLScalarType({ name: 'DateTime', serialize: (value) => (value instanceof Date ? value.toISOString() : String(value)) });

function toGraphQL(product: CollectedDescriptor & { subgraph: string }) {
  return {
    ...product,
    purpose: product.description.purpose,
    limitations: product.description.limitations ?? null,
    usage: product.description.usage ?? null,
    classifiedFields: Object.entries(product.classification).map(([coordinate, classification]) => ({ coordinate, classification })),
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
