import { graphql, buildSchema } from 'graphql';
import { cloudEventEnvelope, type OutgoingCloudEvent } from '../../core/events/CloudEvent.js';
import { DateTime } from '../../core/graphql/DateTime.js';
import { isIsoTimestamp } from '../../core/graphql/isoTimestamp.js';

describe('core scalars and shapes', () => {
  const schema = buildSchema('scalar DateTime type Query { echo(at: DateTime!): DateTime }');
  Object.assign(schema.getType('DateTime')!, { serialize: DateTime.serialize, parseValue: DateTime.parseValue, parseLiteral: DateTime.parseLiteral });
  const root = { echo: ({ at }: { at: Date }) => at };

  it('should take a zoned ISO timestamp in and give UTC ISO out', async () => {
    const result = await graphql({ schema, source: '{ echo(at: "2024-05-01T14:00:00+02:00") }', rootValue: root });
    expect(result).toEqual({ data: { echo: '2024-05-01T12:00:00.000Z' } });
  });

  it('should refuse a timestamp without a zone with BAD_USER_INPUT', async () => {
    const result = await graphql({ schema, source: 'query($at: DateTime!) { echo(at: $at) }', variableValues: { at: '2024-05-01T12:00:00' }, rootValue: root });
    expect(result.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('should accept only zoned timestamps that name a real instant', () => {
    expect(isIsoTimestamp('2024-05-01T12:00Z')).toBe(true);
    expect(isIsoTimestamp('2024-05-01T12:00:00.5-03:30')).toBe(true);
    expect(isIsoTimestamp('2024-05-01T12:00:00')).toBe(false);
    expect(isIsoTimestamp('2024-13-45T12:00:00Z')).toBe(false);
    expect(isIsoTimestamp(1714564800000)).toBe(false);
  });

  it('should validate an outgoing CloudEvent with the envelope every subgraph checks', () => {
    const event: OutgoingCloudEvent = { specversion: '1.0', id: '1', source: 'urn:test', type: 'OrderPlaced', time: '2024-05-01T12:00:00Z', data: {} };
    expect(cloudEventEnvelope.safeParse(event).success).toBe(true);
    expect(cloudEventEnvelope.safeParse({ ...event, time: 'yesterday' }).success).toBe(false);
  });
});
