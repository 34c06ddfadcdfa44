import type { GraphQLSchema } from 'graphql';
import { graphqlJsonSchema, type JsonSchema } from './graphqlJsonSchema.js';
import type { ProductView } from './productView.js';
import type { PublicEndpoints } from './publicPorts.js';

const SCHEMAS = '#/components/schemas/';
/** Channel, message and operation ids: `^[A-Za-z0-9_\-]+$` in AsyncAPI 3. */
const id = (text: string) => text.replace(/[^A-Za-z0-9_-]+/g, '-');
const str = (value: unknown) => (typeof value === 'string' ? value : '');

/** The envelope every event-mesh change event has (`subgraphs/kit/eventMesh/changeCloudEvent.ts`). */
const CLOUD_EVENT: JsonSchema = {
  type: 'object',
  description: 'A CloudEvents 1.0 structured-mode change event of the product.',
  required: ['specversion', 'id', 'source', 'type', 'time', 'datacontenttype', 'meshcursor', 'meshprevcursor', 'data'],
  properties: {
    specversion: { type: 'string', const: '1.0' },
    id: { type: 'string', description: '<domain>-<cursor>: unique per product stream, the same on every redelivery.' },
    source: { type: 'string', description: 'urn:mesh:<domain>, or urn:mesh:<namespace>:<domain> in a namespaced mesh (MESH_NAMESPACE)' },
    type: { type: 'string', description: 'mesh.<domain>.v1.bucket-updated or mesh.<domain>.v1.state-changed' },
    subject: { type: 'string' },
    time: { type: 'string', format: 'date-time' },
    datacontenttype: { type: 'string', const: 'application/json' },
    meshcursor: { type: 'string', description: 'Strictly increasing per product: skip a cursor already seen.' },
    meshprevcursor: { type: 'string', description: 'The previous change event of the product; a different one reveals a gap.' },
    data: { type: 'object', description: 'The changed bucket or state, governed fields withheld as the port lists.' },
  },
};

/**
 * A product's event ports as an AsyncAPI 3.0 document: each GraphQL subscription field the product's
 * subgraph serves, as a channel on the gateway's graphql-ws endpoint (payload: the `next` message's
 * `data`, JSON Schema derived from the SDL types, governed fields annotated with `x-classification` and
 * `x-requires`), and each outbound event-mesh topic (MQTT / AMQP) with the CloudEvents envelope. Security:
 * a bearer JWT whose scopes the operations and fields name. Addresses are the gateway's and the brokers'
 * public URLs only; the gateway's channels are left out when it has no public address.
 */
export function asyncApiDocument(view: ProductView, apiSchema: GraphQLSchema | null, endpoints: PublicEndpoints | null): Record<string, unknown> {
  const { product: p, fields, examples } = view;
  const classified = new Map(fields.map((f) => [f.coordinate, f]));
  const annotate = (type: string, field: string): JsonSchema => {
    const f = classified.get(`${type}.${field}`);
    return f && (f.classification !== 'public' || f.access !== 'public')
      ? { ...(f.classification !== 'public' && { 'x-classification': f.classification }), ...(f.access !== 'public' && { 'x-requires': f.access }) }
      : {};
  };
  const servers: Record<string, unknown> = {};
  const channels: Record<string, unknown> = {};
  const operations: Record<string, unknown> = {};
  const messages: Record<string, unknown> = {};
  const schemas: Record<string, JsonSchema> = {};
  const security = [{ $ref: '#/components/securitySchemes/bearerJwt' }];

  const subscriptionType = apiSchema?.getSubscriptionType();
  const subscriptions = fields.filter((f) => f.coordinate.startsWith('Subscription.'));
  if (endpoints && subscriptionType && subscriptions.length) {
    const ws = new URL(endpoints.wsUrl);
    servers.gateway = {
      host: ws.host,
      protocol: ws.protocol.replace(/:$/, ''),
      pathname: ws.pathname,
      title: 'Mesh gateway',
      description: 'GraphQL subscriptions over the graphql-transport-ws protocol: pass the token in connection_init ({ "Authorization": "Bearer <JWT>" }).',
      security,
    };
    for (const field of subscriptions) {
      const name = field.coordinate.slice('Subscription.'.length);
      const graphqlField = subscriptionType.getFields()[name];
      if (!graphqlField) continue;
      const { schema, definitions } = graphqlJsonSchema(graphqlField.type, { refPrefix: SCHEMAS, annotate });
      Object.assign(schemas, definitions);
      const message = `${id(name)}Next`;
      messages[message] = {
        name: message,
        title: `${name} event`,
        contentType: 'application/json',
        summary: `A graphql-ws "next" message of the ${name} subscription.`,
        payload: { type: 'object', properties: { data: { type: 'object', properties: { [name]: schema } }, errors: { type: 'array' } } },
      };
      channels[id(name)] = {
        address: name,
        title: name,
        ...(field.description && { description: field.description }),
        servers: [{ $ref: '#/servers/gateway' }],
        messages: { next: { $ref: `#/components/messages/${message}` } },
      };
      const example = examples.find((x) => x.coordinate === field.coordinate);
      operations[`receive-${id(name)}`] = {
        action: 'receive',
        channel: { $ref: `#/channels/${id(name)}` },
        messages: [{ $ref: `#/channels/${id(name)}/messages/next` }],
        summary: `Subscribe to ${name}; needs ${field.access}.`,
        security,
        ...(example && { 'x-graphql-operation': example.query }),
      };
    }
  }

  const outbound = p.outputPorts.filter((port) => port.kind === 'event-mesh' && port.direction === 'out');
  outbound.forEach((port, index) => {
    let broker: URL;
    try {
      broker = new URL(str(port.broker));
    } catch {
      return;
    }
    const server = `broker-${index + 1}`;
    servers[server] = {
      host: broker.host,
      protocol: broker.protocol.replace(/:$/, ''),
      title: 'Event-mesh broker',
      description: `Change events of ${p.id}, ${str(port.binding)}${port.audience ? ` for audience ${str(port.audience)}` : ''}.`,
    };
    const withheld = Array.isArray(port.withheld) ? (port.withheld as string[]) : [];
    const channel = `event-mesh-${index + 1}`;
    channels[channel] = {
      address: str(port.topic),
      title: `${p.domain} change events`,
      servers: [{ $ref: `#/servers/${server}` }],
      messages: { change: { $ref: '#/components/messages/ChangeCloudEvent' } },
      ...(withheld.length && { 'x-withheld': withheld }),
    };
    operations[`receive-${channel}`] = {
      action: 'receive',
      channel: { $ref: `#/channels/${channel}` },
      messages: [{ $ref: `#/channels/${channel}/messages/change` }],
      summary: `Change events on the broker${withheld.length ? `; withheld: ${withheld.join(', ')}` : ''}.`,
    };
    messages.ChangeCloudEvent = { name: 'ChangeCloudEvent', contentType: 'application/cloudevents+json', payload: CLOUD_EVENT };
  });

  return {
    asyncapi: '3.0.0',
    id: `urn:mesh:${p.id}`,
    info: {
      title: p.name,
      version: p.version,
      description: p.description.purpose,
      contact: { name: p.owner.team, email: p.owner.contact },
      tags: (p.tags ?? []).map((name) => ({ name })),
    },
    defaultContentType: 'application/json',
    servers,
    channels,
    operations,
    components: {
      schemas,
      messages,
      securitySchemes: {
        bearerJwt: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description: 'A JWT the gateway accepts; its scope claim must hold the scopes an operation or a field names (x-requires).',
        },
      },
    },
  };
}
