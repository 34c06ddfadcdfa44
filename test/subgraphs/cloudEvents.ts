/**
 * CloudEvents 1.0 (structured mode) builders for the demo domains' facts. Ids are unique per call unless
 * given, so a test only names what it cares about.
 */
let sequence = 0;

export interface CloudEventJson {
  specversion: '1.0';
  id: string;
  source: string;
  type: string;
  time: string;
  datacontenttype: 'application/json';
  data: Record<string, unknown>;
}

export function cloudEvent(type: string, time: Date | string, data: Record<string, unknown>, id = `evt-${++sequence}`): CloudEventJson {
  return {
    specversion: '1.0',
    id,
    source: 'test://producer',
    type,
    time: typeof time === 'string' ? time : time.toISOString(),
    datacontenttype: 'application/json',
    data,
  };
}

/** An order line as the orders facts carry it. */
export interface OrderLine {
  orderId: string;
  productId: string;
  quantity: number;
  unitPrice: number;
  region: string;
  channel: 'web' | 'mobile' | 'store' | 'partner';
}

const orderLine = (line: Partial<OrderLine>): OrderLine => ({
  orderId: `order-${++sequence}`,
  productId: 'p1',
  quantity: 2,
  unitPrice: 10,
  region: 'eu',
  channel: 'web',
  ...line,
});

export const orderPlaced = (time: Date | string, line: Partial<OrderLine> & { customerEmail?: string } = {}) =>
  cloudEvent('OrderPlaced', time, { customerEmail: 'ada@example.com', ...orderLine(line) });

export const orderCancelled = (time: Date | string, line: Partial<OrderLine> & { reason?: string } = {}) =>
  cloudEvent('OrderCancelled', time, { ...orderLine(line) });

export const productListed = (time: Date | string, product: { productId: string; name: string; category: string; price: number }) =>
  cloudEvent('ProductListed', time, product);

export const priceChanged = (time: Date | string, productId: string, price: number) => cloudEvent('ProductPriceChanged', time, { productId, price });

export const stockAdjusted = (time: Date | string, productId: string, delta: number, warehouse = 'w1') =>
  cloudEvent('StockAdjusted', time, { productId, warehouse, delta, reason: delta > 0 ? 'received' : 'sold' });

export const stockCounted = (time: Date | string, productId: string, onHand: number, warehouse = 'w1') =>
  cloudEvent('StockCounted', time, { productId, warehouse, onHand });

export interface ShipmentLine {
  shipmentId: string;
  orderId: string;
  productId: string;
  carrier: string;
  region: string;
  promisedAt: string;
}

export const shipmentDispatched = (time: Date | string, shipment: ShipmentLine) => cloudEvent('ShipmentDispatched', time, { ...shipment });

export const shipmentDelivered = (time: Date | string, shipment: ShipmentLine & { dispatchedAt: string }) =>
  cloudEvent('ShipmentDelivered', time, { ...shipment });
