import { Kind, type ObjectTypeDefinitionNode, type ObjectTypeExtensionNode } from 'graphql';
import type { DataProductRuntime } from './DataProductRuntime.js';
import type { OutputPort, ServedDescriptor } from './descriptor.js';
import { bucketUpdatedFilter, stateChangedSubject } from './ingest/changeSubjects.js';

/** Where a product's ports are reachable. */
export interface PortAddresses {
  /** HTTP GraphQL endpoint of the subgraph. */
  graphqlUrl: string;
  /** graphql-ws endpoint of the subgraph. */
  wsUrl: string;
  /** Folder of file exports, when the product exports files. */
  exportDir?: string;
}

/** The descriptor as served: the declaration plus ports, freshness and volume, read now. */
export async function describeProduct(product: DataProductRuntime, addresses: PortAddresses): Promise<ServedDescriptor> {
  const { descriptor, typeDefs, rollups = {}, states = {} } = product.definition;
  const [asOf, factCount] = await Promise.all([product.store.watermark(), product.store.factCount()]);
  const lagSeconds = asOf ? Math.max(0, Math.round((Date.now() - asOf.getTime()) / 1000)) : null;
  const rootFields = (name: string) =>
    typeDefs.definitions
      .filter((d): d is ObjectTypeDefinitionNode | ObjectTypeExtensionNode => (d.kind === Kind.OBJECT_TYPE_DEFINITION || d.kind === Kind.OBJECT_TYPE_EXTENSION) && d.name.value === name)
      .flatMap((d) => d.fields?.map((f) => f.name.value) ?? []);
  const ports: OutputPort[] = [
    { kind: 'graphql-query', url: addresses.graphqlUrl, fields: rootFields('Query') },
    { kind: 'graphql-subscription', url: addresses.wsUrl, fields: rootFields('Subscription') },
    ...Object.entries(rollups).map(([name, r]): OutputPort => ({
      kind: 'event-subject',
      // A filter, not a subject: subject tokens escape `*` to `_`, which would advertise a subject nothing is published on.
      subject: bucketUpdatedFilter(descriptor.domain, name, [], (r.subjectDimensions ?? []).length),
      description: `minute bucket of rollup "${name}" updated (dimensions ${r.dimensions.join(', ')})`,
    })),
    ...Object.keys(states).map((name): OutputPort => ({ kind: 'event-subject', subject: stateChangedSubject(descriptor.domain, name), description: `state "${name}" changed` })),
    ...(addresses.exportDir
      ? Object.keys(rollups).flatMap((name) =>
          (['parquet', 'csv'] as const).map((format): OutputPort => ({ kind: 'file', format, path: `${addresses.exportDir}/${descriptor.domain}/${name}_hour.${format}`, description: `hourly aggregates of "${name}"` })),
        )
      : []),
  ];
  return {
    ...descriptor,
    outputPorts: ports.filter((p) => p.kind !== 'graphql-subscription' || p.fields.length > 0),
    asOf: asOf?.toISOString() ?? null,
    freshness: { lagSeconds, withinSlo: lagSeconds !== null && lagSeconds <= descriptor.slos.freshnessSeconds },
    factCount,
    factTypes: Object.keys(product.definition.facts),
  };
}
