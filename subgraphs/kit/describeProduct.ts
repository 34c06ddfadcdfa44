import { Kind, type DocumentNode, type ObjectTypeDefinitionNode, type ObjectTypeExtensionNode } from 'graphql';
import type { DataProductDeclaration } from './productDeclaration.js';
import { STORED_GRAINS, type Store } from './store/Store.js';
import { publishedRelations } from './store/publishedRelations.js';
import { rollupLayout } from './rollups/rollupLayout.js';
import type { OutputPort, RetentionReport, ServedDescriptor } from './descriptor.js';
import { bucketUpdatedFilter, stateChangedSubject } from './ingest/changeSubjects.js';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { fieldGovernance } from './auth/fieldGovernance.js';
import { EXPORT_FORMATS, exportFileName, exportManifestName, productExportDir } from './exports/exportFiles.js';

// The SDL of a running product never changes: derive its field governance once.
const governance = new WeakMap<DocumentNode, ReturnType<typeof fieldGovernance>>();
const governanceOf = (typeDefs: DocumentNode) => governance.get(typeDefs) ?? governance.set(typeDefs, fieldGovernance(typeDefs)).get(typeDefs)!;

/** Where a product's ports are reachable. */
export interface PortAddresses {
  /** HTTP GraphQL endpoint of the subgraph. */
  graphqlUrl: string;
  /** graphql-ws endpoint of the subgraph. */
  wsUrl: string;
  /** Folder of file exports, when the product exports files. */
  exportDir?: string;
  /** The SQL port's URL, when the product serves one. */
  sqlUrl?: string;
}

/** The descriptor as served: the declaration plus ports, freshness and volume, read now. */
export async function describeProduct(
  product: { definition: DataProductDeclaration; store: Store; eventMeshPorts: readonly OutputPort[]; retention: { report(): RetentionReport } },
  addresses: PortAddresses,
): Promise<ServedDescriptor> {
  const { descriptor, typeDefs, rollups = {}, states = {} } = product.definition;
  const [asOf, factCount] = await Promise.all([product.store.watermark(), product.store.factCount()]);
  const lagSeconds = asOf ? Math.max(0, Math.round((Date.now() - asOf.getTime()) / 1000)) : null;
  const rootFields = (name: string) =>
    typeDefs.definitions
      .filter(
        (d): d is ObjectTypeDefinitionNode | ObjectTypeExtensionNode =>
          (d.kind === Kind.OBJECT_TYPE_DEFINITION || d.kind === Kind.OBJECT_TYPE_EXTENSION) && d.name.value === name,
      )
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
    ...Object.keys(states).map((name): OutputPort => ({
      kind: 'event-subject',
      subject: stateChangedSubject(descriptor.domain, name),
      description: `state "${name}" changed`,
    })),
    ...product.eventMeshPorts,
    ...(addresses.exportDir ? await filePorts(addresses.exportDir, descriptor.domain, Object.keys(rollups)) : []),
    ...(addresses.sqlUrl ? sqlPorts(product, addresses.sqlUrl) : []),
  ];
  const { classification, access } = governanceOf(typeDefs);
  return {
    ...descriptor,
    classification,
    access,
    outputPorts: ports.filter((p) => p.kind !== 'graphql-subscription' || p.fields.length > 0),
    asOf: asOf?.toISOString() ?? null,
    freshness: { lagSeconds, withinSlo: lagSeconds !== null && lagSeconds <= descriptor.slos.freshnessSeconds },
    factCount,
    factTypes: Object.keys(product.definition.facts),
    retention: product.retention.report(),
  };
}

/** The SQL port, when the store serves one: its dialect and the relations a statement may read. */
function sqlPorts(product: { definition: DataProductDeclaration; store: Store }, url: string): OutputPort[] {
  let dialect: 'duckdb' | 'postgresql';
  try {
    const sql = product.store.sql?.();
    if (!sql) return [];
    dialect = sql.dialect;
  } catch {
    return []; // a store that refuses to serve SQL (DuckDB not locked down) has no port to advertise
  }
  const { rollups = {}, states = {} } = product.definition;
  const layouts = Object.entries(rollups).map(([name, r]) => rollupLayout(name, r.dimensions, r.measures));
  const relations = publishedRelations(layouts, Object.keys(states), STORED_GRAINS).map((r) => r.name);
  return [
    { kind: 'sql', url, format: dialect, fields: relations, description: 'read-only SQL (one SELECT) over the rollups at each grain and the keyed states' },
  ];
}

/** File ports for the exports that exist now (a port nobody wrote is not advertised), with their age. */
async function filePorts(exportDir: string, domain: string, rollups: string[]): Promise<OutputPort[]> {
  const ports = await Promise.all(
    rollups.flatMap((rollup) =>
      EXPORT_FORMATS.map(async (format): Promise<OutputPort | null> => {
        const file = path.join(productExportDir(exportDir, domain), exportFileName(rollup, format));
        const info = await stat(file).catch(() => null);
        // Rows and covered hours, as the export run recorded them beside the files.
        const manifest =
          (await readFile(path.join(productExportDir(exportDir, domain), exportManifestName(rollup)), 'utf8')
            .then((text) => JSON.parse(text) as { rows?: number; coveredFrom?: string | null; coveredTo?: string | null })
            .catch(() => null)) ?? {};
        // Relative to the export folder: a consumer mounts or syncs that folder; server paths are not its business.
        return info
          ? {
              kind: 'file',
              format,
              path: path.relative(exportDir, file).split(path.sep).join('/'),
              description: `hourly aggregates of "${rollup}"`,
              exportedAt: info.mtime.toISOString(),
              ...(manifest.rows !== undefined && { rows: manifest.rows, coveredFrom: manifest.coveredFrom ?? null, coveredTo: manifest.coveredTo ?? null }),
            }
          : null;
      }),
    ),
  );
  return ports.filter((p): p is OutputPort => p !== null);
}
