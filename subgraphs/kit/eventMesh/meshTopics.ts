/**
 * Names on the brokers, derived from the product's bus subjects (`subgraphs/kit/ingest/changeSubjects.ts`):
 *
 * | what | MQTT topic | AMQP |
 * |---|---|---|
 * | change event `mesh.orders.v1.sales.bucket-updated.eu` | `mesh/orders/v1/sales/bucket-updated/eu` | exchange `mesh.orders` (topic), routing key = the subject |
 * | latest state (retained) | `mesh/orders/v1/order/state-changed/latest/<key>` | — |
 * | facts in | `mesh/orders/facts/<Type>` (shared subscription `$share/mesh-orders/mesh/orders/facts/+`) | queue `mesh.orders.facts` |
 * | dead letters | `mesh/orders/dead-letter` | queue `mesh.orders.facts.dead-letter` |
 *
 * In a namespace (`MESH_NAMESPACE`) every name starts with it (`<ns>/mesh/…`, `<ns>.mesh.…`), like the NATS subjects.
 */

/** MQTT topic levels may not hold `/`, `+`, `#` or NUL; bus tokens already exclude `.`, `*`, `>` and spaces. */
export function topicLevel(value: string): string {
  const level = value.replace(/[/+#]/g, '_').replaceAll(String.fromCharCode(0), '_');
  return level === '' ? '_' : level;
}

/** Every broker name of one product. */
export interface MeshTopics {
  /** MQTT topic of a change event's bus subject. */
  eventTopic(subject: string): string;
  /** MQTT filter of every change event of the product. */
  eventTopicFilter: string;
  /** Retained latest-value topic of a state key. */
  latestTopic(subject: string, key: string): string;
  /** MQTT topic a producer publishes a fact of `type` to. */
  factTopic(type: string): string;
  /** MQTT filter of every fact topic. */
  factTopicFilter: string;
  /** MQTT 5 shared subscription group: replicas share the facts. */
  shareGroup: string;
  /** MQTT topic of dead letters. */
  deadLetterTopic: string;
  /** AMQP topic exchange of change events. */
  exchange: string;
  /** AMQP routing key of a change event: its bus subject (namespace first). */
  routingKey(subject: string): string;
  /** AMQP durable queue facts are sent to (default exchange, routing key = queue name). */
  factQueue: string;
  /** AMQP durable queue of dead letters. */
  deadLetterQueue: string;
  /** The bus subject filter of the product's change events (buses add their namespace themselves). */
  busFilter: string;
}

export function meshTopics(domain: string, namespace?: string): MeshTopics {
  const slash = namespace ? `${namespace}/mesh/${domain}` : `mesh/${domain}`;
  const dot = namespace ? `${namespace}.mesh.${domain}` : `mesh.${domain}`;
  const eventTopic = (subject: string) => {
    // Bus subjects are `mesh.<domain>.<rest>`: the rest becomes topic levels.
    return [slash, ...subject.split('.').slice(2).map(topicLevel)].join('/');
  };
  return {
    eventTopic,
    eventTopicFilter: `${slash}/v1/#`,
    latestTopic: (subject, key) => `${eventTopic(subject)}/latest/${topicLevel(key)}`,
    factTopic: (type) => `${slash}/facts/${topicLevel(type)}`,
    factTopicFilter: `${slash}/facts/+`,
    shareGroup: `${dot.replace(/\./g, '-')}`,
    deadLetterTopic: `${slash}/dead-letter`,
    exchange: dot,
    routingKey: (subject) => (namespace ? `${namespace}.${subject}` : subject),
    factQueue: `${dot}.facts`,
    deadLetterQueue: `${dot}.facts.dead-letter`,
    busFilter: `mesh.${domain}.v1.>`,
  };
}
