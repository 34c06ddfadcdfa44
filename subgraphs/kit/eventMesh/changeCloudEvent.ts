import type { BusMessage } from '../bus/Bus.js';

/** A change event as it goes out: a CloudEvents 1.0 structured-mode envelope. */
export interface ChangeCloudEvent {
  specversion: '1.0';
  /** `<domain>-<cursor>`: unique per product stream, the same on every redelivery. */
  id: string;
  /**
   * `urn:mesh:<domain>`, or `urn:mesh:<namespace>:<domain>` in a namespace (`MESH_NAMESPACE`): source + id
   * identify an event (CloudEvents), and two namespaced meshes on one broker number their events alike.
   */
  source: string;
  /** `mesh.<domain>.v1.bucket-updated` or `mesh.<domain>.v1.state-changed`. */
  type: string;
  /** The bus subject, e.g. `mesh.orders.v1.sales.bucket-updated.eu`. */
  subject: string;
  time: string;
  datacontenttype: 'application/json';
  /**
   * Extension attribute: the bus cursor. Strictly increasing per product: a consumer that sees a cursor
   * it already has skips a redelivery; the previous one (`meshprevcursor`) reveals a gap.
   */
  meshcursor: string;
  /** Extension attribute: the cursor of the product's previous change event, `0` for the first one. */
  meshprevcursor: string;
  data: unknown;
}

/** The CloudEvent of one bus change event (data already redacted by the caller); `namespace` as the bus's. */
export function changeCloudEvent(domain: string, message: BusMessage, previousCursor: string, data: unknown, namespace?: string): ChangeCloudEvent {
  const kind = /\.(bucket-updated|state-changed)(\.|$)/.exec(message.subject)?.[1] ?? 'changed';
  return {
    specversion: '1.0',
    id: `${domain}-${message.cursor}`,
    source: namespace ? `urn:mesh:${namespace}:${domain}` : `urn:mesh:${domain}`,
    type: `mesh.${domain}.v1.${kind}`,
    subject: message.subject,
    time: message.publishedAt.toISOString(),
    datacontenttype: 'application/json',
    meshcursor: message.cursor,
    meshprevcursor: previousCursor,
    data,
  };
}
