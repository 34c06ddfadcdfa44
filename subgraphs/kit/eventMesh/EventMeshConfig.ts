/**
 * Which enterprise event-mesh brokers a data product is bridged to, and who the outbound topics serve.
 * `subgraphs/subgraphConfig.ts` builds it from `MESH_EVENT_MESH` (see {@link parseEventMeshBrokers}).
 */

/** One broker: MQTT 5 (`mqtt://`, `mqtts://`) or AMQP 0-9-1 (`amqp://`, `amqps://`). */
export type EventMeshBroker = { kind: 'mqtt'; url: string } | { kind: 'amqp'; url: string };

/**
 * Who reads the product's outbound topics, as the product owner declares it. Governed fields (those with
 * `@authenticated`, `@requiresScopes` or `@policy` in the SDL) go out only when this declaration satisfies
 * their directives, exactly as a GraphQL caller holding these scopes would be judged.
 */
export interface EventMeshAudience {
  /** A name for the catalog, e.g. `finance-dashboards`. */
  name: string;
  /** Scopes every consumer of the topics holds (the broker's ACLs must enforce it). */
  scopes: string[];
  /** Policies the audience satisfies. @default [] */
  policies?: string[];
}

/** The event mesh bridge settings of one subgraph. */
export interface EventMeshConfig {
  brokers: EventMeshBroker[];
  /** The declared audience of the outbound topics. @default none: every governed field is withheld */
  audience?: EventMeshAudience;
  /** Also publish the latest state of each key as a retained MQTT message (`…/state-changed/latest/<key>`). @default false */
  retainLatest?: boolean;
  /**
   * With the JetStream bus: how long the outbound leader's lease lasts without renewal, i.e. how soon
   * another replica takes over publishing after the leader died (a graceful stop hands over at once).
   * @default 10000
   */
  leaderLeaseMs?: number;
  /** Whether this replica may publish change events (inbound always runs); `false` keeps it out of the leader election. @default true */
  outbound?: boolean;
}

/** `mqtt://host:1883,amqp://guest:guest@host:5672` → brokers; throws a message naming the bad entry. */
export function parseEventMeshBrokers(value: string): EventMeshBroker[] {
  const brokers: EventMeshBroker[] = [];
  for (const entry of value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    if (!URL.canParse(entry)) throw new Error(`${JSON.stringify(redactUrl(entry))} is not a URL`);
    const protocol = new URL(entry).protocol;
    if (protocol === 'mqtt:' || protocol === 'mqtts:') brokers.push({ kind: 'mqtt', url: entry });
    else if (protocol === 'amqp:' || protocol === 'amqps:') brokers.push({ kind: 'amqp', url: entry });
    else throw new Error(`${JSON.stringify(redactUrl(entry))}: use mqtt://, mqtts://, amqp:// or amqps://`);
  }
  if (brokers.length > 2 || new Set(brokers.map((b) => b.kind)).size !== brokers.length) throw new Error('at most one mqtt:// and one amqp:// broker');
  return brokers;
}

/** A broker URL without its credentials, for logs and the catalog. */
export function redactUrl(url: string): string {
  if (!URL.canParse(url)) return url.replace(/\/\/[^@/]*@/, '//');
  const parsed = new URL(url);
  parsed.username = '';
  parsed.password = '';
  return parsed.toString().replace(/\/$/, '');
}
