/** The bridge's environment: brokers, audience, flags and the leader lease, with a clear error for each bad value. */
import { parseEventMeshBrokers, redactUrl } from '../../subgraphs/kit/eventMesh/EventMeshConfig.js';
import { eventMeshConfigFromEnv } from '../../subgraphs/kit/eventMesh/eventMeshConfigFromEnv.js';

describe('event mesh configuration', () => {
  it('should read no bridge without MESH_EVENT_MESH', () => {
    expect(eventMeshConfigFromEnv({})).toEqual({});
  });

  it('should read brokers, audience, flags and the lease', () => {
    expect(
      eventMeshConfigFromEnv({
        MESH_EVENT_MESH: 'mqtt://127.0.0.1:1883, amqp://guest:guest@127.0.0.1:5672',
        MESH_EVENT_MESH_AUDIENCE: 'crm:finance:read pii:read',
        MESH_EVENT_MESH_RETAIN: 'true',
        MESH_EVENT_MESH_OUTBOUND: '0',
        MESH_EVENT_MESH_LEASE_MS: '5000',
      }),
    ).toEqual({
      eventMesh: {
        brokers: [
          { kind: 'mqtt', url: 'mqtt://127.0.0.1:1883' },
          { kind: 'amqp', url: 'amqp://guest:guest@127.0.0.1:5672' },
        ],
        audience: { name: 'crm', scopes: ['finance:read', 'pii:read'] },
        retainLatest: true,
        outbound: false,
        leaderLeaseMs: 5000,
      },
    });
  });

  it('should name the variable and the problem of a bad value', () => {
    const read = (env: NodeJS.ProcessEnv) => () => eventMeshConfigFromEnv({ MESH_EVENT_MESH: 'mqtt://h:1883', ...env });
    expect(read({ MESH_EVENT_MESH: 'http://h' })).toThrow('invalid MESH_EVENT_MESH: "http://h": use mqtt://, mqtts://, amqp:// or amqps://');
    expect(read({ MESH_EVENT_MESH: 'mqtt://a:1,mqtt://b:2' })).toThrow('invalid MESH_EVENT_MESH: at most one mqtt:// and one amqp:// broker');
    expect(read({ MESH_EVENT_MESH_AUDIENCE: 'no scopes' })).toThrow(/invalid MESH_EVENT_MESH_AUDIENCE: use <name>:<scope>/);
    expect(read({ MESH_EVENT_MESH_RETAIN: 'yes' })).toThrow('invalid MESH_EVENT_MESH_RETAIN: "yes" is not true or false');
    expect(read({ MESH_EVENT_MESH_LEASE_MS: '10' })).toThrow(/invalid MESH_EVENT_MESH_LEASE_MS: "10" is not a whole number of milliseconds/);
  });

  it('should keep credentials out of what it shows', () => {
    expect(() => parseEventMeshBrokers('amqp://user:secret@')).toThrow();
    expect(() => parseEventMeshBrokers('not a url://user:secret@host')).toThrow('"not a url://host" is not a URL');
    expect(redactUrl('amqp://user:secret@host:5672/vhost')).toBe('amqp://host:5672/vhost');
  });
});
