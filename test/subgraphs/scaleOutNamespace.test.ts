/** `MESH_NAMESPACE`: the names a subgraph's scale-out data takes on a shared database and broker. */
import { domainStreamName, domainSubjects } from '../../subgraphs/kit/bus/jetStreamStream.js';
import { factSubject } from '../../subgraphs/kit/ingest/consumeFacts.js';
import { postgresSchemaName } from '../../subgraphs/startSubgraph.js';
import { subgraphConfigFromEnv } from '../../subgraphs/subgraphConfig.js';

describe('MESH_NAMESPACE', () => {
  it('should leave the names of a mesh without one as they always were', () => {
    expect(subgraphConfigFromEnv('orders', {}).namespace).toBeUndefined();
    expect(subgraphConfigFromEnv('orders', { MESH_NAMESPACE: '' }).namespace).toBeUndefined();
    expect([postgresSchemaName('orders'), domainStreamName('orders'), domainSubjects('orders'), factSubject('orders', 'OrderPlaced')]).toEqual([
      'mesh_orders',
      'MESH_ORDERS',
      'mesh.orders.>',
      'mesh.orders.facts.OrderPlaced',
    ]);
  });

  it('should name the schema, stream and subjects of a namespaced mesh apart', () => {
    const { namespace } = subgraphConfigFromEnv('orders', { MESH_NAMESPACE: 'staging_2' });
    expect(namespace).toBe('staging_2');
    expect([
      postgresSchemaName('orders', namespace),
      domainStreamName('orders', namespace),
      domainSubjects('orders', namespace),
      factSubject('orders', 'OrderPlaced', namespace),
    ]).toEqual(['mesh_staging_2_orders', 'MESH_STAGING_2_ORDERS', 'staging_2.mesh.orders.>', 'staging_2.mesh.orders.facts.OrderPlaced']);
  });

  it.each(['Staging', '2nd', 'a.b', 'a-b', 'x'.repeat(33)])('should refuse %j, naming the variable', (value) => {
    expect(() => subgraphConfigFromEnv('orders', { MESH_NAMESPACE: value })).toThrow(/^invalid MESH_NAMESPACE=/);
  });
});
