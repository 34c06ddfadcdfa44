/** What a broker message carries as a fact, and the broker names of a product, without a broker. */
import { decodeFact } from '../../subgraphs/kit/eventMesh/decodeFact.js';
import { meshTopics, topicLevel } from '../../subgraphs/kit/eventMesh/meshTopics.js';

describe('decodeFact', () => {
  it('should read a structured-mode body as the envelope and keep a non-JSON body as text', () => {
    expect(decodeFact(Buffer.from('{"id":"1","data":{"a":1}}'), undefined)).toEqual({ id: '1', data: { a: 1 } });
    expect(decodeFact(Buffer.from('not json'), undefined)).toBe('not json');
  });

  it('should read binary mode from MQTT user properties and prefixed AMQP headers', () => {
    expect(decodeFact(Buffer.from('{"orderId":"o-1"}'), { specversion: '1.0', id: 'e-1', type: 'OrderPlaced', 'x-other': 'kept out' })).toEqual({
      specversion: '1.0',
      id: 'e-1',
      type: 'OrderPlaced',
      data: { orderId: 'o-1' },
    });
    expect(
      decodeFact(Buffer.from('{"orderId":"o-2"}'), { 'cloudEvents:specversion': Buffer.from('1.0'), cloudEvents_id: 'e-2', 'x-trace': 'ignored' }, [
        'cloudEvents:',
        'cloudEvents_',
      ]),
    ).toEqual({ specversion: '1.0', id: 'e-2', data: { orderId: 'o-2' } });
  });

  it('should leave a body alone when the attributes name no specversion', () => {
    expect(decodeFact(Buffer.from('{"id":"3"}'), { id: 'header-id' })).toEqual({ id: '3' });
  });
});

describe('meshTopics', () => {
  it('should derive every name from the domain and the bus subjects', () => {
    const topics = meshTopics('orders');
    expect(topics.eventTopic('mesh.orders.v1.sales.bucket-updated.eu')).toBe('mesh/orders/v1/sales/bucket-updated/eu');
    expect(topics.latestTopic('mesh.orders.v1.order.state-changed', 'a/b+c')).toBe('mesh/orders/v1/order/state-changed/latest/a_b_c');
    expect(topics.factTopic('OrderPlaced')).toBe('mesh/orders/facts/OrderPlaced');
    expect(topics.routingKey('mesh.orders.v1.order.state-changed')).toBe('mesh.orders.v1.order.state-changed');
    expect([topics.exchange, topics.factQueue, topics.deadLetterQueue, topics.shareGroup]).toEqual([
      'mesh.orders',
      'mesh.orders.facts',
      'mesh.orders.facts.dead-letter',
      'mesh-orders',
    ]);
  });

  it('should put the namespace first', () => {
    const topics = meshTopics('orders', 'blue');
    expect(topics.deadLetterTopic).toBe('blue/mesh/orders/dead-letter');
    expect(topics.routingKey('mesh.orders.v1.x')).toBe('blue.mesh.orders.v1.x');
    expect(topics.busFilter).toBe('mesh.orders.v1.>');
  });

  it('should make any value a single topic level', () => {
    expect(topicLevel('')).toBe('_');
    expect(topicLevel(`a#b${String.fromCharCode(0)}c`)).toBe('a_b_c');
  });
});
